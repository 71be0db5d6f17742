"""`xlsdun preview`: a gallery of what would be sent, written only into the preview folder."""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

from click.testing import CliRunner

from support.sample_setup import copy_sample
from xlsdun.cli import main


def test_all_tiers_gallery(tmp_path: Path) -> None:
    toml = copy_sample(tmp_path)
    out = tmp_path / "gallery"
    result = CliRunner().invoke(
        main,
        [
            "preview",
            "--config",
            str(toml),
            "--all-tiers",
            "--out",
            str(out),
            "--today",
            "2026-11-26",
        ],
    )
    assert result.exit_code == 0, result.stderr
    index = (out / "index.html").read_text(encoding="utf-8")
    pages = re.findall(r'<a href="([^"]+\.html)">HTML</a>', index)
    assert len(pages) == 14  # 5 tiers + broken promise + thank-you, in English and Hebrew
    for lang in ("en", "he"):  # the spec, written out: not the code's own list
        for name in (
            "courtesy",
            "friendly",
            "direct",
            "plan",
            "final",
            "broken_promise",
            "thank_you",
        ):
            assert any(f"-{lang}-{name}-" in p for p in pages), (lang, name)
    for page in pages:
        assert (out / page).exists()
    he = next(p for p in pages if "-he-final-" in p)
    assert 'dir="rtl"' in (out / he).read_text(encoding="utf-8")
    eml = next(out.glob("*-he-final-*.eml"))
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert msg.get_content_type() == "multipart/alternative"


def test_todays_preview_sends_and_records_nothing(tmp_path: Path) -> None:
    toml = copy_sample(tmp_path)
    workbook = (tmp_path / "receivables.xlsx").read_bytes()
    result = CliRunner().invoke(main, ["preview", "--config", str(toml), "--today", "2026-11-26"])
    assert result.exit_code == 0, result.stderr
    folder = tmp_path / ".xlsdun" / "preview" / "2026-11-26"
    # 14 sends and the one final notice awaiting approval: the owner sees it before approving
    assert len(list(folder.glob("*.html"))) == 15 + 1  # + index.html
    assert (tmp_path / "receivables.xlsx").read_bytes() == workbook
    assert not (tmp_path / "outbox").exists()
    assert not (tmp_path / ".xlsdun" / "ledger.sqlite3").exists()
