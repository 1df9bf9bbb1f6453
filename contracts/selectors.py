"""Reads of contracts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from catalogue.models import Offer
from contracts.models import ServiceRequest, Subscription
from portal.models import Collectivite


def subscriptions_active(*, on: date | None = None) -> QuerySet[Subscription]:
    on = on or timezone.localdate()
    return Subscription.objects.filter(activated_on__lte=on).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gt=on)
    )


def quantity_held(*, collectivite: Collectivite, offer: Offer, on: date | None = None) -> Decimal:
    held = (
        subscriptions_active(on=on)
        .filter(collectivite=collectivite, offer=offer)
        .aggregate(total=Sum("quantity"))["total"]
    )
    return held or Decimal("0")


def holdings_by_offer(*, collectivite: Collectivite, on: date | None = None) -> dict[int, Decimal]:
    rows = (
        subscriptions_active(on=on)
        .filter(collectivite=collectivite)
        .values("offer_id")
        .annotate(total=Sum("quantity"))
    )
    return {row["offer_id"]: row["total"] for row in rows}


def draft_request(*, collectivite: Collectivite) -> ServiceRequest | None:
    return (
        ServiceRequest.objects.filter(collectivite=collectivite, status=ServiceRequest.Status.DRAFT)
        .prefetch_related("lines__offer__family", "lines__added_by")
        .first()
    )


def framework_in_force(*, on: date):
    from contracts.models import FrameworkAgreement

    return (
        FrameworkAgreement.objects.filter(effective_from__lte=on)
        .order_by("-effective_from")
        .first()
    )


def framework_to_sign(*, collectivite: Collectivite, on: date):
    """The framework agreement in force, if the collectivité has not signed it yet (Q3)."""
    from contracts.models import FrameworkSignature

    agreement = framework_in_force(on=on)
    if agreement is None:
        return None
    signed = FrameworkSignature.objects.filter(collectivite=collectivite, agreement=agreement)
    return None if signed.exists() else agreement


# --- Pages: requests, quotes, subscriptions -----------------------------------------------


def requests_sent(*, collectivite: Collectivite) -> QuerySet[ServiceRequest]:
    """The collectivité's requests already sent to the syndicate, newest first."""
    from django.db.models import Count

    return (
        ServiceRequest.objects.filter(collectivite=collectivite)
        .exclude(status=ServiceRequest.Status.DRAFT)
        .select_related("submitted_by")
        .annotate(line_count=Count("lines"))
        .order_by("-submitted_at", "-id")
    )


def quotes_of_collectivite(*, collectivite: Collectivite) -> QuerySet:
    """The quotes a collectivité sees: every version the syndicate sent (drafts stay the
    syndicate's work in progress)."""
    from contracts.models import Quote

    return (
        Quote.objects.filter(collectivite=collectivite)
        .exclude(status=Quote.Status.DRAFT)
        .order_by("-issue_date", "-id")
    )


def quote_of_collectivite(*, collectivite: Collectivite, pk: int):
    """One sent quote of `collectivite` with what its page shows; `Quote.DoesNotExist` for
    a quote of another collectivité or a draft (a 404, never a 403)."""
    return (
        quotes_of_collectivite(collectivite=collectivite)
        .select_related("acceptance__signed_by", "next_version", "previous")
        .prefetch_related("lines__offer", "documents")
        .get(pk=pk)
    )


def quote_document_of_collectivite(*, collectivite: Collectivite, quote_pk: int, pk: int):
    """A document of a sent quote of `collectivite`; `QuoteDocument.DoesNotExist` otherwise."""
    from contracts.models import Quote, QuoteDocument

    return (
        QuoteDocument.objects.filter(quote_id=quote_pk, quote__collectivite=collectivite)
        .exclude(quote__status=Quote.Status.DRAFT)
        .get(pk=pk)
    )


def quote_detail(*, pk: int):
    """A quote with everything the back-office editor shows; `Quote.DoesNotExist` if none."""
    from contracts.models import Quote

    return (
        Quote.objects.select_related(
            "collectivite",
            "request",
            "created_by",
            "decided_by",
            "acceptance__signed_by",
            "acceptance__framework_signature__agreement",
            "next_version",
            "previous",
        )
        .prefetch_related(
            "lines__offer",
            "lines__activated_by",
            "lines__subscription",
            "documents",
            "supplier_orders",
        )
        .get(pk=pk)
    )


def signatories_of(*, collectivite: Collectivite) -> list:
    """The people who may sign for `collectivite` (Q3)."""
    from portal.models import Role, User

    return list(
        User.objects.filter(
            memberships__collectivite=collectivite,
            memberships__role=Role.SIGNATORY,
            is_active=True,
        )
        .distinct()
        .order_by("full_name", "email")
    )


def request_submitted_detail(*, pk: int) -> ServiceRequest:
    """A request the syndicate can see (sent, not a draft); `DoesNotExist` otherwise."""
    return (
        ServiceRequest.objects.exclude(status=ServiceRequest.Status.DRAFT)
        .select_related("collectivite", "submitted_by", "created_by")
        .prefetch_related("lines__offer", "lines__added_by", "quotes")
        .get(pk=pk)
    )


@dataclass(frozen=True)
class SubscriptionRow:
    """A subscription with its dates (S1–S3). Every `*_end` is exclusive, as stored; the
    `last_*` fields are the last day covered, which is what people read (DESIGN §4)."""

    subscription: Subscription
    term_start: date
    first_anniversary: date
    last_day_minimum: date
    next_renewal: date | None
    notice_deadline: date | None
    notice_for_last_day: date | None
    last_day_due: date | None
    terminations: list

    @property
    def can_terminate(self) -> bool:
        return self.subscription.status == Subscription.Status.ACTIVE


def subscription_rows(*, collectivite: Collectivite, today: date) -> list[SubscriptionRow]:
    """The collectivité's subscriptions, ended ones last, each with its dates as of `today`."""
    from contracts import rules

    subscriptions = (
        Subscription.objects.filter(collectivite=collectivite)
        .select_related("offer")
        .prefetch_related("terminations__requested_by", "terminations__recorded_by")
        .order_by("status", "offer__name", "activated_on")
    )
    rows = []
    for sub in subscriptions:
        first = rules.first_anniversary(sub.activated_on)
        running = sub.ends_on is None
        deadline, for_anniversary = (
            rules.notice_deadline(sub.activated_on, today) if running else (None, None)
        )
        rows.append(
            SubscriptionRow(
                subscription=sub,
                term_start=rules.term_start(sub.activated_on),
                first_anniversary=first,
                last_day_minimum=first - timedelta(days=1),
                next_renewal=rules.next_anniversary(sub.activated_on, today) if running else None,
                notice_deadline=deadline,
                notice_for_last_day=(
                    for_anniversary - timedelta(days=1) if for_anniversary else None
                ),
                last_day_due=sub.ends_on - timedelta(days=1) if sub.ends_on else None,
                terminations=list(sub.terminations.all()),
            )
        )
    return rows


def subscription_of_collectivite(*, collectivite: Collectivite, pk: int) -> Subscription:
    return Subscription.objects.select_related("offer", "collectivite").get(
        pk=pk, collectivite=collectivite
    )


def termination_of_collectivite(*, collectivite: Collectivite, pk: int):
    from contracts.models import Termination

    return Termination.objects.select_related(
        "subscription__offer", "subscription__collectivite", "requested_by", "recorded_by"
    ).get(pk=pk, subscription__collectivite=collectivite)


@dataclass(frozen=True)
class WorkQueue:
    """The back-office's work: requests to quote, quotes in the making or awaiting the
    collectivité, quotes accepted to approve, approved lines to activate."""

    requests: list
    drafts: list
    sent: list
    accepted: list
    lines: list


WORK_QUEUE_STATUSES = {
    "submitted": "Demandes à chiffrer",
    "draft": "Devis en préparation",
    "sent": "Devis envoyés, en attente de signature",
    "accepted": "Devis acceptés, à approuver",
    "approved": "Lignes à activer",
}


def work_queue(
    *, collectivite: Collectivite | None = None, status: str = "", offer: Offer | None = None
) -> WorkQueue:
    from contracts.models import Quote, QuoteLine

    def wanted(key: str) -> bool:
        return not status or status == key

    requests = ServiceRequest.objects.filter(status=ServiceRequest.Status.SUBMITTED)
    quotes = Quote.objects.all()
    lines = QuoteLine.objects.filter(quote__status=Quote.Status.APPROVED, activated_on__isnull=True)
    if collectivite is not None:
        requests = requests.filter(collectivite=collectivite)
        quotes = quotes.filter(collectivite=collectivite)
        lines = lines.filter(quote__collectivite=collectivite)
    if offer is not None:
        requests = requests.filter(lines__offer=offer).distinct()
        quotes = quotes.filter(lines__offer=offer).distinct()
        lines = lines.filter(offer=offer)
    requests = requests.select_related("collectivite", "submitted_by").prefetch_related(
        "lines__offer"
    )
    quotes = quotes.select_related("collectivite").prefetch_related("lines__offer")

    def of_status(value: str) -> list:
        return list(quotes.filter(status=value).order_by("created_at")) if wanted(value) else []

    return WorkQueue(
        requests=list(requests.order_by("submitted_at")) if wanted("submitted") else [],
        drafts=of_status(Quote.Status.DRAFT),
        sent=of_status(Quote.Status.SENT),
        accepted=of_status(Quote.Status.ACCEPTED),
        lines=(
            list(
                lines.select_related("quote__collectivite", "offer").order_by(
                    "quote__decided_at", "id"
                )
            )
            if wanted("approved")
            else []
        ),
    )


def last_covered_day(end_exclusive: date) -> date:
    """DESIGN §4: end dates are stored exclusive; people read the last day covered."""
    return end_exclusive - timedelta(days=1)


@dataclass(frozen=True)
class TerminationPreview:
    received_on: date
    effective_end: date
    last_day_due: date


def termination_preview(*, subscription: Subscription, received_on: date) -> TerminationPreview:
    """What a termination received on `received_on` would do (S3), before it is recorded."""
    from contracts import rules

    end = rules.termination_effective_end(subscription.activated_on, received_on)
    return TerminationPreview(received_on, end, last_covered_day(end))


@dataclass(frozen=True)
class DraftLinePrice:
    line: object
    unit_price: Decimal | None
    free_quantity: Decimal
    amount: Decimal | None
    error: str = ""


@dataclass(frozen=True)
class DraftPreview:
    """What a draft quote would cost if sent `on` (the same pricing as `quote_send`, Q2)."""

    lines: list[DraftLinePrice]
    total: Decimal | None


def quote_draft_preview(*, quote, lines: list, on: date) -> DraftPreview:
    from catalogue import domain as pricing
    from catalogue import selectors as catalogue_selectors

    row = catalogue_selectors.schedule_in_force(on=on)
    schedules = [catalogue_selectors.schedule_as_domain(row)] if row else []
    holdings = holdings_by_offer(collectivite=quote.collectivite, on=on)
    priced_lines, total, complete = [], Decimal("0"), True
    for line in lines:
        try:
            [priced] = pricing.price(
                schedules=schedules,
                offer=line.offer.code,
                quantity=line.quantity,
                strate=quote.collectivite.strate,
                on=on,
                held=int(holdings.get(line.offer_id, 0)),
                offer_name=line.offer.name,
            )
        except pricing.PricingError as exc:
            priced_lines.append(DraftLinePrice(line, None, Decimal("0"), None, str(exc)))
            complete = False
            continue
        priced_lines.append(
            DraftLinePrice(line, priced.unit_price, priced.free_quantity, priced.amount)
        )
        total += priced.amount
    return DraftPreview(priced_lines, pricing.money(total) if complete and lines else None)
