"""The reader's row findings in the owner's language: each carries its problem as a key and
parameters (problems.py), so a Hebrew owner's sheet statuses, digest and report say it in
Hebrew, and the English stays word for word what `xlsdun check` has always shown."""

from __future__ import annotations

import email
import email.policy
import re
import string
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from support.sample_setup import TODAY, invoke, make_workbook, run_json
from xlsdun.models import Finding
from xlsdun.owner_words import CATALOG, words
from xlsdun.problem_catalog import EN as PROBLEMS_EN
from xlsdun.problem_catalog import HE as PROBLEMS_HE
from xlsdun.problems import FSI, PDI, problem
from xlsdun.sheetview import _noted

HE, EN = words("he"), words("en")
LONG_NAME = "Northwind-" * 30  # 300 characters: a customer name is at most 200
ISOLATED = re.compile(f"{FSI}[^{FSI}{PDI}]*{PDI}")


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


# -- the catalog ----------------------------------------------------------------------------


def test_every_problem_and_field_has_both_languages_with_the_same_placeholders() -> None:
    assert set(PROBLEMS_EN) == set(PROBLEMS_HE), set(PROBLEMS_EN) ^ set(PROBLEMS_HE)
    for key, text in PROBLEMS_EN.items():
        assert fields(PROBLEMS_HE[key]) == fields(text), key
        assert PROBLEMS_HE[key].strip(), key
        assert CATALOG["en"][key] == text and CATALOG["he"][key] == PROBLEMS_HE[key], key
    for key, text in PROBLEMS_HE.items():  # Hebrew names columns by gloss, never in Latin
        latin = re.sub(r"\{[^}]*\}", "", text)
        assert not re.search(r"[A-Za-z]", latin), (key, text)


def test_every_problem_the_reader_makes_is_in_the_catalog() -> None:
    """The keys the reader's code names (problem("...")) are the catalog's, and back."""
    src = Path(__file__).resolve().parents[1] / "src" / "xlsdun"
    code = "\n".join(p.read_text("utf-8") for p in (src / "workbook").glob("*.py"))
    named = set(re.findall(r'problem\(\s*f?"([a-z0-9_{}]+)"', code))
    named |= set(re.findall(r'"(not_[a-z_]+|excel_error_in_[a-z]+)"', code))
    named = {n for n in named if "{" not in n} | {"bad_email", "bad_cc"}  # f"bad_{field}"
    keys = {k.removeprefix("problem.") for k in PROBLEMS_EN if k.startswith("problem.")}
    assert named == keys, named ^ keys


def test_a_problem_is_its_english_sentence_and_carries_its_key() -> None:
    said = problem("not_a_date", cell="31/02/2026")
    assert said == "'31/02/2026' is not a date" and isinstance(said, str)
    assert said.key == "not_a_date" and said.params == {"cell": "31/02/2026"}
    assert HE.problem(said) == f"הערך {FSI}'31/02/2026'{PDI} אינו תאריך תקין"
    assert EN.problem(said) == "'31/02/2026' is not a date"
    assert HE.problem("some older text") == "some older text"  # no key: as it is
    import pickle

    again = pickle.loads(pickle.dumps(said))
    assert again == said and again.key == "not_a_date" and again.params == said.params


def test_a_hostile_cell_stays_escaped_and_inside_its_isolate() -> None:
    """A direction override or a line break in a quoted cell is escaped (repr), so it can
    neither turn the Hebrew around it nor break the status line."""
    said = problem("bad_email", cell="a\u202eb\nc@x")
    text = HE.problem(said)
    assert "\u202e" not in text and "\n" not in text and "\\u202e" in text
    assert text.count(FSI) == 1 and text.count(PDI) == 1


def test_a_row_status_lists_its_findings_in_the_owners_words() -> None:
    findings = [
        Finding(4, "due_date", problem("not_a_date", cell="soon"), "INV-4"),
        Finding(4, "balance", problem("no_balance"), "INV-4"),
    ]
    assert _noted(None, findings, EN) == (
        "Skipped: due_date: 'soon' is not a date; balance: no balance (and no amount)"
    )
    assert _noted(None, findings, HE) == (
        f"השורה דולגה – תאריך פירעון: הערך {FSI}'soon'{PDI} אינו תאריך תקין; "
        "יתרה: חסרה (וגם אין סכום)"
    )


# -- a run over a workbook with one of each problem --------------------------------------------

ROWS: list[dict[str, object]] = [
    {"Customer": "Alpha Ltd", "Email": "alpha@example.com", "Invoice #": "INV-1",
     "Due date": date(2026, 11, 1), "Balance": 500.0, "Language": "en"},
    {"Customer": "Bad Date Ltd", "Email": "bd@example.com", "Invoice #": "INV-2",
     "Due date": "31/02/2026", "Balance": 300.0, "Language": "en"},
    {"Customer": "Bad Amount Ltd", "Email": "ba@example.com", "Invoice #": "INV-3",
     "Due date": date(2026, 11, 1), "Balance": "lots", "Language": "en"},
    {"Customer": None, "Email": "nobody@example.com", "Invoice #": "INV-4",
     "Due date": date(2026, 11, 1), "Balance": 200.0, "Language": "en"},
    {"Customer": "Bad Mail Ltd", "Email": "not-an-address", "Invoice #": "INV-5",
     "Due date": date(2026, 11, 1), "Balance": 400.0, "Language": "en", "Phone": "03-5551234"},
    {"Customer": "Twice Ltd", "Email": "tw@example.com", "Invoice #": "INV-6",
     "Due date": date(2026, 11, 1), "Balance": 100.0, "Language": "en"},
    {"Customer": "Twice Ltd", "Email": "tw@example.com", "Invoice #": "INV-6",
     "Due date": date(2026, 11, 2), "Balance": 150.0, "Language": "en"},
    {"Customer": LONG_NAME, "Email": "long@example.com", "Invoice #": "INV-8",
     "Due date": date(2026, 11, 1), "Balance": 100.0, "Language": "en"},
]  # fmt: skip
PROBLEM_ROWS = range(3, 10)  # the sheet's rows 3-9 (row 1 is the header, row 2 Alpha)

ENGLISH = {
    3: "Skipped: due_date: '31/02/2026' is not a date",
    4: "Skipped: balance: 'lots' is not an amount",
    5: "Skipped: customer: customer name is empty",
    7: "Skipped: invoice: duplicate invoice number 'INV-6' (also in row 8)",
    8: "Skipped: invoice: duplicate invoice number 'INV-6' (also in row 7)",
    9: f"Skipped: customer: {LONG_NAME[:60] + '…'!r} is 300 characters long (xlsdun takes "
    "at most 200)",
}
HEBREW = {
    3: f"השורה דולגה – תאריך פירעון: הערך {FSI}'31/02/2026'{PDI} אינו תאריך תקין",
    4: f"השורה דולגה – יתרה: הערך {FSI}'lots'{PDI} אינו סכום תקין",
    5: "השורה דולגה – שם לקוח: חסר",
    7: f"השורה דולגה – מספר חשבונית: המספר {FSI}'INV-6'{PDI} כפול (מופיע גם בשורה 8)",
    8: f"השורה דולגה – מספר חשבונית: המספר {FSI}'INV-6'{PDI} כפול (מופיע גם בשורה 7)",
    9: f"השורה דולגה – שם לקוח: הטקסט {FSI}{LONG_NAME[:60] + '…'!r}{PDI} ארוך מדי: 300 תווים "
    "(מותר עד 200)",
}


def _run(folder: Path, language: str) -> tuple[dict[int, str], str, str]:
    """Run the sample's config over ROWS with `[owner] language`: each row's status cell, and
    the digest's text and HTML."""
    config = make_workbook(folder, ROWS)
    config.write_text(
        config.read_text("utf-8").replace('language = "en"\n', f'language = "{language}"\n'),
        "utf-8",
    )
    run_json(folder)
    sheet = pd.read_excel(folder / "receivables.xlsx", header=0, engine="calamine", dtype=str)
    status = {int(i) + 2: s for i, s in sheet["Reminder status"].items()}
    data = (folder / "outbox" / f"digest-{TODAY}.eml").read_bytes()
    msg = email.message_from_bytes(data, policy=email.policy.default)
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    return status, text, html


@pytest.mark.parametrize("language", ["en", "he"])
def test_every_problem_reaches_the_sheet_and_the_digest_in_the_owners_language(
    tmp_path: Path, language: str
) -> None:
    status, text, html = _run(tmp_path, language)
    expected = ENGLISH if language == "en" else HEBREW
    for row, said in expected.items():
        assert status[row] == said, (row, status[row])
    mail = status[6]  # not skipped: on the call list, the finding after its status
    if language == "en":
        assert mail.endswith(" (email: invalid email address 'not-an-address')"), mail
        assert "Row 3: due_date: '31/02/2026' is not a date" in text
        assert "Row 6: email: invalid email address 'not-an-address'" in text
    else:
        assert mail.endswith(f" (מייל: הכתובת {FSI}'not-an-address'{PDI} אינה תקינה)"), mail
        assert f"שורה 3 – תאריך פירעון: הערך {FSI}'31/02/2026'{PDI} אינו תאריך תקין" in text
        assert f"שורה 6 – מייל: הכתובת {FSI}'not-an-address'{PDI} אינה תקינה" in text
        # every status and digest note: Hebrew, no English word outside the quoted cells
        notes = [line for line in text.splitlines() if line.strip().startswith("- שורה")]
        notes += re.findall(r"<li dir=\"auto\">(שורה [^<]*)</li>", html)
        assert len(notes) == 2 * len(PROBLEM_ROWS), notes
        for said in [*(status[r] for r in PROBLEM_ROWS), *notes]:
            assert not re.search(r"[A-Za-z]", ISOLATED.sub("", said)), said
        # read back with its isolates, each status is what it should say: nothing to rewrite
        assert run_json(tmp_path)["workbook_written"] is False


# -- the inbox's findings ----------------------------------------------------------------------


def test_the_inbox_details_xlsdun_words_itself_are_in_the_owners_language(tmp_path: Path) -> None:
    """An auto-reply known by its subject and a bounce that gives no reason: xlsdun's own
    words, so a Hebrew owner reads them in Hebrew; a server's words stay as they came."""
    from xlsdun.inbox import store
    from xlsdun.inbox.classify import OUT_OF_OFFICE, UNDELIVERABLE
    from xlsdun.inbox.digest import inbox_lines
    from xlsdun.ledger import Ledger

    today = date.fromisoformat(TODAY)
    found = [
        store.Processed("INBOX", 1, 1, "<a@x>", today, "auto_reply", None, "Dana", "d@x.example",
                        OUT_OF_OFFICE),
        store.Processed("INBOX", 1, 2, "<b@x>", today, "bounce", None, "Eli", "m@x.example",
                        UNDELIVERABLE),
        store.Processed("INBOX", 1, 3, "<c@x>", today, "bounce", None, "Gil", "m@x.example",
                        "550 5.1.1 no such user"),
    ]  # fmt: skip
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        for p in found:
            assert store.record(ledger, p)
        he = [line.detail for line in inbox_lines(ledger, today, HE)]
        en = [line.detail for line in inbox_lines(ledger, today, EN)]
    assert he == [
        "הנושא מעיד על היעדרות מהמשרד",
        "לא ניתן היה למסור את המייל",
        "550 5.1.1 no such user",
    ]
    assert en == ["out-of-office subject", "returned as undeliverable", "550 5.1.1 no such user"]


# -- a debtor one of whose rows could not be read ---------------------------------------------

UNREAD_ROWS: list[dict[str, object]] = [
    {"Customer": "Moshe Electric", "Email": "moshe@example.com", "Invoice #": "INV-1001",
     "Due date": date(2026, 10, 20), "Balance": "abc", "Language": "en"},
    {"Customer": "Moshe Electric", "Email": "moshe@example.com", "Invoice #": "INV-1002",
     "Due date": date(2026, 11, 20), "Balance": 1234.5, "Language": "en"},
    {"Customer": "Other Ltd", "Email": "other@example.com", "Invoice #": "INV-1003",
     "Due date": date(2026, 11, 20), "Balance": 800.0, "Language": "en"},
]  # fmt: skip


@pytest.mark.parametrize("language", ["en", "he"])
def test_a_debtor_whose_row_could_not_be_read_gets_no_reminder(
    tmp_path: Path, language: str
) -> None:
    """Moshe's older invoice has "abc" for a balance: a reminder for the other alone would
    ask for less than he owes, at too mild a tier. Nothing goes to him until the row is fixed,
    and his readable row says why in the owner's language; the other debtor is reminded."""
    config = make_workbook(tmp_path, UNREAD_ROWS)
    config.write_text(
        config.read_text("utf-8").replace('language = "en"\n', f'language = "{language}"\n'),
        "utf-8",
    )
    data = run_json(tmp_path)
    actions = {d["customer"]: d for d in data["debtors"]}
    assert actions["Moshe Electric"]["action"] == "skip"
    assert actions["Moshe Electric"]["reason"] == (
        "this customer's row 2 could not be used; once it is fixed, the reminder will go out "
        "on the next run"
    )
    assert actions["Other Ltd"]["outcome"] == "written_to_outbox"
    sheet = pd.read_excel(tmp_path / "receivables.xlsx", engine="calamine", dtype=str)
    status = sheet["Reminder status"].tolist()
    expected = {
        "en": "Not sent: this customer's row 2 could not be used; once it is fixed, the "
        "reminder will go out on the next run",
        "he": "לא נשלחה: שורה 2 של לקוח זה לא נקלטה; לאחר תיקונה, התזכורת תישלח בריצה הבאה",
    }[language]
    assert status[1] == expected
    assert status[0].startswith({"en": "Skipped: balance:", "he": "השורה דולגה – יתרה:"}[language])
    # the digest lists him among what was held back, and why
    digest = tmp_path / "outbox" / f"digest-{TODAY}.eml"
    msg = email.message_from_bytes(digest.read_bytes(), policy=email.policy.default)
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    held = text[text.index(words(language)("h.deferred").upper()) :]
    assert "Moshe Electric: " in held.split("\n\n")[0], held[:400]


def test_a_day_with_only_calls_and_broken_rows_still_tells_the_owner(tmp_path: Path) -> None:
    """Nothing to email, but a customer 56 days late with no valid address to call and a row
    that could not be read: the run does not say "Nothing is due today", and the owner gets
    the day's digest (once: a second run finds nothing new to tell)."""
    rows: list[dict[str, object]] = [
        {"Customer": "No Mail Ltd", "Email": "not-an-address", "Invoice #": "INV-1",
         "Due date": date(2026, 10, 1), "Balance": 3200.0, "Language": "en",
         "Phone": "03-5551234"},
        {"Customer": "Broken Ltd", "Email": "b@example.com", "Invoice #": "INV-2",
         "Due date": date(2026, 11, 1), "Balance": "abc", "Language": "en"},
    ]  # fmt: skip
    config = make_workbook(tmp_path, rows)
    code, out, err = invoke("run", "--config", str(config), "--today", TODAY)
    assert code == 0, err
    assert "Nothing is due today" not in out
    assert "No reminders to send today, but some things need your attention (see below)." in out
    digest = tmp_path / "outbox" / f"digest-{TODAY}.eml"
    assert digest.exists()
    body = email.message_from_bytes(digest.read_bytes(), policy=email.policy.default)
    text = body.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "No Mail Ltd" in text and "Row 3: balance: 'abc' is not an amount" in text
    assert "ran, but 2 rows need fixing" in text  # not "OK": the bad address and the bad balance
    assert str(body["Subject"]).endswith("1 to call, 2 rows to fix, no reminders sent")
    html = body.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "#fff4e0" in html and "ran, but 2 rows need fixing" in html  # an amber badge
    first = digest.read_bytes()
    assert invoke("run", "--config", str(config), "--today", TODAY)[0] == 0
    assert digest.read_bytes() == first  # nothing new: no second digest
    # a Saturday with the same news: no digest (only what went wrong or out)
    assert invoke("run", "--config", str(config), "--today", "2026-11-28")[0] == 0
    assert not (tmp_path / "outbox" / "digest-2026-11-28.eml").exists()


def test_a_hebrew_owner_reads_the_sheets_own_hebrew_headers(tmp_path: Path) -> None:
    """With Hebrew headers, a Hebrew owner's texts name the column as the sheet does
    ("אימייל", "מועד תשלום"), which is what they look for; a header with a direction
    override is not trusted, and the column's usual Hebrew name stands in."""
    rows: list[dict[str, object]] = [
        {"לקוח": "אלפא בע״מ", "אימייל": "x@", "מספר חשבונית": "1",
         "מועד תשלום": date(2026, 11, 1), "יתרה": 500.0, "שפה": "he"},
        {"לקוח": "בטא בע״מ", "אימייל": "b@example.com", "מספר חשבונית": "2",
         "מועד תשלום": "31/02/2026", "יתרה": 300.0, "שפה": "he"},
    ]  # fmt: skip
    config = make_workbook(tmp_path, rows)
    config.write_text(
        config.read_text("utf-8").replace('language = "en"\n', 'language = "he"\n'), "utf-8"
    )
    run_json(tmp_path)
    sheet = pd.read_excel(tmp_path / "receivables.xlsx", engine="calamine", dtype=str)
    status = sheet["Reminder status"].tolist()
    assert status[0].endswith(f"(אימייל: הכתובת {FSI}'x@'{PDI} אינה תקינה)"), status[0]
    assert status[1] == f"השורה דולגה – מועד תשלום: הערך {FSI}'31/02/2026'{PDI} אינו תאריך תקין"
    assert HE.finding("email", "x", "\u202eאימייל") == "מייל: x"  # an override: the gloss
    assert HE.finding("email", "x", "Email") == "מייל: x"  # Latin: the gloss
    assert EN.finding("email", "x", "אימייל") == "email: x"  # English keeps the field's name


def test_only_a_row_that_looks_like_an_invoice_holds_its_customer(tmp_path: Path) -> None:
    """Held: a bad row that names its customer another way than the good row does (an id
    there, the name only here; an invalid email beside the name). Not held: a customer's title
    row, a hand-made subtotal or a note, which are no invoice (their finding is all they get);
    and a customer with no email stays on the call list."""
    rows: list[dict[str, object]] = [
        {"Customer": "Alpha Ltd", "Customer ID": "C1", "Email": "a@example.com",
         "Invoice #": "A-1", "Due date": date(2026, 11, 1), "Balance": 100.0},
        {"Customer": "Alpha Ltd", "Customer ID": None, "Email": None,
         "Invoice #": "A-2", "Due date": date(2026, 10, 1), "Balance": "abc"},
        {"Customer": "Beta Ltd", "Customer ID": None, "Email": "b@example.com",
         "Invoice #": "B-1", "Due date": date(2026, 11, 1), "Balance": 100.0},
        {"Customer": "Beta Ltd", "Customer ID": None, "Email": "b@beta",
         "Invoice #": "B-2", "Due date": date(2026, 10, 1), "Balance": "abc"},
        {"Customer": "Gamma Ltd", "Customer ID": None, "Email": "g@example.com",
         "Invoice #": None, "Due date": None, "Balance": None},  # a title row
        {"Customer": "Gamma Ltd", "Customer ID": None, "Email": "g@example.com",
         "Invoice #": "G-1", "Due date": date(2026, 11, 1), "Balance": 100.0},
        {"Customer": "Gamma Ltd", "Customer ID": None, "Email": "g@example.com",
         "Invoice #": None, "Due date": None, "Balance": 100.0},  # a hand-made subtotal
        {"Customer": "Delta Ltd", "Customer ID": None, "Email": None, "Phone": "050-1234567",
         "Invoice #": "D-1", "Due date": date(2026, 5, 1), "Balance": 900.0},
        {"Customer": "Delta Ltd", "Customer ID": None, "Email": None, "Phone": "050-1234567",
         "Invoice #": "D-2", "Due date": date(2026, 5, 1), "Balance": "abc"},
    ]  # fmt: skip
    make_workbook(tmp_path, rows)
    data = run_json(tmp_path)
    actions = {d["customer"]: d for d in data["debtors"]}
    assert actions["Alpha Ltd"]["action"] == "skip", actions["Alpha Ltd"]
    assert "row 3 could not be used" in actions["Alpha Ltd"]["reason"]
    assert actions["Beta Ltd"]["action"] == "skip", actions["Beta Ltd"]
    assert "row 5 could not be used" in actions["Beta Ltd"]["reason"]
    assert actions["Gamma Ltd"]["outcome"] == "written_to_outbox", actions["Gamma Ltd"]
    assert actions["Delta Ltd"]["action"] == "manual"  # still to call: no email address
    assert {f["row"] for f in data["findings"]} >= {3, 5, 6, 8, 10}


@pytest.mark.parametrize(
    ("customer_id", "email"), [("C1", "a@x.example"), (None, "A@X.example "), (None, None)]
)
def test_an_invoices_group_key_is_the_first_of_the_keys_it_names(
    customer_id: str | None, email: str | None
) -> None:
    """`debtor_key` (made alone, per invoice) is `debtor_keys`' first: a skipped row naming
    the debtor the same way is matched to the same group."""
    from decimal import Decimal

    from xlsdun.models import Invoice

    inv = Invoice(2, " Acme  Ltd ", "I1", date(2026, 11, 1), Decimal(1), "ILS", email,
                  customer_id=customer_id)  # fmt: skip
    assert inv.debtor_key == inv.names[0]
    assert inv.names[-1] == "name:acme ltd"
