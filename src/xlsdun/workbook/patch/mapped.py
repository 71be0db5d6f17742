"""A big worksheet read from a memory-mapped temporary file, its pages given back as it is swept.

At 200,000 rows a sheet's XML is about 100 MB; `Package.read_sheet` maps it instead of
holding it, and the sweeps over it (the row scan, the rewrite) release what they have passed.
"""

from __future__ import annotations

import mmap

_RELEASE_STEP = 8 << 20


class Pages:
    """Gives a mapped sheet's pages back behind a forward sweep over it, so that reading a
    100 MB sheet costs a few MB of memory (`Package.read_sheet`). Nothing to do for bytes."""

    def __init__(self, content: bytes | mmap.mmap) -> None:
        self.mapped = content if isinstance(content, mmap.mmap) else None
        self.done = 0

    def behind(self, position: int) -> None:
        """Called as a sweep moves on: every few MB, the pages before `position` go."""
        if self.mapped is not None and position - self.done >= _RELEASE_STEP:
            end = position - position % mmap.PAGESIZE
            self.mapped.madvise(mmap.MADV_DONTNEED, self.done, end - self.done)
            self.done = end

    def all(self) -> None:
        """At the end of a sweep: every page goes (they come back from the file on demand)."""
        if self.mapped is not None and len(self.mapped):
            self.mapped.madvise(mmap.MADV_DONTNEED, 0, len(self.mapped))
        self.done = 0


def find(content: bytes | mmap.mmap, needle: bytes, start: int, end: int) -> int:
    """`content.find(needle, start, end)`, a window at a time for a mapped sheet."""
    if not isinstance(content, mmap.mmap):
        return content.find(needle, start, end)
    pages = Pages(content)
    try:
        for at in range(start, end, _RELEASE_STEP):
            found = content.find(needle, at, min(at + _RELEASE_STEP + len(needle) - 1, end))
            if found >= 0:
                return found
            pages.behind(at)
        return -1
    finally:
        pages.all()
