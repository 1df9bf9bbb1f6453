"""The demo works whatever the day it is loaded (issue 10): its dates are computed from today,
a schedule history covers every contract year, finance's first billing run invoices each of
the three demo collectivités, and the waiting quote can be signed."""

from __future__ import annotations

import io
from datetime import date

import pytest
import time_machine
from django.core.management import call_command

from billing import services as billing
from billing.models import Invoice
from catalogue import selectors as catalogue_selectors
from contracts import services as contracts
from contracts.models import ContractYear, Quote
from portal.models import User


@pytest.mark.parametrize(
    ("today", "first_year", "schedules", "_case"),
    [
        (date(2027, 1, 14), date(2025, 2, 1), 2, "January: the 2026 schedule, a 2025 history"),
        (date(2025, 11, 17), date(2023, 12, 1), 4, "November, a year earlier: 2023 to 2026"),
    ],
)
def test_demo_bills_every_collectivite_and_its_quote_is_signable(
    db, settings, django_capture_on_commit_callbacks, today, first_year, schedules, _case
):
    settings.DEBUG = True
    with time_machine.travel(today, tick=False):
        call_command("load_demo", stdout=io.StringIO())
        assert ContractYear.objects.order_by("start").first().start == first_year
        assert catalogue_selectors.schedules_published().count() == schedules
        # every contract year is priced by a schedule in force on its first day (B3)
        for year in ContractYear.objects.all():
            assert catalogue_selectors.schedule_in_force(on=year.start) is not None, year.start

        with django_capture_on_commit_callbacks(execute=True):
            run = billing.billing_run_start(as_of=today, dry_run=False, requested_by=None)
        run.refresh_from_db()
        assert (run.status, run.failures) == ("done", [])
        assert run.invoices_count == 3
        assert set(Invoice.objects.values_list("collectivite__slug", flat=True)) == {
            "brevands",
            "val-de-saire",
            "cc-bocage",
        }

        [quote] = Quote.objects.filter(collectivite__slug="val-de-saire")
        assert (quote.status, quote.issue_date) == (Quote.Status.SENT, today)
        contracts.quote_accept(
            quote=quote,
            signatory=User.objects.get(email="maire@val-de-saire.demo"),
            po_number="ENG-2026-001",
            accept_framework=True,
            ip_address="127.0.0.1",
            today=today,
        )
        quote.refresh_from_db()
        assert quote.status == Quote.Status.ACCEPTED
