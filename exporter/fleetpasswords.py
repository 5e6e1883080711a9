"""Give every charger of a fleet file a random Basic-auth password (security profiles 1, 2).

The fleet file receives each new password's argon2id ``password_hash`` (its comments and layout
kept by ruamel's round trip); the passwords themselves go to a separate file, readable by its
owner only, as ``<charge point id> <password>`` lines: the operator programs them into the
chargers, and ``chargekeeper simulate --password-file`` reads the same format. Chargers that
already have a ``password_hash`` are left alone, so running it again only adds new chargers.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from io import StringIO
from pathlib import Path

from ruamel.yaml import YAML

from exporter.passwords import hash_password

# 24 random bytes are 32 URL-safe characters: inside OCPP's 16 to 40, and only letters,
# digits, '-' and '_', which 2.0.1's passwordString and every charger keypad accept.
PASSWORD_BYTES = 24


def _write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically; the file is created with mode 0600."""
    descriptor, draft = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(draft, path)
    except BaseException:
        os.unlink(draft)
        raise


def _read_passwords(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    pairs = (line.split(maxsplit=1) for line in path.read_text(encoding="utf-8").splitlines())
    return {pair[0]: pair[1] for pair in pairs if len(pair) == 2 and not pair[0].startswith("#")}


def add_passwords(fleet_file: Path, passwords_file: Path) -> list[str]:
    """Hash a new password into ``fleet_file`` for each charger without one; return their ids.

    The passwords file is written before the fleet file: a failure in between leaves chargers
    without a hash, which the next run gives a fresh password (replacing the stale line).
    """
    yaml = YAML()  # round trip: comments, order and flow style are kept
    yaml.width = 4096  # a long hash stays on its charger's line
    yaml.indent(mapping=2, sequence=4, offset=2)  # the fleet files' "  - {...}" layout
    document = yaml.load(fleet_file.read_text(encoding="utf-8"))
    chargers = (document.get("chargers") or []) if document else []
    new = {
        str(charger["id"]): secrets.token_urlsafe(PASSWORD_BYTES)
        for charger in chargers
        if not charger.get("password_hash")
    }
    if not new:
        return []
    for charger in chargers:
        password = new.get(str(charger["id"]))
        if password is not None:
            charger["password_hash"] = hash_password(password)
    passwords = {**_read_passwords(passwords_file), **new}
    _write_private(passwords_file, "".join(f"{cp} {pw}\n" for cp, pw in passwords.items()))
    mode = fleet_file.stat().st_mode & 0o777  # hashes only: keep it readable as it was
    text = StringIO()
    yaml.dump(document, text)
    _write_private(fleet_file, text.getvalue())
    fleet_file.chmod(mode)
    return list(new)
