"""The accounts pages driven through the views: the functional administrator's "Comptes"
(create within the quantity, close, restore, ask for more space), the holder's "Mes comptes",
the syndicate's quota-request queue and usage view, and isolation between collectivités (a
functional administrator of A cannot see or touch B's accounts). Provisioning tasks queued on
commit are not run here."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from accounts import services
from accounts.models import QuotaRequest, ServiceAccount
from portal.models import Membership, Role
from tests.conftest import host_of, page_text, sign_in

PARIS = ZoneInfo("Europe/Paris")
GB = 1024**3


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 3, 17, 10, tzinfo=PARIS), tick=False):
        yield


def site(collectivite, user) -> Client:
    return sign_in(Client(HTTP_HOST=host_of(collectivite)), user, collectivite)


def backoffice(user) -> Client:
    return sign_in(Client(HTTP_HOST=settings.BASE_DOMAIN), user)


def create_form(**overrides):
    return {
        "offer": "mail",
        "given_name": "Anne",
        "surname": "Martin",
        "email": "anne.martin@perso.test",
        "login": "anne.martin",
    } | overrides


@pytest.fixture
def mail_sub(catalogue, subscribe):
    return subscribe(catalogue.mail, 1)


def test_functional_admin_creates_an_account_and_sees_it_pending(
    tenant, functional_admin, mail_sub, in_schema
):
    client = site(tenant, functional_admin)
    response = client.post("/comptes-de-service/creer/", create_form())
    assert response.status_code == 302
    page = page_text(client.get("/comptes-de-service/"))
    assert "Anne Martin" in page
    assert "anne.martin@test.mail.localhost" in page
    assert "En cours de création" in page
    assert "1 compte ouvert sur 1 souscrits" in page
    assert 'hx-trigger="every 2s"' in page  # the page refreshes itself until it is active
    assert "Tous les comptes souscrits sont utilisés." in page
    with in_schema(tenant):
        account = ServiceAccount.objects.get(login="anne.martin")
    assert account.created_by == functional_admin


def test_beyond_the_quantity_the_page_proposes_an_order_and_keeps_the_input(
    tenant, functional_admin, mail_sub, in_schema
):
    client = site(tenant, functional_admin)
    client.post("/comptes-de-service/creer/", create_form())
    response = client.post(
        "/comptes-de-service/creer/", create_form(login="bruno", given_name="Bruno")
    )
    assert response.status_code == 422
    page = page_text(response)
    assert (
        "Tous les comptes souscrits pour « Messagerie BlueMind 2 Go » sont utilisés (1 sur 1)"
        in page
    )
    assert 'href="/catalogue/mail/"' in page
    assert 'value="Bruno"' in page
    with in_schema(tenant):
        assert ServiceAccount.objects.count() == 1


def test_invalid_input_gets_french_errors_on_its_fields(tenant, functional_admin, mail_sub):
    response = site(tenant, functional_admin).post(
        "/comptes-de-service/creer/", create_form(login="Anne Martin!", email="anne")
    )
    assert response.status_code == 422
    page = page_text(response)
    assert "Saisissez une adresse électronique valide pour le titulaire." in page
    assert "L'identifiant ne peut contenir que des lettres minuscules" in page


def test_agents_do_not_manage_accounts(tenant, make_member, mail_sub):
    client = site(tenant, make_member(tenant, Role.AGENT))
    assert client.get("/comptes-de-service/").status_code == 404
    assert client.post("/comptes-de-service/creer/", create_form()).status_code == 404


def test_close_then_restore_from_the_account_page(tenant, functional_admin, mail_sub, in_schema):
    client = site(tenant, functional_admin)
    client.post("/comptes-de-service/creer/", create_form())
    with in_schema(tenant):
        account = ServiceAccount.objects.get()
    response = client.post(
        f"/comptes-de-service/{account.pk}/fermer/", {"reason": "Départ"}, follow=True
    )
    page = page_text(response)
    assert "exporter ses données jusqu'au 16/06/2026" in page
    assert "Restaurer le compte" in page
    response = client.post(f"/comptes-de-service/{account.pk}/restaurer/", follow=True)
    assert "Fermeture annulée" in page_text(response)
    with in_schema(tenant):
        assert ServiceAccount.objects.get().live


def test_quota_request_from_the_page_then_approved_in_the_backoffice(
    tenant, functional_admin, mail_sub, staff_admin, in_schema, catalogue
):
    client = site(tenant, functional_admin)
    client.post("/comptes-de-service/creer/", create_form())
    with in_schema(tenant):
        account = ServiceAccount.objects.get()
        ServiceAccount.objects.filter(pk=account.pk).update(state="active", used_bytes=GB)
    response = client.post(
        f"/comptes-de-service/{account.pk}/quota/", {"extra_gb": "abc"}, follow=True
    )
    assert services.EXTRA_INVALID in page_text(response)
    response = client.post(
        f"/comptes-de-service/{account.pk}/quota/",
        {"extra_gb": "2", "reason": "Archives"},
        follow=True,
    )
    assert "Demande transmise au syndicat" in page_text(response)

    staff = backoffice(staff_admin)
    queue = page_text(staff.get("/demandes-de-quota/"))
    assert "Commune de Test" in queue
    assert "Anne Martin" in queue
    assert "+2 Go" in queue
    with in_schema(tenant):
        request = QuotaRequest.objects.get()
    response = staff.post(
        f"/collectivites/{tenant.pk}/demandes-de-quota/{request.pk}/refuser/",
        {"reason": ""},
        follow=True,
    )
    assert services.REFUSAL_REASON_REQUIRED in page_text(response)
    response = staff.post(
        f"/collectivites/{tenant.pk}/demandes-de-quota/{request.pk}/accorder/", follow=True
    )
    assert "2 Go accordés à Commune de Test" in page_text(response)
    with in_schema(tenant):
        assert ServiceAccount.objects.get().quota_bytes == 4 * GB
    detail = page_text(client.get(f"/comptes-de-service/{account.pk}/"))
    assert "dont 2 Go supplémentaires" in detail
    assert "accordée" in detail


def test_holder_sees_own_accounts_only(
    tenant, functional_admin, make_member, mail_sub, subscribe, catalogue, in_schema
):
    subscribe(catalogue.drive, 5)
    holder = make_member(tenant, Role.AGENT, email="anne.martin@perso.test")
    admin = site(tenant, functional_admin)
    admin.post("/comptes-de-service/creer/", create_form())
    admin.post(
        "/comptes-de-service/creer/",
        create_form(offer="drive", login="bruno", given_name="Bruno", email="bruno@perso.test"),
    )
    with in_schema(tenant):
        ServiceAccount.objects.filter(login="anne.martin").update(
            state="active", used_bytes=int(1.9 * GB)
        )
    page = page_text(site(tenant, holder).get("/mes-comptes/"))
    assert "anne.martin@test.mail.localhost" in page
    assert "1,9 Go / 2 Go (94 %)" in page
    assert "presque plein" in page
    assert "bruno" not in page


def test_functional_admin_of_a_cannot_touch_b_accounts(
    tenant, other_tenant, functional_admin, make_member, catalogue, subscribe, in_schema
):
    subscribe(catalogue.mail, 2, collectivite=other_tenant)
    admin_b = make_member(other_tenant, Role.FUNCTIONAL_ADMIN)
    site(other_tenant, admin_b).post("/comptes-de-service/creer/", create_form(login="chez.b"))
    with in_schema(other_tenant):
        account_b = ServiceAccount.objects.get(login="chez.b")
    client_a = site(tenant, functional_admin)
    # On A's site, B's account does not exist (its id means nothing in A's schema).
    assert client_a.get(f"/comptes-de-service/{account_b.pk}/").status_code == 404
    assert client_a.post(f"/comptes-de-service/{account_b.pk}/fermer/").status_code == 404
    assert "chez.b" not in page_text(client_a.get("/comptes-de-service/"))
    # On B's site, A's session is not valid: sent to sign in, nothing changes.
    session_a = client_a.cookies[settings.SESSION_COOKIE_NAME].value
    on_b = Client(HTTP_HOST=host_of(other_tenant))
    on_b.cookies[settings.SESSION_COOKIE_NAME] = session_a
    response = on_b.post(f"/comptes-de-service/{account_b.pk}/fermer/")
    assert response.status_code == 302
    assert "/comptes/login/" in response["Location"]
    with in_schema(other_tenant):
        assert ServiceAccount.objects.get(pk=account_b.pk).state == ServiceAccount.State.PENDING


def test_syndicate_records_the_referent_training_then_visio_opens(
    tenant, functional_admin, make_member, staff_admin, catalogue, subscribe
):
    subscribe(catalogue.visio, 2)
    referent = make_member(tenant, Role.VISIO_REFERENT)
    client = site(tenant, functional_admin)
    page = page_text(client.get("/comptes-de-service/"))
    assert "La visioconférence est bloquée" in page
    membership = Membership.objects.get(user=referent, role=Role.VISIO_REFERENT)
    staff = backoffice(staff_admin)
    view = page_text(staff.get(f"/collectivites/{tenant.pk}/comptes/"))
    assert "formation non enregistrée" in view
    response = staff.post(
        f"/collectivites/{tenant.pk}/comptes/",
        {"membership": membership.pk, "trained_on": "2026-03-10"},
        follow=True,
    )
    assert "formé le 10/03/2026" in page_text(response)
    response = client.post(
        "/comptes-de-service/creer/", create_form(offer="visio", login="salle.maire")
    )
    assert response.status_code == 302


def test_the_collectivite_mail_domain_names_its_mailboxes(
    tenant, functional_admin, staff_admin, mail_sub, in_schema
):
    staff = backoffice(staff_admin)
    form = {
        "name": tenant.name,
        "kind": tenant.kind,
        "siret": tenant.siret,
        "population": tenant.population,
        "agent_count": tenant.agent_count,
        "brand_colour": tenant.brand_colour,
    }
    refused = staff.post(
        f"/collectivites/{tenant.pk}/modifier/", form | {"mail_domain": "mairie test"}
    )
    assert "Saisissez un nom de domaine de messagerie valide" in page_text(refused)
    response = staff.post(
        f"/collectivites/{tenant.pk}/modifier/", form | {"mail_domain": "Mairie-Test.fr"}
    )
    assert response.status_code == 302
    site(tenant, functional_admin).post("/comptes-de-service/creer/", create_form())
    with in_schema(tenant):
        assert ServiceAccount.objects.get().mailbox == "anne.martin@mairie-test.fr"
