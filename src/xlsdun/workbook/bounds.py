"""Excel's own bounds and the plausibility limit of an amount: plain numbers, apart from the
package checks in `limits.py`, so the config can use them without loading lxml."""

MAX_ROWS = 1_048_576  # Excel's last row
MAX_CELL_TEXT = 32_767  # the most text an Excel cell holds: a longer cell was not typed
MAX_AMOUNT = 10**12  # an amount (or a fee) this big or bigger is a typo, not money
MAX_COLS = 16_384  # Excel's last column, XFD

__all__ = ["MAX_AMOUNT", "MAX_CELL_TEXT", "MAX_COLS", "MAX_ROWS"]
