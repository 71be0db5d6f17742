"""A new, empty worksheet: its part, its relationship, its place in the workbook's sheet list
and its content type (the log sheet, the first time a workbook gets one)."""

from __future__ import annotations

import posixpath

from lxml import etree

from ..guard import WorkbookError
from ..parts import DOC_REL_NAMESPACES, PKG_REL_NS, Rel, rels_part
from .package import Element, parse_part, serialize_part
from .workbook import MAIN_NAMESPACES, SheetEntry, WorkbookEdit

_CONTENT_TYPES = "[Content_Types].xml"
_CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_WORKSHEET_CONTENT_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
)
_WORKSHEET_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"


def add_sheet(book: WorkbookEdit, name: str, right_to_left: bool = False) -> SheetEntry:
    """Register a new, empty worksheet part (workbook, its rels, content types); laid out
    right to left in Excel if `right_to_left`."""
    _refuse_locked_structure(book, name)
    part = _free_part_name(book)
    sheet_rel = next((r for r in book.workbook_rels if r.kind == "worksheet"), None)
    rel_type = sheet_rel.type if sheet_rel else _WORKSHEET_REL
    doc_rel_ns = DOC_REL_NAMESPACES[1] if book.ns == MAIN_NAMESPACES[1] else DOC_REL_NAMESPACES[0]
    book.package.add(part, _empty_sheet(book.ns, doc_rel_ns, right_to_left))
    rel_id = _add_relationship(book, part, rel_type)
    element = _list_sheet(book, name, rel_id, doc_rel_ns)
    _add_content_type(book, part)
    rel = Rel(rel_id, rel_type, part, False)
    book.rels_by_id[rel_id] = rel
    book.workbook_rels.append(rel)
    return SheetEntry(name, element, rel)


def _refuse_locked_structure(book: WorkbookEdit, name: str) -> None:
    protection = book.workbook.find(book.q("workbookProtection"))
    if protection is not None and protection.get("lockStructure", "0") in ("1", "true"):
        raise WorkbookError(
            f"{book.path.name} has a protected structure, so xlsdun cannot add the sheet "
            f"'{name}'. Unprotect the workbook in Excel (Review > Protect Workbook) or add "
            "an empty sheet with that name yourself, then run again."
        )


def _free_part_name(book: WorkbookEdit) -> str:
    """worksheets/sheetN.xml beside the workbook part, N the first number not taken."""
    folder = posixpath.dirname(book.workbook_part)
    number = 1
    while book.package.has(posixpath.join(folder, f"worksheets/sheet{number}.xml")):
        number += 1
    return posixpath.join(folder, f"worksheets/sheet{number}.xml")


def _empty_sheet(ns: str, doc_rel_ns: str, right_to_left: bool = False) -> bytes:
    view = ' rightToLeft="1"' if right_to_left else ""
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<worksheet xmlns="{ns}" xmlns:r="{doc_rel_ns}"><dimension ref="A1"/>'
        f'<sheetViews><sheetView{view} workbookViewId="0"/></sheetViews>'
        '<sheetFormatPr defaultRowHeight="15"/><sheetData/>'
        '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
        "</worksheet>"
    ).encode()


def _add_relationship(book: WorkbookEdit, part: str, rel_type: str) -> str:
    """The workbook's relationship to the new part; its id (rIdN, N not taken)."""
    rels_name = rels_part(book.workbook_part)
    rels_xml = book.package.read(rels_name)
    rels_root = parse_part(rels_xml, rels_name, book.path)
    ids = {rel.get("Id") for rel in rels_root}
    n = len(ids) + 1
    while f"rId{n}" in ids:
        n += 1
    rel_id = f"rId{n}"
    etree.SubElement(
        rels_root,
        f"{{{PKG_REL_NS}}}Relationship",
        Id=rel_id,
        Type=rel_type,
        Target=posixpath.relpath(part, posixpath.dirname(book.workbook_part) or "."),
    )
    book.package.replace(rels_name, serialize_part(rels_root, rels_xml))
    return rel_id


def _list_sheet(book: WorkbookEdit, name: str, rel_id: str, doc_rel_ns: str) -> Element:
    """The new sheet's `<sheet>` in the workbook part, last, with the next sheet id."""
    sheets = book.workbook.find(book.q("sheets"))
    if sheets is None:
        raise WorkbookError(f"{book.path.name}: the workbook part lists no sheets.")
    sheet_ids = [int(s.get("sheetId", "0")) for s in sheets if s.get("sheetId", "").isdigit()]
    prefix = next((p for p, uri in (sheets.nsmap or {}).items() if uri == doc_rel_ns and p), None)
    element = etree.SubElement(sheets, book.q("sheet"), nsmap=None if prefix else {"r": doc_rel_ns})
    element.set("name", name)
    element.set("sheetId", str(max(sheet_ids, default=0) + 1))
    element.set(f"{{{doc_rel_ns}}}id", rel_id)
    book.workbook_dirty = True
    return element


def _add_content_type(book: WorkbookEdit, part: str) -> None:
    if not book.package.has(_CONTENT_TYPES):
        return
    types_xml = book.package.read(_CONTENT_TYPES)
    types = parse_part(types_xml, _CONTENT_TYPES, book.path)
    etree.SubElement(
        types,
        f"{{{_CONTENT_TYPES_NS}}}Override",
        PartName="/" + part,
        ContentType=_WORKSHEET_CONTENT_TYPE,
    )
    book.package.replace(_CONTENT_TYPES, serialize_part(types, types_xml))
