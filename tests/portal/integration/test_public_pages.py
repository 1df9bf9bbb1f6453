"""Pages of a serious public service (issue 10, item 6): French error pages in the portal's
layout, the favicon, the footer's pages (mentions légales, données personnelles with the
DPO, the accessibility statement, the site map) and the profile page."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, RequestFactory

from portal.models import Role, Syndicate
from portal.services import FULL_NAME_REQUIRED
from tests.conftest import host_of, page_text, sign_in


@pytest.fixture
def syndicate(db):
    syndicate, _ = Syndicate.objects.update_or_create(
        pk=1,
        defaults={
            "name": "Syndicat mixte Somme Numérique",
            "short_name": "Somme Numérique",
            "email": "contact@somme-numerique.test",
            "dpo_name": "ADICO",
            "dpo_address": "5 rue Jean Monnet, 60000 Beauvais",
            "dpo_email": "contact@adico.fr",
        },
    )
    return syndicate


@pytest.fixture
def signatory_site(tenant, make_member):
    user = make_member(tenant, Role.SIGNATORY)
    return sign_in(Client(HTTP_HOST=host_of(tenant)), user, tenant), user


def test_a_refused_url_gets_the_french_404_in_the_collectivites_layout(
    tenant, syndicate, signatory_site
):
    client, _ = signatory_site
    response = client.get("/nulle-part/")
    assert response.status_code == 404
    page = page_text(response)
    assert "<h1>Page introuvable</h1>" in page
    assert "<span>Commune de Test</span>" in page  # the collectivité's header
    assert "Not Found" not in page
    # A signed-in person without a membership here: the same page, nothing revealed.
    other = Client(HTTP_HOST=host_of(tenant))
    assert other.get("/contrats/").status_code == 302  # anonymous: sign in first


def test_back_office_404_and_the_500_page(db, syndicate):
    response = Client(HTTP_HOST=settings.BASE_DOMAIN).get("/nulle-part/")
    assert response.status_code == 404
    assert "<h1>Page introuvable</h1>" in page_text(response)
    from django.views.defaults import server_error

    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    assert "<h1>Une erreur est survenue</h1>" in response.content.decode()


def test_a_form_without_its_token_gets_the_french_csrf_page(tenant, syndicate, signatory_site):
    _, user = signatory_site
    client = sign_in(Client(HTTP_HOST=host_of(tenant), enforce_csrf_checks=True), user, tenant)
    response = client.post("/profil/", {"full_name": "X"})
    assert response.status_code == 403
    page = page_text(response)
    assert "<h1>Le formulaire a expiré</h1>" in page
    assert "<span>Commune de Test</span>" in page


def test_the_throttling_page_is_french(rf, db, syndicate):
    from django.template.loader import render_to_string

    page = render_to_string("429.html", {"collectivite": None})
    assert "<h1>Trop de tentatives</h1>" in page
    assert "Patientez quelques minutes avant de réessayer." in page


def test_footer_favicon_and_legal_pages(tenant, syndicate, signatory_site):
    client, _ = signatory_site
    home = page_text(client.get("/"))
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in home
    for link in (
        '<a href="/mentions-legales/">Mentions légales</a>',
        '<a href="/donnees-personnelles/">Données personnelles</a>',
        '<a href="/accessibilite/">Accessibilité : partiellement conforme</a>',
        '<a href="/plan-du-site/">Plan du site</a>',
        '<a href="/profil/">Mon profil</a>',
    ):
        assert link in home
    assert client.get("/favicon.ico").status_code == 301
    data = page_text(client.get("/donnees-personnelles/"))
    assert (
        "Syndicat mixte Somme Numérique a désigné ADICO en qualité de délégué à la protection "
        "des données. 5 rue Jean Monnet, 60000 Beauvais." in data
    )
    assert '<a href="mailto:contact@adico.fr">contact@adico.fr</a>' in data
    statement = page_text(client.get("/accessibilite/"))
    assert "Le portail est partiellement conforme avec le référentiel général d'amélioration" in (
        statement
    )
    assert '<a href="mailto:contact@somme-numerique.test">' in statement
    assert "Défenseur des droits" in statement
    site_map = page_text(client.get("/plan-du-site/"))
    assert '<a href="/documents/">Documents</a>' in site_map
    assert '<a href="/comptes-de-service/">' not in site_map  # not a functional administrator
    legal = page_text(Client(HTTP_HOST=settings.BASE_DOMAIN).get("/mentions-legales/"))
    assert "<h1>Mentions légales</h1>" in legal


def test_the_profile_page_changes_the_name_and_says_which_emails_come(
    tenant, syndicate, signatory_site
):
    client, user = signatory_site
    page = page_text(client.get("/profil/"))
    assert "un devis à signer, sa relance avant expiration, son expiration" in page
    assert '<a href="/comptes/password/change/">Changer de mot de passe</a>' in page
    assert 'href="/comptes/2fa/"' in page
    response = client.post("/profil/", {"full_name": "  "})
    assert response.status_code == 422
    assert FULL_NAME_REQUIRED in page_text(response)
    client.post("/profil/", {"full_name": "  Élodie   Martin "})
    user.refresh_from_db()
    assert user.full_name == "Élodie Martin"
