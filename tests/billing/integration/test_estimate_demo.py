"""Issue 16, done when: the estimate, its PDF and the spending chart exist for each demo
collectivité (the demo loaded on 16/11/2026)."""

from __future__ import annotations

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from django.core.management import call_command
from django.test import Client

from billing import estimate_selectors
from portal.models import Collectivite, Role
from tests.conftest import host_of, page_text, sign_in

TODAY = date(2026, 11, 16)


def test_each_demo_collectivite_has_its_estimate_pdf_and_chart(db, settings, make_member):
    settings.DEBUG = True
    with time_machine.travel(
        datetime(2026, 11, 16, 10, tzinfo=ZoneInfo("Europe/Paris")), tick=False
    ):
        call_command("load_demo", stdout=io.StringIO())
        for slug in ("brevands", "val-de-saire", "cc-bocage"):
            collectivite = Collectivite.objects.get(slug=slug)
            estimate = estimate_selectors.estimate_for(
                collectivite=collectivite, year=2027, today=TODAY
            )
            assert estimate.lines, slug
            assert estimate.problems == (), slug
            client = sign_in(
                Client(HTTP_HOST=host_of(collectivite)),
                make_member(collectivite, Role.AGENT),
                collectivite,
            )
            text = page_text(client.get("/budget/"))
            assert 'class="bar-estimated"' in text, slug
            assert "Estimation 2027" in text, slug
            pdf = client.get("/budget/estimation.pdf")
            assert pdf.content.startswith(b"%PDF-"), slug
