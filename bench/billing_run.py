"""The monthly billing run at scale: N collectivités × M subscriptions, invoiced with their
PDF and Factur-X by the real Celery worker (2 processes), against a real PostgreSQL and Redis.

    .venv/bin/python bench/billing_run.py [--collectivites 1000] [--subscriptions 5]

Uses its own database `portail_bench` (dropped and created afresh) and Redis database 9.
Prints: wall time of the run, invoices per second, mean and p95 time per invoice as seen by
the worker (issue + render), the worker's peak memory (all its processes), the time of a bare
WeasyPrint + Factur-X render of the same invoices in a loop, and the ratio of the two
throughputs. Record results in bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_URL = os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portail_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("MEDIA_ROOT", str(Path(tempfile.gettempdir()) / "portail-bench-media"))
AS_OF = date(2026, 4, 1)


def fresh_database() -> None:
    import psycopg

    name = DB_URL.rsplit("/", 1)[1]
    if not name.startswith("portail_bench"):
        sys.exit("Refus : la base du banc d'essai doit s'appeler portail_bench…")
    with psycopg.connect(DB_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _siret(n: int) -> str:
    from stdnum import luhn

    siren8 = f"{n:08d}"
    siren = siren8 + luhn.calc_check_digit(siren8)
    return siren + "0001" + luhn.calc_check_digit(siren + "0001")


def populate(collectivites: int, subscriptions: int) -> None:
    from django.core.management import call_command

    from contracts import rules
    from contracts.models import ContractYear, Subscription
    from portal.models import Collectivite, Domain, Syndicate
    from portal.tenancy import tenant_schema_create, tenant_template_ensure

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("load_catalogue", stdout=quiet)
    tenant_template_ensure()
    Syndicate.objects.update_or_create(
        pk=1,
        defaults={
            "name": "Syndicat du banc d'essai",
            "short_name": "Banc",
            "siret": "25500012300016",
            "address": "1 rue du Banc",
            "postcode": "50000",
            "city": "Saint-Lô",
            "treasury_iban": "FR7630001007941234567890185",
            "treasury_bic": "BDFEFRPPCCT",
        },
    )
    from catalogue.models import Offer

    offers = list(
        Offer.objects.filter(
            billing_unit__in=["account_year", "gb_year", "collectivite_year"]
        ).order_by("code")
    )
    started = time.perf_counter()
    for n in range(collectivites):
        siret = _siret(20_000_000 + n)
        c = Collectivite(
            schema_name=f"c_banc_{n}",
            name=f"Commune du banc n° {n}",
            slug=f"banc-{n}",
            kind="commune",
            siret=siret,
            population=100 + 37 * n % 20000,
            strate="moins-250",
            service_code="MAIRIE",
            address="Place de la mairie",
            postcode="50000",
            city="Banc",
        )
        from portal.domain import Kind, strate_for

        c.strate = strate_for(
            kind=Kind.COMMUNE,
            population=c.population,
            agent_count=0,
            hosted=False,
            non_affiliated=False,
        ).value
        c.auto_create_schema = False
        c.save()
        tenant_schema_create(c)
        Domain.objects.create(domain=f"banc-{n}.portail.localhost", tenant=c, is_primary=True)
        for k in range(subscriptions):
            offer = offers[(n + k) % len(offers)]
            sub = Subscription.objects.create(
                collectivite=c,
                offer=offer,
                quantity=Decimal(1 + (n + k) % 12),
                activated_on=date(2026, 3, 1 + k),
            )
            ContractYear.objects.create(
                subscription=sub,
                start=date(2026, 3, 1),
                end=rules.first_anniversary(sub.activated_on),
            )
    print(
        f"données : {collectivites} collectivités × {subscriptions} abonnements en {time.perf_counter() - started:.0f} s"
    )


def peak_memory_sampler(root_pid: int, stop: threading.Event, peak: list[int]) -> None:
    import psutil

    root = psutil.Process(root_pid)
    while not stop.is_set():
        try:
            procs = [root, *root.children(recursive=True)]
            peak[0] = max(peak[0], sum(p.memory_info().rss for p in procs))
        except psutil.Error:
            pass
        stop.wait(0.2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--collectivites", type=int, default=1000)
    parser.add_argument("--subscriptions", type=int, default=5)
    args = parser.parse_args()
    fresh_database()
    import django

    django.setup()
    from django.conf import settings

    settings.CELERY_TASK_ALWAYS_EAGER = False
    populate(args.collectivites, args.subscriptions)

    import redis

    redis.Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    worker = subprocess.Popen(  # noqa: S603 (our own worker, fixed arguments)
        [
            str(ROOT / ".venv/bin/celery"),
            "-A",
            "portal",
            "worker",
            "-l",
            "warning",
            "--concurrency",
            "2",
        ],
        cwd=ROOT,
        env=dict(os.environ),
    )
    stop, peak = threading.Event(), [0]
    sampler = threading.Thread(
        target=peak_memory_sampler, args=(worker.pid, stop, peak), daemon=True
    )
    sampler.start()
    try:
        from billing import services
        from billing.models import BillingRun, Invoice
        from portal.celery import app

        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=1) and time.monotonic() < deadline:
            pass  # wait until the worker answers (ping waits one second itself)
        started = time.perf_counter()
        run = services.billing_run_start(as_of=AS_OF, dry_run=False, requested_by=None)
        while True:
            run.refresh_from_db()
            if run.status in (BillingRun.Status.DONE, BillingRun.Status.FAILED):
                break
            time.sleep(0.5)
        wall = time.perf_counter() - started
    finally:
        stop.set()
        worker.terminate()
        worker.wait(timeout=30)

    invoices = list(Invoice.objects.filter(run=run).order_by("created_at"))
    per_invoice = [
        (b.created_at - a.created_at).total_seconds() * 2  # two worker processes
        for a, b in zip(invoices, invoices[1:], strict=False)
    ]
    print(
        f"campagne : {run.status}, {run.invoices_count} factures, {len(run.failures)} échecs, total {run.total_amount} €"
    )
    print(f"durée : {wall:.1f} s — {run.invoices_count / wall:.1f} factures/s")
    if per_invoice:
        ordered = sorted(per_invoice)
        print(
            f"par facture (émission + rendu, vu du worker) : moyenne {statistics.mean(per_invoice) * 1000:.0f} ms, p95 {ordered[int(0.95 * len(ordered)) - 1] * 1000:.0f} ms"
        )
    print(f"mémoire maximale du worker (tous processus) : {peak[0] / 2**20:.0f} Mo")

    from billing.documents import invoice_pdf

    sample = invoices[: min(100, len(invoices))]
    t0 = time.perf_counter()
    for invoice in sample:
        invoice_pdf(invoice)
    bare = (time.perf_counter() - t0) / len(sample)
    bare_throughput = 2 / bare  # two processes rendering side by side
    print(
        f"rendu seul (WeasyPrint + Factur-X, même modèle) : {bare * 1000:.0f} ms par facture, soit {bare_throughput:.1f} factures/s sur 2 processus"
    )
    print(
        f"rapport débit rendu seul / débit de la campagne : {bare_throughput / (run.invoices_count / wall):.2f}"
    )
    print(
        f"rapport débit de la campagne / débit du rendu seul (visé ≥ 0,8) : {(run.invoices_count / wall) / bare_throughput:.2f}"
    )


if __name__ == "__main__":
    main()
