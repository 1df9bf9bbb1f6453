"""Issue 19: a field choosing a collectivité is a searchable combobox served by the server,
never one `<option>` per collectivité (the work queue and invoices filters, the new quote)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from portal.pickers import SEARCH_LIMIT
from tests.conftest import page_text, sign_in


@pytest.fixture
def staff(staff_admin, staff_finance):
    from django.contrib.auth.models import Group

    staff_admin.groups.add(Group.objects.get(name="Finances du syndicat"))
    return sign_in(Client(HTTP_HOST=settings.BASE_DOMAIN), staff_admin)


@pytest.mark.parametrize(
    ("path", "_case"),
    [
        ("/commandes/", "work queue filter"),
        ("/factures/", "invoices filter"),
        ("/devis/nouveau/", "new quote"),
    ],
)
def test_the_collectivite_field_is_a_combobox_without_options(staff, tenant, path, _case):
    html = staff.get(path).content.decode()
    assert 'role="combobox"' in html
    assert 'aria-controls="id_collectivite-options"' in html
    assert 'role="listbox"' in html
    assert f'<option value="{tenant.pk}"' not in html
    assert "Commune de Test" not in html


def test_a_chosen_collectivite_is_shown_and_filters(staff, tenant):
    html = staff.get(f"/commandes/?collectivite={tenant.pk}").content.decode()
    assert re.search(r'role="combobox"[^>]*value="Commune de Test"', html)
    assert f'type="hidden" name="collectivite" value="{tenant.pk}"' in html


def test_search_answers_the_matching_collectivites(staff, tenant, other_tenant):
    page = page_text(
        staff.get("/collectivites/recherche/?champ=collectivite&collectivite-recherche=autre")
    )
    assert f'data-value="{other_tenant.pk}"' in page
    assert "Commune Autre" in page
    assert "Commune de Test" not in page
    by_siret = page_text(
        staff.get(
            "/collectivites/recherche/",
            {"champ": "collectivite", "collectivite-recherche": tenant.siret[:9]},
        )
    )
    assert f'data-value="{tenant.pk}"' in by_siret
    nothing = page_text(
        staff.get("/collectivites/recherche/?champ=collectivite&collectivite-recherche=zzz")
    )
    assert "Aucune collectivité ne correspond." in nothing


def test_search_is_bounded(staff, tenant, monkeypatch):
    import portal.views.backoffice as views

    monkeypatch.setattr(views, "SEARCH_LIMIT", 1)
    page = page_text(staff.get("/collectivites/recherche/?champ=c&c-recherche=commune"))
    assert page.count('data-value="') == 1  # one match, then the notice
    assert "Les 1 premières seulement : précisez la recherche." in page
    assert SEARCH_LIMIT == 20


def test_search_is_for_staff_only(tenant, make_member):
    from portal.models import Role

    agent = make_member(tenant, Role.AGENT)
    client = sign_in(Client(HTTP_HOST=settings.BASE_DOMAIN), agent)
    response = client.get("/collectivites/recherche/?champ=c&c-recherche=commune")
    assert response.status_code == 404
