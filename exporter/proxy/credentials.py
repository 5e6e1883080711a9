"""Who checks a proxied charger's credentials.

With security profiles 1 and 2 the charger's ``Authorization`` header goes to the CSMS
unchanged and the CSMS decides, as it did before the proxy was put in front of it: the
collector itself checks no password (checking locally against the fleet file, with upstream
credentials from a secrets file, is a later option). Profile 3's client certificate ends at
the proxy's TLS, so it is still checked here; profile 0 checks nothing anywhere.
"""

from __future__ import annotations

from chargekeeper.config.fleet import Fleet
from exporter.security import SecurityConfigError, SecurityProfile, check_profile_against_fleet


def local_profile(profile: SecurityProfile, fleet: Fleet | None) -> SecurityProfile:
    """The profile the proxy's own :class:`~exporter.security.Authenticator` enforces.

    Raises :class:`SecurityConfigError` when the fleet file sets passwords that proxy mode
    would ignore, as standalone mode refuses a secret it would not check.
    """
    if not profile.uses_basic_auth:
        check_profile_against_fleet(profile, fleet)
        return profile
    with_password = [c.id for c in fleet.chargers if c.password_hash] if fleet else []
    if with_password:
        raise SecurityConfigError(
            f"the fleet file sets password_hash for {len(with_password)} charger(s) (first: "
            f"{with_password[0]!r}), but with --upstream the CSMS checks chargers' passwords "
            "(their Authorization header is passed on): remove password_hash from the fleet file"
        )
    return SecurityProfile.NONE
