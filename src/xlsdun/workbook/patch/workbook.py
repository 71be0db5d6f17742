"""The workbook part and what a write-back finds from it: its sheets (each opened once, with
the row strategy that suits it), shared strings, styles, the date system; and the finish."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from ..columns import normalize
from ..guard import WorkbookError
from ..parts import Rel, sheet_rel_id, workbook_part
from .calc_chain import prune_calc_chain
from .package import Element, Package, parse_part, serialize_part
from .shared_strings import SharedStrings
from .sheet import RowStore, SheetContext, SheetEditor
from .stream_rows import NotStreamable, StreamRows, layout
from .styles import Styles
from .tree_rows import TreeRows

if TYPE_CHECKING:
    import mmap

MAIN_NAMESPACES = (
    "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "http://purl.oclc.org/ooxml/spreadsheetml/main",
)


@dataclass
class SheetEntry:
    """A sheet as the workbook part lists it."""

    name: str
    element: Element
    rel: Rel


class WorkbookEdit:
    """The workbook part and everything a write-back needs to find from it."""

    def __init__(self, package: Package, path: Path) -> None:
        self.package = package
        self.path = path
        self.workbook_part = self._find_workbook_part()
        self.workbook_xml = package.read(self.workbook_part)
        self.workbook = parse_part(self.workbook_xml, self.workbook_part, path)
        self.ns = etree.QName(self.workbook).namespace or MAIN_NAMESPACES[0]
        self.workbook_rels = package.rels(self.workbook_part)
        self.rels_by_id = {rel.id: rel for rel in self.workbook_rels}
        pr = self.workbook.find(self.q("workbookPr"))
        date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")
        self.strings = SharedStrings(package, self.rel_target("sharedStrings"))
        self.styles = Styles(package, self.rel_target("styles"))
        self.context = SheetContext(package, path, self.strings, self.styles, date1904)
        self.sheets: dict[str, SheetEditor] = {}
        self.workbook_dirty = False
        self._sheet_ids: dict[str, str] = {}

    def q(self, tag: str) -> str:
        return f"{{{self.ns}}}{tag}"

    def _find_workbook_part(self) -> str:
        found = workbook_part(self.package.rels(""), self.package.has)
        if found is None:
            raise WorkbookError(
                f"{self.path.name} has no workbook part; it is not an Excel workbook xlsdun can "
                "write. Open it in Excel and save it as .xlsx."
            )
        return found

    def rel_target(self, kind: str) -> str | None:
        for rel in self.workbook_rels:
            if rel.kind == kind and not rel.external:
                return rel.target
        return None

    def sheet_entries(self) -> list[SheetEntry]:
        sheets = self.workbook.find(self.q("sheets"))
        entries = []
        for element in sheets.iterchildren(self.q("sheet")) if sheets is not None else []:
            rel = self.rels_by_id.get(sheet_rel_id(element) or "")
            if rel is not None:
                entries.append(SheetEntry(element.get("name", ""), element, rel))
        return entries

    def find_sheet(self, name: str) -> SheetEntry | None:
        entries = self.sheet_entries()
        for entry in entries:
            if entry.name == name:
                return entry
        wanted = normalize(name)
        return next((e for e in entries if normalize(e.name) == wanted), None)

    def open_sheet(self, entry: SheetEntry) -> SheetEditor:
        if entry.name not in self.sheets:
            if entry.rel.kind != "worksheet" or not self.package.has(entry.rel.target):
                raise WorkbookError(
                    f"{self.path.name}: '{entry.name}' is not a worksheet with cells (it may be a "
                    "chart sheet). Set [workbook] sheet to the sheet that holds the receivables."
                )
            part = entry.rel.target
            rows = self._rows(self.package.read_sheet(part), part)
            self.sheets[entry.name] = SheetEditor(entry.name, part, self.context, rows)
            self._sheet_ids[entry.name] = entry.element.get("sheetId", "")
        return self.sheets[entry.name]

    def _rows(self, content: bytes | mmap.mmap, part: str) -> RowStore:
        """Streamed where the row scan can read the sheet safely, else one lxml tree."""
        found = layout(content)
        if found is not None:
            try:
                return StreamRows(content, part, self.context, found)
            except NotStreamable:
                pass
        return TreeRows(content[:], part, self.path)  # the tree path: bytes

    def refuse_protected(self, edit: SheetEditor, allow: bool) -> None:
        if edit.protected and not allow:
            raise WorkbookError(
                f"Sheet '{edit.name}' in {self.path.name} is protected, so xlsdun will not write "
                "to it. Unprotect it in Excel (Review > Unprotect Sheet), or allow writing to "
                "protected sheets in the config; the outcomes are kept and will be written on "
                "the next run."
            )

    def finish(self) -> None:
        """Serialize what changed; drop calc-chain entries of overwritten formulas."""
        removed: dict[str, set[str]] = {}
        for name, edit in self.sheets.items():
            edit.save()
            if edit.removed_formulas:
                removed[self._sheet_ids.get(name, "")] = set(edit.removed_formulas)
        self.styles.save()
        if removed:
            prune_calc_chain(self.package, self.rel_target("calcChain"), removed)
        if self.workbook_dirty:
            self.package.replace(
                self.workbook_part, serialize_part(self.workbook, self.workbook_xml)
            )
