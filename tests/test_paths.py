"""Paths as Windows and macOS users name them (issue 17): Hebrew letters, spaces, quotes, `%`
and `$` in the folder, the workbook's name and the state folder, and a long path. A run there
sends, writes the workbook, and a second run sends nothing."""

from __future__ import annotations

from pathlib import Path

from support.sample_setup import TODAY, copy_sample, invoke

HARD = 'לקוחות של רינה 100% "best" $HOME it\'s'
LONG = "ספר חובות " * 12  # a long folder name (about 130 characters)


def test_a_run_in_hard_and_long_paths(tmp_path: Path) -> None:
    folder = tmp_path / HARD / LONG.strip()
    toml = copy_sample(folder)
    book = folder / "חובות פתוחים 2026 (עותק).xlsx"
    (folder / "receivables.xlsx").rename(book)
    text = toml.read_text("utf-8")
    text = text.replace('path = "receivables.xlsx"', f'path = "{book.name}"')
    text = text.replace('state_dir = ".xlsdun"', 'state_dir = "מצב xlsdun $x %y"')
    toml.write_text(text, "utf-8")
    before = book.read_bytes()

    code, _, err = invoke("run", "--config", str(toml), "--today", TODAY)
    assert code == 0, err
    assert book.read_bytes() != before  # outcomes written into the workbook
    sent = sorted((folder / "outbox").rglob("*.eml"))
    assert sent
    assert (folder / "מצב xlsdun $x %y" / "ledger.sqlite3").is_file()
    assert len(str(sent[0])) > 200

    code, _, err = invoke("run", "--config", str(toml), "--today", TODAY)
    assert code == 0, err
    assert sorted((folder / "outbox").rglob("*.eml")) == sent
