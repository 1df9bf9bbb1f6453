"""Writes of the catalogue: tariff schedules (copy, edit, publish), annex versions, offers."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from catalogue import events
from catalogue.models import (
    AnnexVersion,
    Offer,
    StrateInclusion,
    StratePrice,
    TariffLine,
    TariffSchedule,
)
from portal.models import Collectivite, User

SCHEDULE_NOT_DRAFT = "Cette grille est publiée : elle ne peut plus être modifiée."
SCHEDULE_SAME_START = (
    "Une grille publiée prend déjà effet le {date} : deux grilles seraient en vigueur le même jour."
)
# A schedule may start in the past (a past deliberation recorded late, a syndicate moving its
# history onto the portal) or between two published ones, as long as no issued quote or invoice
# is priced on a day it would cover: an issued document never changes price (Q2, B4).
SCHEDULE_COVERS_ISSUED = (
    "La grille ne peut pas prendre effet le {date} : des documents déjà émis sont tarifés sur "
    "la période qu'elle couvrirait ({period}) et leurs prix ne changent pas : {documents}. "
    "Choisissez une date d'effet postérieure à ces documents."
)
SCHEDULE_MISSING_OFFERS = "La grille ne donne pas de tarif pour : {offers}."
SCHEDULE_MISSING_STRATES = "L'offre « {offer} » n'a pas de tarif pour les strates : {strates}."
SCHEDULE_LINE_WITHOUT_PRICE = "L'offre « {offer} » n'a ni prix unitaire ni prix par strate."
SCHEDULE_LINE_WITHOUT_VAT = "L'offre « {offer} » n'a ni taux de TVA ni mention d'exonération."
NO_SCHEDULE_TO_COPY = "Aucune grille publiée à recopier : créez d'abord la première grille."
EFFECTIVE_BEFORE_DELIBERATION = (
    "La grille ne peut pas prendre effet avant la date du comité syndical qui l'a votée."
)
ANNEX_EMPTY = "Le texte de l'annexe est obligatoire."


@transaction.atomic
def schedule_create_from_current(
    *,
    deliberation_number: str,
    deliberation_date: date,
    effective_from: date,
    title: str,
    created_by: User | None,
    today: date,
) -> TariffSchedule:
    """A draft schedule that starts as a copy of the one in force on its first day (a past
    deliberation: the one then in force), else of the one in force `today`, else the latest."""
    published = TariffSchedule.objects.filter(status=TariffSchedule.Status.PUBLISHED)
    source = (
        published.filter(effective_from__lte=effective_from).order_by("-effective_from").first()
        or published.filter(effective_from__lte=today).order_by("-effective_from").first()
        or published.order_by("-effective_from").first()
    )
    if source is None:
        raise ValidationError(NO_SCHEDULE_TO_COPY)
    if effective_from < deliberation_date:
        raise ValidationError({"effective_from": EFFECTIVE_BEFORE_DELIBERATION})
    draft = TariffSchedule.objects.create(
        deliberation_number=deliberation_number.strip(),
        deliberation_date=deliberation_date,
        effective_from=effective_from,
        title=title.strip(),
        is_example=source.is_example,
        copied_from=source,
    )
    for line in source.lines.prefetch_related("strate_prices"):
        strate_prices = list(line.strate_prices.all())
        line.pk, line.schedule = None, draft
        line.save()
        StratePrice.objects.bulk_create(
            StratePrice(line=line, strate=sp.strate, unit_price=sp.unit_price)
            for sp in strate_prices
        )
    StrateInclusion.objects.bulk_create(
        StrateInclusion(
            schedule=draft,
            offer_id=inc.offer_id,
            item=inc.item,
            unit=inc.unit,
            strate=inc.strate,
            quantity=inc.quantity,
            position=inc.position,
        )
        for inc in source.inclusions.all()
    )
    events.schedule_drafted_event(schedule=draft, actor=created_by)
    return draft


@transaction.atomic
def schedule_line_update(
    *,
    line: TariffLine,
    unit_price: Decimal | None,
    strate_prices: dict[str, Decimal],
    first_free_quantity: int,
    vat_rate: Decimal | None,
    vat_exemption: str,
) -> TariffLine:
    if line.schedule.status != TariffSchedule.Status.DRAFT:
        raise ValidationError(SCHEDULE_NOT_DRAFT)
    if vat_rate is None and not vat_exemption.strip():
        raise ValidationError(SCHEDULE_LINE_WITHOUT_VAT.format(offer=line.offer.name))
    line.unit_price = None if strate_prices else unit_price
    line.first_free_quantity = first_free_quantity
    line.vat_rate = vat_rate
    line.vat_exemption = vat_exemption.strip()
    line.save()
    line.strate_prices.all().delete()
    StratePrice.objects.bulk_create(
        StratePrice(line=line, strate=strate, unit_price=price)
        for strate, price in strate_prices.items()
    )
    return line


def schedule_problems(schedule: TariffSchedule, *, today: date) -> list[str]:
    """Why `schedule` cannot be published (empty when it can)."""
    problems: list[str] = []
    published = TariffSchedule.objects.filter(status=TariffSchedule.Status.PUBLISHED).exclude(
        pk=schedule.pk
    )
    same_day = published.filter(effective_from=schedule.effective_from).first()
    if same_day is not None:
        problems.append(SCHEDULE_SAME_START.format(date=f"{schedule.effective_from:%d/%m/%Y}"))
    else:
        problem = _covered_documents_problem(schedule, published)
        if problem:
            problems.append(problem)
    lines = list(schedule.lines.select_related("offer").prefetch_related("strate_prices"))
    priced = {line.offer_id for line in lines}
    missing = Offer.objects.filter(orderable=True).exclude(pk__in=priced).order_by("name")
    if missing:
        problems.append(
            SCHEDULE_MISSING_OFFERS.format(offers=", ".join(f"« {o.name} »" for o in missing))
        )
    all_strates = {value for value, _ in Collectivite.Strate.choices}
    for line in lines:
        strates = {sp.strate for sp in line.strate_prices.all()}
        if strates and strates != all_strates:
            labels = [label for value, label in Collectivite.Strate.choices if value not in strates]
            problems.append(
                SCHEDULE_MISSING_STRATES.format(offer=line.offer.name, strates=" ; ".join(labels))
            )
        elif not strates and line.unit_price is None:
            problems.append(SCHEDULE_LINE_WITHOUT_PRICE.format(offer=line.offer.name))
        if line.vat_rate is None and not line.vat_exemption:
            problems.append(SCHEDULE_LINE_WITHOUT_VAT.format(offer=line.offer.name))
    return problems


def schedule_coverage_end(
    schedule: TariffSchedule, published: QuerySet[TariffSchedule] | None = None
) -> date | None:
    """The first day `schedule` would no longer be in force once published (exclusive; None
    when no later schedule is published)."""
    if published is None:
        published = TariffSchedule.objects.filter(status=TariffSchedule.Status.PUBLISHED)
    return (
        published.exclude(pk=schedule.pk)
        .filter(effective_from__gt=schedule.effective_from)
        .order_by("effective_from")
        .values_list("effective_from", flat=True)
        .first()
    )


def documents_priced_between(*, start: date, end: date | None) -> list[str]:
    """The issued quotes and invoices priced on a day of [start, end): a quote on its issue
    date (Q2), an invoice line on its contract year's first day (B3)."""
    from billing.models import InvoiceLine
    from contracts import rules
    from contracts.models import Quote

    def within(day: date) -> bool:
        return start <= day and (end is None or day < end)

    quotes = Quote.objects.exclude(status=Quote.Status.DRAFT).filter(issue_date__gte=start)
    if end is not None:
        quotes = quotes.filter(issue_date__lt=end)
    found = [f"devis {q.label}" for q in quotes.order_by("issue_date", "id")[:5]]
    # A year line starts on its year's first day; a co-termed addition is priced on the first
    # day of the year it falls in, at most twelve months before the line starts.
    lines = InvoiceLine.objects.filter(
        subscription__isnull=False, period_start__gte=rules.add_months(start, -12)
    ).select_related("invoice", "subscription")
    if end is not None:
        lines = lines.filter(period_start__lt=end)
    numbers: list[str] = []
    for line in lines.order_by("invoice__issue_date", "invoice__number"):
        if line.period_start is None or line.subscription is None:
            continue
        priced_on = (
            line.period_start
            if line.source.startswith("year:")
            else rules.contract_year(line.subscription.activated_on, line.period_start)[0]
        )
        if within(priced_on) and line.invoice.number not in numbers:
            numbers.append(line.invoice.number)
    return found + [f"facture {number}" for number in numbers[:5]]


def _covered_documents_problem(
    schedule: TariffSchedule, published: QuerySet[TariffSchedule]
) -> str | None:
    end = schedule_coverage_end(schedule, published)
    documents = documents_priced_between(start=schedule.effective_from, end=end)
    if not documents:
        return None
    last_day = f"au {_last_day(end):%d/%m/%Y}" if end is not None else "et au-delà"
    return SCHEDULE_COVERS_ISSUED.format(
        date=f"{schedule.effective_from:%d/%m/%Y}",
        period=f"du {schedule.effective_from:%d/%m/%Y} {last_day}",
        documents=", ".join(documents),
    )


def _last_day(end: date) -> date:
    """Pages show the last covered day of an exclusive end (DESIGN §4)."""
    return end - timedelta(days=1)


@transaction.atomic
def schedule_publish(
    *, schedule: TariffSchedule, published_by: User | None, today: date
) -> TariffSchedule:
    """Publish a draft: from its first day it is the schedule in force (B3)."""
    schedule = TariffSchedule.objects.select_for_update().get(pk=schedule.pk)
    if schedule.status != TariffSchedule.Status.DRAFT:
        raise ValidationError(SCHEDULE_NOT_DRAFT)
    # One publication at a time, so that two drafts can't both pass the checks.
    list(TariffSchedule.objects.select_for_update().filter(status=TariffSchedule.Status.PUBLISHED))
    problems = schedule_problems(schedule, today=today)
    if problems:
        raise ValidationError(problems)
    schedule.status = TariffSchedule.Status.PUBLISHED
    schedule.published_at = timezone.now()
    try:
        with transaction.atomic():
            schedule.save(update_fields=["status", "published_at"])
    except IntegrityError as exc:
        raise ValidationError(
            SCHEDULE_SAME_START.format(date=f"{schedule.effective_from:%d/%m/%Y}")
        ) from exc
    events.schedule_published_event(schedule=schedule, actor=published_by)
    return schedule


@transaction.atomic
def annex_publish(
    *, offer: Offer, title: str, text: str, published_by: User | None
) -> AnnexVersion:
    """A new version of the offer's annex; earlier versions stay as they were, for the quotes
    that carry them."""
    if not text.strip():
        raise ValidationError({"text": ANNEX_EMPTY})
    Offer.objects.select_for_update().filter(pk=offer.pk).first()
    latest = offer.annex_versions.order_by("-version").first()
    annex = AnnexVersion.objects.create(
        offer=offer,
        version=(latest.version + 1) if latest else 1,
        title=title.strip() or f"Conditions particulières — {offer.name}",
        text=text.strip(),
        published_by=published_by,
    )
    events.annex_published_event(annex=annex, actor=published_by)
    return annex
