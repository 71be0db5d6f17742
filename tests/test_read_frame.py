"""`xlsdun.read_frame`: the receivables as a typed DataFrame, one row per invoice and one per
row skipped for its findings, checked against the reader's own Receivables."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd

import xlsdun
from support.sample_setup import copy_sample, debtors, make_workbook
from xlsdun import config as config_mod
from xlsdun.policy.ladder import natural_tier
from xlsdun.wiring import load_receivables

TODAY = date(2026, 11, 26)


def test_the_sample_as_a_frame(tmp_path: Path) -> None:
    config = copy_sample(tmp_path)
    frame = xlsdun.read_frame(config, today=TODAY)
    cfg = config_mod.load(config)
    rec = load_receivables(cfg)
    assert len(frame) == len(rec.invoices) + len({f.row for f in rec.findings})
    assert frame["row"].is_monotonic_increasing
    assert str(frame["due_date"].dtype).startswith("datetime64")
    assert frame["balance"].dtype == "float64" and frame["days_overdue"].dtype == "Int64"
    owed: defaultdict[str, Decimal] = defaultdict(Decimal)
    for invoice in rec.invoices:
        owed[invoice.currency] += invoice.balance
    by_currency = frame.groupby("currency")["balance"].sum()
    assert {c: round(float(v), 2) for c, v in by_currency.items()} == {
        c: float(v) for c, v in owed.items()
    }
    for invoice, (_, row) in zip(rec.invoices, frame[frame["read"]].iterrows(), strict=True):
        days = (TODAY - invoice.due_date).days
        assert (row["invoice"], row["days_overdue"]) == (invoice.invoice, days)
        tier = natural_tier(days, cfg.policy) if invoice.balance > 0 else None
        assert (row["tier"] if isinstance(row["tier"], str) else None) == (tier and tier.id)
    # a path and a loaded Config read the same
    pd.testing.assert_frame_equal(frame, xlsdun.read_frame(cfg, today=TODAY))


def test_skipped_rows_carry_their_findings(tmp_path: Path) -> None:
    rows = debtors(3, TODAY)
    rows[1]["Balance"] = "lots"
    rows[2]["Email"] = "not an address"
    config = make_workbook(tmp_path, rows)
    frame = xlsdun.read_frame(config, today=TODAY)
    skipped = frame[~frame["read"]]
    assert len(skipped) == 1
    (row,) = skipped.itertuples()
    assert row.row == 3 and row.findings == "balance: 'lots' is not an amount"
    assert pd.isna(row.balance) and pd.isna(row.customer)
    # an invoice read with a finding (an invalid address: the debtor is called) keeps it
    read = frame[frame["read"]].set_index("row")
    assert read.loc[4, "findings"].startswith("email: invalid email address")
    assert read.loc[2, "findings"] == ""
