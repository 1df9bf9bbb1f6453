"""Trainings in a real browser (issue 14): a functional administrator registers two agents
of the collectivité to a session (a member and an agent not yet a member) from "Formations";
on the day, the syndicate's staff record attendance in the back-office. Each page is checked
by axe-core."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret, hotp_value
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import Delivery
from catalogue.models import AnnexVersion, Offer, ServiceFamily, TariffSchedule
from portal import services as portal_services
from portal.models import Collectivite, Role
from tests.browser.conftest import axe_violations, site
from tests.conftest import TEST_PASSWORD
from tests.factories import MembershipFactory, UserFactory
from tests.factories.catalogue import build_catalogue
from trainings.domain import Attendance
from trainings.models import Notice, Registration, Session, Training

pytestmark = pytest.mark.browser


def nav(page):
    return page.get_by_role("navigation", name="Navigation principale")


def _person(email, name, tenant, role):
    user = UserFactory(email=email, full_name=name)
    user.set_password(TEST_PASSWORD)
    user.save()
    MembershipFactory(user=user, collectivite=tenant, role=role)
    return user


@pytest.fixture
def planned(django_db_setup, django_db_blocker):
    secret = generate_totp_secret()
    with django_db_blocker.unblock():
        catalogue = build_catalogue()
        tenant = Collectivite.objects.get(slug="test")
        admin = _person(
            "fonctionnel.formations@commune-test.fr",
            "Claire Fonctionnelle",
            tenant,
            Role.FUNCTIONAL_ADMIN,
        )
        agent = _person("agent.formations@commune-test.fr", "Bruno Agent", tenant, Role.AGENT)
        staff = portal_services.staff_user_create(
            email="formations.parcours@syndicat.test", full_name="Nadia Formatrice",
            password=TEST_PASSWORD, groups=["Administrateurs du syndicat"],
        )  # fmt: skip
        TOTP.activate(staff, secret)
        training = Training.objects.create(
            title="Atelier messagerie", half_days=1, mode="on_site", offer=catalogue.mail,
            audience="Tous les agents",
        )  # fmt: skip
        start = timezone.now().replace(microsecond=0) + timedelta(days=10)
        session = Session.objects.create(
            training=training, starts_at=start, ends_at=start + timedelta(hours=3),
            place="Salle du conseil", capacity=6, minimum_size=1, trainer=staff,
        )  # fmt: skip
        yield tenant, admin, agent, staff, secret, session
        Delivery.objects.all().delete()
        Notice.objects.all().delete()
        Registration.objects.all().delete()
        Session.objects.all().delete()
        Training.objects.all().delete()
        TariffSchedule.objects.all().delete()
        AnnexVersion.objects.all().delete()
        Offer.objects.exclude(requires_offer=None).delete()
        Offer.objects.all().delete()
        ServiceFamily.objects.all().delete()
        for user in (admin, agent, staff):
            user.memberships.all().delete()
            user.groups.clear()
            user.is_active = False
            user.email = f"parti-{user.pk}@exemple.invalid"
            user.save()


def test_an_administrator_registers_two_agents_and_staff_record_attendance(
    planned, live_site, page, django_db_blocker
):
    tenant, admin, agent, staff, secret, session = planned
    host = tenant.primary_domain_name
    page.goto(site(host, live_site, "/comptes/login/"))
    page.get_by_label("Courriel").fill(admin.email)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    nav(page).get_by_role("link", name="Formations", exact=True).click()
    expect(page.get_by_role("heading", name="Formations", exact=True)).to_be_visible()
    assert axe_violations(page) == []

    page.get_by_role("link", name="Inscrire des agents").click()
    page.get_by_label("Membre de la collectivité").select_option(
        label=f"Bruno Agent ({agent.email})"
    )
    page.get_by_role("button", name="Inscrire").click()
    expect(page.get_by_text("Bruno Agent : inscrit.")).to_be_visible()
    page.get_by_label("ou agent pas encore membre : nom complet").fill("Léa Nouvelle")
    page.get_by_label("son adresse électronique").fill("lea.nouvelle@commune-test.fr")
    page.get_by_role("button", name="Inscrire").click()
    expect(page.get_by_text("Léa Nouvelle : inscrit.")).to_be_visible()
    assert axe_violations(page) == []
    nav(page).get_by_role("link", name="Formations", exact=True).click()
    registered = page.get_by_role("region", name="Vos inscriptions à venir")
    expect(registered.get_by_role("row")).to_have_count(3)  # header + two people
    assert axe_violations(page) == []

    # The day of the session comes.
    with django_db_blocker.unblock():
        start = timezone.now().replace(microsecond=0) - timedelta(minutes=5)
        Session.objects.filter(pk=session.pk).update(
            starts_at=start, ends_at=start + timedelta(hours=3)
        )
    page.context.clear_cookies()
    backoffice = settings.BASE_DOMAIN
    page.goto(site(backoffice, live_site, "/comptes/login/"))
    page.get_by_label("Courriel").fill(staff.email)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url("**/comptes/2fa/authenticate/")
    page.get_by_label("Code").fill(f"{hotp_value(secret, int(time.time()) // 30):06d}")
    page.get_by_role("button", name="Connexion").click()
    nav(page).get_by_role("link", name="Formations", exact=True).click()
    page.get_by_role("link", name="Atelier messagerie").click()
    assert axe_violations(page) == []
    page.get_by_label("Bruno Agent").check()
    page.get_by_role("button", name="Enregistrer les présences").click()
    expect(page.get_by_text("Présences enregistrées.")).to_be_visible()
    expect(page.get_by_label("Bruno Agent")).to_be_checked()
    assert axe_violations(page) == []
    with django_db_blocker.unblock():
        assert dict(
            Registration.objects.filter(session=session).values_list("full_name", "attendance")
        ) == {"Bruno Agent": Attendance.ATTENDED, "Léa Nouvelle": Attendance.ABSENT}
