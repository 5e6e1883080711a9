"""Who holds an outbox lease: a name for this process, and whether a named process still runs.

A lease names its worker process so that a receiver restarted on the same machine (kill -9,
then start) can take back what its dead predecessor was sending at once instead of waiting for
the lease to run out. A pid alone is not enough (pids are reused, and mean nothing in another
pid namespace or after a reboot), so the name carries the process's start time and the kernel
boot and pid namespace it belongs to. Read from /proc: the two fields needed do not justify a
dependency (psutil) in the receiver.
"""

from __future__ import annotations

import functools
import os
import socket
from pathlib import Path
from typing import NamedTuple


class _ProcessName(NamedTuple):
    pid: int
    start: int  # the kernel's start time of the process, in clock ticks since boot
    scope: str  # the kernel boot and pid namespace in which ``pid`` means this process


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None


@functools.cache
def _pid_scope() -> str | None:
    """This kernel boot and pid namespace (Linux): where a pid names one process; else None."""
    boot = _read("/proc/sys/kernel/random/boot_id")
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return None
    return f"{boot}/{namespace}" if boot else None


def _start_ticks(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot), None if no such process."""
    stat = _read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    # Fields after the command name (which may hold spaces and parentheses): state is the
    # 3rd field of the line, starttime the 22nd.
    fields = stat.rpartition(")")[2].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def this_process() -> str:
    """The name this process takes leases under: ``host/pid/start@scope``.

    Unique among processes alive at once anywhere, and, read by a process of the same kernel
    boot and pid namespace (the same machine, or the same container), enough to tell whether
    the process still runs. Without /proc (not Linux) the scope is ``?`` and leases end only by
    running out.
    """
    return _process_name(os.getpid())  # by pid: a forked child is another process


@functools.cache
def _process_name(pid: int) -> str:
    scope = _pid_scope()
    start = _start_ticks(pid) if scope is not None else None
    return f"{socket.gethostname()[:64]}/{pid}/{start or 0}@{scope or '?'}"


def _parse_process(name: str) -> _ProcessName | None:
    head, _, scope = name.partition("@")
    parts = head.split("/")
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    return _ProcessName(int(parts[1]), int(parts[2]), scope)


def process_is_gone(name: str) -> bool:
    """True when ``name`` (from :func:`this_process`) is a process this one can see, and it no
    longer runs: its pid is free or taken by a process that started later. False when it runs
    or when this process cannot tell (another machine, container or boot)."""
    parsed = _parse_process(name)
    scope = _pid_scope()
    if parsed is None or scope is None or parsed.scope != scope:
        return False
    return _start_ticks(parsed.pid) != parsed.start
