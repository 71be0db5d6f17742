"""The plan as a pandas DataFrame (`Plan.to_frame()`): one row per debtor action, for
analysis in a notebook and for the owner's filterable file (`xlsdun plan --csv/--xlsx`,
planfile.py). pandas is imported here, when a frame is asked for; a run imports it anyway,
for the reader (workbook/series.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from .models import Action, Plan

# The columns before the balances, and after them; a balance column per currency between.
HEAD = ("debtor", "customer", "email", "phone", "kind", "tier", "variant", "language", "invoices")
TAIL = ("days_overdue", "reason", "call")
BALANCE = "balance_"  # + the currency code: balance_ILS, balance_USD


def plan_frame(plan: Plan) -> pd.DataFrame:
    """One row per action, in the plan's order: who, what and why, the invoices (their
    numbers, comma-separated), what the debtor owes in each currency (a column per currency,
    empty where they owe none in it) and the days overdue of their most overdue open
    invoice (negative: days until it is due)."""
    import pandas as pd

    currencies = sorted({c for a in plan.actions for c in a.balance})
    rows = [_row(plan, a, currencies) for a in plan.actions]
    columns = [*HEAD, *(BALANCE + c for c in currencies), *TAIL]
    frame = pd.DataFrame(rows, columns=columns)
    frame["days_overdue"] = frame["days_overdue"].astype("Int64")  # empty: nothing open
    for currency in currencies:
        frame[BALANCE + currency] = frame[BALANCE + currency].astype("float64")
    return frame


def _row(plan: Plan, action: Action, currencies: list[str]) -> list[object]:
    balances = [float(action.balance[c]) if c in action.balance else None for c in currencies]
    return [
        action.debtor,
        action.customer,
        action.email,
        action.phone,
        action.kind,
        action.tier,
        action.variant,
        action.language,
        ", ".join(action.invoice_ids),
        *balances,
        action.days_overdue(plan.today),
        action.reason,
        action.call,
    ]
