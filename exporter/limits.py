"""What the fleet state accepts from one charger: its cardinality budgets, plausible readings,
and charger text made safe once, at intake.

A charger can send any string and any number. Every budget here is per charger, so one
charger that sends too much is cut off alone and never uses up what the others need; the
fleet-wide caps of exporter.selfmetrics.BoundedLabel stay as the last line. What is cut off
is counted (``chargekeeper_exporter_cardinality_limited_total``,
``chargekeeper_exporter_readings_refused_total``) and logged through :class:`LimitedLog`,
which cannot flood the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from chargekeeper.untrusted import MAX_CODE, clean
from exporter.records import ChargerState
from exporter.selfmetrics import ExporterMetrics

log = logging.getLogger("exporter.limits")

# Connectors (1.6) or EVSEs (2.0.1) per charger: real chargers have 1 to 8 (a few DC hubs
# with satellites reach 24), while ids up to 255 are read (exporter.lenient).
MAX_CONNECTORS = 32
# Active errors per charger across its connectors: 2.0.1 keys errors by charger-supplied
# component/variable names; a real charger reports a handful at a time.
MAX_ERRORS = 64
# Distinct (vendor, vendorErrorCode) label pairs a charger may add to
# chargekeeper_exporter_vendor_error_reports_total; real firmware uses tens of codes at most.
MAX_VENDOR_CODES = 32

# The budgets, as the ``budget`` label of chargekeeper_exporter_cardinality_limited_total.
CONNECTORS = "connectors"
ERRORS = "errors"
VENDOR_CODES = "vendor_codes"
CHARGERS = "chargers"  # a disconnected charger outside the fleet file forgotten for room

# Readings beyond these are a broken meter or a forged frame, never a measurement:
# the most powerful chargers (MCS) deliver 3.75 MW; a register of 10^16 J (2.8 TWh) is
# decades of a charging hub; SoC is a ratio. Power may be negative (meter noise around idle,
# a bidirectional charger's export), within the same magnitude.
MAX_POWER_WATTS = 1e7
MAX_ENERGY_JOULES = 1e16
MIN_POWER_WATTS = -MAX_POWER_WATTS
# The ``measurand`` label of chargekeeper_exporter_readings_refused_total.
POWER = "power"
ENERGY = "energy"
SOC = "soc"
OTHER = "other"  # any other measurand, refused only when not finite


def text(value: str, limit: int) -> str:
    """A charger string through the one sanitiser (control and bidi characters out, length
    bounded), "" when nothing printable is left.

    Printable ASCII within the limit, the usual case on every frame, is what ``clean``
    returns unchanged: it skips the per-character walk.
    """
    if (
        value.isascii()
        and value.isprintable()
        and len(value) <= limit
        and (not value or (value[0] != " " and value[-1] != " "))
    ):
        return value
    return clean(value, limit) or ""


# Names repeat on every frame (measurand, phase, unit, status, error code): their clean form is
# memoised, up to a bound a charger inventing names cannot push past.
_NAMES: dict[str, str] = {}
_MAX_NAMES = 4096


def name(value: str) -> str:
    """:func:`text` for a name (at most MAX_CODE characters), memoised."""
    cleaned = _NAMES.get(value)
    if cleaned is None:
        cleaned = text(value, MAX_CODE)
        if len(_NAMES) < _MAX_NAMES:
            _NAMES[value] = cleaned
    return cleaned


class LimitedLog:
    """At most ``per_minute`` warnings a minute; the rest are counted and summed up in the
    next line that gets through, so a charger sending garbage cannot flood the log."""

    def __init__(self, clock: Callable[[], float], per_minute: int = 20) -> None:
        self.clock = clock
        self.per_minute = per_minute
        self._window = -1.0
        self._lines = 0
        self._suppressed = 0

    def warning(self, message: str, *args: object) -> None:
        now = self.clock()
        if now - self._window >= 60.0:
            self._window, self._lines = now, 0
        if self._lines >= self.per_minute:
            self._suppressed += 1
            return
        self._lines += 1
        if self._suppressed:
            message += " (%d similar warnings suppressed)"
            args = (*args, self._suppressed)
            self._suppressed = 0
        log.warning(message, *args)


class Budgets:
    """Counts and logs what the budgets and the reading checks cut off (exporter.state
    decides when)."""

    def __init__(self, metrics: ExporterMetrics, clock: Callable[[], float]) -> None:
        self.metrics = metrics
        self.log = LimitedLog(clock)

    def exceeded(self, charger: ChargerState, budget: str, limit: int) -> None:
        """A report dropped for one of a charger's budgets: counted (with the charger's id
        only if the fleet file lists it, so the label stays bounded), logged once per budget."""
        charge_point_id = charger.ref.charge_point_id
        self.metrics.cardinality_limited.labels(
            charge_point_id if charger.known else "", budget
        ).inc()
        if budget not in charger.limited:
            charger.limited = charger.limited | {budget}
            self.log.warning(
                "charger %s exceeded its %s budget (%d): further ones are dropped and counted"
                " in chargekeeper_exporter_cardinality_limited_total",
                charge_point_id,
                budget,
                limit,
            )

    def forgotten(self) -> None:
        """A charger outside the fleet file forgotten to make room (or long gone)."""
        self.metrics.cardinality_limited.labels("", CHARGERS).inc()

    def refused(self, charger: ChargerState, kind: str, measurand: str, value: float) -> None:
        self.metrics.readings_refused.labels(kind).inc()
        self.log.warning(
            "charger %s: %s reading %r refused (not finite or out of range)",
            charger.ref.charge_point_id,
            text(measurand, MAX_CODE),
            value,
        )
