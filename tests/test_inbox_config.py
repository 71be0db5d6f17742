"""`[inbox]`: defaults, every refusal exits 2 naming the key, the plain-password rule shared
with `[delivery.smtp]`, the README's example, and `xlsdun check` on a bad table."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from support.sample_setup import copy_sample, invoke
from xlsdun import config as config_mod
from xlsdun.config import ConfigError
from xlsdun.errors import EXIT_INPUT

README = Path(__file__).resolve().parents[1] / "README.md"


def load(tmp_path: Path, table: str) -> config_mod.Config:
    toml = copy_sample(tmp_path)
    toml.write_text(toml.read_text(encoding="utf-8") + "\n[inbox]\n" + table, encoding="utf-8")
    return config_mod.load(toml)


def test_defaults_follow_the_security(tmp_path: Path) -> None:
    cfg = load(tmp_path, 'host = "imap.gmail.com"\nusername = "rina@example.co.il"\n')
    assert cfg.inbox is not None
    assert (cfg.inbox.port, cfg.inbox.security, cfg.inbox.folders) == (993, "ssl", ("INBOX",))
    assert cfg.inbox.password_env == "XLSDUN_IMAP_PASSWORD" and not cfg.inbox.mark_read
    cfg = load(tmp_path / "b", 'host = "h"\nusername = "u"\nsecurity = "starttls"\n')
    assert cfg.inbox is not None and cfg.inbox.port == 143
    assert config_mod.load(copy_sample(tmp_path / "c")).inbox is None  # no table: no inbox


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ('username = "u"\n', "inbox.host"),
        ('host = "h"\n', "inbox.username"),
        ('host = "h"\nusername = "u"\nsecurity = "tls"\n', "inbox.security"),
        ('host = "h"\nusername = "u"\nport = 70000\n', "inbox.port"),
        ('host = "h"\nusername = "u"\nfolders = "INBOX"\n', "inbox.folders"),
        ('host = "h"\nusername = "u"\nfolders = []\n', "inbox.folders"),
        ('host = "h"\nusername = "u"\nmark_read = "yes"\n', "inbox.mark_read"),
        ('host = "h"\nusername = "u"\nfolder = ["INBOX"]\n', "inbox.folder"),
        ('host = "h"\nusername = "u"\npassword = "hunter2"\n', "inbox.password"),
    ],
)
def test_each_refusal_names_the_key(tmp_path: Path, table: str, key: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load(tmp_path, table)
    assert f"'{key}'" in str(exc.value) and exc.value.exit_code == EXIT_INPUT
    assert "hunter2" not in str(exc.value)


def test_a_plain_password_is_allowed_only_when_asked(tmp_path: Path) -> None:
    cfg = load(
        tmp_path, 'host = "h"\nusername = "u"\npassword = "pw"\nallow_plaintext_password = true\n'
    )
    assert cfg.inbox is not None and cfg.inbox.password == "pw"


def test_check_exits_2_naming_the_key(tmp_path: Path) -> None:
    toml = copy_sample(tmp_path)
    toml.write_text(
        toml.read_text(encoding="utf-8") + '\n[inbox]\nhost = "h"\nusername = "u"\nport = 0\n',
        encoding="utf-8",
    )
    code, _, err = invoke("check", "--config", str(toml))
    assert code == 2 and "'inbox.port'" in err


def test_the_readme_inbox_example_loads(tmp_path: Path) -> None:
    blocks = re.findall(r"```toml\n(.*?)```", README.read_text("utf-8"), re.S)
    (example,) = [b for b in blocks if b.lstrip().startswith("[inbox]")]
    tomllib.loads(example)
    cfg = load(tmp_path, example.split("[inbox]\n", 1)[1])
    assert cfg.inbox is not None and cfg.inbox.host == "imap.gmail.com"
