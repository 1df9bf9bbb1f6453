"""Issue 18, against the real parts: a Celery worker *process* (`celery -A portal worker`, on
the test database and the test Redis) is killed with SIGKILL in the middle of a billing run;
the watchdog then finds the run's heartbeat stopped and resumes it through the outbox, a new
worker finishes it, and the run ends `done` with one invoice per collectivité, gapless numbers
and a stored PDF for each.

The data is committed (the worker is another process and sees no test transaction) and
removed at the end. The watchdog is called by the test with a clock ten-odd minutes ahead,
which is what the beat does every few minutes once the deadline has passed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from billing import services
from billing.models import BillingRun, Invoice, InvoiceLine, NumberSequence
from catalogue.models import AnnexVersion, Offer, ServiceFamily, TariffSchedule
from contracts import rules
from contracts.models import ContractYear, Subscription
from portal.celery import app
from portal.models import AuditEvent, Collectivite, OutboxMessage, Syndicate
from tests.factories import valid_siret
from tests.factories.catalogue import build_catalogue

COLLECTIVITES = 40
ROOT = Path(__file__).resolve().parents[3]


def _worker(media_root: Path, name: str) -> subprocess.Popen:
    """A worker process of its own session (so that SIGKILL reaches it and nothing else)."""
    db = connection.settings_dict
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:"
        f"{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "MEDIA_ROOT": str(media_root),
    }
    with (media_root.parent / f"worker-{name}.log").open("wb") as log:  # read on a failure
        return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo"]
            + ["--without-heartbeat", "--without-gossip", "--without-mingle"]
            + ["-n", f"{name}@%h", "--loglevel=WARNING"],
            cwd=ROOT,
            env=environment,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )


def _wait(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.02)
    raise AssertionError(f"délai dépassé : {what}")


def _kill(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)


@pytest.fixture
def committed_customers(django_db_setup, django_db_blocker, settings, tmp_path):
    """`COLLECTIVITES` collectivités (public rows only: a run never enters their schemas),
    each with a contract year begun a month ago."""
    settings.MEDIA_ROOT = tmp_path / "media"
    app.conf.task_always_eager = False
    with django_db_blocker.unblock():
        assert not BillingRun.objects.exists()
        assert not Invoice.objects.exists()
        sequences = set(NumberSequence.objects.values_list("pk", flat=True))
        catalogue = build_catalogue()
        Syndicate.objects.update_or_create(
            pk=1,
            defaults={
                "name": "Syndicat de l'essai",
                "short_name": "Essai",
                "siret": "73282932000074",
            },
        )
        start = timezone.localdate() - timedelta(days=30)
        ids = []
        for n in range(COLLECTIVITES):
            collectivite = Collectivite(
                schema_name=f"c_arret_{n}",
                name=f"Commune de l'arrêt n° {n}",
                slug=f"arret-{n}",
                kind="commune",
                siret=valid_siret(7_100_000 + n),
                population=300,
                strate="moins-500",
                service_code="MAIRIE",
                address="Place de la mairie",
                postcode="50000",
                city="Essai",
            )
            collectivite.auto_create_schema = False
            collectivite.save()
            ids.append(collectivite.pk)
            subscription = Subscription.objects.create(
                collectivite=collectivite,
                offer=catalogue.mail,
                quantity=Decimal(2),
                activated_on=start,
            )
            ContractYear.objects.create(
                subscription=subscription, start=start, end=rules.first_anniversary(start)
            )
        try:
            yield ids
        finally:
            app.conf.task_always_eager = True
            app.control.purge()
            OutboxMessage.objects.all().delete()
            InvoiceLine.objects.all().delete()
            Invoice.objects.all().delete()
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "ALTER TABLE portal_auditevent DISABLE TRIGGER portal_auditevent_append_only"
                )
                AuditEvent.objects.filter(
                    Q(object_type__startswith="billing.") | Q(collectivite_id__in=ids)
                ).delete()
                cursor.execute(
                    "ALTER TABLE portal_auditevent ENABLE TRIGGER portal_auditevent_append_only"
                )
            BillingRun.objects.all().delete()
            NumberSequence.objects.exclude(pk__in=sequences).delete()
            ContractYear.objects.filter(subscription__collectivite_id__in=ids).delete()
            Subscription.objects.filter(collectivite_id__in=ids).delete()
            Collectivite.objects.filter(pk__in=ids).delete()
            TariffSchedule.objects.all().delete()
            AnnexVersion.objects.all().delete()
            Offer.objects.exclude(requires_offer=None).delete()
            Offer.objects.all().delete()
            ServiceFamily.objects.all().delete()


def test_a_run_whose_worker_is_killed_ends_done_with_every_invoice_and_pdf(
    committed_customers, tmp_path
):
    ids = committed_customers
    media = tmp_path / "media"
    first = _worker(media, "premier")
    second = None
    try:
        run = services.billing_run_start(
            as_of=timezone.localdate(), dry_run=False, requested_by=None
        )
        # Killed once a few collectivités are invoiced, well before the last one.
        _wait(
            lambda: BillingRun.objects.filter(pk=run.pk, collectivites_done__gte=3).exists(),
            timeout=60,
            what="le premier traitement facture ses premières collectivités",
        )
        _kill(first)
        run.refresh_from_db()
        assert run.status == BillingRun.Status.RUNNING
        assert 3 <= run.collectivites_done < COLLECTIVITES, "le traitement est tué en cours"
        invoiced_before = Invoice.objects.count()

        # Before the deadline the run is thought alive; past it, it is resumed.
        assert services.billing_runs_watchdog()["runs"] == 0
        second = _worker(media, "second")
        later = timezone.now() + services.RUN_STALE_AFTER + timedelta(minutes=1)
        assert services.billing_runs_watchdog(now=later)["runs"] == 1

        _wait(
            lambda: BillingRun.objects.filter(pk=run.pk, status=BillingRun.Status.DONE).exists(),
            timeout=120,
            what="la facturation reprise se termine",
        )
        # Any invoice whose PDF was being drawn when the worker died is drawn by the sweeper.
        services.billing_runs_watchdog(now=later + services.PDF_MISSING_AFTER)
        _wait(
            lambda: not Invoice.objects.filter(pdf="").exists(),
            timeout=60,
            what="chaque facture a son PDF",
        )
    finally:
        _kill(first)
        if second is not None:
            _kill(second)

    run.refresh_from_db()
    invoices = list(Invoice.objects.order_by("number"))
    year = timezone.localdate().year
    assert invoiced_before < len(invoices) == COLLECTIVITES
    assert sorted(i.collectivite_id for i in invoices) == sorted(ids)  # one each, none twice
    assert [i.number for i in invoices] == [
        f"FAC-{year}-{n:05d}" for n in range(1, COLLECTIVITES + 1)
    ]  # no gap
    assert (run.invoices_count, run.collectivites_done) == (COLLECTIVITES, COLLECTIVITES)
    for invoice in invoices:
        with invoice.pdf.open("rb") as stored:
            assert stored.read(5) == b"%PDF-"
