"""The ledger's versioned schema: a new ledger, a real 0.1.0 ledger migrated, an unnumbered
ledger of the version before numbering, one from a newer xlsdun refused, and migrations that
apply in order, once, all or nothing."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from support.sample_setup import TODAY, copy_sample, invoke, run_json
from xlsdun import ledger_schema
from xlsdun.errors import EXIT_INPUT, XlsdunError
from xlsdun.ledger import Ledger
from xlsdun.ledger_schema import MIGRATIONS, VERSION, LedgerTooNew
from xlsdun.models import Action
from xlsdun.send_state import SendState

FIXTURES = Path(__file__).parent / "fixtures"
V010_DUMP = FIXTURES / "ledger-0.1.0.sql"
V010_HISTORY = FIXTURES / "ledger-0.1.0.history.json"


def build(path: Path, script: str) -> Path:
    """A SQLite file made by `script` alone (no xlsdun code involved)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    db.executescript(script)
    db.close()
    return path


def schema_script(migrations: int) -> str:
    """The SQL of the first MIGRATIONS, as a ledger of that version was made."""
    return ";\n".join(s for statements in MIGRATIONS[:migrations] for s in statements) + ";\n"


def user_version(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute("PRAGMA user_version").fetchone()[0])
    finally:
        db.close()


def schema(path: Path) -> dict[str, object]:
    """Every table's columns (name, type, not null, default, key) and every index's columns."""
    db = sqlite3.connect(path)
    try:
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        found: dict[str, object] = {
            table: [tuple(c[1:]) for c in db.execute(f"PRAGMA table_info('{table}')")]
            for table in sorted(names)
        }
        for (index,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'"):
            found[index] = [tuple(c) for c in db.execute(f"PRAGMA index_info('{index}')")]
        return found
    finally:
        db.close()


def history_as_json(ledger: Ledger) -> dict[str, object]:
    """Ledger.history() in the form the fixture's JSON was written in (by 0.1.0's code)."""
    return {
        debtor: {
            "contacts": [
                [c.day.isoformat(), c.tier, c.variant, c.message_id, list(c.invoices)]
                for c in h.contacts
            ],
            "approvals": sorted(map(list, h.approvals)),
            "thanked_invoices": sorted(h.thanked_invoices),
        }
        for debtor, h in sorted(ledger.history().items())
    }


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    """A ledger made by this xlsdun, closed."""
    path = tmp_path / "fresh" / "ledger.sqlite3"
    Ledger(path).close()
    return path


@pytest.fixture
def v010(tmp_path: Path) -> Path:
    """The ledger xlsdun 0.1.0 wrote (tests/fixtures/ledger-0.1.0.sql), as a file again."""
    return build(tmp_path / "v010" / "ledger.sqlite3", V010_DUMP.read_text("utf-8"))


def test_the_migrations_are_numbered_by_their_place() -> None:
    assert VERSION == len(MIGRATIONS) == 5
    assert all(statements for statements in MIGRATIONS)


def test_a_new_ledger_is_at_the_latest_version(fresh: Path) -> None:
    assert user_version(fresh) == VERSION
    assert set(schema(fresh)) >= {"runs", "sends", "approvals", "digest_items", "sends_by_state"}


def test_a_ledger_at_the_latest_version_is_opened_without_a_write(fresh: Path) -> None:
    """No write lock to open a current ledger: opening it while another connection writes
    does not wait."""
    writer = sqlite3.connect(fresh, isolation_level=None, timeout=0)
    writer.execute("BEGIN IMMEDIATE")
    try:
        with Ledger(fresh) as ledger:
            assert ledger.latest_run_day() is None
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_the_0_1_0_fixture_is_what_0_1_0_wrote(v010: Path) -> None:
    """Unnumbered, without the tables added since, and holding three runs' sends."""
    assert user_version(v010) == 0
    assert "digest_items" not in schema(v010)
    db = sqlite3.connect(v010)
    counts = dict(db.execute("SELECT today, COUNT(*) FROM sends GROUP BY today"))
    db.close()
    assert counts == {"2026-11-12": 7, "2026-11-19": 9, "2026-11-26": 12}


def test_a_0_1_0_ledger_is_migrated_to_todays_schema(v010: Path, fresh: Path) -> None:
    with Ledger(v010) as ledger:
        assert ledger.latest_run_day() == date(2026, 11, 26)
        assert ledger.sent_on(date(2026, 11, 26)) == 12
        assert {r.state for r in ledger.sends()} == {SendState.WRITTEN_TO_OUTBOX}
        assert history_as_json(ledger) == json.loads(V010_HISTORY.read_text("utf-8"))
        ledger.record_digest(date(2026, 11, 26), "owner@example.co.il", {"call:x"})
        assert ledger.digest_items(date(2026, 11, 26), "owner@example.co.il") == {"call:x"}
    assert user_version(v010) == VERSION
    assert schema(v010) == schema(fresh)


def test_a_run_on_a_migrated_0_1_0_ledger_sends_nothing_twice(tmp_path: Path, v010: Path) -> None:
    """0.1.0 sent twelve reminders on 2026-11-26; today's xlsdun, run again that day on its
    ledger, sends none of them again (nor anything else)."""
    folder = tmp_path / "biz"
    copy_sample(folder)
    ledger = folder / ".xlsdun" / "ledger.sqlite3"
    ledger.parent.mkdir()
    shutil.copy(v010, ledger)
    summary = run_json(folder)
    assert summary["today"] == TODAY
    assert [d["customer"] for d in summary["debtors"] if d["action"] == "send"] == []
    # no reminder written again; only the owner's digest (the call list still needs them)
    written = sorted(p.name for p in (folder / "outbox").rglob("*") if p.is_file())
    assert written == [f"digest-{TODAY}.eml"], written
    assert user_version(ledger) == VERSION
    db = sqlite3.connect(ledger)
    sends = db.execute("SELECT COUNT(*), COUNT(DISTINCT message_id) FROM sends").fetchone()
    db.close()
    assert sends == (28, 28)


def test_an_unnumbered_ledger_made_just_before_numbering_is_numbered(tmp_path: Path) -> None:
    """The versions between 0.1.0 and this one made every table, digest_items too, and left
    user_version at 0: the migrations only create what is missing, and keep what is there."""
    script = schema_script(2)
    path = build(
        tmp_path / "ledger.sqlite3",
        script + "INSERT INTO digest_items VALUES ('2026-11-26', 'o@x.example', '', 'then');",
    )
    assert user_version(path) == 0
    with Ledger(path) as ledger:
        assert ledger.digest_items(date(2026, 11, 26), "o@x.example") == set()
    assert user_version(path) == VERSION


def test_a_version_2_ledger_keeps_its_retractions(tmp_path: Path) -> None:
    """Version 2 knew a `resolve --resend` by its send's state and detail alone: migrated,
    such a send is marked retracted, and no other."""
    script = schema_script(2)
    row = (
        "INSERT INTO sends (run_id, today, debtor, customer, invoices, balance, state, detail, "
        "created_at, updated_at) VALUES ('r', '2026-11-26', '{}', 'C', '[]', '{{}}', 'deferred', "
        "'{}', 'then', 'then');\n"
    )
    path = build(
        tmp_path / "ledger.sqlite3",
        script
        + "PRAGMA user_version = 2;\n"
        + row.format("email:resent@x.example", "to be sent again (xlsdun resolve --resend)")
        + row.format("email:held@x.example", "sending limit per run reached"),
    )
    with Ledger(path) as ledger:
        assert ledger.resent_debtors() == {"email:resent@x.example"}
    assert user_version(path) == VERSION


def test_a_version_3_ledger_gains_subjects_null_for_its_old_sends(tmp_path: Path) -> None:
    """Version 4 keeps each send's Subject; the sends recorded before have none (their
    follow-ups take today's subject), and a send recorded after keeps its own."""
    script = schema_script(3)
    path = build(
        tmp_path / "ledger.sqlite3",
        script
        + "PRAGMA user_version = 3;\n"
        + "INSERT INTO sends (run_id, today, debtor, customer, invoices, balance, state, "
        "message_id, created_at, updated_at) VALUES ('r', '2026-11-19', 'email:a@x.example', "
        "'A', '[\"INV-1\"]', '{}', 'sent', '<old@x>', 'then', 'then');\n",
    )
    with Ledger(path) as ledger:
        (old,) = ledger.history()["email:a@x.example"].contacts
        assert (old.message_id, old.subject) == ("<old@x>", None)
        action = Action("email:b@x.example", "B", "b@x.example", "send", "r", tier="friendly")
        send_id = ledger.begin("run", date(2026, 11, 26), action, "outbox")
        assert send_id is not None
        ledger.mark(send_id, SendState.SENDING, message_id="<new@x>", subject="Reminder: INV-2")
        ledger.mark(send_id, SendState.SENT, detail="250 ok")
        (new,) = ledger.history()["email:b@x.example"].contacts
        assert (new.message_id, new.subject) == ("<new@x>", "Reminder: INV-2")
    assert user_version(path) == VERSION


def test_a_version_4_ledger_gains_the_inbox_tables_and_keeps_its_subjects(tmp_path: Path) -> None:
    """Migration 5 (the inbox) comes after main's 4 (`sends.subject`) and changes no send."""
    from xlsdun.ledger_schema import V4_SUBJECT, V5_INBOX

    assert MIGRATIONS[3] is V4_SUBJECT and MIGRATIONS[4] is V5_INBOX
    script = schema_script(4)
    path = build(
        tmp_path / "ledger.sqlite3",
        script
        + "PRAGMA user_version = 4;\n"
        + "INSERT INTO sends (run_id, today, debtor, customer, invoices, balance, state, "
        "message_id, subject, created_at, updated_at) VALUES ('r', '2026-11-19', "
        "'email:a@x.example', 'A', '[\"INV-1\"]', '{}', 'sent', '<old@x>', 'Reminder', 'then', "
        "'then');\n",
    )
    with Ledger(path) as ledger:
        (old,) = ledger.history()["email:a@x.example"].contacts
        assert (old.message_id, old.subject) == ("<old@x>", "Reminder")
        tables = {r[0] for r in ledger.db.execute("SELECT name FROM sqlite_master")}
    assert {"inbox_folders", "inbox_messages", "bad_addresses", "replies"} <= tables
    assert user_version(path) == VERSION == 5


def test_a_ledger_from_a_newer_xlsdun_is_refused_untouched(fresh: Path) -> None:
    db = sqlite3.connect(fresh)
    db.execute(f"PRAGMA user_version = {VERSION + 1}")
    db.close()
    before = fresh.read_bytes()
    with pytest.raises(LedgerTooNew) as refused:
        Ledger(fresh)
    assert isinstance(refused.value, XlsdunError) and refused.value.exit_code == EXIT_INPUT
    message = str(refused.value)
    assert str(fresh) in message and "Upgrade xlsdun" in message
    assert f"version {VERSION + 1}" in message and "Do not delete it" in message
    assert fresh.read_bytes() == before


def test_the_cli_refuses_a_newer_ledger_with_exit_2(demo: Path) -> None:
    ledger = demo / ".xlsdun" / "ledger.sqlite3"
    Ledger(ledger).close()
    db = sqlite3.connect(ledger)
    db.execute(f"PRAGMA user_version = {VERSION + 1}")
    db.close()
    code, _, err = invoke("run", "--config", str(demo / "xlsdun.toml"), "--today", TODAY)
    assert code == EXIT_INPUT
    assert str(ledger) in err and "Upgrade xlsdun" in err
    assert not (demo / "outbox").exists()


def test_a_later_migration_runs_once_and_in_order(
    fresh: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the migrations a ledger lacks are applied: a plain ALTER TABLE (which would fail
    a second time) runs once, after those before it."""
    later = (*MIGRATIONS, ("ALTER TABLE sends ADD COLUMN note TEXT",))
    monkeypatch.setattr(ledger_schema, "MIGRATIONS", later)
    monkeypatch.setattr(ledger_schema, "VERSION", len(later))
    for _ in range(2):
        with Ledger(fresh):
            pass
    assert user_version(fresh) == VERSION + 1
    assert ("note", "TEXT", 0, None, 0) in schema(fresh)["sends"]  # type: ignore[operator]


def test_a_failing_migration_leaves_the_ledger_as_it_was(
    v010: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All of a ledger's missing migrations, and its new number, commit together or not at
    all: a 0.1.0 ledger whose last migration fails keeps version 0 and no digest_items."""
    later = (*MIGRATIONS, ("ALTER TABLE no_such_table ADD COLUMN x TEXT",))
    monkeypatch.setattr(ledger_schema, "MIGRATIONS", later)
    monkeypatch.setattr(ledger_schema, "VERSION", len(later))
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        Ledger(v010)
    assert user_version(v010) == 0
    assert "digest_items" not in schema(v010)
