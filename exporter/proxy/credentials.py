"""Who checks a proxied charger's credentials, and what the proxy tells the CSMS.

Two ways, chosen at start:

- pass-through (the default): with security profiles 1 and 2 the charger's ``Authorization``
  header goes to the CSMS unchanged and the CSMS decides, as it did before the proxy was put in
  front of it; the collector checks no password, so a fleet file with ``password_hash`` is
  refused (a secret that would be ignored);
- local check (``--upstream-credentials FILE``): the charger's Basic auth is checked here
  against the fleet file's ``password_hash``, exactly as standalone does, and the CSMS gets
  the proxy's own credentials for that charger from FILE, never the charger's header. Also
  allowed with profile 3 (a CSMS on profile 2 behind a proxy on profile 3).

Profile 3's client certificate ends at the proxy's TLS, so it is always checked here; the
proxy presents its own (``--upstream-client-cert``) to a ``wss://`` CSMS. Profile 0 checks
nothing anywhere.
"""

from __future__ import annotations

import base64
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from chargekeeper.config.fleet import Fleet, valid_charge_point_id
from exporter.security import SecurityConfigError, SecurityProfile, check_profile_against_fleet

OPTION = "--upstream-credentials"


class UpstreamCredentials:
    """Each charger's Basic-auth password for the CSMS (username = its charge point id).

    The passwords never appear in a repr, a log line or an error message.
    """

    def __init__(self, path: Path, passwords: dict[str, str]) -> None:
        self.path = path
        self._passwords = passwords

    def __repr__(self) -> str:
        return f"UpstreamCredentials({str(self.path)!r}, {len(self._passwords)} charger(s))"

    def __len__(self) -> int:
        return len(self._passwords)

    def authorization(self, charge_point_id: str) -> str | None:
        """The ``Authorization`` header for this charger's upstream leg; None without a line."""
        password = self._passwords.get(charge_point_id)
        if password is None:
            return None
        token = base64.b64encode(f"{charge_point_id}:{password}".encode()).decode("ascii")
        return f"Basic {token}"

    def missing(self, charge_point_ids: Iterable[str]) -> list[str]:
        """The ids, in order, that have no line in the file."""
        return [cp for cp in charge_point_ids if cp not in self._passwords]


def load_upstream_credentials(path: Path) -> UpstreamCredentials:
    """Read ``<charge point id> <password>`` lines (``#`` comments and blank lines skipped).

    The file must be readable by its owner only (mode 0600 or stricter): it holds every
    charger's CSMS password. Raises :class:`SecurityConfigError` saying what to fix; a
    message names the line, never its content.
    """
    try:
        # One descriptor for the mode check and the read: the file cannot be swapped between.
        descriptor = os.open(path, os.O_RDONLY)
    except OSError as exc:
        raise SecurityConfigError(f"{OPTION} {path}: cannot open it ({exc.strerror})") from None
    with os.fdopen(descriptor, "rb") as file:
        mode = stat.S_IMODE(os.fstat(file.fileno()).st_mode)
        if mode & 0o077:
            raise SecurityConfigError(
                f"{OPTION} {path}: mode {mode:04o} lets other users read the CSMS passwords; "
                f"run chmod 600 {path}"
            )
        raw = file.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SecurityConfigError(f"{OPTION} {path}: not UTF-8 text") from None
    passwords: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2:
            raise SecurityConfigError(
                f"{OPTION} {path} line {number}: expected '<charge point id> <password>'"
            )
        charge_point_id, password = parts
        if not valid_charge_point_id(charge_point_id):
            raise SecurityConfigError(
                f"{OPTION} {path} line {number}: the first word is not a valid charge point "
                "id (1-48 letters, digits or ._:*+@|=- characters)"
            )
        if charge_point_id in passwords:
            raise SecurityConfigError(
                f"{OPTION} {path} line {number}: a second line for {charge_point_id!r}; keep one"
            )
        passwords[charge_point_id] = password
    if not passwords:
        raise SecurityConfigError(f"{OPTION} {path}: no '<charge point id> <password>' line in it")
    return UpstreamCredentials(path, passwords)


def local_profile(
    profile: SecurityProfile, fleet: Fleet | None, *, local_check: bool = False
) -> SecurityProfile:
    """The profile the proxy's own :class:`~exporter.security.Authenticator` enforces.

    ``local_check`` (``--upstream-credentials`` given): the profile itself, with standalone's
    fleet checks. Otherwise Basic auth is the CSMS's, and :class:`SecurityConfigError` is
    raised when the fleet file sets passwords that would be ignored.
    """
    if local_check or not profile.uses_basic_auth:
        check_profile_against_fleet(profile, fleet)
        return profile
    with_password = [c.id for c in fleet.chargers if c.password_hash] if fleet else []
    if with_password:
        raise SecurityConfigError(
            f"the fleet file sets password_hash for {len(with_password)} charger(s) (first: "
            f"{with_password[0]!r}), but with --upstream the CSMS checks chargers' passwords "
            "(their Authorization header is passed on): remove password_hash from the fleet "
            f"file, or check them here and give the CSMS the proxy's own with {OPTION} FILE"
        )
    return SecurityProfile.NONE
