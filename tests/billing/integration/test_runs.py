"""B1: billing runs — one invoice per collectivité, a dry run issues nothing, the same period
run twice or a run resumed after a worker died makes no duplicate and leaves no gap."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from billing import services
from billing.models import BillingRun, Invoice
from contracts import services as contracts
from contracts.models import Quote, QuoteLine
from tests.factories.catalogue import build_catalogue

AS_OF = date(2026, 4, 1)


@pytest.fixture
def two_customers(db, tenant, other_tenant):
    catalogue = build_catalogue()
    for n, (collectivite, offer, quantity) in enumerate(
        [
            (tenant, catalogue.mail, 10),
            (tenant, catalogue.visio, 3),
            (other_tenant, catalogue.mail, 2),
        ]
    ):
        quote = Quote.objects.create(
            reference=f"DEV-R-{n}", collectivite=collectivite, title="t", status="approved"
        )
        line = QuoteLine.objects.create(
            quote=quote, offer=offer, label=offer.name, quantity=quantity
        )
        contracts.line_activate(line=line, activated_on=date(2026, 3, 17), activated_by=None)
    return tenant, other_tenant


def _run(django_capture_on_commit_callbacks, dry_run=False):
    with time_machine.travel(AS_OF, tick=False), django_capture_on_commit_callbacks(execute=True):
        run = services.billing_run_start(as_of=AS_OF, dry_run=dry_run, requested_by=None)
    run.refresh_from_db()
    return run


def test_a_run_invoices_each_collectivite_once(two_customers, django_capture_on_commit_callbacks):
    tenant, other = two_customers
    run = _run(django_capture_on_commit_callbacks)
    assert (run.status, run.collectivites_total, run.collectivites_done) == ("done", 2, 2)
    assert (run.invoices_count, run.failures) == (2, [])
    mine = Invoice.objects.get(collectivite=tenant)
    assert mine.lines.count() == 2  # one line per subscription-year
    assert mine.total_ttc == Decimal("360.00")  # 10 × 24 + (3 − 1 free) × 60
    assert run.total_amount == Decimal("408.00")  # + 2 × 24
    assert mine.pdf_sha256  # rendered with its Factur-X
    # the same period again: nothing new
    again = _run(django_capture_on_commit_callbacks)
    assert (again.invoices_count, Invoice.objects.count()) == (0, 2)


def test_dry_run_issues_nothing(two_customers, django_capture_on_commit_callbacks):
    run = _run(django_capture_on_commit_callbacks, dry_run=True)
    assert run.status == "done"
    assert not Invoice.objects.exists()
    assert sorted((row["collectivite"], row["total_ht"]) for row in run.preview) == [
        ("Commune Autre", "48.00"),
        ("Commune de Test", "360.00"),
    ]


def test_a_resumed_run_makes_no_duplicate_and_no_gap(
    two_customers, django_capture_on_commit_callbacks
):
    tenant, other = two_customers
    # A worker dies after the first collectivité of a run.
    crashed = BillingRun.objects.create(as_of=AS_OF)
    ids = services.billing_run_prepare(crashed)
    services.billing_run_collectivite(crashed, ids[0])
    crashed.refresh_from_db()
    assert (crashed.status, crashed.invoices_count) == ("running", 1)
    # Finance runs the period again.
    resumed = _run(django_capture_on_commit_callbacks)
    assert resumed.invoices_count == 1
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == ["FAC-2026-00001", "FAC-2026-00002"]
    assert Invoice.objects.filter(collectivite=tenant).count() == 1
    assert Invoice.objects.filter(collectivite=other).count() == 1


def test_no_invoice_without_the_syndicates_identity(
    two_customers, syndicate, django_capture_on_commit_callbacks
):
    syndicate.siret = ""
    syndicate.save()
    run = _run(django_capture_on_commit_callbacks)
    assert run.status == "failed"
    assert run.failures == [{"collectivite": "", "reason": services.SELLER_INCOMPLETE}]
    assert not Invoice.objects.exists()


def test_a_failed_render_is_recorded_and_retried_by_its_task(
    two_customers, django_capture_on_commit_callbacks, monkeypatch
):
    from billing import documents, tasks

    real = documents.invoice_pdf
    calls = []

    def flaky(invoice):
        calls.append(invoice.number)
        if len(calls) <= 2:  # the run's two renders fail
            raise RuntimeError("police introuvable")
        return real(invoice)

    monkeypatch.setattr(documents, "invoice_pdf", flaky)
    monkeypatch.setattr(tasks.invoice_render_task, "max_retries", 3)
    run = _run(django_capture_on_commit_callbacks)
    # Issued anyway; the run says which render failed; the task retried until it rendered.
    assert run.invoices_count == 2
    assert [f["reason"] for f in run.failures] == ["RuntimeError: police introuvable"] * 2
    for invoice in Invoice.objects.all():
        assert (bool(invoice.pdf), invoice.pdf_error) == (True, "")
    assert sorted(calls) == ["FAC-2026-00001"] * 2 + ["FAC-2026-00002"] * 2
