"""A portal serving `load_demo`'s data with the clock frozen on a given day, for the demo
journeys (tests/browser/test_demo_journeys.py, issue 10).

`load_demo` commits its rows, which would pollute the shared test database; so each frozen
day gets its OWN PostgreSQL database (named after the test database, dropped afterwards),
copied from a migrated template database made once per session, loaded by `load_demo` in a
subprocess and served by `manage.py runserver` in another, both with
`portal.settings.journey` (test settings, time frozen at import, Celery eager, e-mails in
files).
"""

from __future__ import annotations

import contextlib
import email
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path

import psycopg
from allauth.mfa.totp.internal.auth import hotp_value
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
JOURNEY_SETTINGS = "portal.settings.journey"
DEMO_PASSWORD = "Demo-Portail-2026!"  # noqa: S105 (load_demo's, printed for the demo)
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 (load_demo's)


def _admin_connection() -> psycopg.Connection:
    db = settings.DATABASES["default"]
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


def database_name(suffix: str) -> str:
    base = settings.DATABASES["default"]["NAME"]
    base = base if base.startswith("test_") else f"test_{base}"
    return f"{base}_demo_{suffix}"[:63]


def database_url(name: str) -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def create_database(name: str, *, template: str | None = None) -> None:
    with _admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))


def drop_database(name: str) -> None:
    with _admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def journey_env(
    db_name: str, *, frozen_at: str = "", mail_dir: str = "", port: int | None = None
) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": JOURNEY_SETTINGS,
        "DATABASE_URL": database_url(db_name),
        "DATABASE_CONN_MAX_AGE": "0",
        # its own cache keys: the other browser tests flush the test Redis between tests
        "CACHE_KEY_PREFIX": f"{os.environ.get('CACHE_KEY_PREFIX', 'portail-test')}-{db_name}",
        "PORTAL_FROZEN_AT": frozen_at,
        "PORTAL_JOURNEY_MAIL_DIR": mail_dir,
        "PORTAL_PORT": str(port or ""),  # the links between sites and in e-mails
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stderr[-4000:]}"
    return result.stdout


def migrated_template() -> str:
    """A database with every migration and the tenant template schema, made once."""
    name = database_name("template")
    create_database(name)
    env = journey_env(name)
    manage(env, "migrate_schemas", "--shared")
    manage(env, "migrate_schemas", "--tenant")
    manage(env, "ensure_tenant_template")
    return name


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class DemoSite:
    port: int
    frozen_at: str
    mail_dir: Path
    server: subprocess.Popen

    def url(self, slug: str | None, path: str = "/") -> str:
        host = f"{slug}.portail.localhost" if slug else "portail.localhost"
        return f"http://{host}:{self.port}{path}"

    def server_time(self) -> float:
        """The server's (frozen, ticking) clock, read from a response's Date header."""
        request = urllib.request.Request(  # noqa: S310 (the local server)
            f"http://127.0.0.1:{self.port}/comptes/login/",
            headers={"Host": f"portail.localhost:{self.port}"},
        )
        with urllib.request.urlopen(request) as response:  # noqa: S310
            return parsedate_to_datetime(response.headers["Date"]).timestamp()

    def totp_code(self) -> str:
        """The demo staff's current code by the server's clock (not too close to a step's end)."""
        now = self.server_time()
        if now % 30 > 26:
            time.sleep(31 - now % 30)
            now = self.server_time()
        return f"{hotp_value(DEMO_TOTP_SECRET, int(now) // 30):06d}"

    def mails(self) -> list[email.message.Message]:
        messages = []
        for path in sorted(self.mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime):
            chunks = path.read_text(encoding="utf-8").split("\n" + "-" * 79 + "\n")
            messages += [email.message_from_string(c) for c in chunks if c.strip()]
        return messages


@contextlib.contextmanager
def demo_systems(folder: Path):
    """The directory and the services' local stand-ins, as `make run` starts them
    (scripts/demo_systems.py): the settings that reach them."""
    env_file = folder / "systems.env"
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "scripts/demo_systems.py", "--env-file", str(env_file)],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            assert process.poll() is None, "scripts/demo_systems.py s'est arrêté"
            if env_file.exists():
                break
            time.sleep(0.1)
        lines = env_file.read_text(encoding="utf-8").splitlines()
        yield dict(line.split("=", 1) for line in lines if "=" in line)
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.contextmanager
def demo_site(template: str, frozen_at: str):
    """Loads the demo on `frozen_at` in a copy of the template and serves it."""
    name = database_name(frozen_at[:10].replace("-", ""))
    create_database(name, template=template)
    with (
        tempfile.TemporaryDirectory(prefix="portail-journey-mail-") as mail_dir,
        demo_systems(Path(mail_dir)) as systems,
    ):
        port = _free_port()
        env = journey_env(name, frozen_at=frozen_at, mail_dir=mail_dir, port=port) | systems
        manage(env, "load_demo", "--force")
        log = open(Path(mail_dir).parent / f"portail-journey-{port}.log", "w")  # noqa: SIM115
        server = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "manage.py",
                "runserver",
                "--noreload",
                "--insecure",
                f"127.0.0.1:{port}",
            ],
            env=env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        site = DemoSite(port=port, frozen_at=frozen_at, mail_dir=Path(mail_dir), server=server)
        try:
            for _ in range(300):
                assert server.poll() is None, Path(log.name).read_text()[-4000:]
                with contextlib.suppress(OSError):
                    site.server_time()
                    break
                time.sleep(0.1)
            yield site
        finally:
            server.terminate()
            server.wait(timeout=10)
            log.close()
            drop_database(name)
