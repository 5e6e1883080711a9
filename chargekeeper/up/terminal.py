"""The terminal of ``chargekeeper up``: quiet, with one summary line a minute.

The collector and the simulated fleet log each charger's connection and disconnection; with
48 chargers that buries the banner and the demo's password within seconds. Those lines go to
``<state>/logs/chargekeeper.log``; the terminal keeps warnings, the stack's own messages and
a summary computed from Prometheus and the local mail and SMS folders.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from chargekeeper.routing import WATCHDOG_ALERT

SUMMARY_EVERY_S = 60.0
QUERY_TIMEOUT_S = 5.0
# The stack's own loggers: what `up` itself says stays on the terminal at INFO.
TERMINAL_LOGGERS = ("chargekeeper.up",)
LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def _for_terminal(record: logging.LogRecord) -> bool:
    if record.levelno >= logging.WARNING:
        return True
    return any(record.name == n or record.name.startswith(n + ".") for n in TERMINAL_LOGGERS)


@contextlib.contextmanager
def quiet_terminal(log_file: Path) -> Iterator[None]:
    """Send every log record to ``log_file``; keep only warnings and ``up``'s own on the terminal.

    With ``--verbose`` (root at DEBUG) the terminal shows everything, as asked.
    """
    root = logging.getLogger()
    log_file.parent.mkdir(parents=True, exist_ok=True)
    to_file = logging.FileHandler(log_file, encoding="utf-8")
    to_file.setFormatter(logging.Formatter(LOG_FORMAT))
    terminals = [
        h
        for h in root.handlers
        if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)
    ]
    quiet = root.getEffectiveLevel() > logging.DEBUG
    if quiet:
        for handler in terminals:
            handler.addFilter(_for_terminal)
    root.addHandler(to_file)
    try:
        yield
    finally:
        root.removeHandler(to_file)
        to_file.close()
        if quiet:
            for handler in terminals:
                handler.removeFilter(_for_terminal)


@dataclass(frozen=True)
class Summary:
    chargers: int | None
    connected: int | None
    firing: int | None
    critical: int | None
    emails: int | None
    sms: int | None

    def line(self, at: datetime) -> str:
        fleet = (
            f"{self.chargers} chargers, {self.connected} connected"
            if self.chargers is not None and self.connected is not None
            else "Prometheus is not answering"
        )
        parts = [f"{at:%H:%M} {fleet}"]
        if self.firing is not None:
            parts.append(f"{_count(self.firing, 'alert')} firing ({self.critical} critical)")
        if self.emails is not None and self.sms is not None:
            parts.append(f"{_count(self.emails, 'email')}, {self.sms} SMS sent")
        return " · ".join(parts)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


async def read_summary(prometheus: str, outbox: Path | None) -> Summary:
    """Fleet and alert counts from Prometheus; mail and SMS counts from ``outbox`` (the demo's
    local providers' folder), when given."""
    chargers = connected = firing = critical = None
    async with httpx.AsyncClient(base_url=prometheus, timeout=QUERY_TIMEOUT_S) as client:
        with contextlib.suppress(httpx.HTTPError, KeyError, ValueError):
            chargers = await _scalar(client, "count(ocpp_charge_point_info)")
            connected = await _scalar(client, "count(ocpp_charge_point_connected == 1)")
            response = await client.get("/api/v1/alerts")
            response.raise_for_status()
            alerts = [
                a
                for a in response.json()["data"]["alerts"]
                if a["state"] == "firing" and a["labels"].get("alertname") != WATCHDOG_ALERT
            ]
            firing = len(alerts)
            critical = sum(a["labels"].get("severity") == "critical" for a in alerts)
    emails = sms = None
    if outbox is not None:
        emails = len(list((outbox / "mail").glob("*.eml")))
        sms = _lines(outbox / "sms" / "messages.jsonl")
    return Summary(chargers, connected, firing, critical, emails, sms)


async def _scalar(client: httpx.AsyncClient, query: str) -> int:
    """An instant query's single value; an empty result (nothing matched) is 0."""
    response = await client.get("/api/v1/query", params={"query": query})
    response.raise_for_status()
    result = response.json()["data"]["result"]
    return int(float(result[0]["value"][1])) if result else 0


def _lines(path: Path) -> int:
    try:
        with path.open("rb") as lines:
            return sum(1 for line in lines if line.strip())
    except FileNotFoundError:
        return 0


async def print_summaries(
    prometheus: str, outbox: Path | None, every: float = SUMMARY_EVERY_S
) -> None:
    """Print a summary line every ``every`` seconds until cancelled."""
    while True:
        await asyncio.sleep(every)
        summary = await read_summary(prometheus, outbox)
        print(summary.line(datetime.now().astimezone()), flush=True)
