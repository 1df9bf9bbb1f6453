"""Lifecycle rules (DESIGN L1, L2, P5): pure functions over `datetime.date`, no Django.

Retention (P5, L1; seed 004: personal data "sont conservées pour toute la durée du contrat, et
un an au terme de celui-ci"). The clock starts at the effective end of the collectivité's
*last* contract — an exclusive date, the first day no longer covered — and only once every
contract has one: a running contract (no end) means the collectivité is a member, and it is
never purged. Purge day = last end + 12 months (clamped like every "+ N months"); the syndicate
is told 30 days before. A purge never comes less than 30 days after the notice actually went
out: a notice sent late (the job was down) pushes the purge back rather than skipping the
warning.

Suspension for non-payment (L2; seed 000 §4.4). Each step is a date the syndicate sets in
data (settings): an invoice unpaid `overdue_days` after its due date gets a formal notice;
`notice_days` after the notice, a proposal to suspend goes to the finance queue. Nothing here
suspends anything: a person confirms.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from contracts.rules import add_months

RETENTION_MONTHS = 12
RETENTION_NOTICE_DAYS = 30


def last_contract_end(ends: Iterable[date | None]) -> date | None:
    """The effective end of the last contract, or None while one runs (an end of None) or
    when there has never been a contract."""
    found: date | None = None
    for end in ends:
        if end is None:
            return None
        found = end if found is None or end > found else found
    return found


def purge_on(ended_on: date) -> date:
    """P5: one year after the last contract's effective end."""
    return add_months(ended_on, RETENTION_MONTHS)


def retention_notice_on(ended_on: date) -> date:
    """L1: the syndicate is told 30 days before the purge."""
    return purge_on(ended_on) - timedelta(days=RETENTION_NOTICE_DAYS)


class RetentionStep(Enum):
    KEEP = "keep"  # a contract runs, or none ever did
    WAIT = "wait"  # ended, the notice day has not come
    NOTICE = "notice"  # tell the syndicate now
    PURGE = "purge"  # purge now
    DONE = "done"  # purged already


@dataclass(frozen=True)
class RetentionDecision:
    step: RetentionStep
    ended_on: date | None = None
    notice_on: date | None = None
    purge_on: date | None = None


def retention_decision(
    *, ends: Iterable[date | None], today: date, noticed_on: date | None, purged: bool
) -> RetentionDecision:
    """What the nightly job does today for one collectivité (module docstring)."""
    ended_on = last_contract_end(ends)
    if ended_on is None:
        return RetentionDecision(RetentionStep.KEEP)
    notice_day, purge_day = retention_notice_on(ended_on), purge_on(ended_on)
    if noticed_on is not None:
        purge_day = max(purge_day, noticed_on + timedelta(days=RETENTION_NOTICE_DAYS))
    if purged:
        step = RetentionStep.DONE
    elif today < ended_on or today < notice_day:
        step = RetentionStep.WAIT
    elif noticed_on is None:
        step = RetentionStep.NOTICE
    elif today >= purge_day:
        step = RetentionStep.PURGE
    else:
        step = RetentionStep.WAIT
    return RetentionDecision(step, ended_on, notice_day, purge_day)


def suspension_notice_due(*, due_date: date, today: date, overdue_days: int) -> bool:
    """L2: the formal notice goes out once the invoice is `overdue_days` past its due date
    (due 2026-04-10, 30 days: from 2026-05-10)."""
    return today >= due_date + timedelta(days=overdue_days)


def suspension_proposal_on(*, noticed_on: date, notice_days: int) -> date:
    """L2: the day the proposal to suspend reaches the finance queue."""
    return noticed_on + timedelta(days=notice_days)
