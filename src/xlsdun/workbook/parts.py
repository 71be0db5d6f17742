"""Finding parts in an Office Open XML package: relationships, the workbook, a sheet.

The layout facts (Tables, hidden rows, protection: read straight from the zip) and the
writer (its package, with edits) share these, so that both find the same part for a sheet.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from lxml import etree

DOC_REL_NAMESPACES = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "http://purl.oclc.org/ooxml/officeDocument/relationships",
)
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
# how the writer parses a part, and so how the reader checks one before sending (limits.py):
# no entities resolved, nothing fetched, big text nodes allowed (the sizes are bounded first)
XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


@dataclass(frozen=True)
class Rel:
    id: str
    type: str
    target: str  # a part name, resolved; as written for an external target
    external: bool

    @property
    def kind(self) -> str:
        return self.type.rsplit("/", 1)[-1]


WRITABLE_SUFFIXES = (".xlsx", ".xlsm")  # the zipped XML workbooks xlsdun reads and writes


def part_key(name: str) -> str:
    """OPC part names are case-insensitive; some producers write backslashes."""
    return name.replace("\\", "/").lstrip("/").casefold()


def rels_part(part: str) -> str:
    """The name of the part that holds `part`'s relationships ("" is the package)."""
    return posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")


def resolve(source: str, target: str, has: Callable[[str], bool]) -> str:
    """A relationship target of `source` as a part name (relative, absolute, or %-escaped)."""
    target = target.replace("\\", "/")
    if target.startswith("/"):
        resolved = target.lstrip("/")
    else:
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
    if not has(resolved) and has(unquote(resolved)):
        return unquote(resolved)
    return resolved


def parse_rels(root: etree._Element, part: str, has: Callable[[str], bool]) -> list[Rel]:
    """The relationships in a parsed .rels part of `part`, targets resolved."""
    found = []
    for rel in root.iter(f"{{{PKG_REL_NS}}}Relationship"):
        target = rel.get("Target", "")
        external = rel.get("TargetMode") == "External"
        found.append(
            Rel(
                rel.get("Id", ""),
                rel.get("Type", ""),
                target if external else resolve(part, target, has),
                external,
            )
        )
    return found


def workbook_part(package_rels: list[Rel], has: Callable[[str], bool]) -> str | None:
    """The workbook part: the package's officeDocument, else where Excel puts it."""
    for rel in package_rels:
        if rel.kind == "officeDocument" and not rel.external and has(rel.target):
            return rel.target
    return next((c for c in ("xl/workbook.xml", "workbook.xml") if has(c)), None)


def sheet_rel_id(sheet: etree._Element) -> str | None:
    """The r:id of a workbook's <sheet> element (transitional or strict namespace)."""
    for key, value in sheet.attrib.items():
        name = etree.QName(key)
        if name.namespace in DOC_REL_NAMESPACES and name.localname == "id":
            return value
    return None


def sheet_protection_on(sheet_flag: str | None) -> bool:
    """Whether <sheetProtection sheet="..."> protects the cells: the attribute defaults to
    false, so an element that only locks objects or scenarios does not."""
    return (sheet_flag or "").strip().lower() in ("1", "true")
