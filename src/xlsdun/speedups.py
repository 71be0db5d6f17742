"""Switches for the speed-ups that only some systems have, so that the portable path each
one falls back to elsewhere (Windows, macOS, musl) also runs here: in the tests, and in
`make bench` to measure what each speed-up is worth (benchmarks/speedups.py).

`XLSDUN_PORTABLE` is a comma-separated list of the names below, or `all`; each one named
takes its portable path. Read once, at first use.
"""

from __future__ import annotations

import os
from functools import cache

NAMES = (
    "fork",  # render in a forked helper process (else: in the run's own process)
    "syncfs",  # one syncfs(2) for a batch of .eml files (else: one fsync per file)
    "mmap",  # a big sheet memory-mapped, its pages given back (else: read into memory)
    "malloc_trim",  # glibc hands freed C memory back after the read (else: kept)
    "gc",  # the cyclic GC paused or frozen in the hot loops (else: left running)
)


@cache
def _portable() -> frozenset[str]:
    given = {n.strip() for n in os.environ.get("XLSDUN_PORTABLE", "").split(",") if n.strip()}
    return frozenset(NAMES) if "all" in given else frozenset(given)


def enabled(name: str) -> bool:
    """False when `XLSDUN_PORTABLE` asks for `name`'s portable path instead."""
    assert name in NAMES, name
    return name not in _portable()
