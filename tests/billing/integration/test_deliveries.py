"""B1, B7, T4, F1: one-off deliveries recorded by other apps (support interventions, billed
trainings) are priced when recorded and invoiced once by the next billing run."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing import services
from billing.models import Delivery, Invoice
from catalogue.domain import PricingError
from catalogue.models import Offer, TariffLine, TariffSchedule
from tests.factories.catalogue import EXEMPT, build_catalogue


@pytest.fixture
def hourly(db):
    catalogue = build_catalogue()
    offer = Offer.objects.create(
        family=catalogue.mail.family,
        code="intervention-heure",
        name="Intervention exceptionnelle (heure)",
        system="none",
        billing_unit="hour",
    )
    schedule = TariffSchedule.objects.get(deliberation_number="2025-42")
    TariffLine.objects.create(
        schedule=schedule, offer=offer, unit_price=Decimal("55.00"), vat_exemption=EXEMPT
    )
    return offer


def _record(tenant, offer, **kwargs):
    values = {
        "collectivite": tenant,
        "offer": offer,
        "quantity": Decimal("2.5"),
        "delivered_on": date(2026, 4, 9),
        "source": "support:41",
        "label": "Intervention exceptionnelle — demande n° 41",
        "po_number": "ENG-2026-117",
    }
    values.update(kwargs)
    return services.delivery_record(**values)


def test_a_delivery_is_priced_at_the_schedule_in_force(tenant, hourly):
    delivery = _record(tenant, hourly)

    assert (delivery.unit_price, delivery.amount) == (Decimal("55.00"), Decimal("137.50"))
    assert delivery.vat_rate is None
    assert delivery.vat_exemption == EXEMPT


def test_an_accepted_price_is_kept(tenant, hourly):
    delivery = _record(tenant, hourly, unit_price=Decimal("50.00"))

    assert delivery.amount == Decimal("125.00")


def test_the_same_origin_twice_is_one_delivery(tenant, hourly):
    first = _record(tenant, hourly)
    again = _record(tenant, hourly, quantity=Decimal("3"))

    assert again.pk == first.pk
    assert Delivery.objects.get().amount == Decimal("165.00")


def test_a_delivery_before_any_schedule_is_refused(tenant, hourly):
    with pytest.raises(
        PricingError, match="Aucune grille tarifaire n'est en vigueur au 31/12/2025"
    ):
        _record(tenant, hourly, delivered_on=date(2025, 12, 31))
    assert not Delivery.objects.exists()


def test_the_next_run_invoices_it_once(tenant, hourly):
    delivery = _record(tenant, hourly)

    invoice = services.invoice_issue(
        collectivite=tenant, as_of=date(2026, 5, 1), issue_date=date(2026, 5, 1)
    )
    again = services.invoice_issue(
        collectivite=tenant, as_of=date(2026, 6, 1), issue_date=date(2026, 6, 1)
    )

    [line] = invoice.lines.all()
    assert (line.source, line.label, line.quantity, line.unit_price, line.amount) == (
        f"item:{delivery.pk}",
        "Intervention exceptionnelle — demande n° 41",
        Decimal("2.50"),
        Decimal("55.00"),
        Decimal("137.50"),
    )
    assert invoice.po_number == "ENG-2026-117"
    assert again is None
    assert Invoice.objects.count() == 1


def test_a_delivery_after_the_run_date_waits(tenant, hourly):
    _record(tenant, hourly, delivered_on=date(2026, 5, 2))

    assert (
        services.invoice_issue(
            collectivite=tenant, as_of=date(2026, 5, 1), issue_date=date(2026, 5, 1)
        )
        is None
    )


def test_an_invoiced_delivery_no_longer_changes(tenant, hourly):
    _record(tenant, hourly)
    invoice = services.invoice_issue(
        collectivite=tenant, as_of=date(2026, 5, 1), issue_date=date(2026, 5, 1)
    )

    with pytest.raises(ValidationError) as refused:
        _record(tenant, hourly, quantity=Decimal("4"))

    assert refused.value.messages == [
        f"Cette prestation est déjà facturée ({invoice.number}) : elle ne peut plus changer ; "
        "une correction passe par un avoir."
    ]
    assert Delivery.objects.get().quantity == Decimal("2.50")
