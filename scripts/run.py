"""`make run`: the whole portal on this machine, in one command.

Uses DATABASE_URL / REDIS_URL when set, otherwise starts an embedded PostgreSQL (pgserver)
and Redis in .data/ (kept between runs); migrates, loads the demo data, then runs the Celery
worker, Celery beat and the development web server until Ctrl-C, which stops all of them.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import services  # noqa: E402

DATA = ROOT / ".data"
BIN = Path(sys.executable).parent  # .venv/bin (not resolved: the venv's own entry points)
PYTHON = sys.executable
STOP_TIMEOUT = 10.0


class Stop(Exception):
    """SIGTERM / SIGHUP received."""


class Failure(Exception):
    """Something the user must hear about; the run stops with a non-zero status."""


def say(message: str = "") -> None:
    print(message, flush=True)


def _raise_stop(signum, frame):
    raise Stop


def _die_with_parent():
    """Children get SIGTERM if this process dies without cleaning up (Linux only)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        return lambda: libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        return None


_PREEXEC = _die_with_parent() if sys.platform.startswith("linux") else None


def manage(env: dict[str, str], *args: str) -> None:
    command = [PYTHON, "manage.py", *args]
    say(f"\n→ {' '.join(['manage.py', *args])}")
    result = subprocess.run(command, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, check=False)  # noqa: S603
    if result.returncode != 0:
        raise Failure(f"« manage.py {' '.join(args)} » a échoué (code {result.returncode}).")


def start(name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen:
    # Own process group: Ctrl-C in the terminal reaches only this script, which then stops
    # the children in order (and the embedded servers after them).
    return subprocess.Popen(  # noqa: S603
        command,
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        process_group=0,
        preexec_fn=_PREEXEC,  # noqa: PLW1509
    )


def stop_children(children: list[tuple[str, subprocess.Popen]]) -> None:
    alive = [(name, proc) for name, proc in children if proc.poll() is None]
    if not alive:
        return
    say(f"Arrêt de : {', '.join(name for name, _ in alive)}…")
    for _, proc in reversed(alive):
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT
    for name, proc in alive:
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{name} ne s'arrête pas : arrêt forcé.")
    for _, proc in alive:
        # Kill what is left in each child's group too (e.g. the worker's pool processes).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))  # the port runserver will use
        except OSError:
            return True
    return False


def wait_for_port(port: int, children: list[tuple[str, subprocess.Popen]], timeout=60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        check_children(children)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.3)
    return False


def check_children(children: list[tuple[str, subprocess.Popen]]) -> None:
    for name, proc in children:
        code = proc.poll()
        if code is not None:
            raise Failure(
                f"{name} s'est arrêté de façon inattendue (code {code}) : "
                "arrêt de tous les services."
            )


def run(started_at: float, children: list[tuple[str, subprocess.Popen]]) -> int:
    port = int(os.environ.get("PORT") or 8000)
    if port_in_use(port):
        raise Failure(
            f"Le port {port} est déjà utilisé. Choisissez-en un autre : PORT=8001 make run"
        )

    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings.dev",
            "PORT": str(port),
            "PORTAL_PORT": str(port),
            "PYTHONUNBUFFERED": "1",
        }
    )
    os.environ.update(env)
    say("Démarrage des services (PostgreSQL, Redis)…")
    try:
        env["DATABASE_URL"] = services.ensure_postgres(DATA, prefer_local=False)
        env["REDIS_URL"] = services.ensure_redis(DATA, prefer_local=False)
        # So that `manage.py …` typed in another terminal reaches the same services.
        (DATA / "run.env").write_text(
            f"DATABASE_URL={env['DATABASE_URL']}\nREDIS_URL={env['REDIS_URL']}\n"
        )
    except services.ServiceError as exc:
        raise Failure(str(exc)) from exc

    # The systems behind the services (directory, mail, drive, visio): local stand-ins when
    # none is configured, so that accounts created in the demo are really provisioned.
    connector_settings = (
        "DIRECTORY_URL",
        "BLUEMIND_URL",
        "NEXTCLOUD_URL",
        "BIGBLUEBUTTON_URL",
        "ZIMBRA_URL",
    )
    if not any(env.get(name) for name in connector_settings):
        say("Démarrage de l'annuaire et des services de démonstration (BlueMind, Nextcloud, BBB)…")
        systems_env = DATA / "systems.env"
        systems_env.unlink(missing_ok=True)
        children.append(
            (
                "les services de démonstration",
                start(
                    "systems",
                    [PYTHON, "scripts/demo_systems.py", "--env-file", str(systems_env)],
                    env,
                ),
            )
        )
        deadline = time.monotonic() + 60
        while not systems_env.exists():
            check_children(children)
            if time.monotonic() > deadline:
                raise Failure("Les services de démonstration ne démarrent pas.")
            time.sleep(0.2)
        lines = systems_env.read_text().splitlines()
        env.update(line.split("=", 1) for line in lines if "=" in line)
        with (DATA / "run.env").open("a") as run_env:
            run_env.write("\n".join(lines) + "\n")

    manage(env, "migrate_schemas", "--shared")
    manage(env, "migrate_schemas", "--tenant")  # the collectivités already created, if any
    manage(env, "ensure_tenant_template")
    manage(env, "load_demo")

    celery = str(BIN / "celery")
    say("\nDémarrage du worker Celery, de Celery beat et du serveur web…")
    children.append(
        (
            "le worker Celery",
            start(
                "worker",
                [celery, "-A", "portal", "worker", "-l", "info", "--concurrency", "2"],
                env,
            ),
        )
    )
    children.append(
        (
            "Celery beat",
            start(
                "beat",
                [
                    celery,
                    "-A",
                    "portal",
                    "beat",
                    "-l",
                    "info",
                    "--schedule",
                    str(DATA / "celerybeat-schedule"),
                    "--pidfile",
                    str(DATA / "celerybeat.pid"),
                ],
                env,
            ),
        )
    )
    children.append(
        (
            "le serveur web",
            start(
                "web", [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"], env
            ),
        )
    )
    if not wait_for_port(port, children):
        raise Failure(f"Le serveur web ne répond pas sur le port {port}.")

    say("")
    say("=" * 72)
    say(f"Portail prêt en {time.monotonic() - started_at:.0f} s.")
    say(f"  Espace du syndicat (back-office) : http://portail.localhost:{port}/")
    say(f"  Sites des collectivités : http://<slug>.portail.localhost:{port}/ (liste ci-dessus)")
    say("  Identifiants de démonstration : voir ci-dessus. Courriels affichés dans ce terminal.")
    say("  Ctrl-C pour tout arrêter. Données conservées dans .data/ (make clean-data pour repartir")
    say("  de zéro).")
    say("=" * 72)

    while True:
        check_children(children)
        time.sleep(0.5)


def main() -> int:
    started_at = time.monotonic()
    os.chdir(ROOT)
    DATA.mkdir(exist_ok=True)
    lock = (DATA / "run.lock").open("w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        say("« make run » tourne déjà pour ce dossier (voir .data/run.lock).")
        return 1

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_stop)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    children: list[tuple[str, subprocess.Popen]] = []
    status = 0
    try:
        run(started_at, children)
    except (KeyboardInterrupt, Stop):
        say("\nArrêt demandé.")
    except Failure as exc:
        say(f"\nErreur : {exc}")
        status = 1
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        stop_children(children)
        if services.started_embedded():
            say("Arrêt de PostgreSQL et Redis embarqués…")
        services.shutdown()
        (DATA / "run.env").unlink(missing_ok=True)
        say("Tout est arrêté.")
    return status


if __name__ == "__main__":
    sys.exit(main())
