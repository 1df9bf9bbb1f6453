"""Engagement numbers per budget year (B9): a collectivité's signatory or functional
administrator gives, on its site, the engagement number of a new budget year before that
year's renewals are invoiced; a month before an anniversary, they are asked by e-mail. The
billing run reads them (`billing.selectors.due_items`, `billing.domain.engagement_for`):
without one, a renewal year goes with the previous number and its invoice says so."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from billing.models import EngagementNumber, EngagementRequest
from contracts import rules
from contracts.models import Subscription
from portal.events import audit_record
from portal.models import Collectivite, Role, User

ENGAGEMENT_REQUIRED = "Indiquez le numéro d'engagement."
ENGAGEMENT_TOO_LONG = "Le numéro d'engagement ne peut dépasser 200 caractères."
ENGAGEMENT_YEAR_INVALID = "Choisissez l'exercice en cours ou le suivant ({years})."
ENGAGEMENT_NOT_ALLOWED = (
    "Seuls le signataire et l'administrateur fonctionnel de la collectivité peuvent donner "
    "un numéro d'engagement."
)
ENGAGEMENT_MAX_LENGTH = 200
ENGAGEMENT_ROLES = (Role.SIGNATORY, Role.FUNCTIONAL_ADMIN)
REQUEST_MONTHS_BEFORE = 1


def engagement_years(today: date) -> list[int]:
    """The budget years a number can be given for: the current one and the next."""
    return [today.year, today.year + 1]


@transaction.atomic
def engagement_number_give(
    *, collectivite: Collectivite, budget_year: int, number: str, given_by: User, today: date
) -> EngagementNumber:
    """Record (or replace) the engagement number of `budget_year`; years already invoiced
    keep the number their invoices carry (issued invoices never change)."""
    from portal.access import roles_in

    if not roles_in(given_by, collectivite).intersection(ENGAGEMENT_ROLES):
        raise ValidationError(ENGAGEMENT_NOT_ALLOWED)
    number = " ".join(number.split())
    if not number:
        raise ValidationError({"number": ENGAGEMENT_REQUIRED})
    if len(number) > ENGAGEMENT_MAX_LENGTH:
        raise ValidationError({"number": ENGAGEMENT_TOO_LONG})
    years = engagement_years(today)
    if budget_year not in years:
        raise ValidationError(
            {"budget_year": ENGAGEMENT_YEAR_INVALID.format(years=" ou ".join(map(str, years)))}
        )
    engagement, _ = EngagementNumber.objects.update_or_create(
        collectivite=collectivite,
        budget_year=budget_year,
        defaults={"number": number, "given_by": given_by},
    )
    audit_record(
        action="engagement.given",
        obj=engagement,
        actor=given_by,
        collectivite=collectivite,
        summary=f"Numéro d'engagement {budget_year} : {number}.",
    )
    return engagement


def engagement_requests_run(*, today: date) -> int:
    """The daily job: a month before a subscription's anniversary, if the collectivité has
    not given the engagement number of the anniversary's budget year, e-mail its signatories
    and functional administrators — once per collectivité and budget year."""
    from portal import notifications
    from portal.services import site_url

    sent = 0
    given = set(EngagementNumber.objects.values_list("collectivite_id", "budget_year"))
    subscriptions = Subscription.objects.filter(
        status=Subscription.Status.ACTIVE, ends_on__isnull=True
    ).select_related("collectivite")
    for sub in subscriptions.order_by("collectivite_id", "id"):
        anniversary = rules.next_anniversary(sub.activated_on, today)
        if rules.add_months(today, REQUEST_MONTHS_BEFORE) < anniversary:
            continue
        key = (sub.collectivite_id, anniversary.year)
        if key in given:
            continue
        recipients = notifications.addresses_of_role(sub.collectivite, *ENGAGEMENT_ROLES)
        try:
            with transaction.atomic():
                EngagementRequest.objects.create(
                    collectivite=sub.collectivite,
                    budget_year=anniversary.year,
                    sent_on=today,
                    recipients=recipients,
                )
                notifications.notify(
                    template="engagement_request",
                    to=recipients,
                    context={
                        "collectivite": sub.collectivite.name,
                        "budget_year": anniversary.year,
                        "anniversary": f"{anniversary:%d/%m/%Y}",
                        "url": site_url(sub.collectivite.primary_domain_name, "/factures/"),
                    },
                )
        except IntegrityError:
            pass  # asked already for this budget year
        else:
            sent += 1
        given.add(key)
    return sent
