"""The catalogue as a collectivité's staff see it (their strate's price and its basis, the
annex, "add to my request"), and the back-office catalogue and schedule pages."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from catalogue.models import TariffSchedule
from contracts.models import ServiceRequest, ServiceRequestLine, Subscription
from contracts.services import PREREQUISITE_MISSING, QUANTITY_ERROR
from portal.models import Role
from tests.conftest import host_of, page_text, sign_in
from tests.factories.catalogue import build_catalogue

NB = "\u00a0"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(date(2026, 11, 23), tick=False):
        yield


@pytest.fixture
def catalogue(db):
    return build_catalogue()


@pytest.fixture
def agent_site(tenant, agent):
    return sign_in(Client(HTTP_HOST=host_of(tenant)), agent, tenant)


def test_catalogue_by_family_with_this_collectivites_prices(catalogue, agent_site):
    text = page_text(agent_site.get("/catalogue/"))
    assert '<h2 id="titre-messagerie">Messagerie</h2>' in text
    assert f"24,00{NB}€ HT</strong> par compte et par an" in text
    assert "le premier est offert" in text  # visio, none held yet
    assert f"700,00{NB}€ HT</strong> par collectivité et par an" in text  # strate 2000-3499


def test_the_first_free_account_is_counted_once(catalogue, tenant, agent_site):
    Subscription.objects.create(
        collectivite=tenant, offer=catalogue.visio, quantity=1, activated_on=date(2026, 3, 1)
    )
    text = page_text(agent_site.get("/catalogue/visio/"))
    assert "le premier est offert" not in text
    assert "Votre collectivité en a déjà 1." in text


def test_offer_page_shows_price_basis_inclusions_and_annex(catalogue, agent_site):
    text = page_text(agent_site.get("/catalogue/forfait-techno/"))
    assert f"700,00{NB}€ HT" in text
    assert "Tarif de votre strate : Communes de 2 000 à 3 499 habitants" in text
    assert "Fixé par la délibération n° 2025-42 du 12/12/2025." in text
    assert "TVA non applicable, article 256 B du CGI" in text
    assert "Logiciels de sécurité : 5 licences" in text
    assert "Sauvegarde externalisée : 18 Go" in text
    assert "Nécessite la convention cadre" in text
    mail = page_text(agent_site.get("/catalogue/mail/"))
    assert "Espace de stockage de 2 Go par compte" in mail
    assert "Messages de 10 Mo au plus" in mail
    assert "50 destinataires par message au plus" in mail
    assert "Conditions messagerie (version 1)" in mail
    assert "Version 1." in mail


def test_other_strate_sees_its_own_price(catalogue, other_tenant, make_member):
    person = make_member(other_tenant, Role.AGENT)
    text = page_text(
        sign_in(Client(HTTP_HOST=host_of(other_tenant)), person, other_tenant).get(
            "/catalogue/forfait-techno/"
        )
    )
    assert f"300,00{NB}€ HT" in text  # moins-250 is the 3rd strate
    assert "Logiciels de sécurité : 1 licences" in text


def test_no_schedule_in_force_is_said_plainly(catalogue, agent_site):
    TariffSchedule.objects.update(effective_from=date(2027, 1, 1))
    text = page_text(agent_site.get("/catalogue/mail/"))
    assert "Aucune grille tarifaire n'est en vigueur" in text


def test_add_to_my_request(catalogue, tenant, agent, agent_site):
    response = agent_site.post(
        "/demandes/brouillon/ajouter/visio/", {"quantity": "3", "note": "élus"}
    )
    assert response["Location"] == "/demandes/brouillon/"
    agent_site.post("/demandes/brouillon/ajouter/visio/", {"quantity": "1"})
    draft = ServiceRequest.objects.get(collectivite=tenant, status="draft")
    line = draft.lines.get()
    assert (line.offer, line.quantity, line.note, line.added_by) == (
        catalogue.visio,
        Decimal("4"),
        "élus",
        agent,
    )
    text = page_text(agent_site.get("/demandes/brouillon/"))
    assert f"180,00{NB}€" in text  # 4 rooms, the first free
    assert "dont 1 offert" in text


@pytest.mark.parametrize("quantity", ["0", "-2", "abc", "1,234", ""])
def test_bad_quantity_changes_nothing(catalogue, tenant, agent_site, quantity):
    response = agent_site.post(
        "/demandes/brouillon/ajouter/mail/", {"quantity": quantity}, follow=True
    )
    assert QUANTITY_ERROR in page_text(response)
    assert not ServiceRequestLine.objects.filter(request__collectivite=tenant).exists()


def test_decimal_comma_is_understood(catalogue, tenant, agent_site):
    agent_site.post(
        "/demandes/brouillon/ajouter/quota-mail/", {"quantity": "1"}
    )  # refused: no mail
    agent_site.post("/demandes/brouillon/ajouter/mail/", {"quantity": "2,5"})
    assert ServiceRequestLine.objects.get(request__collectivite=tenant).quantity == Decimal("2.5")


def test_extra_quota_needs_the_base_offer(catalogue, tenant, agent_site):
    response = agent_site.post(
        "/demandes/brouillon/ajouter/quota-mail/", {"quantity": "5"}, follow=True
    )
    assert PREREQUISITE_MISSING.format(
        offer="Quota de messagerie supplémentaire", required="Messagerie BlueMind 2 Go"
    ) in page_text(response)
    agent_site.post("/demandes/brouillon/ajouter/mail/", {"quantity": "2"})
    agent_site.post("/demandes/brouillon/ajouter/quota-mail/", {"quantity": "5"})
    assert ServiceRequestLine.objects.filter(request__collectivite=tenant).count() == 2
    mail_line = ServiceRequestLine.objects.get(offer=catalogue.mail)
    # the base offer can't leave the request while the extra quota depends on it
    response = agent_site.post(f"/demandes/brouillon/lignes/{mail_line.pk}/retirer/", follow=True)
    assert "Retirez d'abord « Quota de messagerie supplémentaire »" in page_text(response)
    assert ServiceRequestLine.objects.filter(pk=mail_line.pk).exists()


def test_update_and_remove_lines(catalogue, tenant, agent_site):
    agent_site.post("/demandes/brouillon/ajouter/mail/", {"quantity": "2"})
    line = ServiceRequestLine.objects.get()
    agent_site.post(f"/demandes/brouillon/lignes/{line.pk}/", {"quantity": "7"})
    line.refresh_from_db()
    assert line.quantity == Decimal("7")
    agent_site.post(f"/demandes/brouillon/lignes/{line.pk}/retirer/")
    assert not ServiceRequestLine.objects.exists()


def test_a_request_line_of_another_collectivite_is_untouchable(
    catalogue, tenant, other_tenant, make_member, agent_site
):
    outsider = make_member(other_tenant, Role.AGENT)
    other_site = sign_in(Client(HTTP_HOST=host_of(other_tenant)), outsider, other_tenant)
    other_site.post("/demandes/brouillon/ajouter/mail/", {"quantity": "2"})
    theirs = ServiceRequestLine.objects.get()
    response = agent_site.post(
        f"/demandes/brouillon/lignes/{theirs.pk}/", {"quantity": "9"}, follow=True
    )
    assert "Cette ligne n'est plus dans votre demande." in page_text(response)
    agent_site.post(f"/demandes/brouillon/lignes/{theirs.pk}/retirer/")
    theirs.refresh_from_db()
    assert theirs.quantity == Decimal("2")
    assert "Messagerie" not in page_text(agent_site.get("/demandes/brouillon/")).split("<main")[1]


def test_unknown_or_unorderable_offer_is_404(catalogue, agent_site):
    catalogue.visio.orderable = False
    catalogue.visio.save()
    assert agent_site.get("/catalogue/visio/").status_code == 404
    assert agent_site.get("/catalogue/inconnue/").status_code == 404
    assert (
        agent_site.post("/demandes/brouillon/ajouter/visio/", {"quantity": "1"}).status_code == 404
    )


# --- Back-office ------------------------------------------------------------------------------


@pytest.fixture
def admin_site(staff_admin):
    return sign_in(Client(HTTP_HOST=host_of(None)), staff_admin)


def test_backoffice_catalogue_and_offer(catalogue, admin_site):
    text = page_text(admin_site.get("/catalogue/"))
    assert "Messagerie BlueMind 2 Go" in text
    assert "BigBlueButton" in text
    response = admin_site.post(
        "/catalogue/offres/mail/", {"title": "Conditions messagerie", "text": "Version 2 du texte."}
    )
    assert response["Location"] == "/catalogue/offres/mail/"
    page = page_text(admin_site.get("/catalogue/offres/mail/"))
    assert "Version 2 du texte." in page
    assert "publiée en version 2" in page


def test_backoffice_offer_edit_is_audited(catalogue, admin_site):
    response = admin_site.post(
        "/catalogue/offres/mail/modifier/",
        {
            "family": catalogue.mail.family_id,
            "code": "mail",
            "name": "Messagerie BlueMind",
            "system": "bluemind",
            "billing_unit": "account_year",
            "default_quota_gb": "5",
            "orderable": "on",
            "position": 0,
        },
    )
    assert response.status_code == 302
    catalogue.mail.refresh_from_db()
    assert (catalogue.mail.name, catalogue.mail.default_quota_gb) == (
        "Messagerie BlueMind",
        Decimal("5.00"),
    )
    assert "Offre « Messagerie BlueMind » modifiée" in page_text(
        admin_site.get("/catalogue/offres/mail/")
    )


def test_backoffice_schedule_lifecycle(catalogue, tenant, admin_site):
    Subscription.objects.create(
        collectivite=tenant, offer=catalogue.mail, quantity=10, activated_on=date(2026, 3, 1)
    )
    response = admin_site.post(
        "/tarifs/nouvelle/",
        {
            "title": "Grille 2027",
            "deliberation_number": "2026-51",
            "deliberation_date": "2026-12-10",
            "effective_from": "2027-01-01",
        },
    )
    draft = TariffSchedule.objects.get(title="Grille 2027")
    assert response["Location"] == f"/tarifs/{draft.pk}/"
    line = draft.lines.get(offer__code="mail")
    admin_site.post(
        f"/tarifs/{draft.pk}/lignes/{line.pk}/",
        {
            "unit_price": "25,50",
            "first_free_quantity": "0",
            "vat_rate": "",
            "vat_exemption": "Exonéré",
        },
    )
    line.refresh_from_db()
    assert line.unit_price == Decimal("25.50")
    preview = page_text(admin_site.get(f"/tarifs/{draft.pk}/apercu/"))
    assert f"240,00{NB}€" in preview
    assert f"255,00{NB}€" in preview
    assert f"+15,00{NB}€" in preview
    admin_site.post(f"/tarifs/{draft.pk}/publier/")
    draft.refresh_from_db()
    assert draft.status == "published"
    # once published, its lines can't be edited any more
    response = admin_site.get(f"/tarifs/{draft.pk}/lignes/{line.pk}/", follow=True)
    assert "elle ne peut plus être modifiée" in page_text(response)


def test_schedule_line_form_refuses_partial_strate_prices(catalogue, admin_site):
    draft_response = admin_site.post(
        "/tarifs/nouvelle/",
        {
            "title": "G",
            "deliberation_number": "1",
            "deliberation_date": "2026-12-10",
            "effective_from": "2027-01-01",
        },
    )
    draft = TariffSchedule.objects.get(title="G")
    assert draft_response.status_code == 302
    line = draft.lines.get(offer__code="forfait-techno")
    response = admin_site.post(
        f"/tarifs/{draft.pk}/lignes/{line.pk}/",
        {"first_free_quantity": "0", "vat_exemption": "Exonéré", "strate_moins-100": "10"},
    )
    assert "Donnez un prix pour chaque strate, ou aucun" in page_text(response)
    assert line.strate_prices.count() == 10


def test_publication_problems_are_shown_and_nothing_changes(catalogue, admin_site, tenant):
    from contracts.models import Quote

    Quote.objects.create(
        reference="DEV-2026-0003",
        collectivite=tenant,
        title="t",
        status=Quote.Status.ACCEPTED,
        issue_date=date(2026, 3, 2),
        schedule=catalogue.schedule,
    )
    admin_site.post(
        "/tarifs/nouvelle/",
        {
            "title": "Rétro",
            "deliberation_number": "9",
            "deliberation_date": "2026-01-01",
            "effective_from": "2026-02-01",
        },
    )
    draft = TariffSchedule.objects.get(title="Rétro")
    page = page_text(admin_site.post(f"/tarifs/{draft.pk}/publier/", follow=True))
    assert (
        "La grille ne peut pas prendre effet le 01/02/2026 : des documents déjà émis sont "
        "tarifés sur la période qu'elle couvrirait (du 01/02/2026 et au-delà)"
    ) in page
    assert "devis DEV-2026-0003" in page
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_finance_reads_but_cannot_change(catalogue, staff_finance):
    site = sign_in(Client(HTTP_HOST=host_of(None)), staff_finance)
    assert site.get("/tarifs/").status_code == 200
    assert site.get(f"/tarifs/{catalogue.schedule.pk}/").status_code == 200
    assert site.get("/tarifs/nouvelle/").status_code == 404
    assert site.post("/catalogue/offres/mail/", {"title": "x", "text": "y"}).status_code == 404
    assert catalogue.mail.annex_versions.count() == 1


def test_tenant_member_cannot_reach_backoffice_catalogue(catalogue, tenant, agent):
    backoffice = sign_in(Client(HTTP_HOST=host_of(None)), agent)
    for path in (
        "/catalogue/",
        "/tarifs/",
        f"/tarifs/{catalogue.schedule.pk}/",
        "/catalogue/offres/mail/",
    ):
        assert backoffice.get(path).status_code == 404, path


def test_schedule_preview_is_paginated(catalogue, tenant, other_tenant, admin_site, monkeypatch):
    """Issue 19: the preview prices one page of collectivités at a time."""
    import catalogue.views as views

    monkeypatch.setattr(views, "PREVIEW_PAGE_SIZE", 1)
    draft = TariffSchedule.objects.create(
        title="Grille 2027",
        deliberation_number="2026-52",
        deliberation_date=date(2026, 12, 10),
        effective_from=date(2027, 1, 1),
    )
    first = page_text(admin_site.get(f"/tarifs/{draft.pk}/apercu/"))
    assert "Commune Autre" in first
    assert "Commune de Test" not in first
    assert "Page 1 sur 2" in first
    second = page_text(admin_site.get(f"/tarifs/{draft.pk}/apercu/?page=2"))
    assert "Commune de Test" in second
    assert "Commune Autre" not in second
