"""Fixtures of the service-account tests: the test catalogue plus a drive offer, functional
administrators, subscriptions started directly, and the collectivité's schema entered."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from catalogue.models import Offer, TariffLine
from contracts import services as contract_services
from portal.models import Role
from tests.factories.catalogue import EXEMPT, build_catalogue


@pytest.fixture
def catalogue(db):
    cat = build_catalogue()
    drive = Offer.objects.create(
        family=cat.mail.family,
        code="drive",
        name="Stockage Nextcloud",
        system="nextcloud",
        billing_unit="account_year",
        default_quota_gb=Decimal("5"),
    )
    drive_extra = Offer.objects.create(
        family=cat.mail.family,
        code="quota-drive",
        name="Espace Nextcloud supplémentaire",
        system="nextcloud",
        billing_unit="gb_year",
        requires_offer=drive,
    )
    for offer, price in ((drive, "18.00"), (drive_extra, "2.00")):
        TariffLine.objects.create(
            schedule=cat.schedule, offer=offer, unit_price=Decimal(price), vat_exemption=EXEMPT
        )
    cat.drive, cat.drive_extra = drive, drive_extra
    return cat


@pytest.fixture
def subscribe(tenant):
    def make(offer, quantity, on=date(2026, 1, 5), collectivite=None):
        return contract_services.quantity_add(
            collectivite=collectivite or tenant,
            offer=offer,
            quantity=Decimal(quantity),
            on=on,
            actor=None,
        )

    return make


@pytest.fixture
def functional_admin(tenant, make_member):
    return make_member(tenant, Role.FUNCTIONAL_ADMIN, email="fonctionnel@commune-test.fr")


@pytest.fixture
def in_schema():
    @contextmanager
    def enter(collectivite):
        with schema_context(collectivite.schema_name):
            yield

    return enter
