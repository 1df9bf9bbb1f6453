"""Issue 16, the key test: the estimate of 2027 made on 16/11/2026 equals, to the cent, what
the billing runs of 2027 invoice (after the renewal job creates the contract years), for a
collectivité with a renewal with a co-termed addition and a pending reduction, a termination
at the anniversary, a termination inside the next year (prorated, B2) and a new schedule for
2027; and a draft schedule's impact table sums to the difference between the two totals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from billing import estimate_selectors, services
from billing.models import Invoice, InvoiceLine
from catalogue.models import StratePrice, TariffLine, TariffSchedule
from contracts import rules
from contracts import services as contracts
from contracts.models import Quote, QuoteLine
from tests.factories.catalogue import EXEMPT, FORFAIT_PRICES, build_catalogue

TODAY = date(2026, 11, 16)


@pytest.fixture
def catalogue(db):
    return build_catalogue()


def _activate(tenant, offer, quantity, day):
    quote = Quote.objects.create(
        reference=f"E{offer.pk}-{tenant.pk}-{day:%y%m%d}",
        collectivite=tenant,
        title="t",
        status=Quote.Status.APPROVED,
    )
    line = QuoteLine.objects.create(quote=quote, offer=offer, label=offer.name, quantity=quantity)
    return contracts.line_activate(line=line, activated_on=day, activated_by=None).subscription


def _schedule(catalogue, *, status, number, mail, quota, forfait_rate):
    schedule = TariffSchedule.objects.create(
        deliberation_number=number,
        deliberation_date=date(2026, 10, 9),
        effective_from=date(2027, 1, 1),
        title=f"Grille 2027 {number}",
        status=status,
        published_at=timezone.now() if status == "published" else None,
    )
    for offer, price, free in [
        (catalogue.mail, mail, 0),
        (catalogue.extra_quota, quota, 0),
        (catalogue.visio, "60.00", 1),
    ]:
        TariffLine.objects.create(
            schedule=schedule,
            offer=offer,
            unit_price=Decimal(price),
            first_free_quantity=free,
            vat_exemption=EXEMPT,
        )
    line = TariffLine.objects.create(
        schedule=schedule, offer=catalogue.forfait, vat_exemption=EXEMPT
    )
    StratePrice.objects.bulk_create(
        StratePrice(
            line=line, strate=s, unit_price=(p * Decimal(forfait_rate)).quantize(Decimal("0.01"))
        )
        for s, p in FORFAIT_PRICES.items()
    )
    return schedule


def test_estimate_of_next_year_equals_what_the_runs_invoice(catalogue, tenant, other_tenant):
    with time_machine.travel(TODAY, tick=False):
        mail = _activate(tenant, catalogue.mail, 10, date(2026, 3, 17))
        _activate(tenant, catalogue.mail, 3, date(2026, 9, 10))  # co-termed, renewed in 2027
        quota = _activate(tenant, catalogue.extra_quota, 5, date(2026, 7, 4))
        visio = _activate(tenant, catalogue.visio, 3, date(2026, 2, 5))
        forfait = _activate(tenant, catalogue.forfait, 1, date(2026, 1, 20))
        _activate(other_tenant, catalogue.mail, 7, date(2026, 6, 2))
        contracts.renewals_run(today=TODAY)
        for who in (tenant, other_tenant):
            services.invoice_issue(collectivite=who, as_of=TODAY, issue_date=TODAY)
        # 16/11/2026: visio ends at its first anniversary (01/02/2027), the forfait one month
        # into its renewed year (01/02/2027), and 2 mailboxes go on 01/03/2027.
        for sub, quantity in [(visio, None), (forfait, None), (mail, Decimal("2"))]:
            contracts.termination_record(
                subscription=sub, received_on=TODAY, today=TODAY, quantity=quantity
            )
        _schedule(
            catalogue,
            status="published",
            number="2026-31",
            mail="26.40",
            quota="3.30",
            forfait_rate="1.1",
        )
        draft = _schedule(
            catalogue,
            status="draft",
            number="2026-40",
            mail="27.13",
            quota="3.00",
            forfait_rate="1.25",
        )

        estimate = estimate_selectors.estimate_for(collectivite=tenant, year=2027, today=TODAY)
        with_draft = estimate_selectors.estimate_for(
            collectivite=tenant, year=2027, today=TODAY, draft=draft
        )
        impact = estimate_selectors.draft_impact(draft=draft, year=2027, today=TODAY)

    forfait_2027 = (FORFAIT_PRICES[tenant.strate] * Decimal("1.1")).quantize(Decimal("0.01"))
    assert [
        (line.offer, line.year_start, line.months, line.quantity, line.amount)
        for line in estimate.lines
    ] == [
        (
            "forfait-techno",
            date(2027, 1, 1),
            1,
            Decimal("1"),
            (forfait_2027 / 12).quantize(Decimal("0.01")),
        ),
        ("mail", date(2027, 3, 1), 12, Decimal("11"), Decimal("290.40")),
        ("quota-mail", date(2027, 7, 1), 12, Decimal("5"), Decimal("16.50")),
    ]
    assert estimate.problems == ()
    [mail_line] = [line for line in estimate.lines if line.offer == "mail"]
    assert mail_line.notice_deadline == date(2026, 12, 31)
    assert mail_line.next_notice == (date(2026, 12, 31), date(2027, 3, 1))
    assert quota.pk in {line.subscription_id for line in estimate.lines}

    # A year later: the renewal job and the monthly runs of 2027, each on its first day.
    issued = []
    for month in range(1, 13):
        day = date(2027, month, 1)
        with time_machine.travel(day, tick=False):
            contracts.renewals_run(today=day)
            invoice = services.invoice_issue(collectivite=tenant, as_of=day, issue_date=day)
            if invoice is not None:
                issued.append(invoice)
    lines = InvoiceLine.objects.filter(invoice__in=issued).order_by("period_start")
    assert [(line.period_start, line.months, line.quantity, line.amount) for line in lines] == [
        (line.year_start, line.months, line.quantity, line.amount) for line in estimate.lines
    ]
    assert [invoice.issue_date for invoice in issued] == [
        line.invoice_expected_on for line in estimate.lines
    ]
    assert sum(invoice.total_ttc for invoice in issued) == estimate.total_ttc
    assert sum(invoice.total_ht for invoice in issued) == estimate.total_ht
    assert (
        not Invoice.objects.filter(collectivite=tenant, issue_date__year=2027)
        .exclude(pk__in=[i.pk for i in issued])
        .exists()
    )

    # The draft: every grouping of its impact sums to the difference between the two totals.
    difference = with_draft.total_ht - estimate.total_ht
    mine = {row.key: row for row in impact.by_collectivite}[tenant.name]
    assert (mine.current, mine.proposed, mine.change) == (
        estimate.total_ht,
        with_draft.total_ht,
        difference,
    )
    other = {row.key: row for row in impact.by_collectivite}[other_tenant.name]
    assert other.change == Decimal("5.11")  # 7 mailboxes × 0.73 €
    total_change = difference + other.change
    for grouping in (impact.by_collectivite, impact.by_strate, impact.by_offer):
        assert sum(row.change for row in grouping) == total_change == impact.total.change
    # the change from 2026: what the contract years of 2026 were invoiced
    assert mine.last_year == sum(
        line.amount
        for line in InvoiceLine.objects.filter(
            invoice__collectivite=tenant, source__startswith="year:", period_start__year=2026
        )
    )
    assert rules.first_anniversary(date(2026, 2, 5)) == date(2027, 2, 1)
