"""User names in one canonical form, the key that the login lookup and the login throttle share.

Unicode NFKC (a full-width or ligature spelling is the plain one), surrounding whitespace
stripped, casefolded: ``"Viewer1 "``, ``"\\tviewer1"`` and the full-width spelling are all the
user ``viewer1``, so none of them gets past a lock on ``viewer1`` or creates a look-alike account.
Names are stored in this form; revision 0003 of the store converted the existing ones.
"""

from __future__ import annotations

import unicodedata


def username_key(raw: str) -> str:
    """The canonical form of a typed user name."""
    return unicodedata.normalize("NFKC", raw).strip().casefold()
