"""Make a routing edit live, or change nothing: validate, render, check, write, reload, confirm.

Order of operations, and why:

1. The whole proposed routing.yaml is validated as the receiver reads it (``check_routing``);
   an invalid one is rejected before any file is touched.
2. ``alertmanager.yml`` is rendered into a staging directory and checked with ``amtool
   check-config`` (``chargekeeper.render.stack``); only a passing file replaces the old one.
3. routing.yaml is replaced atomically (temporary file + rename).
4. Alertmanager is asked to reload, then ``/api/v2/status`` must show the new routes: a
   reload that "succeeds" on another file (Alertmanager started with a different
   ``--config.file``) is a failure too.
5. Only then does the live policy change (receiver, escalation, preview).

If step 3 or 4 fails, both files are put back as they were, and if Alertmanager may have
loaded the new one it is reloaded again, so the running configuration stays the previous one.
Every attempt that changes the text is recorded as a ``ConfigChange``.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import yaml
from sqlalchemy.orm import Session, sessionmaker

from chargekeeper.config.fleet import Fleet
from chargekeeper.config.policy import Policy
from chargekeeper.config.routing import RoutingPolicy
from chargekeeper.render.stack import (
    ROUTING_FILE,
    AlertmanagerSide,
    ConfigSources,
    RenderError,
    Runner,
    render,
    run_tool,
)
from chargekeeper.routing import LiveRouting
from console.audit_log import record_change
from console.routing.alertmanager import (
    AlertmanagerClient,
    AlertmanagerProblem,
    AlertmanagerUnreachable,
    routing_signature,
    webhook_target_of,
)
from console.routing.changes import describe_changes
from console.routing.check import Problem, RoutingRejected, check_routing
from console.settings import ConsoleConfig
from console.yamldoc import write_atomically

log = logging.getLogger(__name__)

CHANGE_KIND = "routing"


@dataclass(frozen=True)
class EditTarget:
    """Where an applied routing edit goes."""

    config_dir: Path
    render_dir: Path
    alertmanager_url: str
    # The other members of an Alertmanager cluster reading the same rendered file: each must
    # run the new routing, or the members would route the same alert differently.
    alertmanager_peers: tuple[str, ...] = ()

    @property
    def routing_file(self) -> Path:
        return self.config_dir / ROUTING_FILE

    @property
    def alertmanager_file(self) -> Path:
        return self.render_dir / "alertmanager" / "alertmanager.yml"


def edit_target(config: ConsoleConfig, config_dir: Path) -> EditTarget | str:
    """Where edits go, or why the routing is read-only (an i18n key of the Routing page)."""
    if config.render_dir is None:
        return "routing_ro_render_dir"
    if not config.alertmanager_url:
        return "routing_ro_alertmanager"
    if not (config_dir / ROUTING_FILE).is_file():
        return "routing_ro_no_file"
    return EditTarget(
        config_dir,
        config.render_dir,
        config.alertmanager_url,
        tuple(config.alertmanager_peers),
    )


@dataclass(frozen=True)
class ApplyResult:
    """What became of one save."""

    # conflict: the file changed since the caller read it; nothing was tried or recorded.
    outcome: Literal["applied", "rejected", "unchanged", "conflict"]
    summary: list[str] = field(default_factory=list)
    # The policy's own problems (invalid input); empty when something else failed.
    problems: list[Problem] = field(default_factory=list)
    # What failed, or what was done; in the audit log too.
    detail: str = ""
    change_id: int | None = None


class _ApplyFailed(Exception):
    """A step after validation failed; the message says which and what was restored."""


def text_sha256(text: str) -> str:
    """The version of a routing.yaml text, for "edited the version I saw" checks."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class RoutingEditor:
    """Applies routing edits one at a time and records each in the audit log."""

    def __init__(
        self,
        target: EditTarget,
        fleet: Fleet,
        live: LiveRouting,
        sessions: sessionmaker[Session],
        run: Runner = run_tool,
    ) -> None:
        self.target = target
        self._fleet = fleet
        self._live = live
        self._sessions = sessions
        self._run = run
        self._alertmanagers = [
            AlertmanagerClient(url) for url in (target.alertmanager_url, *target.alertmanager_peers)
        ]
        # Two admins saving at once must not interleave their renders, writes and reloads.
        self._lock = threading.Lock()

    def current_text(self) -> str:
        return self.target.routing_file.read_text(encoding="utf-8")

    def apply(self, new_text: str, by: str, base_sha256: str | None = None) -> ApplyResult:
        """Make ``new_text`` the running routing, or change nothing.

        ``base_sha256`` (see :func:`text_sha256`) names the file the caller edited: a
        whole-file edit made on an older version is refused rather than silently undoing
        the change saved in between.
        """
        return self.edit(lambda _current: new_text, by, base_sha256)

    def edit(
        self, change: Callable[[str], str], by: str, base_sha256: str | None = None
    ) -> ApplyResult:
        """Apply ``change`` (current routing.yaml → new text) to the file as it is now; one
        edit at a time, so an entry form edits the latest version. ``change`` may raise
        DocumentError, which changes and records nothing."""
        with self._lock:
            before = self.current_text()
            if base_sha256 is not None and base_sha256 != text_sha256(before):
                return ApplyResult(
                    "conflict",
                    detail="routing.yaml changed since you opened it (see the Routing changes): "
                    "reload the page, then make your edit again",
                )
            new_text = change(before)
            if new_text == before:
                return ApplyResult("unchanged", detail="nothing to save: routing.yaml is the same")
            summary = describe_changes(before, new_text)
            try:
                routing = check_routing(new_text, self._fleet)
            except RoutingRejected as exc:
                detail = "\n".join(str(p) for p in exc.problems)
                change_id = self._record(by, summary, before, new_text, "rejected", detail)
                return ApplyResult("rejected", summary, exc.problems, detail, change_id)
            try:
                self._go_live(before, new_text, routing)
            except _ApplyFailed as exc:
                change_id = self._record(by, summary, before, new_text, "rejected", str(exc))
                return ApplyResult("rejected", summary, [], str(exc), change_id)
            self._live.replace(routing)
            detail = "routing.yaml and alertmanager.yml written; Alertmanager reloaded and runs it"
            change_id = self._record(by, summary, before, new_text, "applied", detail)
            log.info("routing edit by %s applied: %s", by, "; ".join(summary))
            return ApplyResult("applied", summary, [], detail, change_id)

    def _go_live(self, before: str, new_text: str, routing: RoutingPolicy) -> None:
        am_file = self.target.alertmanager_file
        try:
            webhook = webhook_target_of(am_file)
            am_before = am_file.read_text(encoding="utf-8")
        except (AlertmanagerProblem, OSError) as exc:
            raise _ApplyFailed(f"nothing changed: {exc}") from None
        # Only the Alertmanager side is rendered; it reads the routing and the fleet alone.
        sources = ConfigSources(
            self.target.config_dir, self._fleet, Policy(), datetime.now(UTC), routing
        )
        try:
            render(sources, self.target.render_dir, [AlertmanagerSide(webhook, self._run)])
        except RenderError as exc:
            raise _ApplyFailed(f"nothing changed: {exc}") from None
        expected = routing_signature(yaml.safe_load(am_file.read_text(encoding="utf-8")))
        # The members that may run the new file and must be reloaded if it is put back.
        loaded: list[AlertmanagerClient] = []
        try:
            write_atomically(self.target.routing_file, new_text)
            for alertmanager in self._alertmanagers:
                try:
                    alertmanager.reload()
                finally:
                    # A reload that timed out or was refused may still have read the new
                    # file; one that could not connect did not.
                    loaded.append(alertmanager)
                if routing_signature(alertmanager.running_config()) != expected:
                    raise AlertmanagerProblem(
                        f"Alertmanager at {alertmanager.base_url} reloaded but does not run the "
                        f"new configuration: is it started with --config.file={am_file}?"
                    )
        except AlertmanagerUnreachable as exc:
            loaded.pop()
            raise _ApplyFailed(self._restore(str(exc), before, am_before, loaded)) from None
        except (AlertmanagerProblem, OSError) as exc:
            raise _ApplyFailed(self._restore(str(exc), before, am_before, loaded)) from None

    def _restore(
        self, failure: str, routing_text: str, am_text: str, loaded: list[AlertmanagerClient]
    ) -> str:
        """Put both files back; reload the Alertmanagers that may have taken the new one.
        Returns the whole story for the person who saved."""
        try:
            write_atomically(self.target.routing_file, routing_text)
            write_atomically(self.target.alertmanager_file, am_text)
        except OSError as exc:
            return f"{failure}. Restoring the previous files FAILED too ({exc}): check them by hand"
        story = f"{failure}. The previous routing.yaml and alertmanager.yml were restored"
        if not loaded:
            return story + "; Alertmanager keeps running the previous configuration."
        for alertmanager in loaded:
            try:
                alertmanager.reload()
            except AlertmanagerProblem as exc:
                return story + f", but reloading Alertmanager with them failed: {exc}"
        return story + " and Alertmanager reloaded them."

    def _record(
        self, by: str, summary: list[str], before: str, after: str, outcome: str, detail: str
    ) -> int:
        return record_change(
            self._sessions, CHANGE_KIND, by, summary, before, after, outcome, detail
        )
