"""Issue 18: a billing run whose worker died is finished — resumed on what is still owed, with
no gap and no duplicate in the numbers and a PDF for every invoice — and a dry run left behind
is closed with its reason. The worker's death is simulated: the run is left `running` after
its first collectivité, its heartbeat stopped, one PDF missing (the tasks run eagerly)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone

from billing import services
from billing.models import BillingRun, Invoice
from tests.billing.integration.test_runs import AS_OF, two_customers  # noqa: F401 - a fixture

PARIS = ZoneInfo("Europe/Paris")
NOON = datetime(2026, 4, 1, 12, tzinfo=PARIS)


def _left_by_a_dead_worker(*, dry_run=False) -> BillingRun:
    run = BillingRun.objects.create(as_of=AS_OF, dry_run=dry_run)
    ids = services.billing_run_prepare(run)
    run.refresh_from_db()
    services.billing_run_collectivite(run, ids[0])  # then the worker was killed
    return run


def test_a_run_whose_worker_died_is_resumed_and_ends_done(
    two_customers,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    with time_machine.travel(NOON, tick=False):
        run = _left_by_a_dead_worker()
        Invoice.objects.update(pdf="")  # the render of the first invoice was lost too
        assert services.billing_runs_watchdog() == {"runs": 0, "documents": 0}  # too recent

    later = NOON + timedelta(minutes=15)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert services.billing_runs_watchdog(now=timezone.now()) == {"runs": 1, "documents": 1}

    run.refresh_from_db()
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert run.status == BillingRun.Status.DONE
    assert numbers == ["FAC-2026-00001", "FAC-2026-00002"]  # one per collectivité, no gap
    assert run.invoices_count == 2
    assert (run.collectivites_done, run.collectivites_total) == (2, 2)
    assert all(invoice.pdf for invoice in Invoice.objects.all())


def test_a_running_run_with_a_live_heartbeat_is_left_alone(two_customers):  # noqa: F811
    with time_machine.travel(NOON, tick=False):
        run = _left_by_a_dead_worker()
    with time_machine.travel(NOON + timedelta(minutes=5), tick=False):
        assert services.billing_runs_watchdog()["runs"] == 0
    run.refresh_from_db()
    assert run.status == BillingRun.Status.RUNNING


def test_an_interrupted_dry_run_is_closed_with_its_reason(two_customers):  # noqa: F811
    with time_machine.travel(NOON, tick=False):
        run = _left_by_a_dead_worker(dry_run=True)
    with time_machine.travel(NOON + timedelta(minutes=15), tick=False):
        services.billing_runs_watchdog()

    run.refresh_from_db()
    assert run.status == BillingRun.Status.FAILED
    assert run.failures[-1] == {"collectivite": "", "reason": services.DRY_RUN_INTERRUPTED}
    assert not Invoice.objects.exists()
    assert date(2026, 4, 1) == run.as_of


def test_a_resumed_run_counts_what_was_stored_not_what_the_dead_worker_counted(
    two_customers,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    tenant, other = two_customers
    with time_machine.travel(NOON, tick=False):
        run = _left_by_a_dead_worker()
        first = Invoice.objects.get()
        # The second collectivité's invoice was committed, then the worker died before it
        # could add it to the run's counters.
        services.invoices_issue(
            collectivite=other if first.collectivite == tenant else tenant,
            as_of=AS_OF,
            issue_date=AS_OF,
            run=run,
        )
        run.refresh_from_db()
        assert (run.collectivites_done, run.invoices_count) == (1, 1)

    with (
        time_machine.travel(NOON + timedelta(minutes=15), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.billing_runs_watchdog()

    run.refresh_from_db()
    assert run.status == BillingRun.Status.DONE
    assert (run.collectivites_done, run.collectivites_total) == (2, 2)
    assert run.invoices_count == Invoice.objects.filter(run=run).count() == 2
    assert run.total_amount == sum(invoice.total_ttc for invoice in Invoice.objects.all())
