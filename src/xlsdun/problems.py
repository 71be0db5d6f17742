"""A row finding's problem as data: a key and its parameters, said in English or Hebrew.

The reader (workbook/coerce.py, money.py, convert.py, rows.py) says what is wrong with a
cell as a `Problem`: the English sentence `xlsdun check`, the plan's JSON and the logs have
always shown, which also carries its key and parameters, so the owner's side (the sheet's
status cells, the digest, the HTML report) can say it in the owner's language without ever
parsing the sentence back. The sentences live in problem_catalog.py, both languages.

What the sheet holds (`cell`, `number`) is quoted as Python quotes it (`repr`): control
and direction characters come out escaped, so a hostile cell can neither break the line nor
turn the text around it; in Hebrew the quoted value is also isolated (FSI ... PDI), so a
Latin or numeric value keeps its own order inside the right-to-left sentence.
"""

from __future__ import annotations

from typing import Any, Literal

from .models import Keyed
from .problem_catalog import EN, HE

FSI, PDI = "\u2068", "\u2069"  # first-strong isolate and its end (render/cleaning.py's)
CELL_WIDTH = 60  # a cell is quoted this long at most: a finding must not carry a megabyte
QUOTED = frozenset({"cell", "number"})  # the parameters that are what the sheet holds

Language = Literal["en", "he"]


class Problem(Keyed):
    """What is wrong with a cell or a row, as the English sentence, with its key and
    parameters (problem_catalog "problem.<key>"); pickles and compares as its text."""


def problem(key: str, **params: Any) -> Problem:
    """The problem `key` with `params`, its text the catalog's English."""
    return Problem(say(key, params, "en"), key, **params)


def cut(value: object, width: int = CELL_WIDTH) -> str:
    """A cell's text as a finding quotes it: cut to `width` characters and "…"."""
    text = str(value)
    return text if len(text) <= width else text[:width] + "…"


def say(key: str, params: dict[str, Any], language: str) -> str:
    """The sentence of `key` in `language` ("he", else English) with its parameters."""
    table = HE if language == "he" else EN
    values = {name: _param(name, value, language) for name, value in params.items()}
    return table[f"problem.{key}"].format(**values)


def said(text: str, language: str) -> str:
    """A finding's problem in `language`: by its key where it has one (a `Problem`), else
    as it is (a text made before, or by code that has no key for it)."""
    key = getattr(text, "key", "")
    if not key or language != "he":
        return str(text)
    return say(key, text.params, language)  # type: ignore[attr-defined]


def field_name(field: str, language: str) -> str:
    """A column as a finding names it: the field itself in English ("due_date", as `check`
    shows it), the column's usual Hebrew header in Hebrew ("תאריך פירעון")."""
    table = HE if language == "he" else EN
    return table.get(f"field.{field}", field)


def _param(name: str, value: Any, language: str) -> object:
    if name in QUOTED:
        quoted = repr(str(value))
        return f"{FSI}{quoted}{PDI}" if language == "he" else quoted
    if name == "rows":
        return ", ".join(map(str, value))
    return value
