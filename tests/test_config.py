"""Config: typed values, defaults, and errors that name the file and the key."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from support.sample_setup import TODAY, copy_sample
from xlsdun import config as config_mod
from xlsdun.config import ConfigError


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "xlsdun.toml"
    path.write_text('[workbook]\npath = "book.xlsx"\n' + body, encoding="utf-8")
    return path


def test_defaults_and_relative_paths(tmp_path: Path) -> None:
    cfg = config_mod.load(write(tmp_path, ""))
    assert cfg.workbook.path == tmp_path.resolve() / "book.xlsx"
    assert cfg.state_dir == tmp_path.resolve() / ".xlsdun"
    assert cfg.delivery.backend == "outbox" and cfg.delivery.max_per_day == 400
    ladder = {t.id: t for t in cfg.policy.ladder}
    assert not ladder["courtesy"].enabled
    assert ladder["final"].approve and not ladder["escalate"].email
    assert (ladder["friendly"].min_days, ladder["friendly"].max_days) == (1, 14)
    assert cfg.policy.cadence_days == 7 and cfg.policy.repeat_final_days == 14
    assert cfg.policy.min_balance == Decimal("1.00") and cfg.policy.promise_grace_days == 2
    assert cfg.policy.country == "IL"


def test_a_tier_without_a_message_cannot_send_email(tmp_path: Path) -> None:
    """escalate has no message template: with email = true its debtors were deferred every
    day, silently; the config now says so before anything runs."""
    body = '[[policy.ladder]]\nid = "escalate"\nemail = true\n'
    with pytest.raises(ConfigError, match=r"policy.ladder\[escalate\]: email = true.*call list"):
        config_mod.load(write(tmp_path, body))
    off = config_mod.load(write(tmp_path, body + "enabled = false\n"))
    assert not {t.id: t for t in off.policy.ladder}["escalate"].enabled


def test_ladder_overrides(tmp_path: Path) -> None:
    cfg = config_mod.load(
        write(
            tmp_path,
            """
[policy]
late_interest_annual = 0.04
send_days = ["mon", "tue", "wed"]
[[policy.ladder]]
id = "final"
approve = false
late_fee = 25
[[policy.ladder]]
id = "courtesy"
enabled = true
""",
        )
    )
    ladder = {t.id: t for t in cfg.policy.ladder}
    assert not ladder["final"].approve and ladder["final"].late_fee == Decimal("25")
    assert ladder["courtesy"].enabled
    assert cfg.policy.send_days == (1, 2, 3)
    assert cfg.policy.late_interest_annual == Decimal("0.04")


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ('[policy]\ncadence_days = "weekly"\n', "policy.cadence_days"),
        ("[policy]\ncadence_days = 0\n", "policy.cadence_days"),
        ("[policy]\ncadense_days = 7\n", "policy.cadense_days"),
        ('[sender]\nemail = "nobody"\n', "sender.email"),
        ('[locale]\nlanguage = "fr"\n', "locale.language"),
        ('[locale]\ntimezone = "Mars/Olympus"\n', "locale.timezone"),
        ('[delivery]\nbackend = "pigeon"\n', "delivery.backend"),
        ('[delivery.smtp]\nsecurity = "tls"\n', "delivery.smtp.security"),
        ('[columns]\ninvoce = "Doc"\n', "columns.invoce"),
        ('[[policy.ladder]]\nid = "panic"\n', "panic"),
        ('[[policy.ladder]]\nid = "friendly"\nmax_days = 40\n', "overlap"),
        ('[schedule]\ntime = "nine"\n', "schedule.time"),
        ("[policy]\nearly_payment_discount = 2\n", "policy.early_payment_discount"),
        ('[owner]\nemail = "o@example.com"\nstate_dir = "s"\n', "above the first [table]"),
        ("[policy]\nlate_interest_annual = 4\n", "0.02 means 2%"),
        ("max_attachment_mb = true\n", "workbook.max_attachment_mb"),  # was read as 1 MB
        ("[delivery.smtp]\ntimeout = true\n", "delivery.smtp.timeout"),
        ("[delivery]\nretry_budget_seconds = -1\n", "delivery.retry_budget_seconds"),
    ],
)
def test_errors_name_the_file_and_key(tmp_path: Path, body: str, names: str) -> None:
    with pytest.raises(ConfigError) as err:
        config_mod.load(write(tmp_path, body))
    assert "xlsdun.toml" in str(err.value)
    assert names in str(err.value)


def test_plaintext_password_refused_unless_allowed(tmp_path: Path) -> None:
    body = '[delivery.smtp]\nusername = "u"\npassword = "hunter2"\n'
    with pytest.raises(ConfigError) as err:
        config_mod.load(write(tmp_path, body))
    assert "hunter2" not in str(err.value) and "password_env" in str(err.value)
    cfg = config_mod.load(write(tmp_path, body + "allow_plaintext_password = true\n"))
    assert cfg.delivery.smtp.password == "hunter2"


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found.*xlsdun init"):
        config_mod.load(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[workbook\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="bad.toml: not valid TOML"):
        config_mod.load(bad)
    empty = tmp_path / "empty.toml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match="workbook.path"):
        config_mod.load(empty)


def test_no_time_zone_database_is_said_plainly_not_as_a_bad_name(tmp_path: Path) -> None:
    """A machine without /usr/share/zoneinfo and without the tzdata package (hidden here):
    the name is fine, the database is missing, and the message says so."""
    toml = copy_sample(tmp_path / "shop")
    empty = tmp_path / "no-zoneinfo"
    empty.mkdir()
    hide = (
        "import sys; sys.modules['tzdata'] = None; from xlsdun.cli import main; "
        "sys.argv[0] = 'xlsdun'; main()"
    )
    proc = subprocess.run(
        [sys.executable, "-c", hide, "plan", "--config", str(toml), "--today", TODAY],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONTZPATH": str(empty), "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert f"{toml.resolve()}: key 'locale.timezone' is 'Asia/Jerusalem'" in proc.stderr
    assert "no time zone database" in proc.stderr and "tzdata" in proc.stderr
    assert "must be a time zone name" not in proc.stderr


# -- each table's step on its own (from_dict is one step per table) ---------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('date_order = "DDMM"\n', "key 'workbook.date_order' must be \"DMY\""),
        ("header_row = 0\n", "key 'workbook.header_row' must be a whole number of at least 1"),
        ('attachments_dir = "nowhere"\n', "which is not a folder"),
        ('[columns]\ninvoice = " "\n', "key 'columns.invoice' must be the header text"),
        ("[owned_columns]\nstatus = 3\n", "key 'owned_columns.status' must be text in quotes"),
        ('[sender]\nname = "A\\nB"\n', "key 'sender.name' must be one line of text"),
        ("[[policy.ladder]]\nmin_days = 3\n", "policy.ladder entry 1 must be a table with an 'id'"),
        (
            '[[policy.ladder]]\nid = "plan"\nmin_days = 50\nmax_days = 40\n',
            "policy.ladder[plan]: max_days (40) is below min_days (50)",
        ),
        (
            '[[policy.ladder]]\nid = "plan"\nlate_fees = 5\n',
            "unknown key 'policy.ladder[plan].late_fees'",
        ),
        (
            '[policy]\ntier_basis = "newest"\n',
            'key \'policy.tier_basis\' must be "oldest" or "largest"',
        ),
        (
            '[policy]\nfirst_contact_max = "panic"\n',
            "key 'policy.first_contact_max' must be one of",
        ),
        ('[policy]\nsend_days = ["someday"]\n', "key 'policy.send_days' must be a list of days"),
        ('[owner]\ndigest = "weekly"\n', "key 'owner.digest' must be \"per_client\""),
        ("[schedule]\nheartbeat_minutes = 0\n", "key 'schedule.heartbeat_minutes' must be a whole"),
        ('[sender]\niban = "IL62 0108 0000 0009 9999 998"\n', "key 'sender.iban' must be an IBAN"),
        ('[sender]\niban = "IL62"\n', "key 'sender.iban' must be an IBAN"),
        ('[sender]\nswift = "LUMI"\n', "key 'sender.swift' must be a SWIFT/BIC"),
        ('[sender]\nswift = "12345678"\n', "key 'sender.swift' must be a SWIFT/BIC"),
        ('[sender.he]\nnmae = "x"\n', "unknown key 'sender.he.nmae'"),
        ('[sender.fr]\nname = "x"\n', "unknown key 'sender.fr'"),
        ('[sender.en]\nemail = "nobody"\n', "key 'sender.en.email' must be an email address"),
        ('[sender.he]\niban = "IL00"\n', "key 'sender.he.iban' must be an IBAN"),
        ("[policy]\nwaive_charges_on_offer = 1\n", "key 'policy.waive_charges_on_offer' must be"),
        ('[policy]\ninstalment_methods = ["cash"]\n', "key 'policy.instalment_methods' must be"),
        ('[policy]\ninstalment_methods = "cheques"\n', "key 'policy.instalment_methods' must be"),
    ],
)
def test_each_table_names_its_key(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        config_mod.load(write(tmp_path, body))
    assert message in str(err.value)


def test_smtp_defaults_follow_the_backend_and_the_security(tmp_path: Path) -> None:
    gmail = config_mod.load(write(tmp_path, '[delivery]\nbackend = "gmail"\n'))
    assert (gmail.delivery.smtp.host, gmail.delivery.smtp.port) == ("smtp.gmail.com", 587)
    ssl = config_mod.load(
        write(tmp_path, '[delivery]\nbackend = "smtp"\n[delivery.smtp]\nsecurity = "ssl"\n')
    )
    assert (ssl.delivery.smtp.host, ssl.delivery.smtp.port) == ("localhost", 465)


def test_every_table_read_in_one_file(tmp_path: Path) -> None:
    (tmp_path / "att").mkdir()
    cfg = config_mod.load(
        write(
            tmp_path,
            """date_order = "dmy"
attachments_dir = "att"
[columns]
invoice = "Doc no."
[owned_columns]
status = "Status"
[sender]
name = "Dana"
reply_to = "dana@shop.example.co.il"
[locale]
language = "he"
country = "us"
currency = "usd"
[delivery]
backend = "smtp"
max_per_run = 5
[delivery.smtp]
oauth2_file = "oauth.json"
[policy]
first_contact_max = "direct"
[schedule]
time = "07:30"
[owner]
email = "owner@shop.example.co.il"
digest = "combined"
""",
        )
    )
    assert cfg.workbook.date_order == "DMY" and cfg.workbook.attachments_dir == tmp_path / "att"
    assert cfg.columns == {"invoice": "Doc no."} and cfg.owned_columns["status"] == "Status"
    assert (cfg.sender.name, cfg.sender.reply_to) == ("Dana", "dana@shop.example.co.il")
    assert (cfg.locale.language, cfg.locale.country, cfg.locale.currency) == ("he", "US", "USD")
    assert cfg.policy.country == "US" and cfg.policy.first_contact_max == "direct"
    assert cfg.delivery.max_per_run == 5
    assert cfg.delivery.smtp.oauth2_file == tmp_path.resolve() / "oauth.json"
    assert (cfg.schedule_time.hour, cfg.schedule_time.minute) == (7, 30)
    assert (cfg.owner_email, cfg.owner_digest) == ("owner@shop.example.co.il", "combined")


def test_sender_per_language_falls_back_to_sender(tmp_path: Path) -> None:
    body = (
        '[sender]\nname = "Dana"\nbusiness = "Dahan Home Services"\nphone = "03-555-1234"\n'
        'iban = "il620108000000099999999"\nswift = "lumiilit"\n'
        '[sender.he]\nname = "דנה"\nbusiness = "דהן שירותי בית"\n'
        'bank_details = "בנק לאומי, סניף 800, חשבון 123456"\n'
    )
    sender = config_mod.load(write(tmp_path, body)).sender
    he, en = sender.for_language("he"), sender.for_language("en")
    assert (he.name, he.business, he.phone) == ("דנה", "דהן שירותי בית", "03-555-1234")
    assert he.bank_details == "בנק לאומי, סניף 800, חשבון 123456" and sender.bank_details == ""
    assert en is sender and (en.name, en.business) == ("Dana", "Dahan Home Services")
    assert he.iban == en.iban == "IL62 0108 0000 0009 9999 999" and he.swift == "LUMIILIT"


def test_offer_policy_defaults_and_choices(tmp_path: Path) -> None:
    policy = config_mod.load(write(tmp_path, "")).policy
    assert policy.waive_charges_on_offer is True
    assert policy.instalment_methods == ("standing_order", "postdated_cheques", "credit_card")
    body = '[policy]\nwaive_charges_on_offer = false\ninstalment_methods = ["credit_card"]\n'
    policy = config_mod.load(write(tmp_path, body)).policy
    assert not policy.waive_charges_on_offer and policy.instalment_methods == ("credit_card",)
