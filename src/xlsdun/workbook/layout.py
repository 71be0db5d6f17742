"""Facts about a sheet that the cell values alone don't give: its Excel Tables, its hidden rows.

calamine reads values; where the receivables sit inside an Excel Table (ListObject), the
table's range is the authoritative extent (no stray notes below it, no totals row), and a
user may ask to leave hidden rows out. Both come from the package's XML, read with lxml.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from lxml import etree

_REL_NS = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)


@dataclass(frozen=True, slots=True)
class TableRange:
    name: str
    first_row: int  # 1-based, the header row
    last_row: int  # 1-based, the last data row (totals row excluded)
    first_col: int  # 0-based
    last_col: int  # 0-based


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _attr(element: etree._Element, name: str) -> str | None:
    """An attribute by local name, whatever its namespace (transitional or strict)."""
    for key, value in element.attrib.items():
        if etree.QName(key).localname == name:
            return value
    return None


def _normalize(name: str) -> str:
    return name.replace("\\", "/").lstrip("/")


def _resolve(source: str, target: str) -> str:
    target = target.replace("\\", "/")
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def _rels(zf: zipfile.ZipFile, names: dict[str, str], part: str) -> dict[str, str]:
    rels_part = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
    actual = names.get(rels_part.lower())
    if actual is None:
        return {}
    root = etree.fromstring(zf.read(actual))
    return {
        rel.get("Id"): _resolve(part, rel.get("Target", ""))
        for rel in root
        if rel.get("TargetMode") != "External" and rel.get("Id")
    }


def _sheet_part(zf: zipfile.ZipFile, names: dict[str, str], sheet: str) -> str | None:
    workbook = next((n for n in names if n.endswith("workbook.xml") and "/_rels/" not in n), None)
    if workbook is None:
        return None
    wb_part = names[workbook]
    rels = _rels(zf, names, _normalize(wb_part))
    root = etree.fromstring(zf.read(wb_part))
    for element in root.iter():
        if _local(element.tag) == "sheet" and element.get("name") == sheet:
            rid = next(
                (element.get(f"{{{ns}}}id") for ns in _REL_NS if element.get(f"{{{ns}}}id")), None
            ) or _attr(element, "id")
            return rels.get(rid or "")
    return None


def _cell(ref: str) -> tuple[int, int]:
    letters = "".join(ch for ch in ref if ch.isalpha()).upper()
    digits = "".join(ch for ch in ref if ch.isdigit())
    col = 0
    for ch in letters:
        col = col * 26 + (ord(ch) - 64)
    return int(digits), col - 1


def _open(path: Path) -> tuple[zipfile.ZipFile, dict[str, str]] | None:
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return None
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return None
    return zf, {_normalize(n).lower(): n for n in zf.namelist()}


def sheet_tables(path: str | Path, sheet: str) -> list[TableRange]:
    """The Excel Tables on `sheet`, with their data extent. Empty for other formats."""
    opened = _open(Path(path))
    if opened is None:
        return []
    zf, names = opened
    with zf:
        part = _sheet_part(zf, names, sheet)
        if part is None:
            return []
        tables = []
        for target in _rels(zf, names, part).values():
            actual = names.get(target.lower())
            if actual is None or "/tables/" not in f"/{target.lower()}":
                continue
            root = etree.fromstring(zf.read(actual))
            ref = root.get("ref")
            if not ref or ":" not in ref:
                continue
            (r1, c1), (r2, c2) = (_cell(x) for x in ref.split(":"))
            totals = int(root.get("totalsRowCount") or 0)
            headers = int(root.get("headerRowCount") or 1)
            if headers == 0:
                continue  # no header row: nothing to map columns by
            tables.append(
                TableRange(
                    root.get("displayName") or root.get("name") or "", r1, r2 - totals, c1, c2
                )
            )
        return tables


def hidden_rows(path: str | Path, sheet: str) -> set[int]:
    """1-based numbers of the rows hidden on `sheet` (streamed: big sheets stay cheap)."""
    opened = _open(Path(path))
    if opened is None:
        return set()
    zf, names = opened
    with zf:
        part = _sheet_part(zf, names, sheet)
        actual = names.get((part or "").lower())
        if actual is None:
            return set()
        hidden: set[int] = set()
        with zf.open(actual) as fh:
            number = 0
            for _, element in etree.iterparse(fh, events=("end",), tag="{*}row"):
                number = int(element.get("r") or number + 1)
                if element.get("hidden") in ("1", "true"):
                    hidden.add(number)
                element.clear()
        return hidden


def sheet_protected(path: str | Path, sheet: str) -> bool:
    """Whether `sheet` carries sheet protection (the writer refuses it unless configured)."""
    opened = _open(Path(path))
    if opened is None:
        return False
    zf, names = opened
    with zf:
        part = _sheet_part(zf, names, sheet)
        actual = names.get((part or "").lower())
        if actual is None:
            return False
        with zf.open(actual) as fh:
            return _protection_flag(fh)


_PROTECTION = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?sheetProtection(?=[\s/>])([^>]*)>")
_SHEET_ATTR = re.compile(rb"""\ssheet\s*=\s*["']([^"']*)["']""")


def _protection_flag(fh: IO[bytes]) -> bool:
    """Scan the sheet's bytes for <sheetProtection>, which follows all the rows: iterparse
    would build the whole sheet as a tree first (2 GB and 8 s at 200,000 rows)."""
    tail = b""
    while chunk := fh.read(1 << 20):
        data = tail + chunk
        found = _PROTECTION.search(data)
        if found is not None:
            sheet = _SHEET_ATTR.search(found.group(1))
            return sheet is None or sheet.group(1) not in (b"0", b"false")
        tail = data[-4096:]
    return False
