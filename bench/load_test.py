"""Load test (issue 17): signed-in people on tenant and back-office pages at 20 / 50 / 100
requests/s offered, against the bare view behind the same middleware, on the database of
bench/tenants_scale.py (run it first with --keep).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portail_hbench \
        .venv/bin/python bench/load_test.py [--seconds 20] [--rates 20,50,100] [--workers 2]

Bounded: gunicorn (`--workers`, loopback only, port 8765) and headless locust, each run
`--seconds` long, everything stopped at the end. Prints p50 / p95 / p99 and errors per run.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings_bench"
PORT = 8765
TENANT_PAGES = ["/", "/catalogue/", "/comptes-de-service/", "/contrats/", "/factures/"]
BACKOFFICE_PAGES = ["/", "/demandes-de-quota/", "/commandes/", "/factures/", "/collectivites/"]


def sessions(sites: int) -> list[dict]:
    """One signed-in session per site (functional administrators of the first `sites`
    collectivités) and one of the syndicate staff, created without the password hashing."""
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django_tenants.utils import schema_context

    from bench.tenants_scale import people
    from portal.models import Collectivite, Membership, Role, User

    staff, _, _ = people()
    out = []
    client = Client(HTTP_HOST=settings.BASE_DOMAIN)
    client.force_login(staff)
    out.append(
        {
            "host": settings.BASE_DOMAIN,
            "cookie": client.cookies["portail_session"].value,
            "pages": BACKOFFICE_PAGES,
        }
    )
    for c in Collectivite.objects.order_by("pk")[:sites]:
        user, _ = User.objects.get_or_create(
            email=f"charge-{c.slug}@banc.test", defaults={"full_name": f"Charge {c.slug}"}
        )
        Membership.objects.get_or_create(user=user, collectivite=c, role=Role.FUNCTIONAL_ADMIN)
        client = Client(HTTP_HOST=c.primary_domain_name)
        with schema_context(c.schema_name):
            client.force_login(user)
        out.append(
            {
                "host": c.primary_domain_name,
                "cookie": client.cookies["portail_session"].value,
                "pages": TENANT_PAGES,
            }
        )
    return out


def wait_up(timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(  # noqa: S310 (loopback)
                f"http://127.0.0.1:{PORT}/__bare__/", headers={"Host": "portail.localhost"}
            )
            with urllib.request.urlopen(request, timeout=2):  # noqa: S310
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("gunicorn ne répond pas")


HEADER = (
    f"{'offered':>8} {'target':7} {'requests':>8} {'req/s':>6} {'errors':>6} "
    f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
)


@contextmanager
def serve(workers: int):
    """gunicorn with `workers` sync workers on the loopback, up until the block ends; the load
    average is printed before and after."""
    server = subprocess.Popen(  # noqa: S603
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    try:
        wait_up()
        print(f"load average before: {os.getloadavg()[0]:.2f}; gunicorn {workers} workers")
        print(HEADER)
        yield server
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def run(rate: int, target: str, seconds: int, session_file: str, out: Path) -> dict:
    prefix = out / f"{target}-{rate}"
    env = {**os.environ, "LOAD_SESSIONS": session_file, "LOAD_TARGET": target}
    subprocess.run(  # noqa: S603
        [
            str(ROOT / ".venv/bin/locust"),
            "-f",
            str(ROOT / "bench/locustfile.py"),
            "--headless",
            "-u",
            str(rate),
            "-r",
            str(rate),
            "--run-time",
            f"{seconds}s",
            "--stop-timeout",
            "5",
            "--host",
            f"http://127.0.0.1:{PORT}",
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "ERROR",
        ],
        env=env,
        check=False,
        timeout=seconds + 60,
        capture_output=True,
    )
    with open(f"{prefix}_stats.csv") as f:  # noqa: PTH123
        rows = {r["Name"]: r for r in csv.DictReader(f)}
    total = rows["Aggregated"]
    return {
        "requests": int(total["Request Count"]),
        "rps": float(total["Requests/s"]),
        "failures": int(total["Failure Count"]),
        "p50": total["50%"],
        "p95": total["95%"],
        "p99": total["99%"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--rates", default="20,50,100")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sites", type=int, default=20)
    args = parser.parse_args()
    data = sessions(args.sites)
    from django.db import connections

    connections.close_all()
    out = Path(tempfile.mkdtemp(prefix="portail-load-"))
    session_file = str(out / "sessions.json")
    Path(session_file).write_text(json.dumps(data))
    with serve(args.workers):
        for rate in (int(r) for r in args.rates.split(",")):
            for target in ("bare", "pages"):
                r = run(rate, target, args.seconds, session_file, out)
                print(
                    f"{rate:>8} {target:7} {r['requests']:>8} {r['rps']:>6.1f} "
                    f"{r['failures']:>6} {r['p50']:>7} {r['p95']:>7} {r['p99']:>7}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
