"""DESIGN L1, L2, P5: the retention and suspension dates, table-tested. No database."""

from __future__ import annotations

from datetime import date

import pytest

from lifecycle import rules
from lifecycle.rules import RetentionStep


@pytest.mark.parametrize(
    ("ends", "expected", "_case"),
    [
        ([], None, "never a contract: nothing to count from"),
        ([None], None, "one running contract"),
        ([date(2027, 3, 1), None], None, "one ended, one running: still a member"),
        ([date(2027, 3, 1), date(2027, 9, 1)], date(2027, 9, 1), "the last of two ends"),
        ([date(2027, 9, 1), date(2027, 3, 1)], date(2027, 9, 1), "order does not matter"),
    ],
)
def test_last_contract_end(ends, expected, _case):
    assert rules.last_contract_end(ends) == expected


@pytest.mark.parametrize(
    ("ended_on", "notice_on", "purge_on", "_case"),
    [
        (date(2027, 3, 1), date(2028, 1, 31), date(2028, 3, 1), "S3's example end"),
        (date(2027, 1, 1), date(2027, 12, 2), date(2028, 1, 1), "a year end"),
        (date(2027, 2, 28), date(2028, 1, 29), date(2028, 2, 28), "into a leap year"),
        (date(2028, 2, 29), date(2029, 1, 29), date(2029, 2, 28), "29 February: clamped"),
        (date(2026, 4, 1), date(2027, 3, 2), date(2027, 4, 1), "30 days across February"),
    ],
)
def test_retention_dates(ended_on, notice_on, purge_on, _case):
    assert rules.retention_notice_on(ended_on) == notice_on
    assert rules.purge_on(ended_on) == purge_on


END = date(2027, 3, 1)


@pytest.mark.parametrize(
    ("ends", "today", "noticed_on", "purged", "step", "_case"),
    [
        ([None], date(2035, 1, 1), None, False, RetentionStep.KEEP, "running: never purged"),
        ([END, None], date(2035, 1, 1), None, False, RetentionStep.KEEP, "one still runs"),
        ([], date(2035, 1, 1), None, False, RetentionStep.KEEP, "never a member"),
        ([END], date(2027, 2, 28), None, False, RetentionStep.WAIT, "the last covered day"),
        ([END], date(2028, 1, 30), None, False, RetentionStep.WAIT, "the day before the notice"),
        ([END], date(2028, 1, 31), None, False, RetentionStep.NOTICE, "one year minus 30 days"),
        (
            [END],
            date(2028, 2, 29),
            date(2028, 1, 31),
            False,
            RetentionStep.WAIT,
            "noticed, the day before the purge",
        ),
        ([END], date(2028, 3, 1), date(2028, 1, 31), False, RetentionStep.PURGE, "one year"),
        ([END], date(2028, 3, 1), None, False, RetentionStep.NOTICE, "never told: tell first"),
        (
            [END],
            date(2028, 3, 1),
            date(2028, 2, 20),
            False,
            RetentionStep.WAIT,
            "told late: 30 days after the notice",
        ),
        (
            [END],
            date(2028, 3, 21),
            date(2028, 2, 20),
            False,
            RetentionStep.PURGE,
            "told late: purged 30 days after it",
        ),
        ([END], date(2029, 1, 1), date(2028, 1, 31), True, RetentionStep.DONE, "purged"),
    ],
)
def test_retention_decision(ends, today, noticed_on, purged, step, _case):
    decision = rules.retention_decision(
        ends=ends, today=today, noticed_on=noticed_on, purged=purged
    )
    assert decision.step == step


def test_retention_decision_carries_its_dates():
    decision = rules.retention_decision(
        ends=[END], today=date(2028, 1, 31), noticed_on=None, purged=False
    )
    assert decision == rules.RetentionDecision(
        RetentionStep.NOTICE, END, date(2028, 1, 31), date(2028, 3, 1)
    )


@pytest.mark.parametrize(
    ("due_date", "today", "days", "due", "_case"),
    [
        (date(2026, 4, 10), date(2026, 5, 9), 30, False, "29 days late"),
        (date(2026, 4, 10), date(2026, 5, 10), 30, True, "30 days late: notice"),
        (date(2026, 2, 15), date(2026, 3, 16), 30, False, "February: 29 days"),
        (date(2026, 2, 15), date(2026, 3, 17), 30, True, "February: 30 days"),
        (date(2026, 12, 20), date(2027, 1, 4), 15, True, "across the year end"),
        (date(2026, 4, 10), date(2026, 4, 10), 0, True, "0 days: on the due date"),
    ],
)
def test_suspension_notice_due(due_date, today, days, due, _case):
    assert rules.suspension_notice_due(due_date=due_date, today=today, overdue_days=days) is due


@pytest.mark.parametrize(
    ("noticed_on", "days", "proposal_on", "_case"),
    [
        (date(2026, 5, 10), 15, date(2026, 5, 25), "fifteen days"),
        (date(2028, 2, 20), 15, date(2028, 3, 6), "across 29 February"),
        (date(2026, 12, 28), 8, date(2027, 1, 5), "across the year end"),
    ],
)
def test_suspension_proposal_on(noticed_on, days, proposal_on, _case):
    assert rules.suspension_proposal_on(noticed_on=noticed_on, notice_days=days) == proposal_on
