"""The data rows below the header, converted column by column a chunk at a time (`Body`).

Each chunk is a pandas DataFrame of the columns read. Each field's column is factorized and
its distinct values converted a whole column at a time with pandas (series.py: dates,
amounts, text); what pandas does not take goes to the cell's converter (coerce.py,
money.py), which reads the exotic forms and words the finding. A cell a converter rejects
becomes an `Invalid`, which the row pass (rows.py) turns into a finding for its row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from functools import partial
from itertools import repeat
from operator import itemgetter
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..names import language_code
from ..owner_words import TIER_BY_NAME
from ..problems import cut, problem
from .bounds import MAX_CELL_TEXT
from .coerce import (
    EXCEL_ERRORS,
    MAX_LENGTH,
    CellProblem,
    all_emails,
    capped_text,
    cut_text,
    doc_sign,
    split_emails,
    to_bool,
    to_date,
    to_phone,
    to_text,
    too_long,
)
from .grid import Grid
from .money import to_money
from .series import LEFT, NA_SPELLINGS, Values, amounts, dates, texts

_NA_NOT_ERRORS = NA_SPELLINGS - EXCEL_ERRORS
_MEMO = 1 << 14  # values a cell converter remembers across chunks
# fewer new values than this go to the cell's converter: a dozen pandas calls cost more
# (the 20,000-row bench's customer column: 9 ms instead of 18)
_BULK_FROM = 32

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


# a column's distinct values converted at once (series.py), LEFT where the cell's converter
# is to read them
Bulk = Callable[[pd.Series], Values]


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
        return problem(_NOT_KEYS[what], cell=cut(to_text(self.raw)))


# What a rejected cell is not, as `Invalid.says` is asked (rows.py), -> its problem's key.
_NOT_KEYS = {
    "text": "not_text",
    "a date": "not_a_date",
    "an amount": "not_an_amount",
    "a document type": "not_a_document_type",
}


class Converter:
    """`convert` applied down a column, once per distinct value, the pandas way: the
    column is factorized (`pandas.factorize`), its distinct values converted, and the
    result taken back by the codes, so rows that repeat a value (names, dates, empty cells)
    share one object. `bulk` converts the distinct values a whole column at a time with
    pandas (series.py) and leaves the rest (`LEFT`) to the cell's converter, `one`."""

    __slots__ = (
        "convert",
        "bulk",
        "invalid",
        "blank",
        "refuse_long",
        "lenient",
        "empty",
        "memo",
        "remember",
    )

    def __init__(
        self,
        convert: Callable[[object], object],
        bulk: Bulk | None = None,
        *,
        blank: frozenset[str] = NA_SPELLINGS,
        refuse_long: bool = False,
        lenient: bool = False,
        remember: bool = True,
    ) -> None:
        self.convert = convert
        self.bulk = bulk
        self.invalid = False  # a cell was rejected: rows must be checked one by one
        self.blank = blank  # text read as an empty cell
        self.refuse_long = refuse_long  # text longer than Excel's cells: a finding, else cut
        self.lenient = lenient  # a rejected cell reads as empty: unknown, not a finding
        self.empty = convert(None)  # an empty cell's value (pandas' missing: code -1)
        # what each distinct value became, kept from chunk to chunk: a customer's name, phone
        # and address come back in every chunk (20,000 rows: 56-59 ms of conversion, 71-74
        # without)
        self.memo: dict[object, object] = {}
        self.remember = remember  # False: values that seldom come back (amounts)

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

    def column(self, values: pd.Series | np.ndarray | Sequence[object]) -> list[object]:
        """The column's cells converted, in order: factorized, the distinct values not
        remembered from an earlier chunk converted (`_new`), taken back by the codes."""
        if isinstance(values, pd.Series):
            cells = values.to_numpy(dtype=object)
        else:
            cells = np.empty(len(values), dtype=object)
            cells[:] = values  # as they are: a tuple of cells is not made a 2-D array
        codes, distinct = pd.factorize(cells)  # None and NaN: code -1, an empty cell
        listed = distinct.tolist()
        if _flags_beside_numbers(listed, cells):
            # TRUE and 1 are one value to factorize and to a dict: a cell's type is part of
            # its key here, and nothing is remembered
            keys = np.empty(len(cells), dtype=object)
            keys[:] = [(v.__class__, v) for v in cells]
            codes, typed = pd.factorize(keys)
            distinct = np.empty(len(typed), dtype=object)
            distinct[:] = [v for _, v in typed]
            return self._taken(codes, self._new(distinct))
        if not self.remember or len(listed) * 4 > len(cells) * 3:  # hardly repeated
            return self._taken(codes, self._new(distinct))
        memo = self.memo
        known = np.empty(len(listed), dtype=object)
        known[:] = list(map(memo.get, listed, repeat(LEFT)))
        new = [i for i, v in enumerate(known) if v is LEFT]
        if new:
            if len(memo) > _MEMO:
                memo.clear()
            found = self._new(distinct[new])
            known[new] = found
            memo.update(zip(distinct[new].tolist(), found.tolist(), strict=True))
        return self._taken(codes, known)

    def _taken(self, codes: np.ndarray, converted: np.ndarray) -> list[object]:
        """Each cell's converted value, by its code (-1, an empty cell: `empty`)."""
        out = np.empty(len(converted) + 1, dtype=object)
        out[:-1] = converted
        out[-1] = self.empty
        return out[codes].tolist()

    def _new(self, distinct: np.ndarray) -> np.ndarray:
        """Values not seen in earlier chunks converted: a whole column at a time by `bulk`,
        the cell's converter for what it leaves."""
        out = np.empty(len(distinct), dtype=object)
        if self.bulk is not None and len(distinct) >= _BULK_FROM:
            out[:] = self.bulk(pd.Series(distinct, dtype=object))
        else:
            out[:] = LEFT
        for i in [i for i, v in enumerate(out) if v is LEFT]:
            out[i] = self.one(distinct[i])
        return out

    def columns(self, columns: Sequence[pd.Series]) -> list[list[object]]:
        """Several columns converted as one (factorized together): a balance column most
        often repeats the amount column, whose values are then converted once."""
        if len(columns) == 1:
            return [self.column(columns[0])]
        together = self.column(np.concatenate([c.to_numpy(dtype=object) for c in columns]))
        ends = np.cumsum([len(c) for c in columns])
        return [together[end - len(c) : end] for c, end in zip(columns, ends, strict=True)]


def _flags_beside_numbers(distinct: list[object], cells: np.ndarray) -> bool:
    """Whether TRUE/FALSE cells may stand beside 1/0 (or 1/0 of an earlier chunk), which
    factorize and a dict take as one value."""
    kinds = set(map(type, distinct))
    if bool in kinds:
        return True
    if not kinds & {int, float} or not (0 in distinct or 1 in distinct):
        return False
    return bool in set(map(type, cells))


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
    ) -> None:
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
        dates_of = partial(dates, date_order=date_order)
        bulk: dict[str, Bulk] = {
            **{k: partial(texts, limit=MAX_LENGTH[k]) for k in TEXT_FIELDS},
            **dict.fromkeys(DATE_FIELDS, dates_of),
            **dict.fromkeys(
                (*MONEY_FIELDS, *LEDGER_FIELDS), partial(amounts, decimal_comma=decimal_comma)
            ),
        }
        wanted = {
            k: (fields[k], self._converter(k, c, bulk.get(k)))
            for k, c in converters.items()
            if k in fields
        }
        # the sheet's own record of the last reminder: a date it cannot read is unknown
        for key, convert, column_bulk in (("level", _level_of, None), ("last", date_of, dates_of)):
            column = owned.get(key)
            if column is not None:
                wanted[key] = (
                    column,
                    self._converter(key, convert, column_bulk, lenient=key == "last"),
                )
        # the amount columns share one converter, and are converted together (`columns`)
        money = [k for k in wanted if k in MONEY_FIELDS or k in LEDGER_FIELDS]
        for key in money[1:]:
            wanted[key] = (wanted[key][0], wanted[money[0]][1])
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
            blank=_NA_NOT_ERRORS if checked else NA_SPELLINGS,
            refuse_long=key in _REFUSE_LONG,
            lenient=lenient,
            remember=key not in MONEY_FIELDS and key not in LEDGER_FIELDS,
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
        """The converted values of the fields, and of the owned cells, by key. The chunk
        becomes a DataFrame of the columns read only (`_frame`), as a sheet may have many more."""
        width = len(rows[0]) if rows else 0
        read = (*self.wanted.values(), *self.owned.values())
        frame = _frame(rows, sorted({c - offset for c, _ in read if 0 <= c - offset < width}))
        blank = pd.Series([None] * len(rows), dtype=object)

        def converted(wanted: Mapping[str, tuple[int, Converter]]) -> dict[str, list[object]]:
            groups: dict[int, list[str]] = {}
            for key, (_, converter) in wanted.items():
                groups.setdefault(id(converter), []).append(key)
            found: dict[str, list[object]] = {}
            for keys in groups.values():
                places = [wanted[k][0] - offset for k in keys]
                cells = [frame[p] if p in frame.columns else blank for p in places]
                found.update(zip(keys, wanted[keys[0]][1].columns(cells), strict=True))
            return found

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


def _frame(rows: list[list[object]], places: list[int]) -> pd.DataFrame:
    """The cells at `places` down the rows as a DataFrame of object columns (as calamine
    gave them, nothing inferred), labelled by place: only the columns read are taken, as a
    sheet may have many more."""
    if not rows or not places:
        return pd.DataFrame()
    if len(places) == 1:
        columns = [tuple(r[places[0]] for r in rows)]
    else:
        columns = list(zip(*map(itemgetter(*places), rows), strict=True))
    return pd.DataFrame(dict(zip(places, columns, strict=True)), dtype=object)


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
