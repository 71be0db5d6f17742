"""The checks that stop a run before anything is sent (exit 2), each on its own."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from support.sample_setup import copy_sample
from xlsdun import config as config_mod
from xlsdun.errors import EXIT_INPUT, RunError
from xlsdun.ledger import Ledger
from xlsdun.models import Receivables, SheetInfo
from xlsdun.preflight import check_folders, check_run_day, check_sender, check_sheet

DAY = date(2026, 11, 26)


def test_a_day_before_the_ledgers_latest_run_needs_force(tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.sqlite3") as ledger:
        check_run_day(ledger, DAY, allow_earlier=False)  # a new ledger: any day
        ledger.start_run("r1", DAY)
        ledger.finish_run("r1", 0, {})
        check_run_day(ledger, DAY, allow_earlier=False)  # the same day again: a rerun
        with pytest.raises(RunError, match="already run as of 2026-11-26") as refused:
            check_run_day(ledger, date(2026, 11, 25), allow_earlier=False)
        assert refused.value.exit_code == EXIT_INPUT
        check_run_day(ledger, date(2026, 11, 25), allow_earlier=True)


def test_a_protected_sheet_stops_the_run_unless_allowed(tmp_path: Path) -> None:
    cfg = config_mod.load(copy_sample(tmp_path))
    info = SheetInfo(str(cfg.workbook.path), "Receivables", 4, {}, {}, protected=True)
    with pytest.raises(RunError, match="the sheet is protected"):
        check_sheet(cfg, Receivables((), sheet=info))
    allowed = replace(cfg, workbook=replace(cfg.workbook, allow_protected_sheet=True))
    check_sheet(allowed, Receivables((), sheet=info))
    check_sheet(cfg, Receivables((), sheet=replace(info, read_only=True)))  # a sidecar
    check_sheet(cfg, Receivables((), sheet=replace(info, protected=False)))


def test_example_values_stop_real_mail_but_not_the_outbox(tmp_path: Path) -> None:
    cfg = config_mod.load(copy_sample(tmp_path))
    example = replace(cfg, sender=replace(cfg.sender, name="Your Name"))
    check_sender(example)  # the outbox sends nothing
    with pytest.raises(RunError, match="still has example values"):
        check_sender(replace(example, delivery=replace(example.delivery, backend="smtp")))


def test_a_folder_that_is_a_file_is_named_and_nothing_is_left_behind(tmp_path: Path) -> None:
    cfg = config_mod.load(copy_sample(tmp_path))
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(RunError, match="'state_dir' is .*a file has that name"):
        check_folders(replace(cfg, state_dir=tmp_path / "a-file"))
    missing = tmp_path / "new" / "state"
    check_folders(replace(cfg, state_dir=missing))
    assert not (tmp_path / "new").exists()
    outbox = replace(cfg.delivery, outbox_dir=tmp_path / "a-file")
    with pytest.raises(RunError, match="'delivery.outbox_dir'"):
        check_folders(replace(cfg, delivery=outbox))
    check_folders(replace(cfg, delivery=outbox), dry_run=True)  # a dry run writes no outbox
