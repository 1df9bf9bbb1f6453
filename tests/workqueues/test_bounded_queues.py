"""The syndicate's home page reads only what it shows (issue 17): five items of each queue and
how many wait, in one query per queue however many rows there are — a finance officer the
day after the billing run of 3,000 collectivités does not load 3,000 invoices."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Invoice, Payment
from contracts.models import ServiceRequest
from workqueues import selectors

TODAY = date(2026, 6, 20)
NOW = datetime(2026, 6, 20, 8, tzinfo=UTC)


def _invoice(tenant, n: int, due: date, paid: str = "0") -> Invoice:
    invoice = Invoice.objects.create(
        number=f"FAC-2026-{n:05d}",
        year=2026,
        collectivite=tenant,
        issue_date=due - timedelta(days=30),
        due_date=due,
        buyer={"name": tenant.name, "siret": tenant.siret},
        seller={"name": "Syndicat", "siret": tenant.siret},
        total_ht=Decimal("100.00"),
        total_vat=Decimal("0.00"),
        total_ttc=Decimal("100.00"),
    )
    if Decimal(paid):
        Payment.objects.create(
            invoice=invoice, paid_on=TODAY, mandate_reference=f"M-{n}", amount=Decimal(paid)
        )
    return invoice


def _work():
    with CaptureQueriesContext(connection) as captured:
        work = selectors.backoffice_work(admin=True, finance=True, today=TODAY, now=NOW)
    return work, len(captured)


def test_each_queue_shows_its_first_five_and_counts_them_all(tenant, settings):
    settings.ROOT_URLCONF = settings.PUBLIC_SCHEMA_URLCONF  # the back-office's links
    _, queries_when_empty = _work()
    for n in range(7):  # seven already due, oldest first; one of them paid in full
        _invoice(tenant, n, date(2026, 5, 1) + timedelta(days=n), paid="100" if n == 3 else "0")
    for n in range(7, 16):  # nine not due yet
        _invoice(tenant, n, date(2026, 7, 1) + timedelta(days=n))
    for n in range(8):
        ServiceRequest.objects.create(
            collectivite=tenant, status="submitted", submitted_at=NOW - timedelta(days=8 - n)
        )

    work, queries = _work()
    overdue = work.get("invoices_overdue")
    to_record = work.get("payments_to_record")
    requests = work.get("requests_to_quote")
    assert (overdue.count, to_record.count, requests.count) == (6, 9, 8)
    assert [i.label.split()[1] for i in overdue.items] == [
        "FAC-2026-00000",
        "FAC-2026-00001",
        "FAC-2026-00002",
        "FAC-2026-00004",  # 00003 is paid
        "FAC-2026-00005",
    ]
    assert [i.label.split()[1] for i in to_record.items] == [
        f"FAC-2026-{n:05d}" for n in range(7, 12)
    ]
    assert (overdue.hidden, to_record.hidden, requests.hidden) == (1, 4, 3)
    assert len(requests.items) == 5
    assert work.badges["invoices"] == 15
    assert work.badges["work_queue"] == 8
    assert queries == queries_when_empty  # one query per queue, rows or none


def test_every_list_of_the_syndicates_home_is_read_bounded(tenant, settings):
    """Each query reads at most the rows shown: a LIMIT, or a numbering within each part."""
    settings.ROOT_URLCONF = settings.PUBLIC_SCHEMA_URLCONF
    with CaptureQueriesContext(connection) as captured:
        selectors.backoffice_work(admin=True, finance=True, today=TODAY, now=NOW)
    unbounded = [
        q["sql"][:120]
        for q in captured
        if q["sql"].startswith("SELECT")
        and "LIMIT" not in q["sql"]
        and "ROW_NUMBER" not in q["sql"]
    ]
    assert len(captured) > 10
    assert unbounded == []
