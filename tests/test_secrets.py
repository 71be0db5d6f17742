"""Credentials never reach anything xlsdun writes or prints, in any form, at any length: a
real SMTP server refuses the login with a reply that repeats them (the password, the AUTH
PLAIN line, their base64), and every output of the run is searched for them."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest

from support.sample_setup import TODAY, run_cli
from support.smtp_server import SERVER_WARNINGS, USER, Script, SmtpServer, smtp_sample
from xlsdun import logs

pytestmark = [pytest.mark.filterwarnings(w) for w in SERVER_WARNINGS]

MARK = "Bad credentials"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def forms(password: str) -> dict[str, str]:
    """How the credentials travel: what a careless server may echo back."""
    return {
        "AUTH PLAIN": b64(f"\0{USER}\0{password}"),
        "AUTH PLAIN, no padding": b64(f"\0{USER}\0{password}").rstrip("="),
        "base64 password": b64(password),
        "base64 username": b64(USER),
    }


def echo(data) -> str:  # type: ignore[no-untyped-def]
    user, password = data.login.decode(), data.password.decode()
    plain = b64(f"\0{user}\0{password}")
    return f"535 5.7.8 {MARK} for {password} ({plain} {b64(password)} {b64(user)})"


def outputs(folder: Path, password: str, *extra: str) -> list[tuple[str, bytes]]:
    """Run the CLI as cron would; (where, bytes) of stdout, stderr and every file written."""
    env = {"XLSDUN_SMTP_PASSWORD": password, "PATH": "/usr/bin:/bin"}
    config = str(folder / "xlsdun.toml")
    code, out, err = run_cli(
        "run", "--config", config, "--today", TODAY, *extra, env=env, inherit_env=False
    )
    assert code == 2, err
    assert "refused the login" in err + out
    found = [("stdout", out.encode()), ("stderr", err.encode())]
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix not in (".xlsx", ".toml", ".pem"):
            found.append((str(path.relative_to(folder)), path.read_bytes()))
    return found


@pytest.mark.parametrize("password", ["s3cret-Echo-Passw0rd", "q~"])
def test_a_login_reply_that_echoes_the_credentials_is_never_written(
    tmp_path: Path, smtp_server: Callable[..., SmtpServer], password: str
) -> None:
    server = smtp_server(login=(USER, "the-right-one"), script=Script(auth_reply=echo))
    folder = tmp_path / "shop"
    toml = smtp_sample(folder, server)
    text = toml.read_text(encoding="utf-8").replace('digest = "off"', 'digest = "per_client"')
    toml.write_text(text, encoding="utf-8")  # the digest tries the same login and fails too

    written = outputs(folder, password) + outputs(folder, password, "--json", "--debug")
    names = {where for where, _ in written}
    assert {"stderr", ".xlsdun/ledger.sqlite3", ".xlsdun/logs/xlsdun.log"} <= names
    assert any(n.startswith(".xlsdun/reports/") for n in names)
    secrets = {**forms(password), "the server's reply": MARK}
    if len(password) >= logs.SHORT:
        secrets["password"] = password
    for where, data in written:
        for what, secret in secrets.items():
            assert secret.encode() not in data, f"{what} in {where}"
    if len(password) < logs.SHORT:  # too short to search binary files for; the texts:
        assert all(f" {password} " not in data.decode("utf-8", "replace") for _, data in written)


def test_every_form_is_redacted_and_a_short_password_only_in_a_reply() -> None:
    logs.add_credentials("mo@example.com", "Tr0ub4dor&3")
    plain = b64("\0mo@example.com\0Tr0ub4dor&3")
    line = f"AUTH PLAIN {plain} / {b64('Tr0ub4dor&3')} / Tr0ub4dor%263 / Tr0ub4dor&3"
    assert logs.redact(line) == "AUTH PLAIN *** / *** / *** / ***"

    logs.add_credentials("mo@example.com", "ab")
    assert logs.redact("ab", reply=True) == "***"
    assert logs.redact("535 5.7.8 wrong password 'ab' for mo", reply=True) == (
        "535 5.7.8 wrong password '***' for mo"
    )
    assert logs.redact("about the lab tab", reply=True) == "about the lab tab"
    assert logs.redact("ab is a word here") == "ab is a word here"  # prose is left alone
    assert b64("\0mo@example.com\0ab") not in logs.redact(
        f"x {b64(chr(0) + 'mo@example.com' + chr(0) + 'ab')}"
    )
