"""Fixtures of the training tests: the test catalogue plus a Forfait Métiers and a daily
training tariff (400 € from 2026-01-01, 440 € from 2026-06-01), the syndicate (billing), a
staff trainer, sessions made through the services."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from catalogue.models import Offer, ServiceFamily, TariffLine, TariffSchedule
from contracts import services as contract_services
from tests.billing.conftest import syndicate  # noqa: F401 — the invoices' issuer
from tests.factories.catalogue import EXEMPT, build_catalogue
from trainings import services
from trainings.models import Session, Training

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.fixture
def catalogue(db):
    cat = build_catalogue()
    family = ServiceFamily.objects.create(code="prestations", name="Prestations", position=3)
    cat.metiers = Offer.objects.create(
        family=cat.forfait.family,
        code="forfait-metiers",
        name="Forfait Métiers",
        system="none",
        billing_unit="collectivite_year",
    )
    cat.formation = Offer.objects.create(
        family=family,
        code="formation-jour",
        name="Formation sur site ou à distance",
        system="none",
        billing_unit="day",
    )
    TariffLine.objects.create(
        schedule=cat.schedule, offer=cat.metiers, unit_price=Decimal("900.00"), vat_exemption=EXEMPT
    )
    TariffLine.objects.create(
        schedule=cat.schedule,
        offer=cat.formation,
        unit_price=Decimal("400.00"),
        vat_exemption=EXEMPT,
    )
    june = TariffSchedule.objects.create(
        deliberation_number="2026-18",
        deliberation_date=date(2026, 4, 10),
        effective_from=date(2026, 6, 1),
        title="Grille de juin 2026",
        status="published",
    )
    for line in cat.schedule.lines.all():
        price = Decimal("440.00") if line.offer_id == cat.formation.pk else line.unit_price
        new = TariffLine.objects.create(
            schedule=june,
            offer=line.offer,
            unit_price=price,
            first_free_quantity=line.first_free_quantity,
            vat_exemption=EXEMPT,
        )
        for strate_price in line.strate_prices.all():
            new.strate_prices.create(strate=strate_price.strate, unit_price=strate_price.unit_price)
    return cat


@pytest.fixture
def subscribe(tenant):
    def make(offer, quantity=1, on=date(2026, 3, 17), collectivite=None):
        return contract_services.quantity_add(
            collectivite=collectivite or tenant,
            offer=offer,
            quantity=Decimal(quantity),
            on=on,
            actor=None,
        )

    return make


@pytest.fixture
def make_training(catalogue, staff_admin):
    def make(**fields):
        values = {
            "title": "Préparation budgétaire",
            "audience": "Secrétaires de mairie",
            "half_days": 1,
            "mode": Training.Mode.ON_SITE,
            "offer": catalogue.metiers,
            "tariff_offer": catalogue.formation,
        }
        values.update(fields)
        return services.training_save(training=Training(**values), actor=staff_admin)

    return make


@pytest.fixture
def make_session(staff_admin):
    def make(training, start: datetime, *, hours=3, capacity=12, minimum_size=1, trainer=None):
        from datetime import timedelta

        return services.session_save(
            session=Session(
                training=training,
                starts_at=start,
                ends_at=start + timedelta(hours=hours),
                place="Salle du conseil, 1 rue de la Mutualisation, Saint-Lô",
                capacity=capacity,
                minimum_size=minimum_size,
                trainer=trainer or staff_admin,
            ),
            actor=staff_admin,
        )

    return make
