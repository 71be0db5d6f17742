"""The sample run end to end through the CLI, on real files."""

from __future__ import annotations

import email
import email.policy
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd

from support.sample_setup import EXPECTED_SENDS, OWNED_PARTS, TODAY, invoke, run_json

ROOT = Path(__file__).resolve().parents[1]


def test_sample_run_sends_every_tier_once_and_writes_back(demo: Path) -> None:
    original = zipfile.ZipFile(demo / "receivables.xlsx")
    before = {i.filename: original.read(i) for i in original.infolist()}

    data = run_json(demo)
    assert data["today"] == TODAY and data["run_id"]
    sent = {
        d["customer"]: d["tier"] for d in data["debtors"] if d["outcome"] == "written_to_outbox"
    }
    assert sent == EXPECTED_SENDS
    actions = {d["customer"]: d["action"] for d in data["debtors"]}
    assert actions["Meridian Print House"] == "await_approval"
    assert actions["מאפיית האחים כהן"] == "manual"  # escalate: the call list
    assert actions["פלאפל הדקל"] == "manual"  # no email address
    for entry in data["debtors"]:
        assert set(entry) >= {
            "customer",
            "email",
            "tier",
            "action",
            "reason",
            "invoices",
            "balance",
            "outcome",
            "message_id",
        }
    emls = sorted((demo / "outbox" / TODAY).glob("*.eml"))
    assert len(emls) == len(EXPECTED_SENDS)

    after = zipfile.ZipFile(demo / "receivables.xlsx")
    for info in after.infolist():
        if info.filename in before and info.filename not in OWNED_PARTS:
            assert after.read(info) == before[info.filename], info.filename
    assert set(before) <= {i.filename for i in after.infolist()}
    sheet = pd.read_excel(
        demo / "receivables.xlsx", sheet_name="Receivables", header=3, engine="calamine"
    )
    invoices = sheet[sheet["Invoice #"].notna()]
    assert invoices["Balance"].notna().all()
    assert (invoices["Balance"] == invoices["Amount"] - invoices["Paid"]).all()
    statuses = dict(zip(invoices["Customer"], invoices["Reminder status"], strict=False))
    assert statuses["Blue Cedar Catering"] == "In outbox: friendly reminder"
    assert statuses["Pinecrest Architects"] == "Paid"
    assert statuses["Brightwave Media Productions"] == "Not sent: disputed"
    log = pd.read_excel(demo / "receivables.xlsx", sheet_name="Reminder log", engine="calamine")
    assert len(log) == len(EXPECTED_SENDS)


def test_second_run_the_same_day_sends_nothing_and_says_so(demo: Path) -> None:
    run_json(demo)
    emls = sorted((demo / "outbox").rglob("*.eml"))
    workbook = (demo / "receivables.xlsx").read_bytes()
    code, out, err = invoke("run", "--config", str(demo / "xlsdun.toml"), "--today", TODAY)
    assert code == 0, err
    assert "Nothing new to send today" in out
    assert sorted((demo / "outbox").rglob("*.eml")) == emls
    assert (demo / "receivables.xlsx").read_bytes() == workbook  # nothing changed to write
    again = run_json(demo)
    assert not [
        d
        for d in again["debtors"]
        if d["outcome"] == "written_to_outbox" and "already" not in d.get("detail", "")
    ]


def test_each_debtor_gets_their_language_and_hebrew_is_right_to_left(demo: Path) -> None:
    data = run_json(demo)
    sheet = pd.read_excel(
        demo / "receivables.xlsx", sheet_name="Receivables", header=3, engine="calamine"
    )
    language = dict(zip(sheet["Customer"], sheet["Language"], strict=False))
    seen = {"he": 0, "en": 0}
    for entry in data["debtors"]:
        if entry["outcome"] != "written_to_outbox":
            continue
        (path,) = [
            p
            for p in (demo / "outbox" / TODAY).glob("*.eml")
            if entry["message_id"].encode() in p.read_bytes()
        ]
        msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        html = msg.get_body(("html",)).get_content()
        lang = language[entry["customer"]]
        if lang == "he":
            assert '<html lang="he" dir="rtl">' in html and 'dir="rtl" lang="he"' in html
            assert "בברכה" in msg.get_body(("plain",)).get_content()
        else:
            assert 'dir="rtl"' not in html and "Kind regards" in html
        seen[lang] += 1
    assert seen["he"] >= 5 and seen["en"] >= 5


def test_missing_required_column_exits_2_naming_it(demo: Path, tmp_path: Path) -> None:
    import openpyxl

    book = tmp_path / "receivables.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["Customer", "Email", "Invoice #", "Amount"])
    wb.active.append(["Acme", "a@acme.example.com", "1", 10])
    wb.save(book)
    toml = demo / "xlsdun.toml"
    toml.write_text(
        toml.read_text().replace('path = "receivables.xlsx"', f'path = "{book.as_posix()}"'),
        encoding="utf-8",
    )
    toml.write_text(toml.read_text().replace('sheet = "Receivables"', ""), encoding="utf-8")
    code, out, err = invoke("run", "--config", str(toml), "--today", TODAY)
    assert code == 2
    assert "due_date" in err and "'Customer'" in err and "'Amount'" in err
    assert "Traceback" not in err + out
    assert not (demo / "outbox").exists()


def test_bad_config_names_file_and_key(demo: Path) -> None:
    toml = demo / "xlsdun.toml"
    toml.write_text(
        toml.read_text().replace("cadence_days = 7", 'cadence_days = "weekly"'), encoding="utf-8"
    )
    code, _, err = invoke("plan", "--config", str(toml), "--today", TODAY)
    assert code == 2
    assert "xlsdun.toml" in err and "policy.cadence_days" in err


def test_plan_json_writes_and_sends_nothing(demo: Path) -> None:
    workbook = (demo / "receivables.xlsx").read_bytes()
    code, out, _ = invoke("plan", "--config", str(demo / "xlsdun.toml"), "--today", TODAY, "--json")
    assert code == 0
    data = json.loads(out)
    assert {d["action"] for d in data["debtors"]} == {"send", "skip", "manual", "await_approval"}
    assert data["findings"] == []
    assert (demo / "receivables.xlsx").read_bytes() == workbook
    assert not (demo / "outbox").exists() and not (demo / ".xlsdun").exists()


def test_quiet_prints_nothing_and_real_console_script(demo: Path) -> None:
    exe = Path(sys.executable).with_name("xlsdun")
    result = subprocess.run(
        [str(exe), "run", "--config", str(demo / "xlsdun.toml"), "--today", TODAY, "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    assert len(list((demo / "outbox" / TODAY).glob("*.eml"))) == len(EXPECTED_SENDS)


def test_dry_run_records_nothing_outside_its_folder(demo: Path) -> None:
    workbook = (demo / "receivables.xlsx").read_bytes()
    data = run_json(demo, "--dry-run")
    assert data["dry_run"] is True
    assert (demo / "receivables.xlsx").read_bytes() == workbook
    assert not (demo / "outbox").exists()
    assert len(list((demo / ".xlsdun" / "dry-run").rglob("*.eml"))) == len(EXPECTED_SENDS)
    assert not (demo / ".xlsdun" / "ledger.sqlite3").exists()
    assert sorted(p.name for p in (demo / ".xlsdun").iterdir()) == ["dry-run"]


def test_a_dry_run_and_a_preview_keep_each_others_files(demo: Path) -> None:
    """Both cleared the same folder: the dry run deleted the gallery preview had just shown."""
    toml = str(demo / "xlsdun.toml")
    assert invoke("preview", "--config", toml, "--today", TODAY)[0] == 0
    gallery = demo / ".xlsdun" / "preview" / TODAY / "index.html"
    assert gallery.exists()
    run_json(demo, "--dry-run")
    assert gallery.exists()
    assert invoke("preview", "--config", toml, "--today", TODAY)[0] == 0
    assert list((demo / ".xlsdun" / "dry-run" / TODAY).glob("*.eml"))


def test_version_init_and_check(tmp_path: Path, demo: Path) -> None:
    code, out, _ = invoke("--version")
    assert code == 0 and "xlsdun" in out
    code, out, _ = invoke("init", str(tmp_path / "new"))
    assert code == 0
    assert (tmp_path / "new" / "xlsdun.toml").exists()
    assert (tmp_path / "new" / "templates" / "he" / "final.html.j2").exists()
    code, _, err = invoke("init", str(tmp_path / "new"))
    assert code == 2 and "already exists" in err
    code, out, err = invoke("check", "--config", str(demo / "xlsdun.toml"))
    assert code == 0, err
    assert "Templates" in out and "header row 4" in out


def test_wheel_ships_the_templates(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (wheel,) = tmp_path.glob("xlsdun-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for lang in ("en", "he"):
        for tier in ("courtesy", "friendly", "direct", "plan", "final"):
            for part in ("subject", "txt", "html"):
                assert f"xlsdun/templates/{lang}/{tier}.{part}.j2" in names


def test_run_dates_that_would_rewrite_history_are_refused(demo: Path) -> None:
    run_json(demo)
    toml = str(demo / "xlsdun.toml")
    code, out, err = invoke("run", "--config", toml, "--today", "2026-11-19")
    assert code == 2 and "already run as of 2026-11-26" in err and "--force" in err
    code, out, err = invoke("run", "--config", toml, "--today", "2099-11-26")
    assert code == 2 and "--today 2099-11-26 is after today" in err
    code, out, _ = invoke("plan", "--config", toml, "--today", "2026-11-19")
    assert code == 0  # looking at another date is always fine
    code, _, err = invoke("run", "--config", toml, "--today", "2026-11-19", "--force")
    assert code == 0, err


def test_a_run_names_its_report_in_the_owners_language(demo: Path) -> None:
    """The terminal stays English; its last lines name the HTML report, which is the same run
    in `[owner] language` (Hebrew here), and the command that opens it."""
    toml = demo / "xlsdun.toml"
    toml.write_text(toml.read_text("utf-8").replace('language = "en"', 'language = "he"', 1))
    code, out, err = invoke("run", "--config", str(toml), "--today", TODAY)
    assert code == 0, err
    page = demo / ".xlsdun" / "reports" / f"{TODAY}.html"
    assert " ".join(out.split()).endswith(f"Report: {page} (open it with 'xlsdun report').")
    assert 'lang="he"' in page.read_text("utf-8")
