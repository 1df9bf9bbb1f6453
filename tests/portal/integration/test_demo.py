"""The demo data `make run` loads: three collectivités of different strates, one person per
role, idempotent; the demo TOTP helper works only in development, only for demo accounts."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from portal.models import Collectivite, Membership, Role, User


def test_demo_refuses_outside_development(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="hors développement"):
        call_command("load_demo", stdout=io.StringIO())
    assert not Collectivite.objects.filter(slug="val-de-saire").exists()


def test_demo_is_complete_and_idempotent(db, settings):
    call_command("load_demo", "--force", stdout=io.StringIO())
    out = io.StringIO()
    call_command("load_demo", "--force", stdout=out)  # a second run changes nothing
    strates = dict(
        Collectivite.objects.filter(slug__in=["brevands", "val-de-saire", "cc-bocage"]).values_list(
            "slug", "strate"
        )
    )
    assert strates == {
        "brevands": "moins-250",
        "val-de-saire": "2000-3499",
        "cc-bocage": "5000-plus",
    }
    roles = set(
        Membership.objects.filter(collectivite__slug="val-de-saire").values_list("role", flat=True)
    )
    assert roles == {r.value for r in Role}
    assert Membership.objects.filter(user__email="secretaire@brevands.demo").count() == 2
    assert User.objects.get(email="admin@numerique-demo.fr").check_password("Demo-Portail-2026!")
    assert "http://val-de-saire.portail.localhost/" in out.getvalue()
    from contracts.models import Quote

    [quote] = Quote.objects.filter(collectivite__slug="val-de-saire")  # still one after two runs
    assert quote.status == Quote.Status.SENT
    assert quote.documents.filter(kind="quote").exists()

    settings.DEBUG = True
    code = io.StringIO()
    call_command("demo_totp_code", stdout=code)
    assert len(code.getvalue().strip()) == 6
    with pytest.raises(CommandError, match="démonstration"):
        call_command("demo_totp_code", "maire@val-de-saire.demo")
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_totp_code")
