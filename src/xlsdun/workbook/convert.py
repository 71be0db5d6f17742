"""The data rows below the header, converted column by column a chunk at a time (`Body`).

Each field's cells go through its converter (coerce.py, money.py) once per distinct value:
names, addresses, dates and empty cells repeat from row to row. A cell a converter rejects
becomes an `Invalid`, which the row pass (rows.py) turns into a finding for its row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from itertools import repeat
from operator import itemgetter
from typing import NamedTuple

from ..names import language_code
from ..owner_words import TIER_BY_NAME
from ..problems import cut, problem
from .bounds import MAX_CELL_TEXT
from .coerce import (
    EXCEL_ERRORS,
    MAX_LENGTH,
    NA_TEXT,
    CellProblem,
    all_emails,
    capped_text,
    cut_text,
    doc_sign,
    shown,
    split_emails,
    to_bool,
    to_date,
    to_phone,
    to_text,
    too_long,
)
from .grid import Grid
from .money import plain_amounts, to_money

_CACHE = 1 << 16  # distinct values remembered per column
_NA_NOT_ERRORS = NA_TEXT - EXCEL_ERRORS

# The converted field groups; the row pass (rows.py) checks the same groups for rejected cells.
MONEY_FIELDS = ("amount", "paid", "balance")
DATE_FIELDS = ("invoice_date", "due_date", "hold_until", "promise_date")
TEXT_FIELDS: tuple[str, ...]  # grown below
TEXT_FIELDS = ("customer", "invoice", "terms", "currency", "customer_id", "phone", "pay_link")
TEXT_FIELDS += ("attachment", "notes", "contact")
_FLAGS = ("disputed", "do_not_contact", "approved")
# An accounting export's debit and credit columns (their difference is the amount) and its
# document type (`doc_sign`: an invoice adds to what is owed, a receipt or credit note takes).
LEDGER_FIELDS = ("debit", "credit")
# Where an Excel error value is a finding: the amount owed and when it is due, for which a
# blank lets something else stand in (the amount for the balance, the terms for the due
# date). An optional date (hold until, promise date) with one reads as empty, as before: a
# lookup column's "#N/A" there means "none", and skipping every row would send nothing.
ERROR_FIELDS = (*MONEY_FIELDS, *LEDGER_FIELDS, "invoice_date", "due_date")
# Fields whose findings skip the row: a cell longer than Excel's is one there.
_REFUSE_LONG = frozenset((*MONEY_FIELDS, *LEDGER_FIELDS, *DATE_FIELDS, *TEXT_FIELDS, "last"))
_REFUSE_LONG -= {"notes"}
_CHECKED = frozenset((*DATE_FIELDS, *MONEY_FIELDS, *LEDGER_FIELDS, *TEXT_FIELDS, "doc_type"))


One = Callable[[object], object]  # a cell's converter (`Converter.one`)
# a column's new values converted at once, the cell's converter for those it leaves; None:
# all left to it
Bulk = Callable[[Sequence[object], set[type], One], list[object] | None]


class Invalid:
    """A cell a converter rejected (ValueError): its row gets a finding that quotes it, or
    says what `problem` (a CellProblem's) says."""

    __slots__ = ("raw", "problem")

    def __init__(self, raw: object, problem: str | None = None) -> None:
        self.raw = raw
        self.problem = problem  # a `Problem` (its key and parameters), or plain text

    def says(self, what: str) -> str:
        """The finding: the converter's own words, else "'<cell>' is not <what>" (a
        `Problem`, keyed by `what`: `_NOT_KEYS`)."""
        if self.problem:
            return self.problem
        key = _NOT_KEYS.get(what)
        if key is None:
            return f"{shown(to_text(self.raw))} is not {what}"
        return problem(key, cell=cut(to_text(self.raw)))


# What a rejected cell is not, as `Invalid.says` is asked (rows.py), -> its problem's key.
_NOT_KEYS = {
    "text": "not_text",
    "a date": "not_a_date",
    "an amount": "not_an_amount",
    "a document type": "not_a_document_type",
}


class Converter:
    """`convert` applied down a column, once per distinct value: names, addresses, dates and
    empty cells repeat from row to row, so a column costs a few distinct conversions, and
    rows that repeat a value share one object. New values are converted by `bulk` where it
    can (plain text, plain numbers)."""

    __slots__ = ("convert", "bulk", "done", "flags", "invalid", "blank", "refuse_long", "lenient")

    def __init__(
        self,
        convert: Callable[[object], object],
        bulk: Bulk | None = None,
        *,
        blank: frozenset[str] = NA_TEXT,
        refuse_long: bool = False,
        lenient: bool = False,
    ) -> None:
        self.convert = convert
        self.bulk = bulk
        self.done: dict[object, object] = {}
        self.flags: dict[object, object] = {}  # TRUE/FALSE cells: as keys they equal 1 and 0
        self.invalid = False  # a cell was rejected: rows must be checked one by one
        self.blank = blank  # text read as an empty cell
        self.refuse_long = refuse_long  # text longer than Excel's cells: a finding, else cut
        self.lenient = lenient  # a rejected cell reads as empty: unknown, not a finding

    def one(self, value: object) -> object:
        if value.__class__ is str:
            if len(value) > MAX_CELL_TEXT:
                # not from Excel, and whole-cell work on it (tidying, matching) would cost
                # gigabytes: a finding where the field has them, else cut before it is read
                if self.refuse_long:
                    return self._rejected(value, too_long(value, MAX_CELL_TEXT))
                value = value[: MAX_CELL_TEXT + 1]
            elif value in self.blank:
                value = None
        try:
            return self.convert(value)
        except CellProblem as exc:
            return self._rejected(value, exc.problem)
        except ValueError:
            return self._rejected(value)

    def _rejected(self, value: object, problem: str | None = None) -> Invalid | None:
        self.invalid = True
        return None if self.lenient else Invalid(value, problem)

    def column(self, values: Sequence[object]) -> list[object]:
        done = self.done
        if not (0 in done or 1 in done):  # else a TRUE cell would find 1's value
            try:  # every value converted already: names, addresses, dates repeat
                return list(map(done.__getitem__, values))
            except KeyError:
                pass
        types = set(map(type, values))
        if bool in types:
            return [self._flag(v) if v.__class__ is bool else self._value(v) for v in values]
        try:
            return list(map(done.__getitem__, values))
        except KeyError:
            pass
        if len(done) > _CACHE:  # a column of distinct values (invoice numbers, amounts)
            done.clear()
        new = [v for v in dict.fromkeys(values) if v not in done]  # NaN: found by identity
        converted = self.bulk(new, types, self.one) if self.bulk is not None else None
        done.update(zip(new, map(self.one, new) if converted is None else converted, strict=True))
        return list(map(done.__getitem__, values))

    def _value(self, value: object) -> object:
        if value not in self.done:
            self.done[value] = self.one(value)
        return self.done[value]

    def _flag(self, value: object) -> object:
        if value not in self.flags:
            self.flags[value] = self.one(value)
        return self.flags[value]


def _texts(
    values: Sequence[object], types: set[type], _one: One, limit: int
) -> list[object] | None:
    """`capped_text` of a chunk that is all text, none of it an NA spelling, none too long
    and with no control character (else one by one, which says which)."""
    if types != {str} or max(map(len, values), default=0) > limit:  # type: ignore[arg-type]
        return None  # tidying shortens text, never lengthens it: the raw length will do
    if not NA_TEXT.isdisjoint(values):
        return None
    tidy = [" ".join(v.split()) or None for v in values]  # type: ignore[attr-defined]
    if not "".join(filter(None, tidy)).isprintable():
        return None
    return tidy  # type: ignore[return-value]


def _amounts(
    values: Sequence[object], types: set[type], one: One, text: bool = False
) -> list[object] | None:
    """`to_money` of a chunk of ordinary numbers (its short path, row by row), or with
    `text` (a text export's column) of the amounts written the plain way (`plain_amounts`;
    the others are left to the cell's converter, `one`)."""
    if text and types == {str}:
        found = plain_amounts(values)  # type: ignore[arg-type]
        return [one(v) if a is None else a for v, a in zip(values, found, strict=True)]
    if types != {float} or not -1e12 < min(values) <= max(values) < 1e12:  # type: ignore[type-var, operator]
        return None  # text, infinities, a NaN first: one by one
    return [(Decimal(f"{v:.2f}"), None) if -1e12 < v < 1e12 else (None, None) for v in values]  # type: ignore[operator]


class Chunk(NamedTuple):
    """A chunk of data rows, converted: what the row pass (rows.py) takes at a time."""

    rows: Sequence[int]  # their 1-based Excel row numbers
    values: dict[str, list[object]]  # the converted cells by field (`Body.column`)
    owned: list[dict[str, object]] | None  # each row's owned cells as the sheet holds them
    checked: bool  # a date, amount or text cell was rejected so far: rows need a closer look


class Body:
    """The data rows below the header, converted column by column, a chunk at a time."""

    def __init__(
        self,
        fields: Mapping[str, int],
        owned: Mapping[str, int],
        *,
        date_order: str,
        decimal_comma: bool,
        default_language: str,
        text: bool = False,
    ) -> None:
        """`text`: the cells are a text export's (textfile.py), every one a str: the amounts
        written the plain way are read a column at a time (`money.plain_amounts`)."""
        date_of = partial(to_date, date_order=date_order)
        converters: dict[str, Callable[[object], object]] = {
            **{k: partial(capped_text, limit=MAX_LENGTH[k]) for k in TEXT_FIELDS},
            "notes": partial(cut_text, limit=MAX_LENGTH["notes"]),
            "phone": to_phone,
            **dict.fromkeys(DATE_FIELDS, date_of),
            **dict.fromkeys(
                (*MONEY_FIELDS, *LEDGER_FIELDS), partial(to_money, decimal_comma=decimal_comma)
            ),
            "doc_type": doc_sign,
            **dict.fromkeys(_FLAGS, to_bool),
            "email": split_emails,
            "cc": all_emails,
            "language": partial(language_code, default=default_language),
        }
        self.constant = {k: Converter(c).one(None) for k, c in converters.items()}
        bulk: dict[str, Bulk] = {
            **{k: partial(_texts, limit=MAX_LENGTH[k]) for k in TEXT_FIELDS},
            # a decimal comma is left to money.py, cell by cell
            **dict.fromkeys(
                (*MONEY_FIELDS, *LEDGER_FIELDS), partial(_amounts, text=text and not decimal_comma)
            ),
        }
        wanted = {
            k: (fields[k], self._converter(k, c, bulk.get(k)))
            for k, c in converters.items()
            if k in fields
        }
        # the sheet's own record of the last reminder: a date it cannot read is unknown
        for key, convert in (("level", _level_of), ("last", date_of)):
            column = owned.get(key)
            if column is not None:
                wanted[key] = (column, self._converter(key, convert, lenient=key == "last"))
        # the amount columns share what they converted: a balance is most often the amount
        money = [c for k, (_, c) in wanted.items() if k in MONEY_FIELDS or k in LEDGER_FIELDS]
        for converter in money[1:]:
            converter.done, converter.flags = money[0].done, money[0].flags
        self.wanted = wanted
        # the owned cells as the sheet holds them, for the write-back to compare with
        self.owned = {key: (column, Converter(_as_pandas)) for key, column in owned.items()}
        self.shared: dict[object, dict[str, object]] = {}  # owned cells, one dict per kind

    @staticmethod
    def _converter(
        key: str,
        convert: Callable[[object], object],
        bulk: Bulk | None = None,
        lenient: bool = False,
    ) -> Converter:
        """A field's converter: amounts and the invoice and due dates read Excel's error
        values ("#N/A") as findings, not as empty cells; fields whose findings skip the row
        refuse a cell longer than Excel's, the others cut it (an address, a flag, a note)."""
        checked = key in ERROR_FIELDS
        return Converter(
            convert,
            bulk,
            blank=_NA_NOT_ERRORS if checked else NA_TEXT,
            refuse_long=key in _REFUSE_LONG,
            lenient=lenient,
        )

    def chunks(
        self, grid: Grid, start: int, end: int | None, hidden: frozenset[int]
    ) -> Iterator[Chunk]:
        """The rows a chunk at a time, converted, from row index `start` up to the Table's
        last row `end` (1-based), if any, without the `hidden` rows (1-based)."""
        for first, cells in grid.chunks(start):
            rows = cells if end is None else cells[: max(end - first, 0)]
            numbers, rows = _unhidden(first, rows, hidden)
            values, owned = self._converted(_even(rows), grid.first_column)
            last = end is not None and first + len(cells) >= end
            del rows, cells  # the raw cells go before the next chunk is read
            yield Chunk(numbers, values, self._owned_rows(owned), self._checked())
            if last:
                break

    def _converted(
        self, rows: list[list[object]], offset: int
    ) -> tuple[dict[str, list[object]], dict[str, list[object]]]:
        """The converted values of the fields, and of the owned cells, by key. Only the
        columns read are transposed (`_columns`), as a sheet may have many more."""
        width = len(rows[0]) if rows else 0
        read = (*self.wanted.values(), *self.owned.values())
        by_column = _columns(rows, sorted({c - offset for c, _ in read if 0 <= c - offset < width}))
        blank = (None,) * len(rows)

        def converted(wanted: Mapping[str, tuple[int, Converter]]) -> dict[str, list[object]]:
            return {
                key: converter.column(by_column.get(column - offset, blank))
                for key, (column, converter) in wanted.items()
            }

        return converted(self.wanted), converted(self.owned)

    def column(self, values: dict[str, list[object]], key: str) -> Iterable[object]:
        """A field's values row by row; the same value in every row if the sheet lacks it."""
        found = values.get(key)
        return found if found is not None else repeat(self.constant.get(key))

    def _checked(self) -> bool:
        """Whether a date, amount or text cell was rejected so far (rows need a closer look)."""
        return any(
            converter.invalid for key, (_, converter) in self.wanted.items() if key in _CHECKED
        )

    def _owned_rows(self, values: dict[str, list[object]]) -> list[dict[str, object]] | None:
        """Each row's owned cells as {key: value}, rows with the same cells sharing one dict;
        None if the sheet has no owned column yet."""
        keys = tuple(self.owned)
        if not keys:
            return None
        shared = self.shared

        def cells(*row: object) -> dict[str, object]:
            tag = (row, tuple(map(type, row)))  # 1, 1.0 and True are different cells
            found = shared.get(tag)
            if found is None:
                found = shared[tag] = dict(zip(keys, row, strict=True))
            return found

        return list(map(cells, *(values[key] for key in keys)))


def _unhidden(
    first: int, rows: list[list[object]], hidden: frozenset[int]
) -> tuple[Sequence[int], list[list[object]]]:
    """The 1-based Excel numbers of `rows` (from 0-based index `first`) and the rows,
    without the `hidden` ones."""
    numbers: Sequence[int] = range(first + 1, first + 1 + len(rows))
    if not hidden:
        return numbers, rows
    kept = [(n, r) for n, r in zip(numbers, rows, strict=True) if n not in hidden]
    return [n for n, _ in kept], [r for _, r in kept]


def _even(rows: list[list[object]]) -> list[list[object]]:
    """The rows padded to one width: calamine's rows are all as wide, but be sure."""
    if len(set(map(len, rows))) > 1:
        width = max(map(len, rows))
        return [r + [None] * (width - len(r)) for r in rows]
    return rows


def _columns(rows: list[list[object]], places: list[int]) -> dict[int, Sequence[object]]:
    """The cells at `places` down the rows, one tuple per place: only the columns read are
    transposed, as a sheet may have many more."""
    if not rows or not places:
        return {}
    if len(places) == 1:
        return {places[0]: tuple(r[places[0]] for r in rows)}
    return dict(zip(places, zip(*map(itemgetter(*places), rows), strict=True), strict=True))


def _level_of(value: object) -> str | None:
    """A `Reminder level` cell as a tier id: the id itself, or its name in the owner's words
    ("ידידותית", "final reminder"), which is what xlsdun writes for a Hebrew owner."""
    text = to_text(value)
    if not text:
        return None
    folded = text.casefold()
    return TIER_BY_NAME.get(folded, folded)


def _as_pandas(value: object) -> object:
    """A cell as pandas' read_excel gave it (whole numbers as int, dates as datetime)."""
    if value.__class__ is float and value.is_integer():
        return int(value)
    if value.__class__ is date:
        return datetime(value.year, value.month, value.day)
    return value
