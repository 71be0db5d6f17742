"""CSV and text exports as the workbook (`.csv`, `.txt`, `.tsv`): decoded, their delimiter
sniffed, read with pandas into the grid the reader's row pass takes (`text_grid`).

Accounting programs export receivables as UTF-8 (with or without a byte-order mark),
UTF-16 ("Unicode text" from Excel, with one) or Windows-1255 (Hebrew Windows), separated by
commas, semicolons or tabs. A byte-order mark says the encoding; otherwise it is UTF-8
unless `[workbook] encoding` says otherwise, never a guess: a file that does not decode,
or decodes to garbled text ("×—×©×‘×•×Ÿ"), stops the read (exit 2) before anything is sent,
with the line as it was seen and the key that fixes it. Every cell is read as text
(`dtype=str`, no NA conversion): the reader's own rules for blanks, dates in the configured
order and amounts then apply as to a sheet's text cells.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .coerce import shown
from .encodings import shown_name
from .grid import Grid, chunk_rows
from .opening import WorkbookReadError, garbled_at

MAX_TEXT_BYTES = 256 << 20  # a receivables export is a few MB at 200,000 invoices
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SNIFF_LINES = 60  # lines the delimiter is sniffed from: title rows, the header, data
_HEBREW = range(0x05D0, 0x05EB)  # the letters alef to tav
_SIGNS = frozenset("₪״׳–—‘’“”€")
_EXCEL_TEXT = r'^="([^"]*)"$'  # ="0501234567": text, as Excel shows it


def text_grid(path: Path, encoding: str | None) -> Grid:
    """The file's rows as a `Grid` (named as Excel names the sheet of an opened CSV: after
    the file), every cell text. Raises WorkbookReadError for a file xlsdun cannot read
    right."""
    text = decoded(path, _read(path), encoding)
    delimiter = sniff_delimiter(text, path.suffix.lower())
    try:  # the widest row: pandas takes as many columns as it is told
        with _any_field_size():
            rows = csv.reader(io.StringIO(text), delimiter=delimiter)
            width = max(1, max(map(len, rows), default=0))
    except csv.Error as exc:
        raise _unparsable(path, exc) from None
    return Grid.of_rows(_rows(path, text, delimiter, width), path, path.stem, width)


def _unparsable(path: Path, exc: Exception) -> WorkbookReadError:
    return WorkbookReadError(
        f"{path}: cannot be read as a CSV file ({type(exc).__name__}: {exc}); nothing was "
        f"sent. Open it in Excel to check it, or export it again."
    )


def _read(path: Path) -> bytes:
    try:
        size = os.stat(path).st_size
        if size > MAX_TEXT_BYTES:
            raise WorkbookReadError(
                f"{path}: the file is {size / (1 << 20):,.0f} MB; xlsdun reads text exports of "
                f"up to {MAX_TEXT_BYTES >> 20} MB. Export only the open invoices, or save "
                f"them as an .xlsx workbook and point 'workbook.path' to it."
            )
        return path.read_bytes()
    except OSError as exc:
        raise WorkbookReadError(f"{path}: cannot be read ({exc.strerror or exc}).") from None


def decoded(path: Path, raw: bytes, encoding: str | None) -> str:
    """The file's text: by its byte-order mark, else `encoding` (the config's), else UTF-8.
    Raises WorkbookReadError, showing what was seen, if the bytes are not that encoding or
    the text reads garbled."""
    codec = next((name for bom, name in _BOMS if raw.startswith(bom)), encoding or "utf-8")
    if "\x00" in (text := _decode(path, raw, codec)):
        raise WorkbookReadError(
            f"{path}: the text holds NUL characters, so it is not {_name(codec)} text; nothing "
            f'was sent. If it is Excel\'s "Unicode text" saved without its mark, set '
            f'encoding = "utf-16-le" under [workbook] in the config; if it is not a text '
            f"export at all, point 'workbook.path' to the receivables file."
        )
    at = garbled_at(text)
    if at is not None:
        raise _garbled(path, raw, text, at, codec)
    return text


def _decode(path: Path, raw: bytes, codec: str) -> str:
    """The bytes as `codec`; NUL bytes in a file that is not UTF-16 read as NUL characters,
    which `decoded` refuses (UTF-16 text without its mark is half NUL bytes)."""
    if not codec.startswith("utf-16") and b"\x00" in raw:
        return "\x00"
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        raise _not_decodable(path, raw, codec, exc) from None


def _hebrew_text(text: str) -> bool:
    """Whether the text's non-ASCII characters are what Hebrew text is made of (letters,
    the shekel sign, gershayim, dashes and quotes): a line that reads as Windows-1255 but
    is something else read so comes out full of vowel points and stray signs."""
    other = [c for c in text if ord(c) > 0x7F]
    usual = sum(ord(c) in _HEBREW or c in _SIGNS for c in other)
    return bool(other) and usual >= 0.9 * len(other)


def _name(codec: str) -> str:
    return "UTF-8" if codec in ("utf-8", "utf-8-sig") else shown_name(codec)


def _line_of(raw: bytes, position: int) -> tuple[int, bytes]:
    """(1-based line number, that line's bytes) at byte `position`."""
    start = raw.rfind(b"\n", 0, position) + 1
    end = raw.find(b"\n", position)
    return raw.count(b"\n", 0, position) + 1, raw[start : end if end >= 0 else len(raw)]


def _readings(line: bytes, tried: str) -> list[tuple[str, str]]:
    """How the line reads in the other encodings an export comes in, where it reads cleanly
    (decodes, nothing garbled, and for Windows-1255 Hebrew letters), as (key value, text)."""
    found = []
    for codec in ("utf-8", "cp1255"):
        if codec == tried.removesuffix("-sig"):
            continue
        try:
            text = line.decode(codec).strip("\r")
        except UnicodeDecodeError:
            continue
        if garbled_at(text) is None and (codec == "utf-8" or _hebrew_text(text)):
            found.append((shown_name(codec), text))
    return found


def _not_decodable(
    path: Path, raw: bytes, codec: str, exc: UnicodeDecodeError
) -> WorkbookReadError:
    number, line = _line_of(raw, exc.start)
    seen = line.decode(codec.removesuffix("-sig"), errors="replace").strip("\r")
    return WorkbookReadError(
        f"{path}: line {number} is not {_name(codec)} text (byte 0x{raw[exc.start]:02X} "
        f"cannot be read), so xlsdun read nothing and sent nothing. As {_name(codec)} it "
        f"reads {shown(seen, 80)}. {_fix(line, codec)}"
    )


def _garbled(path: Path, raw: bytes, text: str, at: int, codec: str) -> WorkbookReadError:
    number = text.count("\n", 0, at) + 1
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    seen = text[start : end if end >= 0 else len(text)].strip("\r")
    line = b"" if codec.startswith("utf-16") else raw.split(b"\n")[number - 1]
    return WorkbookReadError(
        f"{path}: line {number} reads garbled as {_name(codec)}: {shown(seen, 80)}, so xlsdun "
        f"read nothing and sent nothing (it would have gone into an email). "
        f"{_fix(line, codec, garbled=True)}"
    )


def _fix(line: bytes, codec: str, garbled: bool = False) -> str:
    """What to do: the encoding the line reads cleanly in, shown, or how to get a clean file."""
    readings = _readings(line, codec) if line else []
    if readings:
        name, text = readings[0]
        fix = (
            "remove 'encoding' from [workbook] in the config (UTF-8 is the default)"
            if name == "utf-8"
            else f'set encoding = "{name}" under [workbook] in the config'
        )
        return f"As {name} it reads {shown(text, 80)}: if that is right, {fix} and run again."
    if garbled:
        return (
            "The text was garbled before the file was saved (UTF-8 read as another encoding "
            "and saved again): export it again from the program that made it, as UTF-8 or as "
            "Windows-1255, and point 'workbook.path' to the new file without opening and "
            "saving it elsewhere first."
        )
    return (
        "Set encoding under [workbook] in the config to the encoding the program that made "
        'the file wrote ("windows-1255" for Hebrew Windows, "utf-16" for Excel\'s Unicode '
        'text, "windows-1252" for Western Windows), or save it in Excel as "CSV UTF-8".'
    )


def sniff_delimiter(text: str, suffix: str = ".csv") -> str:
    """The delimiter (comma, semicolon or tab) that splits the first lines most evenly: the
    most lines with the most common number of fields, two or more (title rows above the
    header have one). On a tie, tab for a .txt or .tsv file, else comma."""
    sample = "\n".join(text.splitlines()[:_SNIFF_LINES])
    order = ("\t", ",", ";") if suffix in (".txt", ".tsv") else (",", ";", "\t")
    with _any_field_size():
        return max(order, key=lambda d: _evenness(sample, d))


@contextmanager
def _any_field_size() -> Iterator[None]:
    """The csv module refuses a field over 128 KB; pandas does not, and the reader cuts or
    refuses a cell over Excel's 32,767 characters as a finding for its row, not the file."""
    limit = csv.field_size_limit()
    csv.field_size_limit(MAX_TEXT_BYTES)
    try:
        yield
    finally:
        csv.field_size_limit(limit)


def _evenness(sample: str, delimiter: str) -> tuple[int, int]:
    """(lines with the most common field count, that count), counting rows of 2+ fields."""
    try:
        counts = Counter(
            len(row) for row in csv.reader(io.StringIO(sample), delimiter=delimiter) if len(row) > 1
        )
    except csv.Error:
        return 0, 0
    if not counts:
        return 0, 0
    width, lines = max(counts.items(), key=lambda item: (item[1], item[0]))
    return lines, width


def _rows(path: Path, text: str, delimiter: str, width: int) -> Iterator[list[object]]:
    """The file's rows, every cell a str ("" when empty), read by pandas a chunk at a time:
    as many rows as the file has records (blank lines too, so row numbers are the ones Excel
    shows when it opens the file). A cell written as Excel's text formula, ="0501234567"
    (how exports keep a phone number's or a document number's leading zero), is its text,
    as Excel shows it."""
    import pandas as pd  # here: only a text export needs it

    unwrap = '="' in text  # Excel's text cells: looked for only in a file that has one
    try:
        reader = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            names=range(width),
            index_col=False,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            chunksize=chunk_rows(width),
            engine="c",
        )
        with reader:
            for frame in reader:
                if unwrap:
                    frame = frame.replace(_EXCEL_TEXT, r"\1", regex=True)
                yield from frame.to_numpy(dtype=object).tolist()
    except (ValueError, csv.Error) as exc:  # pandas' ParserError is a ValueError
        raise _unparsable(path, exc) from None
