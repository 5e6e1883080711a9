"""When a fault began, which is not always when its alert started.

An alert's ``startsAt`` is when its current rule (one severity) became active: a charger
offline since 21:38 whose critical alert replaced the warning at 21:48 starts at 21:48. The
rules put the fault's own start (the series' status-since or disconnected-since) in the
``since`` annotation, as unix seconds; old alerts have none, or an empty one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime

SINCE_ANNOTATION = "since"


def fault_since(annotations: Mapping[str, object], starts_at: datetime) -> datetime:
    """The fault's start from the ``since`` annotation, else ``starts_at``.

    The annotation is a Prometheus template's output: a decimal or exponent notation
    (``1.7645e+09``). A value that is not a positive finite number, or that lies after
    ``starts_at`` (a fault cannot begin after its alert), is ignored.
    """
    raw = str(annotations.get(SINCE_ANNOTATION) or "").strip()
    try:
        seconds = float(raw)
    except ValueError:
        return starts_at
    if not math.isfinite(seconds) or seconds <= 0:
        return starts_at
    try:
        since = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return starts_at
    return since if since <= starts_at else starts_at
