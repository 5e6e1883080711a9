"""The collector's events as InfluxDB line protocol: the history schema, escaping and caps.

exporter.influx writes what this module makes; the schema below is the one dashboards and
reports read (copied to grafana/README for dashboards).

Schema
------
Timestamps have millisecond precision (``precision=ms``): a charger that flaps or changes status
twice within one second must leave two points, since points with the same measurement, tag set
and timestamp overwrite each other.

``ocpp_connection``  one point per websocket connect or disconnect seen by the collector
    tags    charge_point_id, site, client, ocpp_version ("1.6" | "2.0.1")
    fields  connected (integer 1/0 rather than boolean: InfluxQL can aggregate integers, e.g.
            last() per interval with fill(previous), then mean() for availability),
            reason (string: connected | closed | timeout | replaced | error)

``ocpp_status``  one point per connector status change
    tags    charge_point_id, site, client, connector_id ("0" is the charger as a whole;
            the EVSE id for OCPP 2.0.1), status, error_code
    fields  vendor_id, vendor_error_code, info (strings: charger-supplied free text is kept
            out of tags so that it cannot create series)

``ocpp_meter``  one point per sampled value
    tags    charge_point_id, site, client, connector_id, measurand (OCPP name, e.g.
            "Power.Active.Import"), phase (absent when the charger sent none)
    fields  value (float, in the base unit of MeterSample: W, J, ratio, A, V, Hz, °C),
            unit (string)

Encoding of charger-supplied strings: ``influxdb-client`` escapes tag values and string fields.
Line protocol cannot carry a line break in any value (VictoriaMetrics would even read the rest
of the value as a new point), so CR, LF and TAB are written as the two characters ``\\r``,
``\\n``, ``\\t`` in tags (the library's own rule) and in string fields (done here). A tag value
ending in a backslash gets a trailing space from the library. An empty tag value is omitted, as
line protocol requires. Tag values are cut to 128 characters and string fields to 1024: they
come from chargers and are untrusted.

Reading it back: InfluxDB 1.x (InfluxQL) sees exactly the measurements, tags and fields above.
VictoriaMetrics names each field ``<measurement>_<field>`` (``ocpp_meter_value``,
``ocpp_connection_connected``) with the tags as labels; it stores string fields as the value 0,
so ``reason``, ``vendor_id``, ``vendor_error_code``, ``info`` and ``unit`` are not readable there.
It also reads a backslash before an escaped space or comma in a tag differently from InfluxDB and
skips such a line (only that line): a charger id or status containing ``\\ `` or ``\\,`` has no
history there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from influxdb_client.client.write.point import Point
from influxdb_client.domain.write_precision import WritePrecision

from exporter.events import ConnectionChanged, Event, StatusChanged

# influxdb-client declares its enums as plain str constants; this is the value write() expects.
PRECISION: WritePrecision = WritePrecision.MS  # type: ignore[assignment]
# Same cap as charger-supplied Prometheus label values; enough for any real id or code.
MAX_TAG_CHARS = 128
# OCPP bounds its free-text fields at 50 (1.6 info) to 500 (2.0.1 techInfo) characters.
MAX_TEXT_CHARS = 1024

_LINE_BREAKS = str.maketrans({"\n": "\\n", "\r": "\\r", "\t": "\\t"})


def _tag(value: str) -> str:
    return value[:MAX_TAG_CHARS]


def _text(value: str) -> str:
    return value[:MAX_TEXT_CHARS].translate(_LINE_BREAKS)


@dataclass(frozen=True, slots=True)
class Record:
    """One point of the schema above, before line-protocol encoding."""

    measurement: str
    tags: dict[str, str]
    fields: dict[str, str | int | float]
    time_ms: int


def _charger_tags(event: Event) -> dict[str, str]:
    charger = event.charger
    return {
        "charge_point_id": _tag(charger.charge_point_id),
        "site": _tag(charger.site),
        "client": _tag(charger.client),
    }


def to_record(event: Event) -> Record | None:
    """The point for one event, or None when the event holds nothing writable (a NaN reading)."""
    tags = _charger_tags(event)
    time_ms = round(event.time * 1000)
    if isinstance(event, ConnectionChanged):
        tags["ocpp_version"] = _tag(event.ocpp_version)
        fields: dict[str, str | int | float] = {
            "connected": int(event.connected),
            "reason": _text(event.reason),
        }
        return Record("ocpp_connection", tags, fields, time_ms)
    tags["connector_id"] = str(event.connector_id)
    if isinstance(event, StatusChanged):
        tags["status"] = _tag(event.status)
        tags["error_code"] = _tag(event.error_code)
        fields = {
            "vendor_id": _text(event.vendor_id),
            "vendor_error_code": _text(event.vendor_error_code),
            "info": _text(event.info),
        }
        return Record("ocpp_status", tags, fields, time_ms)
    value = float(event.value)  # always a float field: an int would conflict with earlier floats
    if not math.isfinite(value):
        return None
    tags["measurand"] = _tag(event.measurand)
    tags["phase"] = _tag(event.phase)
    fields = {"value": value, "unit": _text(event.unit)}
    return Record("ocpp_meter", tags, fields, time_ms)


def encode(record: Record) -> str:
    """One line of line protocol; escaping is influxdb-client's (its API is untyped)."""
    point = Point.from_dict(
        {
            "measurement": record.measurement,
            "tags": record.tags,
            "fields": record.fields,
            "time": record.time_ms,
        },
        write_precision=PRECISION,
    )
    return str(point.to_line_protocol())


def to_line(event: Event) -> str | None:
    record = to_record(event)
    return None if record is None else encode(record)
