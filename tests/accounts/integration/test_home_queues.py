"""The functional administrator's and the syndicate's work queues for service accounts, and
the account page's two forms with their own ids (issue 10, items 4 and 5)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from accounts import projection, services
from accounts.models import QuotaRequest, ServiceAccount
from tests.conftest import host_of, page_text, sign_in

PARIS = ZoneInfo("Europe/Paris")
GB = 1024**3


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 3, 17, 10, tzinfo=PARIS), tick=False):
        yield


def site(collectivite, user) -> Client:
    return sign_in(Client(HTTP_HOST=host_of(collectivite)), user, collectivite)


def create(client, login="anne.martin", given_name="Anne"):
    return client.post(
        "/comptes-de-service/creer/",
        {
            "offer": "mail",
            "given_name": given_name,
            "surname": "Martin",
            "email": f"{login}@perso.test",
            "login": login,
        },
    )


@pytest.fixture
def mail_sub(catalogue, subscribe):
    return subscribe(catalogue.mail, 2)


def test_the_quota_request_keeps_its_reason_and_each_motif_its_own_field(
    tenant, functional_admin, mail_sub, in_schema
):
    client = site(tenant, functional_admin)
    create(client)
    with in_schema(tenant):
        account = ServiceAccount.objects.get()
        ServiceAccount.objects.filter(pk=account.pk).update(state="active", used_bytes=GB)
    page = page_text(client.get(f"/comptes-de-service/{account.pk}/"))
    assert 'id="id_reason"' not in page
    assert '<label for="fermeture_reason">Motif (facultatif)</label>' in page
    assert '<label for="quota_reason">Motif</label>' in page
    assert page.count('id="quota_reason"') == 1

    refused = client.post(
        f"/comptes-de-service/{account.pk}/quota/", {"extra_gb": "abc", "reason": "Archives 2025"}
    )
    assert refused.status_code == 422
    page = page_text(refused)
    assert (
        f'<a href="#quota_extra_gb">Espace supplémentaire (Go) : {services.EXTRA_INVALID}</a>'
        in (page)
    )
    assert "Archives 2025</textarea>" in page
    client.post(
        f"/comptes-de-service/{account.pk}/quota/", {"extra_gb": "2", "reason": "Archives 2025"}
    )
    with in_schema(tenant):
        assert QuotaRequest.objects.get().reason == "Archives 2025"


def test_the_functional_administrator_sees_accounts_seats_and_quota_answers(
    tenant, functional_admin, mail_sub, in_schema, staff_admin
):
    client = site(tenant, functional_admin)
    create(client)
    create(client, login="bruno.martin", given_name="Bruno")
    with in_schema(tenant):
        anne = ServiceAccount.objects.get(login="anne.martin")
        bruno = ServiceAccount.objects.get(login="bruno.martin")
        ServiceAccount.objects.filter(pk=anne.pk).update(
            state="active", used_bytes=int(1.9 * GB), quota_bytes=2 * GB
        )
        ServiceAccount.objects.filter(pk=bruno.pk).update(
            state="failed", failure_reason="annuaire injoignable"
        )
        # Written behind the services' back: the syndicate's projection is brought up to date
        # as the nightly reconciliation would.
        projection.reconcile_here(collectivite=tenant)
    client.post(f"/comptes-de-service/{anne.pk}/quota/", {"extra_gb": "2", "reason": "Archives"})

    home = page_text(client.get("/"))
    assert 'Comptes en création ou en échec <span class="count">1</span>' in home
    assert "création en échec : annuaire injoignable" in home
    assert 'Comptes pleins à plus de 90 % <span class="count">1</span>' in home
    assert "95 % de l'espace utilisé" in home
    assert "+2 Go pour Anne Martin" in home
    assert "demandée le 17/03/2026, en attente du syndicat" in home
    assert "2 sur 2" in home  # seats: live accounts (pending, active, failed) on subscribed
    assert '<meter min="0" max="2" value="2" high="2"' in home
    assert '<h3><a href="/comptes-de-service/">Comptes</a></h3>' in home
    assert "Bientôt disponible" not in home

    staff = sign_in(Client(HTTP_HOST=settings.BASE_DOMAIN), staff_admin)
    backoffice = page_text(staff.get("/"))
    assert 'Demandes d\'espace <span class="count">1</span>' in backoffice
    assert "+2 Go pour Anne Martin de la commune de Test" in backoffice
    assert 'Échecs de création de comptes <span class="count">1</span>' in backoffice
    assert "Bruno Martin (bruno.martin) de la commune de Test" in backoffice
    with in_schema(tenant):
        request = QuotaRequest.objects.get()
    staff.post(
        f"/collectivites/{tenant.pk}/demandes-de-quota/{request.pk}/refuser/",
        {"reason": "Archivez d'abord"},
    )
    home = page_text(client.get("/"))
    assert "refusée le 17/03/2026 : Archivez d'abord" in home
