"""The sample workbook and config, copied where a test runs xlsdun on them, and the CLI."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from xlsdun.cli import main
from xlsdun.config import Config
from xlsdun.ledger import Ledger
from xlsdun.models import Action
from xlsdun.wiring import ledger_path
from xlsdun.workbook import write_back

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
TODAY = "2026-11-26"  # the sample's own run date (a Thursday, no holiday)

# What the sample workbook must produce on the demo date (see sample_data/make_sample.py).
EXPECTED_SENDS = {
    "Northwind Interiors Ltd": "courtesy",
    "מכולת השכונה - יוסי ובניו": "courtesy",
    "Blue Cedar Catering": "friendly",
    "מספרת שירן": "friendly",
    "Atlas Software Inc.": "friendly",
    "Harbor Light Dental Clinic": "direct",
    'נגרות אבו-חצירא בע"מ': "direct",
    "Fjord Design AB": "direct",
    "Oakridge Property Management": "plan",
    "קפה לנדוור רמת השרון": "plan",
    "Silverline Fitness Studio": "plan",
    'קבוצת נדל"ן השרון': "plan",
    "Coastal Pharmacy Herzliya": "plan",
    "משרד רו\"ח גולדברג ושות'": "final",
}
# The parts of the sample workbook xlsdun's writer may change; every other part stays
# byte-identical.
OWNED_PARTS = {
    "xl/worksheets/sheet1.xml",
    "xl/workbook.xml",
    "xl/_rels/workbook.xml.rels",
    "[Content_Types].xml",
    "xl/styles.xml",
    "docProps/app.xml",
}


def copy_sample(folder: Path) -> Path:
    """Copy receivables.xlsx and xlsdun.toml into `folder` (made if missing); the config."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("receivables.xlsx", "xlsdun.toml"):
        shutil.copy(SAMPLE / name, folder / name)
    return folder / "xlsdun.toml"


def invoke(*args: str) -> tuple[int, str, str]:
    """The CLI as a user runs it: (exit code, stdout, stderr)."""
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def run_json(folder: Path, *extra: str) -> dict:
    """`xlsdun run --json` on the config in `folder` as of TODAY; it must exit 0."""
    code, out, err = invoke(
        "run", "--config", str(folder / "xlsdun.toml"), "--today", TODAY, "--json", *extra
    )
    assert code == 0, err
    return json.loads(out)


def make_workbook(folder: Path, rows: list[dict[str, object]], sheet: str = "Receivables") -> Path:
    """A receivables workbook of `rows` (header: value) in `folder`, with the sample's config
    pointing at it. XlsxWriter writes control characters as Excel does (_x001B_), so a
    hostile cell reaches the reader exactly as it would from a real file."""
    from support.workbooks import write_rows

    folder.mkdir(parents=True, exist_ok=True)
    headers = list(dict.fromkeys(h for row in rows for h in row))
    table = [[row.get(h) for h in headers] for row in rows]
    write_rows(folder / "receivables.xlsx", [headers, *table], sheet)
    config = folder / "xlsdun.toml"
    config.write_text(
        (SAMPLE / "xlsdun.toml")
        .read_text("utf-8")
        .replace('sheet = "Receivables"', f'sheet = "{sheet}"'),
        "utf-8",
    )
    return config


def debtors(n: int, today: date, days_overdue: int = 20) -> list[dict[str, object]]:
    """n ordinary debtors, one invoice each, `days_overdue` past due as of `today`."""
    due = today - timedelta(days=days_overdue)
    return [
        {
            "Customer": f"Customer {i:04d}",
            "Email": f"c{i}@example.com",
            "Invoice #": f"INV-{i:05d}",
            "Due date": due,
            "Balance": 100.0 + i,
            "Language": "en",
        }
        for i in range(n)
    ]


def set_cells(folder: Path, cells: dict[str, dict[str, str]]) -> None:
    """Write `{customer: {column: text}}` into every row of each customer in the sample
    workbook in `folder` (through xlsdun's own writer; a column not there yet is added)."""
    book = folder / "receivables.xlsx"
    sheet = pd.read_excel(book, sheet_name="Receivables", header=3, engine="calamine")
    updates: dict[int, dict[str, object]] = {}
    for customer, values in cells.items():
        rows = [int(i) + 5 for i in sheet.index[sheet["Customer"] == customer]]
        assert rows, f"no rows for {customer!r} in the sample"
        for row in rows:
            updates.setdefault(row, {}).update(values)
    write_back(book, sheet="Receivables", header_row=4, updates=updates)


def ambiguous_sends(cfg: Config, *customers: str) -> None:
    """A friendly reminder of TODAY to each customer (at first.last@example.com) that a crash
    left in doubt (`ambiguous`), got there the way a real run gets there (through `sending`)."""
    with Ledger(ledger_path(cfg)) as ledger:
        for customer in customers:
            email = customer.lower().replace(" ", ".") + "@example.com"
            action = Action(
                debtor=f"email:{email}",
                customer=customer,
                email=email,
                kind="send",
                reason="",
                tier="friendly",
            )
            send_id = ledger.begin("run-1", date.fromisoformat(TODAY), action, "smtp")
            assert send_id is not None
            ledger.mark(send_id, "sending", message_id=f"<{send_id}@example.com>")
            ledger.mark(send_id, "ambiguous")


def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 120,
    inherit_env: bool = True,
    memory: int | None = None,
) -> tuple[int, str, str]:
    """`python -m xlsdun ARGS` in its own process (and process group), killed after `timeout`
    seconds: for runs that must not hang, whatever a cell names. `inherit_env=False`: only
    `env`, as cron gives a job. `memory`: an address-space cap in bytes, so a run that would
    grab the machine's memory fails alone. (exit code, stdout, stderr)"""

    def cap() -> None:
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    proc = subprocess.Popen(
        [sys.executable, "-m", "xlsdun", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**(os.environ if inherit_env else {}), **(env or {})},
        start_new_session=True,
        preexec_fn=cap,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise AssertionError(f"xlsdun {' '.join(args)} still running after {timeout} s") from None
    return proc.returncode, out, err


def bench_sample(folder: Path, invoices: int) -> Path:
    """A folder with the benchmark's workbook of `invoices` rows (about one message per five
    invoices, outbox backend) and its config; the config."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from benchmarks import gen, run

    folder.mkdir(parents=True, exist_ok=True)
    gen.generate(invoices, folder / "receivables.xlsx")
    toml = folder / "xlsdun.toml"
    toml.write_text(run.CONFIG.format(sheet=gen.SHEET), encoding="utf-8")
    return toml
