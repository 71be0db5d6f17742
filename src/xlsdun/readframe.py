"""The receivables as a pandas DataFrame (`read_frame`): one typed row per sheet row the
reader took or refused, with its findings, for analysis in a notebook. The run never builds
it; pandas is imported here, when a frame is asked for.

Each invoice's ladder tier is the one its own days overdue reach (`Ladder.natural`), not the
plan's per-debtor decision, which `Plan.to_frame()` gives (planframe.py)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from .config import Config
    from .models import Invoice, Receivables
    from .policy.ladder import Ladder

COLUMNS = (
    "row", "customer", "invoice", "customer_id", "email", "phone", "language",
    "invoice_date", "due_date", "amount", "balance", "currency", "days_overdue", "tier",
    "disputed", "do_not_contact", "hold_until", "promise_date", "read", "findings",
)  # fmt: skip
DATES = ("invoice_date", "due_date", "hold_until", "promise_date")


def read_frame(config: Config | str | Path, today: date | None = None) -> pd.DataFrame:
    """The workbook the config names, read as a run reads it, as a DataFrame: one row per
    invoice (`read` True) and one per row skipped for its findings (`read` False, only its
    row, invoice number if known, and `findings`), in sheet order. Dates are datetime64,
    amounts float64, `days_overdue` (as of `today`, default today on the config's clock) and
    `tier` (the ladder tier those days reach; empty for a credit or a paid invoice) are
    per invoice. `findings` joins a row's findings with "; " (empty: none)."""
    from . import config as config_mod
    from .wiring import load_receivables

    cfg = config if not isinstance(config, str | Path) else config_mod.load(config)
    day = today if today is not None else datetime.now(cfg.zone).date()
    return receivables_frame(load_receivables(cfg), day, cfg)


def receivables_frame(receivables: Receivables, today: date, config: Config) -> pd.DataFrame:
    """`read_frame` of receivables read already."""
    import pandas as pd

    from .policy.ladder import Ladder

    ladder = Ladder.of(config.policy)
    said: defaultdict[int, list[str]] = defaultdict(list)
    numbers: dict[int, str | None] = {}
    for finding in receivables.findings:
        said[finding.row].append(f"{finding.field}: {finding.problem}")
        numbers.setdefault(finding.row, finding.invoice)
    rows = [
        _invoice_row(i, today, ladder, "; ".join(said.pop(i.row, ()))) for i in receivables.invoices
    ]
    rows += [_skipped_row(row, numbers[row], "; ".join(found)) for row, found in said.items()]
    frame = pd.DataFrame(rows, columns=list(COLUMNS)).sort_values("row", kind="stable")
    for column in DATES:
        frame[column] = pd.to_datetime(frame[column])
    for column in ("amount", "balance"):
        frame[column] = frame[column].astype("float64")
    frame["days_overdue"] = frame["days_overdue"].astype("Int64")
    for column in ("disputed", "do_not_contact", "read"):
        frame[column] = frame[column].astype("boolean")
    return frame.reset_index(drop=True)


def _invoice_row(invoice: Invoice, today: date, ladder: Ladder, findings: str) -> list[object]:
    days = (today - invoice.due_date).days
    tier = ladder.natural(days) if invoice.balance > 0 else None
    return [
        invoice.row,
        invoice.customer,
        invoice.invoice,
        invoice.customer_id,
        invoice.email,
        invoice.phone,
        invoice.language,
        invoice.invoice_date,
        invoice.due_date,
        None if invoice.amount is None else float(invoice.amount),
        float(invoice.balance),
        invoice.currency,
        days,
        tier.id if tier is not None else None,
        invoice.disputed,
        invoice.do_not_contact,
        invoice.hold_until,
        invoice.promise_date,
        True,
        findings,
    ]


def _skipped_row(row: int, invoice: str | None, findings: str) -> list[object]:
    cells: dict[str, object] = {"row": row, "invoice": invoice, "read": False}
    cells["findings"] = findings
    return [cells.get(column) for column in COLUMNS]
