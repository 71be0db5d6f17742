"""Processes seen from Linux's /proc: the live children of a run, and whether one is still
alive (a zombie is not), for the tests that kill runs and their helpers."""

from __future__ import annotations

import os


def child_pids(pid: int) -> list[int]:
    """The live processes whose parent is `pid` (Linux /proc); zombies are dead."""
    found = []
    for entry in os.listdir("/proc"):
        state = proc_state(int(entry)) if entry.isdigit() else None
        if state is not None and state[0] != "Z" and state[1] == pid:
            found.append(int(entry))
    return found


def proc_alive(pid: int) -> bool:
    """Whether `pid` exists and is not a zombie (a dead process nobody has reaped yet)."""
    state = proc_state(pid)
    return state is not None and state[0] != "Z"


def proc_state(pid: int) -> tuple[str, int] | None:
    """(state letter, parent pid) from /proc/PID/stat, or None once the process is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[1])
