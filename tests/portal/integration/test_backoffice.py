"""The syndicate's back-office: list with search and filters, create, detail, edit; and a
collectivité's home page with its branding."""

from __future__ import annotations

import io
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from portal.domain import SIRET_CHECKSUM_ERROR
from portal.models import AuditEvent, Collectivite, Role
from tests.conftest import host_of, page_text, sign_in
from tests.factories import valid_siret


@pytest.fixture
def admin_client(staff_admin):
    return sign_in(Client(HTTP_HOST=host_of(None)), staff_admin)


def _png(colour=(200, 30, 30)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), colour).save(buffer, format="PNG")
    return SimpleUploadedFile("logo.png", buffer.getvalue(), content_type="image/png")


def test_list_shows_every_collectivite_with_strate_and_population(
    admin_client, tenant, other_tenant
):
    text = page_text(admin_client.get("/collectivites/"))
    assert "Commune de Test" in text
    assert "Commune Autre" in text
    assert "Communes de 2 000 à 3 499 habitants" in text
    assert "3\xa0000" in text  # population with the French thousands separator


@pytest.mark.parametrize(
    ("query", "shown", "hidden", "_case"),
    [
        ("q=autre", "Commune Autre", "Commune de Test", "search by name"),
        ("strate=moins-250", "Commune Autre", "Commune de Test", "filter by strate"),
        ("population_min=1000", "Commune de Test", "Commune Autre", "population at least"),
        ("population_max=200", "Commune Autre", "Commune de Test", "population at most"),
        ("kind=epci", None, "Commune", "filter by kind"),
    ],
)
def test_list_filters(admin_client, tenant, other_tenant, query, shown, hidden, _case):
    text = page_text(admin_client.get(f"/collectivites/?{query}"))
    if shown:
        assert shown in text
    assert hidden not in text.split("Collectivités membres", 2)[-1].split("<tbody>")[-1]


def test_htmx_filter_returns_only_the_rows(admin_client, tenant):
    response = admin_client.get("/collectivites/?q=test", HTTP_HX_REQUEST="true")
    text = page_text(response)
    assert "<html" not in text
    assert "Commune de Test" in text


def test_list_page_runs_a_constant_number_of_queries(
    admin_client, tenant, other_tenant, django_assert_max_num_queries
):
    # host lookup, search_path, session, user, staff groups, second factor, syndicate,
    # switcher, count, rows, domains: the same whatever the number of collectivités
    with django_assert_max_num_queries(12):
        admin_client.get("/collectivites/")


def test_create_through_the_form(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/collectivites/nouvelle/",
            {
                "name": "Syndicat des eaux du Marais",
                "slug": "eaux-marais",
                "kind": "etablissement_public",
                "siret": valid_siret(777),
                "population": 0,
                "agent_count": 8,
                "brand_colour": "#005a70",
                "admin_email": "dir@eaux-marais.fr",
                "logo": _png(),
            },
        )
    created = Collectivite.objects.get(slug="eaux-marais")
    assert response["Location"] == f"/collectivites/{created.pk}/"
    assert created.strate == "500-999"  # 8 agents
    assert created.logo.name == "branding/c_eaux_marais/logo.png"
    assert mail.outbox[0].to == ["dir@eaux-marais.fr"]
    detail = page_text(admin_client.get(response["Location"]))
    assert "Collectivité « Syndicat des eaux du Marais » créée" in detail
    assert "dir@eaux-marais.fr" in detail  # pending invitation


def test_create_with_bad_siret_shows_french_error_and_keeps_the_input(admin_client):
    response = admin_client.post(
        "/collectivites/nouvelle/",
        {
            "name": "Commune Erronée",
            "slug": "erronee",
            "kind": "commune",
            "siret": "73282932000075",
            "population": 120,
            "agent_count": 1,
            "brand_colour": "#1d4f91",
            "admin_email": "maire@erronee.fr",
        },
    )
    text = page_text(response)
    assert response.status_code == 200
    assert SIRET_CHECKSUM_ERROR in text
    assert 'value="Commune Erronée"' in text
    assert not Collectivite.objects.filter(slug="erronee").exists()


def test_finance_staff_can_read_but_not_create(staff_finance, tenant):
    client = sign_in(Client(HTTP_HOST=host_of(None)), staff_finance)
    assert client.get(f"/collectivites/{tenant.pk}/").status_code == 200
    assert client.get("/collectivites/nouvelle/").status_code == 404
    assert client.get(f"/collectivites/{tenant.pk}/modifier/").status_code == 404


def test_edit_branding_shows_on_the_tenant_site_only(admin_client, tenant, agent, other_tenant):
    response = admin_client.post(
        f"/collectivites/{tenant.pk}/modifier/",
        {
            "name": tenant.name,
            "kind": tenant.kind,
            "siret": tenant.siret,
            "population": tenant.population,
            "agent_count": tenant.agent_count,
            "brand_colour": "#ffd700",
            "logo": _png((10, 120, 10)),
        },
    )
    assert response.status_code == 302
    tenant.refresh_from_db()
    site = sign_in(Client(HTTP_HOST=host_of(tenant)), agent, tenant)
    home = page_text(site.get("/"))
    assert "--brand: #ffd700; --brand-text: #000000;" in home  # gold takes black text
    assert '<img src="/logo"' in home
    logo = site.get("/logo")
    assert logo.status_code == 200
    assert logo["Content-Type"] == "image/png"
    assert b"".join(logo.streaming_content)[:4] == b"\x89PNG"
    # the other collectivité's site serves its own logo (none), never this one
    assert Client(HTTP_HOST=host_of(other_tenant)).get("/logo").status_code == 404
    assert AuditEvent.objects.filter(collectivite=tenant, action="collectivite.updated").exists()


def test_tenant_home_shows_name_person_role_and_sections(tenant, make_member):
    person = make_member(tenant, Role.FUNCTIONAL_ADMIN, Role.SIGNATORY)
    text = page_text(sign_in(Client(HTTP_HOST=host_of(tenant)), person, tenant).get("/"))
    assert "Bienvenue sur le portail de la commune de Test" in text
    assert person.full_name in text
    assert "Administrateur fonctionnel, Signataire" in text
    for section in ("Catalogue", "Demandes et devis", "Contrats", "Comptes", "Factures"):
        assert re.search(rf"<h3>(<a href=\"[^\"]+\">)?{section}(</a>)?</h3>", text), section


def test_pages_use_no_external_asset(admin_client, tenant, agent):
    pages = [
        admin_client.get("/collectivites/"),
        sign_in(Client(HTTP_HOST=host_of(tenant)), agent, tenant).get("/"),
        Client(HTTP_HOST=host_of(tenant)).get("/comptes/login/"),
    ]
    for page in pages:
        text = page.content.decode()
        assert 'src="http' not in text
        assert 'href="http' not in text.replace('href="http://test.portail.localhost', "")
