"""A real IMAP server on 127.0.0.1 for the inbox tests: Dovecot (Debian's `dovecot-imapd`),
started with its own configuration in a temporary folder and stopped after.

Its base_dir, state_dir, logs, passwd-file and Maildir are all in the folder. Run as root,
the login processes run as `dovenull` and the mail belongs to an unprivileged user
(`first_valid_uid` lowered to match); run as anyone else, everything is that user's.
`security="none"` is plain IMAP; the TLS modes use a certificate from a trustme CA, which
the tests trust through XLSDUN_SMTP_CAFILE (the one private-CA variable xlsdun reads).

Without Dovecot the tests skip and say why, unless XLSDUN_REQUIRE_DOVECOT is set (.ci/run
sets it, as XLSDUN_REQUIRE_SPAMASSASSIN for SpamAssassin): in CI a missing server is a
failure, not a skip.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

USER = "accounts@dahan.example.co.il"
PASSWORD = "imap-Passw0rd-plugh"
DOVECOT = shutil.which("dovecot") or (
    "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
)


REQUIRE = "XLSDUN_REQUIRE_DOVECOT"


def need_dovecot() -> str:
    """The dovecot binary, or skip (fail, in CI) with the reason."""
    if DOVECOT is None:
        why = "Dovecot is not installed (apt-get install dovecot-imapd)"
        if os.environ.get(REQUIRE):
            pytest.fail(f"{why}, and {REQUIRE} is set (as .ci/run sets it)")
        pytest.skip(why)
    return DOVECOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Dovecot:
    """One Dovecot: `imap_port` (plain, STARTTLS offered with TLS on) and `imaps_port`."""

    def __init__(self, tls: bool = True, oauth2_url: str | None = None) -> None:
        self.binary = need_dovecot()
        self.tls = tls
        self.oauth2_url = oauth2_url  # XOAUTH2 logins checked by this introspection URL
        self.root = Path(tempfile.mkdtemp(prefix="xlsdun-dovecot-"))
        self.root.chmod(0o755)
        self.imap_port, self.imaps_port = free_port(), free_port()
        self.ca_file: Path | None = None
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Dovecot:
        uid, gid, login_user, internal_user = self._users()
        mail = self.root / "mail"
        mail.mkdir()
        os.chown(mail, uid, gid)
        passwd = self.root / "passwd"
        passwd.write_text(f"{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{mail}/%u::\n")
        passwd.chmod(0o644)
        (self.root / "dovecot.conf").write_text(
            self._config(uid, login_user, internal_user, self._tls_lines())
        )
        self.proc = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._wait()
        return self

    def _users(self) -> tuple[int, int, str, str]:
        import pwd  # POSIX only: this module is imported on Windows too (conftest)

        if os.getuid() != 0:
            me = pwd.getpwuid(os.getuid()).pw_name
            return os.getuid(), os.getgid(), me, me
        nobody = pwd.getpwnam("nobody")
        login = "dovenull" if _has_user("dovenull") else "nobody"
        internal = "dovecot" if _has_user("dovecot") else "nobody"
        return nobody.pw_uid, nobody.pw_gid, login, internal

    def _tls_lines(self) -> str:
        if not self.tls:
            return "ssl = no\n"
        import trustme

        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = self.root / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        cert.private_key_and_cert_chain_pem.write_to_path(str(self.root / "server.pem"))
        (self.root / "server.pem").chmod(0o600)
        pem = self.root / "server.pem"
        return f"ssl = yes\nssl_cert = <{pem}\nssl_key = <{pem}\n"

    def _config(self, uid: int, login_user: str, internal_user: str, tls: str) -> str:
        d = self.root
        imaps = (
            f"  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {self.imaps_port}\n"
            f"    ssl = yes\n  }}\n"
            if self.tls
            else ""
        )
        return (
            f"base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\n"
            f"info_log_path = {d}/dovecot.log\nprotocols = imap\nlisten = 127.0.0.1\n"
            f"disable_plaintext_auth = no\nauth_mechanisms = plain login"
            f"{' xoauth2' if self.oauth2_url else ''}\n{tls}"
            f"mail_location = maildir:~/Maildir\nfirst_valid_uid = {min(uid, 500)}\n"
            f"first_valid_gid = 0\ndefault_login_user = {login_user}\n"
            f"default_internal_user = {internal_user}\nshutdown_clients = yes\n"
            f"{self._oauth2_passdb()}"
            f"passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN {d}/passwd\n}}\n"
            f"userdb {{\n  driver = passwd-file\n  args = {d}/passwd\n}}\n"
            f"service imap-login {{\n  chroot =\n  inet_listener imap {{\n"
            f"    address = 127.0.0.1\n    port = {self.imap_port}\n  }}\n{imaps}}}\n"
            f"service anvil {{\n  chroot =\n}}\n"
        )

    def _oauth2_passdb(self) -> str:
        """XOAUTH2: the bearer token checked by POSTing it to `oauth2_url` (RFC 7662)."""
        if not self.oauth2_url:
            return ""
        conf = self.root / "oauth2.conf.ext"
        conf.write_text(
            f"introspection_mode = post\nintrospection_url = {self.oauth2_url}\n"
            f"force_introspection = yes\nusername_attribute = email\n"
            f"active_attribute = active\nactive_value = true\n"
        )
        conf.chmod(0o644)
        return f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2\n  args = {conf}\n}}\n"

    def _wait(self) -> None:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.imap_port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"dovecot did not start: {self.log()}")

    def log(self) -> str:
        path = self.root / "dovecot.log"
        err = b""
        if self.proc is not None and self.proc.poll() is not None and self.proc.stderr:
            err = self.proc.stderr.read()
        return (path.read_text(errors="replace") if path.exists() else "") + err.decode(
            errors="replace"
        )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stderr:
            self.proc.stderr.close()
        shutil.rmtree(self.root, ignore_errors=True)

    # -- putting mail in -----------------------------------------------------------------------

    @contextmanager
    def client(self) -> Iterator[Any]:
        """A logged-in IMAPClient (no type hints of its own), logged out after."""
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", port=self.imap_port, ssl=False, timeout=10)
        client.login(USER, PASSWORD)
        try:
            yield client
        finally:
            client.logout()

    def append(self, *messages: bytes, folder: str = "INBOX") -> None:
        """Deliver `messages` into `folder` with IMAP APPEND, as a mail server would."""
        with self.client() as client:
            if folder != "INBOX" and not client.folder_exists(folder):
                client.create_folder(folder)
            for raw in messages:
                client.append(folder, raw)

    def empty(self) -> None:
        """Every folder emptied (deleted and expunged), INBOX kept; other folders removed."""
        with self.client() as client:
            for _flags, _sep, name in client.list_folders():
                if name != "INBOX":
                    client.delete_folder(name)
            client.select_folder("INBOX")
            uids = client.search("ALL")
            if uids:
                client.delete_messages(uids)
                client.expunge()

    def seen_flags(self, folder: str = "INBOX") -> dict[int, bool]:
        with self.client() as client:
            client.select_folder(folder, readonly=True)
            flags = client.get_flags(client.search("ALL"))
        return {uid: b"\\Seen" in f for uid, f in flags.items()}


def _has_user(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
