"""`manage.py billing_run`: the operators' door to a run (B1), with the back-office's checks."""

from __future__ import annotations

import io
from datetime import date

import pytest
import time_machine
from django.core.management import CommandError, call_command

from billing import domain
from billing.models import BillingRun, Invoice
from tests.billing.integration.test_runs import two_customers  # noqa: F401 - fixture


def run_command(*args) -> str:
    out = io.StringIO()
    with time_machine.travel(date(2026, 4, 1), tick=False):
        call_command("billing_run", *args, stdout=out)
    return out.getvalue()


def test_inline_issues_and_prints_the_summary(two_customers):  # noqa: F811
    text = run_command("--as-of", "01/04/2026", "--inline")
    assert "Facturation au 01/04/2026 — terminée" in text
    assert "2 facture(s) émise(s), 408,00\u00a0€ TTC, 2/2 collectivité(s) traitée(s)." in text
    assert Invoice.objects.count() == 2
    assert all(i.pdf for i in Invoice.objects.all())
    # again: nothing twice
    assert "0 facture(s) émise(s)" in run_command("--inline")
    assert Invoice.objects.count() == 2


def test_dry_run_inline_previews_and_issues_nothing(two_customers):  # noqa: F811
    text = run_command("--dry-run", "--inline", "--as-of", "2026-04-01")
    assert "Aperçu : 2 facture(s) à émettre, rien n'est émis." in text
    assert "Total HT prévu : 408.00 €" in text
    assert not Invoice.objects.exists()


def test_without_inline_the_workers_run_it(two_customers, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=False) as queued:
        text = run_command()
    run = BillingRun.objects.get()
    assert f"Campagne n° {run.pk}" in text
    assert len(queued) == 1  # the task, once committed
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    ("_case", "args", "message"),
    [
        ("future", ["--as-of", "02/04/2026"], domain.RUN_IN_FUTURE.format(today="01/04/2026")),
        ("bad date", ["--as-of", "31/02/2026"], "Date invalide : « 31/02/2026 »"),
    ],
)
def test_bad_dates_are_refused(two_customers, _case, args, message):  # noqa: F811
    with pytest.raises(CommandError, match=message[:40]):
        run_command(*args, "--inline")
    assert not BillingRun.objects.exists()
