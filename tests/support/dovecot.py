"""A real Dovecot IMAP server for the support mailbox's tests (as `slapd.py` is for LDAP).

``LocalDovecot(directory).start()`` writes, inside `directory`, a dovecot.conf with a
passwd-file user database (one mailbox, ``support@portail.test``, random password) and a
maildir, and starts Debian's ``/usr/sbin/dovecot -F`` as the current user, listening on
``127.0.0.1:<free port>`` (IMAP, plaintext: loopback only). Nothing of a system Dovecot is used.
The package ``dovecot-imapd`` provides the binaries (``scripts/test.sh`` installs it).

Fixture ``dovecot`` (session) yields the server; ``support_mailbox`` points the portal's
``SUPPORT_IMAP_*`` settings at it and empties the mailbox after the test. ``deliver`` puts a raw
message in the INBOX (IMAP APPEND, as the mail system's delivery agent would).
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

DOVECOT = Path("/usr/sbin/dovecot")
USER = "support@portail.test"


@dataclass(frozen=True)
class MailboxSettings:
    host: str
    port: int
    user: str
    password: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalDovecot:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.process: subprocess.Popen | None = None
        self.settings = MailboxSettings("127.0.0.1", _free_port(), USER, secrets.token_hex(12))

    def _write_config(self) -> Path:
        d = self.directory
        for sub in ("run", "state", "mail", "home"):
            (d / sub).mkdir(exist_ok=True)
        uid, gid, login_user = os.getuid(), os.getgid(), pwd.getpwuid(os.getuid()).pw_name
        if uid == 0:
            # Dovecot refuses to run its login and mail processes as root: under root (a CI
            # container), they run as the package's own unprivileged users.
            uid, gid, login_user = (
                pwd.getpwnam("dovecot").pw_uid,
                grp.getgrnam("dovecot").gr_gid,
                "dovenull",
            )
            for path in [d, *d.iterdir()]:
                os.chown(path, uid, gid)
        user = pwd.getpwuid(uid).pw_name
        group = grp.getgrgid(gid).gr_name
        (d / "passwd").write_text(
            f"{USER}:{{PLAIN}}{self.settings.password}:{uid}:{gid}::{d}/home/{USER}::\n"
        )
        config = d / "dovecot.conf"
        config.write_text(
            f"""
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {login_user}
first_valid_uid = 0
mail_location = maildir:{d}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {d}/passwd
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.settings.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0600
  }}
  unix_listener stats-writer {{
    mode = 0600
  }}
}}
"""
        )
        return config

    def start(self) -> MailboxSettings:
        config = self._write_config()
        self.process = subprocess.Popen(  # noqa: S603
            [str(DOVECOT), "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (
                    (self.directory / "dovecot.log").read_text(errors="replace")
                    if (self.directory / "dovecot.log").exists()
                    else ""
                )
                raise RuntimeError(f"dovecot stopped: {self.process.stderr.read()!r} {log}")
            try:
                with imaplib.IMAP4(self.settings.host, self.settings.port, timeout=2) as imap:
                    imap.login(self.settings.user, self.settings.password)
                    imap.logout()
                return self.settings
            except (OSError, imaplib.IMAP4.error):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("dovecot did not answer")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)


def deliver(settings: MailboxSettings, raw: bytes) -> None:
    with imaplib.IMAP4(settings.host, settings.port, timeout=5) as imap:
        imap.login(settings.user, settings.password)
        imap.append("INBOX", "", imaplib.Time2Internaldate(time.time()), raw)
        imap.logout()


def mailbox_clear(settings: MailboxSettings) -> None:
    with imaplib.IMAP4(settings.host, settings.port, timeout=5) as imap:
        imap.login(settings.user, settings.password)
        _, count = imap.select("INBOX")
        if int(count[0]):
            imap.store("1:*", "+FLAGS", "(\\Deleted)")
            imap.expunge()
        imap.logout()


def unseen_count(settings: MailboxSettings) -> int:
    with imaplib.IMAP4(settings.host, settings.port, timeout=5) as imap:
        imap.login(settings.user, settings.password)
        imap.select("INBOX")
        _, found = imap.search(None, "UNSEEN")
        imap.logout()
    return len(found[0].split())


@pytest.fixture(scope="session")
def dovecot() -> Iterator[MailboxSettings]:
    # Not under pytest's basetemp (0700): Dovecot's unprivileged processes must reach it.
    directory = Path(tempfile.mkdtemp(prefix="dovecot-"))
    directory.chmod(0o755)
    server = LocalDovecot(directory)
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def support_mailbox(dovecot: MailboxSettings, settings) -> Iterator[MailboxSettings]:
    settings.SUPPORT_IMAP_HOST = dovecot.host
    settings.SUPPORT_IMAP_PORT = dovecot.port
    settings.SUPPORT_IMAP_USER = dovecot.user
    settings.SUPPORT_IMAP_PASSWORD = dovecot.password
    settings.SUPPORT_IMAP_SSL = False
    settings.SUPPORT_MAILBOX_ADDRESS = dovecot.user
    yield dovecot
    mailbox_clear(dovecot)
