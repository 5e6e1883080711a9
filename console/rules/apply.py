"""Save a policy edit and make it live: validate, write, render, check, reload, or undo.

The steps, in order, and what a failure leaves behind:

1. the edited policy.yaml is validated exactly as ``chargekeeper config render`` would
   (``load_policy`` against the fleet): any problem rejects the edit and nothing is touched;
2. the threshold rules are rendered into a staging file beside ``thresholds.yml`` and checked
   with ``promtool check rules``;
3. policy.yaml and then thresholds.yml are replaced, each atomically (temp file + rename);
4. Prometheus is asked to reload (``/-/reload``): the change is live at its next evaluation.

If step 2, 3 or 4 fails, the previous policy.yaml and thresholds.yml are put back and the
result names the step that failed. Every attempt, applied or not, is one audit-log row.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml
from sqlalchemy.orm import Session, sessionmaker

from chargekeeper.config.fleet import Fleet
from chargekeeper.config.loader import ConfigError
from chargekeeper.config.policy import Policy, load_policy, parse_duration
from chargekeeper.render.prometheus import THRESHOLDS_FILE, dump_yaml, threshold_rules
from chargekeeper.render.stack import POLICY_FILE, RenderError, Runner, reload_prometheus, run_tool
from console.audit_log import record_change
from console.rules.audit import KIND, Outcome
from console.rules.changes import describe_changes
from console.rules.document import PolicyDocument
from console.yamldoc import DocumentError, stage_beside, write_atomically

log = logging.getLogger(__name__)

# ARCHITECTURE 5: Prometheus evaluates every 5 s unless its rendered config says otherwise.
DEFAULT_INTERVAL_SECONDS = 5
Edit = Callable[[PolicyDocument], None]


@dataclass(frozen=True)
class Proposal:
    """An edit applied to the current policy.yaml, validated but not saved."""

    before: str
    after: str
    policy: Policy | None  # None when the edit is invalid
    problems: list[str]
    summary: list[str]


@dataclass(frozen=True)
class SaveResult:
    outcome: Outcome
    summary: list[str]
    problems: list[str] = field(default_factory=list)
    change_id: int = 0
    # True when the edit itself was invalid (the user's to fix), False when a later step
    # (promtool, writing, the reload) failed.
    invalid: bool = False

    @property
    def applied(self) -> bool:
        return self.outcome == "applied"


class ApplyError(Exception):
    """A step after validation failed; the previous files were put back."""


class PolicyEditor:
    """Reads, previews and saves ``<config dir>/policy.yaml`` for the console."""

    def __init__(
        self,
        config_dir: Path,
        fleet: Fleet,
        sessions: sessionmaker[Session],
        render_dir: Path | None,
        prometheus_url: str | None,
        run: Runner = run_tool,
    ) -> None:
        self.policy_path = config_dir / POLICY_FILE
        self.fleet = fleet
        self.sessions = sessions
        self.render_dir = render_dir
        self.prometheus_url = prometheus_url.rstrip("/") if prometheus_url else None
        self._run = run
        # One save at a time per process: each edit applies to the file the previous one wrote.
        self._lock = threading.Lock()

    @property
    def read_only_reason(self) -> str | None:
        """Why edits cannot be made live here, or None when they can."""
        missing = [
            name
            for name, value in (
                ("render_dir", self.render_dir),
                ("prometheus_url", self.prometheus_url),
            )
            if value is None
        ]
        if missing:
            return (
                f"console.yaml has no {' and no '.join(missing)}: the console cannot make a "
                "policy change live, so the rules are shown read-only"
            )
        return None

    @property
    def thresholds_path(self) -> Path | None:
        if self.render_dir is None:
            return None
        return self.render_dir / "prometheus" / "rules" / THRESHOLDS_FILE

    def current_text(self) -> str:
        try:
            return self.policy_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    def current_policy(self) -> Policy:
        """The policy in force (all defaults without a file); ConfigError if it is invalid."""
        if not self.policy_path.exists():
            return Policy()
        return load_policy(self.policy_path, self.fleet)

    def validate(self, text: str) -> Policy:
        """``text`` checked as ``config render`` checks policy.yaml; ConfigError otherwise."""
        with tempfile.TemporaryDirectory(prefix="ck-policy-") as folder:
            staged = Path(folder) / POLICY_FILE
            staged.write_text(text, encoding="utf-8")
            try:
                return load_policy(staged, self.fleet)
            except ConfigError as exc:
                problems = [problem.replace(str(staged), POLICY_FILE) for problem in exc.problems]
                raise ConfigError(self.policy_path, problems) from None

    def propose(self, edit: Edit) -> Proposal:
        """``edit`` applied to the current file and validated; nothing is written."""
        try:
            before = self.current_text()
        except (OSError, UnicodeDecodeError) as exc:
            return Proposal("", "", None, [f"cannot read {self.policy_path}: {exc}"], [])
        try:
            before_policy = self.validate(before)
        except ConfigError:
            before_policy = Policy()  # a hand-broken file: the edit may be what repairs it
        try:
            document = PolicyDocument(before)
            edit(document)
        except DocumentError as exc:
            return Proposal(before, before, None, [str(exc)], [])
        after = document.text()
        try:
            policy = self.validate(after)
        except ConfigError as exc:
            return Proposal(before, after, None, exc.problems, [])
        return Proposal(before, after, policy, [], describe_changes(before_policy, policy))

    def save(self, by: str, edit: Edit) -> SaveResult:
        """Apply ``edit`` and make it live, or change nothing; either way, audit it."""
        with self._lock:
            proposal = self.propose(edit)
            if proposal.policy is None:
                return self._record(by, proposal, "rejected", proposal.problems, invalid=True)
            reason = self.read_only_reason
            if reason is not None:
                return self._record(by, proposal, "rejected", [reason])
            try:
                self._apply(proposal.before, proposal.after, proposal.policy)
            except ApplyError as exc:
                log.warning("policy change by %s not applied: %s", by, exc)
                return self._record(by, proposal, "rejected", [str(exc)])
            log.info("policy change by %s applied: %s", by, "; ".join(proposal.summary))
            return self._record(by, proposal, "applied", [])

    def _record(
        self,
        by: str,
        proposal: Proposal,
        outcome: Outcome,
        problems: list[str],
        *,
        invalid: bool = False,
    ) -> SaveResult:
        change_id = record_change(
            self.sessions,
            KIND,
            by,
            proposal.summary,
            proposal.before,
            proposal.after,
            outcome,
            "\n".join(problems),
        )
        return SaveResult(outcome, proposal.summary, problems, change_id, invalid)

    def _apply(self, before: str, after: str, policy: Policy) -> None:
        assert self.render_dir is not None and self.prometheus_url is not None
        target = self.thresholds_path
        assert target is not None
        header = (
            f"Generated by the console's Rules editor from {self.policy_path}.\n"
            "Edit the policy (console or file) and render again; changes here are overwritten."
        )
        interval = evaluation_interval(self.render_dir / "prometheus" / "prometheus.yml")
        rendered = dump_yaml(
            threshold_rules(policy, self.fleet, interval, datetime.now(UTC)), header
        )
        step = f"reading {target}"
        staged: Path | None = None
        previous_thresholds: str | None = None
        policy_written = thresholds_written = False
        try:
            if target.exists():
                previous_thresholds = target.read_text(encoding="utf-8")
            step = f"writing the staged rules into {target.parent}"
            target.parent.mkdir(parents=True, exist_ok=True)
            staged = stage_beside(target, rendered)
            step = "checking the rendered thresholds with promtool"
            self._check(staged)
            step = f"writing {self.policy_path}"
            write_atomically(self.policy_path, after)
            policy_written = True
            step = f"replacing {target}"
            os.replace(staged, target)
            thresholds_written = True
            step = "reloading Prometheus"
            reload_prometheus(self.prometheus_url)
        except (RenderError, OSError, subprocess.SubprocessError) as exc:
            undone = self._undo(
                before if policy_written else None,
                previous_thresholds,
                restore_thresholds=thresholds_written,
            )
            raise ApplyError(f"{step} failed: {exc}. {undone}") from None
        finally:
            if staged is not None:
                staged.unlink(missing_ok=True)

    def _check(self, staged: Path) -> None:
        promtool = shutil.which("promtool")
        if promtool is None:
            log.warning("promtool not found: the rendered thresholds were not checked")
            return
        result = self._run([promtool, "check", "rules", str(staged)])
        if result.returncode != 0:
            raise RenderError((result.stdout + result.stderr).strip())

    def _undo(self, policy: str | None, thresholds: str | None, *, restore_thresholds: bool) -> str:
        """Put back what was replaced; says what was restored (or what could not be)."""
        target = self.thresholds_path
        assert target is not None
        try:
            if policy is not None:
                if policy:
                    write_atomically(self.policy_path, policy)
                else:
                    self.policy_path.unlink(missing_ok=True)
            if restore_thresholds:
                if thresholds is not None:
                    write_atomically(target, thresholds)
                else:
                    target.unlink(missing_ok=True)
        except OSError as exc:
            return f"Putting the previous files back failed too ({exc}): check them by hand."
        return "Nothing was changed: policy.yaml and thresholds.yml are as they were."


def evaluation_interval(prometheus_yml: Path) -> int:
    """The rule evaluation interval of the rendered prometheus.yml (global section), in
    seconds; the default when the file or the key is missing or unreadable."""
    try:
        document = yaml.safe_load(prometheus_yml.read_text(encoding="utf-8"))
        value = document["global"]["evaluation_interval"]
        seconds = parse_duration(value)
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError):
        return DEFAULT_INTERVAL_SECONDS
    return (
        int(seconds)
        if isinstance(seconds, int | float) and seconds >= 1
        else DEFAULT_INTERVAL_SECONDS
    )
