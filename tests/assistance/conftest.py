"""Support fixtures: the test catalogue with an hourly intervention offer, the seeds' channels
(support/data/channels.json) routed to the test offers, subscriptions of the test
collectivité, and people of each role."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from catalogue.models import Offer, TariffLine, TariffSchedule
from contracts.models import Subscription
from portal.models import Role, Syndicate
from support import services
from support.models import SupportChannel
from tests.factories import valid_siret
from tests.factories.catalogue import EXEMPT, build_catalogue


@pytest.fixture
def syndicate(db):
    return Syndicate.objects.update_or_create(
        pk=1,
        defaults={
            "name": "Syndicat mixte Numérique Test",
            "short_name": "Numérique Test",
            "siret": valid_siret(8_000_001),
            "address": "1 rue de la Mutualisation",
            "postcode": "50000",
            "city": "Saint-Lô",
            "email": "contact@numerique-test.fr",
            "treasury_iban": "FR7630001007941234567890185",
            "treasury_bic": "BDFEFRPPCCT",
            "treasury_bank": "Banque de France — Trésor public",
        },
    )[0]


@pytest.fixture
def catalogue(db):
    catalogue = build_catalogue()
    catalogue.hourly = Offer.objects.create(
        family=catalogue.forfait.family,
        code="assistance-technique-heure",
        name="Assistance technique exceptionnelle (heure)",
        system="none",
        billing_unit="hour",
    )
    catalogue.daily = Offer.objects.create(
        family=catalogue.forfait.family,
        code="assistance-technique-jour",
        name="Assistance technique exceptionnelle (jour)",
        system="none",
        billing_unit="day",
    )
    schedule = TariffSchedule.objects.get(deliberation_number="2025-42")
    TariffLine.objects.create(
        schedule=schedule, offer=catalogue.hourly, unit_price=Decimal("55.00"),
        vat_exemption=EXEMPT,
    )  # fmt: skip
    TariffLine.objects.create(
        schedule=schedule, offer=catalogue.daily, unit_price=Decimal("380.00"),
        vat_exemption=EXEMPT,
    )  # fmt: skip
    return catalogue


@pytest.fixture
def channels(catalogue):
    loaded = {channel.code: channel for channel in services.channels_load()}
    loaded["messagerie-stockage"].offers.add(catalogue.mail)
    loaded["visio"].offers.add(catalogue.visio)
    loaded["logiciels"].offers.add(catalogue.forfait)
    return loaded


@pytest.fixture
def subscribed(tenant, catalogue, channels):
    for offer in (catalogue.mail, catalogue.visio, catalogue.forfait):
        Subscription.objects.create(
            collectivite=tenant, offer=offer, quantity=Decimal("5"),
            activated_on=date(2026, 1, 5),
        )  # fmt: skip
    return catalogue


@pytest.fixture
def signatory(tenant, make_member):
    return make_member(tenant, Role.SIGNATORY, email="maire@test.test")


@pytest.fixture
def referent(tenant, make_member):
    return make_member(tenant, Role.VISIO_REFERENT, email="referent@test.test")


@pytest.fixture
def lead(staff_admin, channels):
    SupportChannel.objects.update(lead=staff_admin)
    return staff_admin


@pytest.fixture
def technician(db):
    from allauth.mfa.models import Authenticator

    from portal import services as portal_services
    from tests.conftest import TEST_PASSWORD

    user = portal_services.staff_user_create(
        email="technicien@syndicat.test",
        full_name="Théo Martin",
        password=TEST_PASSWORD,
        groups=["Administrateurs du syndicat"],
    )
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    return user
