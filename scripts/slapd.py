"""A private OpenLDAP slapd, for the directory connector's tests and local runs.

``LocalSlapd(directory).start()`` builds, inside `directory`, a cn=config (``slapd.d``, loaded
with ``slapadd -n0``) with Debian's core / cosine / inetorgperson / nis schemas and the
portal's own (accounts/connectors/ldap/portail.ldif), one mdb database for
``dc=portail,dc=test`` whose root DN has a random password, and starts Debian's
``/usr/sbin/slapd`` in the foreground as the current user, listening on
``ldap://127.0.0.1:<free port>`` only. It returns once the server answers a bind; ``stop()``
sends SIGTERM and waits. Apart from the schema files read from ``/etc/ldap/schema``, nothing
of the system's slapd (its configuration, database, port 389) is used or touched, so one set
up and running by the package does not get in the way.

Binaries come from the Debian package ``slapd`` (``scripts/test.sh`` installs it when it is
missing). ldap3 (a dependency of the portal) is imported only to wait for the first bind.

Command line, for a directory to point a local portal at::

    python scripts/slapd.py [--dir DIR] [--env-file PATH]

prints (or writes to PATH) ``DIRECTORY_URL=``, ``DIRECTORY_BIND_DN=``,
``DIRECTORY_BIND_PASSWORD=`` and ``DIRECTORY_BASE_DN=`` lines (the portal's settings of the
same names, portal/settings/base.py), then stays in the foreground until SIGTERM / SIGINT /
SIGHUP or its parent goes away, and stops the server.
"""

from __future__ import annotations

import argparse
import atexit
import base64
import contextlib
import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
SLAPD = Path("/usr/sbin/slapd")
SLAPADD = Path("/usr/sbin/slapadd")
SYSTEM_SCHEMA_DIR = Path("/etc/ldap/schema")
SYSTEM_SCHEMAS = ("core", "cosine", "inetorgperson", "nis")
PORTAIL_SCHEMA = ROOT / "accounts" / "connectors" / "ldap" / "portail.ldif"
# Debian builds the back-ends as modules; other builds may have mdb compiled in.
MODULE_DIR = Path("/usr/lib/ldap")
LOCAL_HOST = "127.0.0.1"
DEFAULT_BASE_DN = "dc=portail,dc=test"
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


class SlapdError(RuntimeError):
    """The local slapd could not be set up or started."""


@dataclass(frozen=True)
class DirectorySettings:
    """Where and as whom the directory connector reaches a directory."""

    url: str
    bind_dn: str
    password: str
    base_dn: str

    def as_env(self) -> dict[str, str]:
        """The environment variables the portal's settings read (portal/settings/base.py)."""
        return {
            "DIRECTORY_URL": self.url,
            "DIRECTORY_BIND_DN": self.bind_dn,
            "DIRECTORY_BIND_PASSWORD": self.password,
            "DIRECTORY_BASE_DN": self.base_dn,
        }


def ssha(password: str) -> str:
    """`password` as an OpenLDAP ``{SSHA}`` value (salted SHA-1, what ``slappasswd`` writes
    by default): the form slapd accepts for ``olcRootPW`` without extra modules."""
    salt = secrets.token_bytes(8)
    digest = hashlib.sha1(password.encode() + salt, usedforsecurity=False).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def _config_path(path: Path) -> str:
    """A path as a cn=config value: slapd splits values on blanks unless double-quoted."""
    return '"' + str(path).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCAL_HOST, 0))
        return sock.getsockname()[1]


def _die_with_parent():
    """slapd gets SIGTERM if the process that started it dies without stopping it (Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1
    return lambda: libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def _bind_answers(settings: DirectorySettings) -> bool:
    import ldap3
    from ldap3.core.exceptions import LDAPException

    server = ldap3.Server(settings.url, connect_timeout=1, get_info=ldap3.NONE)
    connection = ldap3.Connection(
        server, settings.bind_dn, settings.password, receive_timeout=1, raise_exceptions=True
    )
    try:
        connection.open()
        connection.bind()
        return True
    except LDAPException:
        return False
    finally:
        with contextlib.suppress(LDAPException):
            connection.unbind()


class LocalSlapd:
    """One slapd whose configuration, data and log live in `directory` (created if needed;
    a previous configuration there is replaced)."""

    def __init__(self, directory: Path, *, base_dn: str = DEFAULT_BASE_DN) -> None:
        self.directory = Path(directory).resolve()
        self.base_dn = base_dn
        self.settings: DirectorySettings | None = None
        self._process: subprocess.Popen | None = None

    @property
    def config_dir(self) -> Path:
        return self.directory / "slapd.d"

    @property
    def data_dir(self) -> Path:
        return self.directory / "data"

    @property
    def log_file(self) -> Path:
        return self.directory / "slapd.log"

    def start(self) -> DirectorySettings:
        if self._process is not None and self._process.poll() is None:
            assert self.settings is not None  # noqa: S101 - set together with the process
            return self.settings
        for binary in (SLAPD, SLAPADD):
            if not os.access(binary, os.X_OK):
                raise SlapdError(
                    f"{binary} est introuvable : installez les paquets Debian « slapd » et "
                    "« ldap-utils » (make test / scripts/test.sh le fait quand il manque)."
                )
        password = secrets.token_urlsafe(18)
        self._configure(password)
        for _attempt in range(3):  # the free port may be taken between probe and bind
            url = f"ldap://{LOCAL_HOST}:{_free_port()}"
            settings = DirectorySettings(
                url=url, bind_dn=f"cn=admin,{self.base_dn}", password=password, base_dn=self.base_dn
            )
            if self._launch(settings):
                self.settings = settings
                atexit.register(self.stop)
                return settings
        raise SlapdError(f"slapd ne démarre pas ; fin de {self.log_file} :\n{self._log_tail()}")

    def stop(self) -> None:
        """SIGTERM, then wait (SIGKILL after STOP_TIMEOUT). Idempotent."""
        process, self._process = self._process, None
        if process is None:
            return
        atexit.unregister(self.stop)
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def __enter__(self) -> DirectorySettings:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- internals --------------------------------------------------------------------------

    def _configure(self, password: str) -> None:
        """A fresh slapd.d and an empty database holding only the base entry."""
        self.directory.mkdir(parents=True, exist_ok=True)
        for path in (self.config_dir, self.data_dir):
            if path.exists():
                shutil.rmtree(path)
            path.mkdir(mode=0o700)
        config = self.directory / "config.ldif"
        config.write_text(self._config_ldif(password))
        self._slapadd("-n0", "-l", str(config))
        top = self.base_dn.split(",")[0].split("=", 1)[1]
        base = self.directory / "base.ldif"
        base.write_text(
            f"dn: {self.base_dn}\nobjectClass: dcObject\nobjectClass: organization\n"
            f"dc: {top}\no: Portail (tests)\n"
        )
        self._slapadd("-b", self.base_dn, "-l", str(base))

    def _config_ldif(self, password: str) -> str:
        modules = ""
        if (MODULE_DIR / "back_mdb.la").exists() or (MODULE_DIR / "back_mdb.so").exists():
            modules = (
                "dn: cn=module{0},cn=config\nobjectClass: olcModuleList\ncn: module{0}\n"
                f"olcModulePath: {MODULE_DIR}\nolcModuleLoad: back_mdb\n\n"
            )
        schemas = [SYSTEM_SCHEMA_DIR / f"{name}.ldif" for name in SYSTEM_SCHEMAS]
        schemas.append(PORTAIL_SCHEMA)
        for schema in schemas:
            if not schema.exists():
                raise SlapdError(f"schéma LDAP introuvable : {schema}")
        includes = "".join(f"include: file://{quote(str(schema))}\n\n" for schema in schemas)
        return (
            "dn: cn=config\nobjectClass: olcGlobal\ncn: config\n"
            f"olcPidFile: {_config_path(self.directory / 'slapd.pid')}\n"
            f"olcArgsFile: {_config_path(self.directory / 'slapd.args')}\n\n"
            f"{modules}"
            "dn: cn=schema,cn=config\nobjectClass: olcSchemaConfig\ncn: schema\n\n"
            f"{includes}"
            "dn: olcDatabase={-1}frontend,cn=config\nobjectClass: olcDatabaseConfig\n"
            "objectClass: olcFrontendConfig\nolcDatabase: {-1}frontend\n"
            "olcSizeLimit: unlimited\n\n"
            "dn: olcDatabase={0}config,cn=config\nobjectClass: olcDatabaseConfig\n"
            "olcDatabase: {0}config\nolcAccess: {0}to * by * none\n\n"
            "dn: olcDatabase={1}mdb,cn=config\nobjectClass: olcDatabaseConfig\n"
            "objectClass: olcMdbConfig\nolcDatabase: {1}mdb\n"
            f"olcDbDirectory: {_config_path(self.data_dir)}\nolcSuffix: {self.base_dn}\n"
            f"olcRootDN: cn=admin,{self.base_dn}\nolcRootPW: {ssha(password)}\n"
            "olcDbMaxSize: 268435456\n"
            "olcDbIndex: objectClass eq\nolcDbIndex: uid eq\nolcDbIndex: member eq\n"
            # Only the root DN (which bypasses access control) reads or writes.
            "olcAccess: {0}to * by * none\n"
        )

    def _slapadd(self, *args: str) -> None:
        result = subprocess.run(  # noqa: S603
            [str(SLAPADD), "-F", str(self.config_dir), "-q", *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise SlapdError(f"slapadd {' '.join(args)} a échoué :\n{result.stderr[-2000:]}")

    def _launch(self, settings: DirectorySettings) -> bool:
        """Start slapd on `settings.url`; True once it answers a bind, False if it exited
        (port taken). `-d 0` keeps it in the foreground, our child, with its log on stderr.
        No `-u`/`-g`: it runs as whoever runs this, root included, on an unprivileged port."""
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(  # noqa: S603
                [str(SLAPD), "-d", "0", "-h", f"{settings.url}/", "-F", str(self.config_dir)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                preexec_fn=_die_with_parent(),  # noqa: PLW1509
            )
        self._process = process
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self._process = None
                return False
            if _bind_answers(settings):
                return True
            time.sleep(0.05)
        self.stop()
        raise SlapdError(
            f"slapd ne répond pas après {START_TIMEOUT:.0f} s ; fin de {self.log_file} :\n"
            f"{self._log_tail()}"
        )

    def _log_tail(self) -> str:
        if not self.log_file.exists():
            return ""
        return self.log_file.read_text(errors="replace")[-2000:]


# --- command line ----------------------------------------------------------------------------


class _Stop(Exception):
    pass


def _raise_stop(signum, frame):
    raise _Stop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=None, help="default: a temporary folder")
    parser.add_argument("--env-file", type=Path, default=None, help="default: standard output")
    args = parser.parse_args(argv)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_stop)
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, _raise_stop)
    parent = os.getppid()
    with contextlib.ExitStack() as stack:
        directory = args.dir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        server = LocalSlapd(directory)
        try:
            settings = server.start()
            lines = "".join(f"{key}={value}\n" for key, value in settings.as_env().items())
            if args.env_file:
                tmp = args.env_file.with_name(args.env_file.name + ".tmp")
                tmp.write_text(lines)
                os.replace(tmp, args.env_file)
            else:
                sys.stdout.write(lines)
                sys.stdout.flush()
            print(f"[slapd] prêt sur {settings.url} ; Ctrl-C pour l'arrêter", file=sys.stderr)
            while os.getppid() == parent:  # until told to stop, or orphaned
                time.sleep(1)
            return 0
        except _Stop:
            return 0
        except SlapdError as exc:
            print(f"[slapd] erreur : {exc}", file=sys.stderr)
            return 1
        finally:
            for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
                signal.signal(signum, signal.SIG_IGN)
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
