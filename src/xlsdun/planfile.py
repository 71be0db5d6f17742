"""Today's plan as a file the owner filters in Excel (`xlsdun plan --csv FILE / --xlsx
FILE`): the plan's DataFrame (planframe.py) written whole, as a new file.

The cells come from the sheet (customer names, addresses) and a hostile one could be a
formula: Excel runs "=HYPERLINK(...)" or "@SUM(...)" typed into a CSV as if the owner had.
In the CSV every text cell that starts like a formula is neutralised with a leading
apostrophe (OWASP's advice for CSV injection); the .xlsx keeps the text as it is, stored as
text with Excel's own hidden quote prefix (what Excel does when you type an apostrophe).
The file is never the workbook, its sidecar or the config: xlsdun writes the user's
workbook only through its lossless writer.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal

from .errors import RunError
from .text import starts_formula
from .workbook.guard import atomic_replace
from .workbook.sidecar import sidecar_path

if TYPE_CHECKING:
    import pandas as pd

    from .config import Config

Kind = Literal["csv", "xlsx"]
# what openpyxl refuses in a cell (control characters but tab and line breaks)
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralised(value: object) -> object:
    """A text cell that would start a formula, with an apostrophe before it; other cells
    (numbers, empty ones, ordinary text) as they are."""
    value = _cleaned(value)
    if not isinstance(value, str):
        return value
    return "'" + value if starts_formula(value) else value


def _cleaned(value: object) -> object:
    """A text cell without the control characters openpyxl refuses; other cells as they are."""
    return _ILLEGAL.sub("", value) if isinstance(value, str) else value


def safe_frame(
    frame: pd.DataFrame, clean: Callable[[object], object] = neutralised
) -> pd.DataFrame:
    """The frame with every text cell passed through `clean` (`neutralised`), headers too."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or str(out[column].dtype) in ("str", "string"):
            out[column] = out[column].map(clean).astype(object)
    out.columns = [clean(str(c)) for c in out.columns]
    return out


def write_plan(frame: pd.DataFrame, target: Path, kind: Kind, config: Config) -> Path:
    """Write the plan's frame to `target` as CSV (UTF-8 with a byte-order mark, so Excel
    reads Hebrew right) or .xlsx (openpyxl, a new workbook with a header filter), replacing
    it whole. Refuses (exit 2) a target that is the workbook, its sidecar or the config."""
    refuse_own_file(target, config, "--" + kind)
    safe = safe_frame(frame, neutralised if kind == "csv" else _cleaned)

    def write(fh: BinaryIO) -> None:
        if kind == "csv":
            text = safe.to_csv(index=False, lineterminator="\r\n")
            fh.write(codecs.BOM_UTF8 + text.encode("utf-8"))
        else:
            _write_xlsx(safe, fh)

    try:
        atomic_replace(target, write)
    except OSError as exc:
        raise RunError(
            f"{target}: the plan could not be written ({exc.strerror or exc}). Choose a "
            f"file in a folder you can write to (and close it in Excel if it is open)."
        ) from None
    return target


def _write_xlsx(frame: pd.DataFrame, fh: BinaryIO) -> None:
    import pandas as pd

    with pd.ExcelWriter(fh, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name="Plan")
        sheet = writer.sheets["Plan"]
        for row in sheet.iter_rows():
            for cell in row:
                text = cell.value
                if isinstance(text, str) and starts_formula(text):
                    cell.data_type = "s"  # openpyxl took "=..." for a formula: it is text
                    cell.quotePrefix = True
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions


def refuse_own_file(target: Path, config: Config, option: str) -> None:
    """Exit 2 if `target` is the workbook, its sidecar or the config: a plan written there
    would destroy the owner's data (the same file by any path, a link included)."""
    workbook = config.workbook.path
    own = {
        "your receivables workbook": workbook,
        "the outcomes file xlsdun keeps beside it": sidecar_path(workbook),
        "the config": config.source,
    }
    for what, path in own.items():
        if _same_file(target, Path(path)):
            raise RunError(
                f"{option} {target}: that is {what} ({path}); xlsdun never writes a plan over "
                f"it. Nothing was written. Give a new file name, e.g. {option} plan.{option[2:]}"
            )


def _same_file(one: Path, other: Path) -> bool:
    if one.exists() and other.exists():
        return os.path.samefile(one, other)
    return os.path.normcase(os.path.realpath(one)) == os.path.normcase(os.path.realpath(other))
