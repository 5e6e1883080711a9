"""Vendor-name normalisation: the same manufacturer is spelled many ways on the wire."""

from __future__ import annotations

import unicodedata


def vendor_key(name: str) -> str:
    """Letters and digits only, case-folded: ``EV-BOX``, ``EVBox`` and ``ev box`` → ``evbox``.

    BootNotification ``chargePointVendor``, 2.0.1 ``vendorName`` and StatusNotification
    ``vendorId`` all go through this, so hyphens, dots, slashes and spacing never matter.
    """
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(char for char in folded if char.isalnum())
