"""Fixtures of the service-status tests: two services over the test catalogue, the test
collectivité subscribing the mail and the other one the visio, and people of each role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from contracts.models import Subscription
from portal import services as portal_services
from portal.models import Collectivite, Role, User
from status.models import AlertRoute, Service
from tests.factories.catalogue import build_catalogue


@dataclass
class World:
    tenant: Collectivite
    other: Collectivite
    mail: Service
    visio: Service
    admin: User  # functional administrator of the test collectivité
    referent: User
    agent: User
    other_admin: User


@pytest.fixture
def world(db, tenant, other_tenant, make_member) -> World:
    catalogue = build_catalogue()
    mail = Service.objects.create(slug="messagerie", name="Messagerie", position=1)
    mail.offers.set([catalogue.mail, catalogue.extra_quota])
    visio = Service.objects.create(slug="visio", name="Visioconférence", position=2)
    visio.offers.set([catalogue.visio])
    AlertRoute.objects.create(label="service", value="bluemind", service=mail)
    AlertRoute.objects.create(label="job", value="bbb", service=visio)
    Subscription.objects.create(
        collectivite=tenant, offer=catalogue.mail, quantity=5, activated_on=date(2026, 1, 5)
    )
    Subscription.objects.create(
        collectivite=other_tenant,
        offer=catalogue.visio,
        quantity=1,
        activated_on=date(2026, 1, 5),
    )
    return World(
        tenant=tenant,
        other=other_tenant,
        mail=mail,
        visio=visio,
        admin=make_member(tenant, Role.FUNCTIONAL_ADMIN, email="fonctionnel@test.fr"),
        referent=make_member(tenant, Role.VISIO_REFERENT, email="referent@test.fr"),
        agent=make_member(tenant, Role.AGENT, email="agent@test.fr"),
        other_admin=make_member(other_tenant, Role.FUNCTIONAL_ADMIN, email="admin@autre.fr"),
    )


@pytest.fixture
def api_token(staff_admin):
    _, raw = portal_services.api_token_create(user=staff_admin, name="tests")
    return raw
