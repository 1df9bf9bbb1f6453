"""The functional administrator creates a mailbox, watches it become active without
reloading the page, and sees its usage bar — in a real browser, each page checked by axe-core
(issue 6). The mailbox is made in the real slapd and the local BlueMind stand-in (devservers/,
the documented endpoints, not the real product); the provisioning task is run by the test
once the page shows the account pending, as a worker would pick it up."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from accounts import tasks
from accounts.models import ProvisioningEvent, QuotaRequest, ServiceAccount
from catalogue.models import AnnexVersion, Offer, ServiceFamily, TariffSchedule
from contracts.models import ContractYear, Subscription
from portal.celery import app
from portal.models import Collectivite, Role
from tests.browser.conftest import axe_violations, site
from tests.conftest import TEST_PASSWORD
from tests.factories import MembershipFactory, UserFactory
from tests.factories.catalogue import build_catalogue

pytestmark = pytest.mark.browser


@pytest.fixture
def subscribed(django_db_setup, django_db_blocker, systems, monkeypatch):
    # No worker picks the task up on its own in this test: it is sent to the broker, and the
    # test runs it, so that the page is seen pending first.
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    with django_db_blocker.unblock():
        catalogue = build_catalogue()
        tenant = Collectivite.objects.get(slug="test")
        start = timezone.localdate().replace(day=1)
        sub = Subscription.objects.create(
            collectivite=tenant, offer=catalogue.mail, quantity=5, activated_on=start
        )
        ContractYear.objects.create(
            subscription=sub, start=start, end=start.replace(year=start.year + 1)
        )
        admin = UserFactory(email="fonctionnel.parcours@commune-test.fr")
        admin.set_password(TEST_PASSWORD)
        admin.save()
        MembershipFactory(user=admin, collectivite=tenant, role=Role.FUNCTIONAL_ADMIN)
        yield tenant, admin
        with schema_context(tenant.schema_name):
            ProvisioningEvent.objects.all().delete()
            QuotaRequest.objects.all().delete()
            ServiceAccount.objects.all().delete()
        ContractYear.objects.filter(subscription=sub).delete()
        sub.delete()
        TariffSchedule.objects.all().delete()
        AnnexVersion.objects.all().delete()
        Offer.objects.exclude(requires_offer=None).delete()
        Offer.objects.all().delete()
        ServiceFamily.objects.all().delete()
        admin.memberships.all().delete()
        admin.is_active = False
        admin.email = f"parti-{admin.pk}@exemple.invalid"
        admin.save()


def test_functional_admin_creates_a_mailbox_and_sees_it_active(
    subscribed, systems, live_site, page, django_db_blocker
):
    tenant, admin = subscribed
    host = tenant.primary_domain_name
    page.goto(site(host, live_site, "/comptes/login/"))
    page.get_by_label("Courriel").fill(admin.email)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Comptes", exact=True
    ).click()
    expect(page.get_by_role("heading", name="Comptes", exact=True)).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_label("Prénom du titulaire").fill("Léa")
    page.get_by_label("Nom de famille du titulaire").fill("Durand")
    page.get_by_label("Adresse électronique du titulaire").fill("lea.durand@perso.test")
    page.get_by_label("Identifiant").fill("lea.durand")
    page.get_by_role("button", name="Créer le compte").click()
    row = page.locator("tr", has_text="Léa Durand")
    expect(row).to_contain_text("En cours de création")
    assert axe_violations(page) == []

    with django_db_blocker.unblock(), schema_context(tenant.schema_name):
        account = ServiceAccount.objects.get(login="lea.durand")
        assert tasks.provision.apply(args=(account.pk, "create")).get() == "done"
    # The page polls while an account is pending: it turns active without a reload.
    expect(row).to_contain_text("Actif", timeout=10_000)

    [uid] = systems.bluemind.state.users
    systems.bluemind.state.used_kib[uid] = 1_900 * 1024  # 1.9 GB of 2 GB
    with django_db_blocker.unblock(), schema_context(tenant.schema_name):
        assert tasks.collect_usage_here.apply().get() == 1
    page.reload()
    meter = page.get_by_role("meter", name="Espace utilisé par Léa Durand")
    expect(meter).to_be_visible()
    expect(row).to_contain_text("(92 %)")
    expect(row).to_contain_text("presque plein")
    assert axe_violations(page) == []
