"""`xlsdun preview`: a gallery of what would be sent, written only into the preview folder."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from support.chromium import CHROMIUM, overflow_on_phones
from support.sample_setup import copy_sample, make_workbook
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


@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium not installed")
def test_every_message_fits_a_phone_in_chromium(tmp_path: Path) -> None:
    """Every message of the sample's day and every tier in both languages, laid out by
    Chromium in a phone's viewport (320, 360 and 390 px, where the mail's media query drops
    the invoice-date column) and at 800 px: no text sticks out and no date or amount is
    broken over two lines. 360 px is also the gallery card's frame at 390 px."""
    toml = copy_sample(tmp_path)
    pages: dict[str, str] = {}
    for flags in ([], ["--all-tiers"]):
        out = tmp_path / ("all" if flags else "today")
        args = ["preview", "--config", str(toml), "--out", str(out), "--today", "2026-11-26"]
        result = CliRunner().invoke(main, [*args, *flags])
        assert result.exit_code == 0, result.stderr
        for page in out.glob("*.html"):
            if page.name != "index.html":
                pages[f"{out.name}/{page.stem}"] = page.read_text("utf-8")
    assert len(pages) == 15 + 14
    found = overflow_on_phones(pages, (320, 360, 390, 800), tmp_path)
    assert len(found) == 4 * len(pages)
    bad = {name: r for name, r in found.items() if r["over"] or r["wrapped"]}
    assert not bad, bad
    # the probe can fail: the desktop table (the invoice dates kept), forced into a phone
    atlas = pages["today/001-en-friendly-Atlas-Software-Inc"]
    wide = {"desktop": atlas.replace(".xd-wide{display:none !important}", "")}
    assert wide["desktop"] != atlas
    assert overflow_on_phones(wide, (320,), tmp_path)["desktop@320"]["over"]


@pytest.mark.parametrize("language", ["he", "en"])
def test_the_gallery_speaks_the_owners_language(tmp_path: Path, language: str) -> None:
    """The gallery page is the owner's (`[owner] language`): its heading, note, tags and links;
    each message in it stays in its debtor's language."""
    toml = copy_sample(tmp_path)
    text = toml.read_text("utf-8")
    toml.write_text(text.replace('language = "en"', f'language = "{language}"', 1))
    out = tmp_path / "gallery"
    args = ["preview", "--config", str(toml), "--out", str(out), "--today", "2026-11-26"]
    result = CliRunner().invoke(main, [*args, "--all-tiers"])
    assert result.exit_code == 0, result.stderr
    index = (out / "index.html").read_text("utf-8")
    expected = {
        "he": ('lang="he" dir="rtl"', "xlsdun: 14 הודעות", "לקוחות לדוגמה", "ההודעות שכאן"),
        "en": ('lang="en" dir="ltr"', "xlsdun: 14 messages", "Sample customers", "Nothing here"),
    }[language]
    for words in expected:
        assert words in index, words
    tags = re.findall(r'<span class="tag">([^<]*)</span>', index)
    assert len(tags) == 28
    if language == "he":
        assert {"עברית", "אנגלית"} <= set(tags)
        assert not [t for t in tags if re.search("[A-Za-z]", t)], tags
    else:
        assert {"Hebrew", "English"} <= set(tags)
    he_final = next(out.glob("*-he-final-*.html")).read_text("utf-8")
    en_final = next(out.glob("*-en-final-*.html")).read_text("utf-8")
    assert 'lang="he"' in he_final and 'lang="en"' in en_final  # the debtors' own languages


def test_an_empty_preview_says_why(tmp_path: Path) -> None:
    """After the day's run, today's preview has nothing left to show: it says so and how to
    see every message instead of a bare "0 message(s)"."""
    row = {"Customer": "Acme Ltd", "Email": "a@example.com", "Invoice #": "INV-1",
           "Due date": date(2026, 11, 1), "Balance": 500.0, "Language": "en"}  # fmt: skip
    toml = make_workbook(tmp_path, [row])
    day = ["--config", str(toml), "--today", "2026-11-26"]
    assert CliRunner().invoke(main, ["run", *day]).exit_code == 0
    result = CliRunner().invoke(main, ["preview", *day])
    assert result.exit_code == 0, result.stderr
    assert "0 message(s) rendered" in result.stdout
    assert "Nothing would be sent today" in result.stdout and "--all-tiers" in result.stdout
    index = (tmp_path / ".xlsdun" / "preview" / "2026-11-26" / "index.html").read_text("utf-8")
    assert "Nothing would be sent today" in index and "--all-tiers" in index  # the page too
