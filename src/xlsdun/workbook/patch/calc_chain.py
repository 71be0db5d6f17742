"""The calc chain: the cells whose formulas were overwritten leave it."""

from __future__ import annotations

from ..guard import WorkbookError
from .package import Package, parse_part, serialize_part


def prune_calc_chain(package: Package, part: str | None, removed: dict[str, set[str]]) -> None:
    """Excel reports a damaged file if its calc chain names a cell without a formula.

    ``removed`` maps a sheet id to the cells whose formula is gone. An entry carries its
    sheet id only when it differs from the entry before; the next entry inherits it when
    one that carried it goes.
    """
    if part is None or not package.has(part):
        return
    original = package.read(part)
    root = parse_part(original, part, package.path)
    sheet_id = ""
    entries = list(root)
    for index, entry in enumerate(entries):
        explicit = entry.get("i")
        sheet_id = explicit or sheet_id
        if entry.get("r", "") in removed.get(sheet_id, ()):
            following = entries[index + 1] if index + 1 < len(entries) else None
            if explicit and following is not None and following.get("i") is None:
                following.set("i", explicit)
            root.remove(entry)
    if len(root) == 0:
        raise WorkbookError(
            f"{package.path.name}: overwriting the only formulas would leave an empty calc "
            "chain. Remove those formulas in Excel, then run again."
        )
    package.replace(part, serialize_part(root, original))
