"""The autumn e-mail of the budget estimate (issue 16): on the day the syndicate sets
(`ESTIMATE_NOTICE_DATE`, « MM-JJ »), each collectivité's signatories and functional
administrators receive next year's estimate — once per year (`EstimateNotice`'s constraint);
a job that missed the day sends on a later day of the same year."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import IntegrityError, transaction

from billing import estimate_selectors
from billing.models import EstimateNotice
from contracts.models import Subscription
from portal import notifications
from portal.events import audit_record
from portal.models import Collectivite, Role
from portal.services import site_url
from portal.templatetags.portal_format import euros

BAD_NOTICE_DATE = "ESTIMATE_NOTICE_DATE doit être de la forme MM-JJ (par exemple 10-15)."


def notice_day(year: int) -> date:
    """The day of `year` the estimate goes out (settings.ESTIMATE_NOTICE_DATE, « MM-JJ »)."""
    try:
        month, day = (int(part) for part in settings.ESTIMATE_NOTICE_DATE.split("-"))
        return date(year, month, day)
    except ValueError as error:
        raise ValueError(BAD_NOTICE_DATE) from error


def estimate_notices_run(*, today: date) -> int:
    """Send next year's estimate to every collectivité holding a running subscription, from
    the syndicate's day to the year's end, once each; returns how many were sent."""
    if today < notice_day(today.year):
        return 0
    year = today.year + 1
    running = Subscription.objects.exclude(status=Subscription.Status.ENDED)
    sent = 0
    for collectivite in Collectivite.objects.filter(
        is_active=True, pk__in=running.values("collectivite_id")
    ).order_by("name"):
        if EstimateNotice.objects.filter(collectivite=collectivite, year=year).exists():
            continue
        estimate = estimate_selectors.estimate_for(
            collectivite=collectivite, year=year, today=today
        )
        if _notify(collectivite, estimate):
            sent += 1
    return sent


@transaction.atomic
def _notify(collectivite: Collectivite, estimate) -> bool:
    try:
        with transaction.atomic():
            notice = EstimateNotice.objects.create(
                collectivite=collectivite, year=estimate.year, total_ttc=estimate.total_ttc
            )
    except IntegrityError:
        return False  # a concurrent job sent it
    notifications.notify(
        template="budget_estimate",
        to=notifications.addresses_of_role(collectivite, Role.SIGNATORY, Role.FUNCTIONAL_ADMIN),
        context={
            "collectivite": collectivite.name,
            "year": estimate.year,
            "total_ttc": euros(estimate.total_ttc),
            "lines": [
                {
                    "offer": line.offer_name,
                    "amount": euros(line.amount),
                    "invoice_on": f"{line.invoice_expected_on:%d/%m/%Y}",
                    "notice_deadline": f"{line.notice_deadline:%d/%m/%Y}"
                    if line.notice_deadline
                    else "",
                }
                for line in estimate.lines
            ],
            "url": site_url(collectivite.primary_domain_name, "/budget/"),
        },
    )
    audit_record(
        action="estimate.sent",
        obj=notice,
        collectivite=collectivite,
        summary=f"Estimation {estimate.year} envoyée ({euros(estimate.total_ttc)} TTC).",
    )
    return True
