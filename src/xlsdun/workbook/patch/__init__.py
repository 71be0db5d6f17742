"""Lossless write-back: patch the cells xlsdun owns in the sheet's XML, copy the rest.

openpyxl rewrites a whole workbook from its own model and drops what it does not
model (drawings, in-cell pictures, cached formula values, ...). Here the workbook stays
a zip of parts that xlsdun does not understand and does not need to: only the target
sheet's XML (and, when needed, styles, the sheet's tables and the parts that register a
new log sheet) is parsed with lxml, edited in place and written back; every other
entry keeps its exact content, order and compression type.

The modules, in the order a write goes through them: `write` (the guards, the order of the
edits), `package` (the zip), `workbook` (sheets, strings, styles), `owned_cells` and `tables`,
`log_sheet` and `new_sheet`, `sheet` (the one sheet editor) with its row strategies
`stream_rows` and `tree_rows`, `calc_chain`, `verify`.
"""

from .model import LogLines, WriteOptions, WriteResult
from .write import write_back

__all__ = ["LogLines", "WriteOptions", "WriteResult", "write_back"]
