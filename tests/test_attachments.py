"""Invoice attachments from the sheet: attached when present; a missing file is the owner's job."""

from __future__ import annotations

import json
import os
import resource
import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from support.message_setup import action, invoice, parse
from support.sample_setup import EXPECTED_SENDS, TODAY, copy_sample, invoke, run_cli, set_cells
from support.smtp_server import sheet_statuses
from xlsdun import config as config_mod
from xlsdun.attachments import Refusal
from xlsdun.cli import main
from xlsdun.models import Action
from xlsdun.render import MissingAttachment, Renderer
from xlsdun.wiring import make_renderer
from xlsdun.workbook import write_back


def test_missing_attachment_fails_that_debtor_then_a_same_day_rerun_sends(tmp_path: Path) -> None:
    copy_sample(tmp_path)
    book = tmp_path / "receivables.xlsx"
    sheet = pd.read_excel(book, sheet_name="Receivables", header=3, engine="calamine")
    rows = [int(i) + 5 for i in sheet.index[sheet["Customer"] == "Blue Cedar Catering"]]
    write_back(
        book,
        sheet="Receivables",
        header_row=4,
        updates={r: {"Attachment": "invoices/INV-1079.pdf"} for r in rows},
    )
    args = ["run", "--config", str(tmp_path / "xlsdun.toml"), "--today", "2026-11-26", "--json"]

    first = CliRunner().invoke(main, args)
    assert first.exit_code == 1  # a delivery failed: the owner must act
    outcome = {d["customer"]: d for d in json.loads(first.stdout)["debtors"]}
    assert outcome["Blue Cedar Catering"]["outcome"] == "failed"
    assert "INV-1079.pdf" in outcome["Blue Cedar Catering"]["detail"]
    assert outcome["Atlas Software Inc."]["outcome"] == "written_to_outbox"  # the run went on
    status = pd.read_excel(book, sheet_name="Receivables", header=3, engine="calamine")
    text = status.loc[status["Invoice #"] == "INV-1079", "Reminder status"].iloc[0]
    assert text == "Failed: attachment file not found: invoices/INV-1079.pdf (invoice INV-1079)"

    (tmp_path / "invoices").mkdir()
    (tmp_path / "invoices" / "INV-1079.pdf").write_bytes(b"%PDF-1.4 invoice\n")
    second = CliRunner().invoke(main, args)
    assert second.exit_code == 0, second.stderr
    outcome = {d["customer"]: d for d in json.loads(second.stdout)["debtors"]}
    assert outcome["Blue Cedar Catering"]["outcome"] == "written_to_outbox"
    emls = [p for p in (tmp_path / "outbox").rglob("*.eml") if "Blue-Cedar" in p.name]
    assert len(emls) == 1
    msg = parse(emls[0].read_bytes())
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_filename() == "INV-1079.pdf"
    assert attachment.get_content() == b"%PDF-1.4 invoice\n"
    # everyone else was not sent twice
    assert len([p for p in (tmp_path / "outbox").rglob("*.eml") if "digest" not in p.name]) == 14


def test_dry_run_and_preview_show_a_missing_attachment_without_stopping(tmp_path: Path) -> None:
    copy_sample(tmp_path)
    book = tmp_path / "receivables.xlsx"
    sheet = pd.read_excel(book, sheet_name="Receivables", header=3, engine="calamine")
    row = int(sheet.index[sheet["Invoice #"] == "INV-1079"][0]) + 5
    write_back(
        book, sheet="Receivables", header_row=4, updates={row: {"Attachment": "missing.pdf"}}
    )
    toml = str(tmp_path / "xlsdun.toml")
    dry = CliRunner().invoke(
        main, ["run", "--dry-run", "--config", toml, "--today", "2026-11-26", "--json"]
    )
    assert dry.exit_code == 1
    outcome = {d["customer"]: d for d in json.loads(dry.stdout)["debtors"]}
    assert "missing.pdf" in outcome["Blue Cedar Catering"]["detail"]
    assert outcome["Atlas Software Inc."]["outcome"] == "skipped"  # rendered, not sent
    shown = CliRunner().invoke(main, ["preview", "--config", toml, "--today", "2026-11-26"])
    assert shown.exit_code == 0, shown.stderr
    index = (tmp_path / ".xlsdun" / "preview" / "2026-11-26" / "index.html").read_text("utf-8")
    assert "Will not be sent" in index and "missing.pdf" in index


# -- the rule: attachments come only from the attachments folder -------------------------------

SECRET = "canary-7f3a-not-for-customers"
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
DAY = date(2026, 11, 26)


def build(tmp_path: Path) -> tuple[Path, Renderer]:
    """A workbook folder as a user has it (config, state folder with a ledger, an invoice PDF)
    and, beside it, files that must never be sent; the renderer for a run from that config."""
    folder = tmp_path / "books"
    toml = copy_sample(folder)
    (folder / ".xlsdun").mkdir()
    (folder / ".xlsdun" / "ledger.sqlite3").write_bytes(b"SQLite format 3\x00" + SECRET.encode())
    (folder / "invoices").mkdir()
    (folder / "invoices" / "INV-1.pdf").write_bytes(b"%PDF-1.4 the invoice\n")
    (folder / ".env").write_text(f"XLSDUN_SMTP_PASSWORD={SECRET}\n")
    (tmp_path / "outside.txt").write_text(SECRET)
    (folder / "gmail-oauth2.json").write_text(SECRET)
    text = toml.read_text(encoding="utf-8")
    toml.write_text(text + '\n[delivery.smtp]\noauth2_file = "gmail-oauth2.json"\n')
    cfg = config_mod.load(toml)
    return folder, make_renderer(cfg)


def debtor(*cells: str) -> Action:
    """Acme's invoices INV-1, INV-2, ... with these attachment cells."""
    invoices = (
        invoice(
            f"INV-{n + 1}",
            row=5 + n,
            due_date=date(2026, 11, 1),
            invoice_date=None,
            balance=Decimal("100"),
            attachment=cell,
        )
        for n, cell in enumerate(cells)
    )
    return action(*invoices, tier="friendly", language="en")


def refusal(renderer: Renderer, cell: str) -> MissingAttachment:
    """The refusal of a message whose only attachment is `cell`, within 10 seconds (a
    regression that blocks on a named pipe fails the test instead of hanging it)."""
    outcome: list[BaseException | object] = []

    def attempt() -> None:
        try:
            outcome.append(renderer.render(debtor(cell), today=DAY, now=NOW))
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            outcome.append(exc)

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(10)
    assert outcome, f"rendering with attachment {cell!r} did not finish in 10 s"
    assert isinstance(outcome[0], MissingAttachment), f"{cell!r} was attached"
    return outcome[0]


@pytest.mark.parametrize(
    ("cell", "why"),
    [
        ("/etc/passwd", Refusal.OUTSIDE),
        ("../../../../../../etc/hostname", Refusal.OUTSIDE),
        ("../outside.txt", Refusal.OUTSIDE),
        ("/proc/self/environ", Refusal.OUTSIDE),
        ("/dev/zero", Refusal.OUTSIDE),
        ("~/.bash_history", Refusal.PRIVATE),  # "~" is a name, not the home folder
        (".xlsdun/ledger.sqlite3", Refusal.PRIVATE),
        ("invoices/../.xlsdun/ledger.sqlite3", Refusal.PRIVATE),
        ("xlsdun.toml", Refusal.PRIVATE),
        ("XLSDUN.TOML", Refusal.PRIVATE),
        (".env", Refusal.PRIVATE),
        ("receivables.xlsx", Refusal.PRIVATE),  # the whole receivables ledger
        ("receivables.xlsdun.xlsx", Refusal.PRIVATE),  # its sidecar
        ("gmail-oauth2.json", Refusal.PRIVATE),  # [delivery.smtp] oauth2_file
        ("outbox/2026-11-26/someone-else.eml", Refusal.PRIVATE),
        ("invoices", Refusal.NOT_REGULAR),
        ("invoices/missing.pdf", Refusal.NOT_FOUND),
        ("bad\x00name.pdf", Refusal.NOT_FOUND),
    ],
)
def test_a_cell_naming_a_file_outside_or_private_is_refused(
    tmp_path: Path, cell: str, why: Refusal
) -> None:
    folder, renderer = build(tmp_path)
    (folder / "outbox" / "2026-11-26").mkdir(parents=True)
    (folder / "outbox" / "2026-11-26" / "someone-else.eml").write_text(SECRET)
    err = refusal(renderer, cell)
    assert err.refusal is why
    assert str(err).startswith(why.value.format(limit="10 MB"))
    assert "(invoice INV-1)" in str(err)


def test_a_state_folder_holding_the_attachments_folder_refuses_them_all_saying_why(
    tmp_path: Path,
) -> None:
    """With `state_dir = "."` every file beside the workbook is xlsdun's own: each cell was
    refused as "a hidden file or one of xlsdun's own files", a puzzle for the owner."""
    folder, _ = build(tmp_path)
    toml = folder / "xlsdun.toml"
    toml.write_text(toml.read_text("utf-8").replace('state_dir = ".xlsdun"', 'state_dir = "."'))
    renderer = make_renderer(config_mod.load(toml))
    err = refusal(renderer, "invoices/INV-1.pdf")
    assert err.refusal is Refusal.SHADOWED and "attachments_dir" in str(err)


def test_a_symlink_inside_the_folder_pointing_out_is_refused(tmp_path: Path) -> None:
    folder, renderer = build(tmp_path)
    (folder / "invoices" / "INV-9.pdf").symlink_to(tmp_path / "outside.txt")
    (folder / "invoices" / "env.pdf").symlink_to("/proc/self/environ")
    (folder / "invoices" / "state").symlink_to(folder / ".xlsdun")
    (folder / "invoices" / "config.pdf").symlink_to(folder / "xlsdun.toml")
    assert refusal(renderer, "invoices/INV-9.pdf").refusal is Refusal.OUTSIDE
    assert refusal(renderer, "invoices/env.pdf").refusal is Refusal.OUTSIDE
    assert refusal(renderer, "invoices/state/ledger.sqlite3").refusal is Refusal.PRIVATE
    assert refusal(renderer, "invoices/config.pdf").refusal is Refusal.PRIVATE


@pytest.mark.parametrize(
    "cell",
    [
        "~$receivables.xlsx",  # Excel's lock file beside the open workbook
        "invoices/~$INV-1.docx",  # Word's, in the attachments folder itself
        ".~lock.receivables.xlsx#",  # LibreOffice's
        "invoices/lock.pdf",  # a shortcut to Excel's lock file
    ],
)
def test_an_office_lock_file_is_refused_like_a_hidden_file(tmp_path: Path, cell: str) -> None:
    """Excel keeps "~$receivables.xlsx" beside a workbook while it is open, holding the name
    of whoever opened it; a cell naming it had it attached."""
    folder, renderer = build(tmp_path)
    lock = f"{SECRET} (the user who has the workbook open)".encode()
    for name in ("~$receivables.xlsx", "invoices/~$INV-1.docx", ".~lock.receivables.xlsx#"):
        (folder / name).write_bytes(lock)
    (folder / "invoices" / "lock.pdf").symlink_to(folder / "~$receivables.xlsx")
    assert refusal(renderer, cell).refusal is Refusal.PRIVATE
    (folder / "invoices" / "INV~$1.pdf").write_bytes(b"%PDF-1.4")  # "~$" not at the start
    msg = parse(renderer.render(debtor("invoices/INV~$1.pdf"), today=DAY, now=NOW))
    assert [a.get_filename() for a in msg.iter_attachments()] == ["INV~$1.pdf"]


def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    folder, renderer = build(tmp_path)
    os.mkfifo(folder / "invoices" / "INV-1.pdf.fifo")
    (folder / "invoices" / "pipe.pdf").symlink_to(folder / "invoices" / "INV-1.pdf.fifo")
    assert refusal(renderer, "invoices/INV-1.pdf.fifo").refusal is Refusal.NOT_REGULAR
    assert refusal(renderer, "invoices/pipe.pdf").refusal is Refusal.NOT_REGULAR


def test_a_file_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    folder, renderer = build(tmp_path)
    sparse = folder / "invoices" / "huge.pdf"
    with sparse.open("wb"):
        pass
    os.truncate(sparse, 2 * 1024**3)  # 2 GB that take no disk
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    err = refusal(renderer, "invoices/huge.pdf")
    assert err.refusal is Refusal.TOO_LARGE
    assert str(err).startswith("attachment refused: larger than 10 MB (max_attachment_mb)")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KB: not read
    os.truncate(sparse, 10 * 1024**2 + 1)  # one byte over
    assert refusal(renderer, "invoices/huge.pdf").refusal is Refusal.TOO_LARGE
    os.truncate(sparse, 10 * 1024**2)  # exactly the limit: attached
    msg = renderer.render(debtor("invoices/huge.pdf"), today=DAY, now=NOW)
    assert len(next(parse(msg).iter_attachments()).get_content()) == 10 * 1024**2


def test_a_pdf_inside_the_folder_is_still_attached(tmp_path: Path) -> None:
    folder, renderer = build(tmp_path)
    absolute = str(folder / "invoices" / "INV-1.pdf")
    msg = parse(renderer.render(debtor("invoices/INV-1.pdf", absolute), today=DAY, now=NOW))
    (attachment,) = list(msg.iter_attachments())  # the same file twice: attached once
    assert attachment.get_filename() == "INV-1.pdf"
    assert attachment.get_content() == b"%PDF-1.4 the invoice\n"


def test_attachments_dir_and_max_attachment_mb_are_configured(tmp_path: Path) -> None:
    folder, _ = build(tmp_path)
    (folder / "pdfs").mkdir()
    (folder / "pdfs" / "INV-2.pdf").write_bytes(b"%PDF-1.4 " + b"x" * 600_000)
    toml = folder / "xlsdun.toml"
    text = toml.read_text(encoding="utf-8").replace(
        "[workbook]\n", '[workbook]\nattachments_dir = "pdfs"\nmax_attachment_mb = 0.5\n'
    )
    toml.write_text(text, encoding="utf-8")
    cfg = config_mod.load(toml)
    assert cfg.workbook.attachments_folder == folder / "pdfs"
    assert cfg.workbook.max_attachment_bytes == 512 * 1024
    renderer = make_renderer(cfg)
    # relative to the attachments folder now; the workbook's folder is outside it
    assert refusal(renderer, "invoices/INV-1.pdf").refusal is Refusal.NOT_FOUND
    assert refusal(renderer, "../invoices/INV-1.pdf").refusal is Refusal.OUTSIDE
    err = refusal(renderer, "INV-2.pdf")
    assert str(err).startswith("attachment refused: larger than 0.5 MB (max_attachment_mb)")
    (folder / "pdfs" / "INV-2.pdf").write_bytes(b"%PDF-1.4 small")
    msg = parse(renderer.render(debtor("INV-2.pdf"), today=DAY, now=NOW))
    assert next(msg.iter_attachments()).get_content() == b"%PDF-1.4 small"


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('attachments_dir = "no-such-folder"', "workbook.attachments_dir"),
        ("max_attachment_mb = 0", "workbook.max_attachment_mb"),
        ("max_attachment_mb = -3", "workbook.max_attachment_mb"),
        ('max_attachment_mb = "ten"', "workbook.max_attachment_mb"),
    ],
)
def test_bad_attachment_settings_stop_with_the_key_named(
    tmp_path: Path, line: str, problem: str
) -> None:
    toml = copy_sample(tmp_path)
    text = toml.read_text(encoding="utf-8").replace("[workbook]\n", f"[workbook]\n{line}\n")
    toml.write_text(text, encoding="utf-8")
    code, _, err = invoke("plan", "--config", str(toml), "--today", TODAY)
    assert code == 2 and problem in err and "Traceback" not in err


# -- the same rule in a real run, a dry run and a preview -------------------------------------

HOSTILE = {  # one debtor each; every one of them is due a reminder on TODAY
    "Northwind Interiors Ltd": ("/etc/passwd", "outside the attachments folder"),
    "מכולת השכונה - יוסי ובניו": ("../../../../etc/hostname", "outside the attachments folder"),
    "Blue Cedar Catering": ("~/secret.pdf", "attachment file not found"),
    "מספרת שירן": ("invoices/link.pdf", "outside the attachments folder"),
    "Atlas Software Inc.": (
        ".xlsdun/ledger.sqlite3",
        "a hidden file, an Office lock file or one of xlsdun's own",
    ),
    "Harbor Light Dental Clinic": (
        "xlsdun.toml",
        "a hidden file, an Office lock file or one of xlsdun's own",
    ),
    'נגרות אבו-חצירא בע"מ': ("/proc/self/environ", "outside the attachments folder"),
    "Fjord Design AB": ("invoices/pipe.pdf", "not an ordinary file"),
    "Oakridge Property Management": ("/dev/zero", "outside the attachments folder"),
    "קפה לנדוור רמת השרון": ("invoices/sparse.pdf", "larger than 10 MB (max_attachment_mb)"),
}
ATTACHED = "Silverline Fitness Studio"  # a real invoice PDF inside the folder


def hostile_sample(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """The sample with an Attachment cell per debtor above, the files they name, a home
    folder holding a secret and the environment a run gets (the secret in it too)."""
    folder = tmp_path / "books"
    copy_sample(folder)
    home = tmp_path / "home"
    home.mkdir()
    (home / "secret.pdf").write_text(SECRET)
    (tmp_path / "outside.txt").write_text(SECRET)
    invoices = folder / "invoices"
    invoices.mkdir()
    (invoices / "link.pdf").symlink_to(tmp_path / "outside.txt")
    os.mkfifo(invoices / "pipe.pdf")
    with (invoices / "sparse.pdf").open("wb"):
        pass
    os.truncate(invoices / "sparse.pdf", 2 * 1024**3)
    (invoices / "INV-1044.pdf").write_bytes(b"%PDF-1.4 Silverline invoice\n")
    cells = {c: {"Attachment": cell} for c, (cell, _) in HOSTILE.items()}
    cells[ATTACHED] = {"Attachment": "invoices/INV-1044.pdf"}
    set_cells(folder, cells)
    # the first run makes the state folder; the ledger and config must be there to be asked for
    return folder, {"HOME": str(home), "XLSDUN_SMTP_PASSWORD": SECRET}


def files_holding(folder: Path, *needles: bytes) -> list[Path]:
    """Regular files under `folder` (pipes and the sparse file left out) holding a needle."""
    found = []
    for path in folder.rglob("*"):
        if path.is_symlink() or not path.is_file() or path.stat().st_size > 50_000_000:
            continue
        data = path.read_bytes()
        if any(n in data for n in needles):
            found.append(path)
    return found


LEAKS = (SECRET.encode(), b"root:x:0:0", b"SQLite format 3", b"[workbook]", b"\x00" * 64)


def test_a_run_refuses_each_hostile_attachment_and_sends_everyone_else(tmp_path: Path) -> None:
    folder, env = hostile_sample(tmp_path)
    toml = str(folder / "xlsdun.toml")
    code, out, err = run_cli("run", "--config", toml, "--today", TODAY, "--json", env=env)
    assert code == 1, err  # some deliveries failed: the owner must act; nothing crashed
    assert "Traceback" not in err
    debtors = {d["customer"]: d for d in json.loads(out)["debtors"]}
    for customer, (_, why) in HOSTILE.items():
        assert debtors[customer]["outcome"] == "failed", customer
        assert why in debtors[customer]["detail"], (customer, debtors[customer]["detail"])
    sent = {c for c, d in debtors.items() if d["outcome"] == "written_to_outbox"}
    assert sent == set(EXPECTED_SENDS) - set(HOSTILE)  # the rest of the batch went out

    emls = {p.name: p for p in (folder / "outbox").rglob("*.eml")}
    (silverline,) = [p for n, p in emls.items() if "Silverline" in n]
    msg = parse(silverline.read_bytes())
    (pdf,) = list(msg.iter_attachments())
    assert pdf.get_content() == b"%PDF-1.4 Silverline invoice\n"
    assert files_holding(folder / "outbox", *LEAKS) == []

    statuses = sheet_statuses(folder)
    assert statuses["Fjord Design AB"] == {
        "Paid",
        "Failed: attachment refused: not an ordinary file: invoices/pipe.pdf (invoice INV-1087)",
    }
    # the owner's digest lists every refused debtor on the call list, with the reason
    digest = parse((folder / "outbox" / f"digest-{TODAY}.eml").read_bytes())
    text = digest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    calls = text[text.index("CALL LIST") :]
    for customer, (_, why) in HOSTILE.items():
        assert customer in calls and why in calls, customer

    # a second run the same day: the ledger and config now exist, and are still refused
    code, out, err = run_cli("run", "--config", toml, "--today", TODAY, "--json", env=env)
    assert code == 1, err
    debtors = {d["customer"]: d for d in json.loads(out)["debtors"]}
    assert "own files" in debtors["Atlas Software Inc."]["detail"]
    assert files_holding(folder / "outbox", *LEAKS) == []


def test_dry_run_and_preview_refuse_the_same_files_and_copy_nothing(tmp_path: Path) -> None:
    folder, env = hostile_sample(tmp_path)
    toml = str(folder / "xlsdun.toml")
    code, out, err = run_cli("run", "--config", toml, "--today", TODAY, "--json", env=env)
    assert code == 1, err  # a real run first: the state folder and ledger exist
    for args in (
        ("run", "--dry-run", "--config", toml, "--today", TODAY, "--json"),
        ("preview", "--config", toml, "--today", TODAY),
    ):
        code, out, err = run_cli(*args, env=env)
        assert code in (0, 1) and "Traceback" not in err, err
        if "--dry-run" in args:
            assert code == 1
            debtors = {d["customer"]: d for d in json.loads(out)["debtors"]}
            for customer, (_, why) in HOSTILE.items():
                assert debtors[customer]["detail"].startswith("would fail: "), customer
                assert why in debtors[customer]["detail"], customer
    preview = folder / ".xlsdun" / "preview"
    index = (preview / TODAY / "index.html").read_text("utf-8")
    assert "Will not be sent" in index and "outside the attachments folder" in index
    assert files_holding(preview, *LEAKS) == []
