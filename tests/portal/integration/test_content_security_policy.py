"""Issue 18: every page carries a Content-Security-Policy that allows no inline script, no
style attribute and no frame; the layout's one <style> (brand colours) carries the nonce."""

from __future__ import annotations

import re

from django.test import Client

from tests.conftest import host_of, sign_in


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def test_a_member_page_has_the_policy_and_its_nonce(tenant, agent):
    client = sign_in(Client(HTTP_HOST=host_of(tenant)), agent, tenant)

    response = client.get("/")

    policy = _policy(response)
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    [nonce] = re.findall(r"'nonce-([^']+)'", policy["style-src"])
    html = response.content.decode()
    assert f'<style nonce="{nonce}">' in html
    assert "<script>" not in html
    assert ' style="' not in html


def test_the_sign_in_page_of_the_backoffice_has_it_too(db):
    response = Client(HTTP_HOST=host_of(None)).get("/comptes/login/")

    assert _policy(response)["default-src"] == "'self'"


def test_forms_may_lead_to_the_other_sites_of_the_portal_only(db, settings):
    """ "Changer de collectivité" posts on one site and is redirected to another: the browser
    checks that redirect against form-action (the demo journey found it refused)."""
    response = Client(HTTP_HOST=host_of(None)).get("/comptes/login/")

    assert _policy(response)["form-action"] == (
        f"'self' {settings.BASE_DOMAIN}:* *.{settings.BASE_DOMAIN}:*"
    )
