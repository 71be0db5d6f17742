"""Switches for the speed-ups that only some systems have, so that the portable path each
one falls back to elsewhere (Windows, macOS, musl) also runs here: in the tests, and in
`make bench` to measure what each speed-up is worth (benchmarks/speedups.py).

`XLSDUN_PORTABLE` is a comma-separated list of the names below, or `all`; each one named
takes its portable path. Read once, at first use.
"""

from __future__ import annotations

import os
from functools import cache

# What each is worth, measured by benchmarks/speedups.py (`xlsdun run --quiet`, in pairs with
# and without it, 2 cores): each one is needed for a `make bench` target.
NAMES = (
    "fork",  # render in a forked helper process (else: in the run's own process): -11-18% time
    "syncfs",  # one syncfs(2) per batch of .eml files (else: an fsync per file): -7-10% time
    "mmap",  # a big sheet memory-mapped, pages given back (else: in memory): -21% peak at 200k
    "gc",  # the cyclic GC paused or frozen in the hot loops (else: running): -3-4% time
)


@cache
def _portable() -> frozenset[str]:
    given = {n.strip() for n in os.environ.get("XLSDUN_PORTABLE", "").split(",") if n.strip()}
    return frozenset(NAMES) if "all" in given else frozenset(given)


def enabled(name: str) -> bool:
    """False when `XLSDUN_PORTABLE` asks for `name`'s portable path instead."""
    assert name in NAMES, name
    return name not in _portable()
