"""Tariff schedules: a new one starts from a copy of the one in force; publication refuses
overlapping dates, a schedule covering a day on which an issued quote or invoice is priced,
and missing prices (a past deliberation is recorded otherwise); annexes are versioned and a
published version never changes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalogue import selectors, services
from catalogue.models import AnnexVersion, Offer, TariffSchedule
from portal.models import AuditEvent
from tests.factories.catalogue import build_catalogue

TODAY = date(2026, 11, 23)


@pytest.fixture
def catalogue(db):
    return build_catalogue()


def _draft(effective_from=date(2027, 1, 1), **kwargs):
    return services.schedule_create_from_current(
        deliberation_number=kwargs.get("number", "2026-51"),
        deliberation_date=kwargs.get("deliberation_date", date(2026, 12, 10)),
        effective_from=effective_from,
        title=kwargs.get("title", "Grille 2027"),
        created_by=None,
        today=TODAY,
    )


def test_new_schedule_starts_from_a_copy_of_the_one_in_force(catalogue):
    draft = _draft()
    assert draft.status == TariffSchedule.Status.DRAFT
    assert draft.copied_from == catalogue.schedule
    copied = {line.offer.code: line for line in draft.lines.all()}
    assert copied["visio"].unit_price == Decimal("60.00")
    assert copied["visio"].first_free_quantity == 1
    assert {sp.strate: sp.unit_price for sp in copied["forfait-techno"].strate_prices.all()} == {
        sp.strate: sp.unit_price
        for sp in catalogue.schedule.lines.get(offer__code="forfait-techno").strate_prices.all()
    }
    assert draft.inclusions.count() == catalogue.schedule.inclusions.count() == 3
    # the copy is independent: changing it leaves the schedule in force as it was
    services.schedule_line_update(
        line=copied["visio"],
        unit_price=Decimal("62.00"),
        strate_prices={},
        first_free_quantity=1,
        vat_rate=None,
        vat_exemption="Exonéré",
    )
    assert catalogue.schedule.lines.get(offer__code="visio").unit_price == Decimal("60.00")


def test_publishing_a_complete_draft(catalogue):
    draft = _draft()
    assert services.schedule_problems(draft, today=TODAY) == []
    services.schedule_publish(schedule=draft, published_by=None, today=TODAY)
    draft.refresh_from_db()
    assert draft.status == TariffSchedule.Status.PUBLISHED
    assert selectors.schedule_in_force(on=date(2026, 12, 31)) == catalogue.schedule
    assert selectors.schedule_in_force(on=date(2027, 1, 1)) == draft
    assert AuditEvent.objects.filter(
        action="tariff_schedule.published", object_id=str(draft.pk)
    ).exists()
    with pytest.raises(ValidationError) as error:
        services.schedule_publish(schedule=draft, published_by=None, today=TODAY)
    assert error.value.messages == [services.SCHEDULE_NOT_DRAFT]


def test_a_schedule_on_the_start_of_a_published_one_is_refused(catalogue):
    draft = _draft(effective_from=date(2026, 1, 1), deliberation_date=date(2025, 12, 1))
    with pytest.raises(ValidationError) as error:
        services.schedule_publish(schedule=draft, published_by=None, today=TODAY)
    assert services.SCHEDULE_SAME_START.format(date="01/01/2026") in error.value.messages
    draft.refresh_from_db()
    assert draft.status == TariffSchedule.Status.DRAFT


@pytest.mark.parametrize(
    ("effective_from", "in_force_on", "_case"),
    [
        (date(2026, 6, 1), date(2026, 6, 1), "retroactive, after the latest"),
        (date(2025, 1, 1), date(2025, 12, 31), "a past deliberation before the first schedule"),
    ],
)
def test_a_past_schedule_is_recorded_when_nothing_issued_is_priced_on_its_days(
    catalogue, effective_from, in_force_on, _case
):
    draft = _draft(effective_from=effective_from, deliberation_date=date(2024, 12, 1))
    assert services.schedule_problems(draft, today=TODAY) == []
    services.schedule_publish(schedule=draft, published_by=None, today=TODAY)
    assert selectors.schedule_in_force(on=in_force_on) == draft


def test_a_schedule_can_slip_in_between_two_published_ones(catalogue):
    services.schedule_publish(schedule=_draft(date(2027, 7, 1)), published_by=None, today=TODAY)
    earlier = _draft(date(2027, 1, 1), number="2026-60")
    assert services.schedule_problems(earlier, today=TODAY) == []
    assert services.schedule_coverage_end(earlier) == date(2027, 7, 1)


def test_a_past_schedule_is_refused_when_an_issued_quote_is_priced_on_its_days(catalogue, tenant):
    from contracts.models import Quote

    Quote.objects.create(
        reference="DEV-2026-0007",
        collectivite=tenant,
        title="t",
        status=Quote.Status.SENT,
        issue_date=date(2026, 6, 15),
        schedule=catalogue.schedule,
    )
    # before it: refused, the quote would change price
    draft = _draft(effective_from=date(2026, 6, 1), deliberation_date=date(2026, 5, 1))
    assert services.schedule_problems(draft, today=TODAY) == [
        "La grille ne peut pas prendre effet le 01/06/2026 : des documents déjà émis sont "
        "tarifés sur la période qu'elle couvrirait (du 01/06/2026 et au-delà) et leurs prix ne "
        "changent pas : devis DEV-2026-0007. Choisissez une date d'effet postérieure à ces "
        "documents."
    ]
    with pytest.raises(ValidationError):
        services.schedule_publish(schedule=draft, published_by=None, today=TODAY)
    # after it: accepted (the quote keeps the schedule in force on its issue date)
    later = _draft(effective_from=date(2026, 6, 16), deliberation_date=date(2026, 5, 1))
    assert services.schedule_problems(later, today=TODAY) == []


def test_a_past_schedule_is_refused_when_an_issued_invoice_is_priced_on_its_days(catalogue, tenant):
    from billing.models import Invoice, InvoiceLine
    from contracts.models import Subscription

    subscription = Subscription.objects.create(
        collectivite=tenant, offer=catalogue.mail, quantity=3, activated_on=date(2025, 3, 17)
    )
    invoice = Invoice.objects.create(
        number="FAC-2026-00042",
        year=2026,
        collectivite=tenant,
        issue_date=date(2026, 3, 2),
        due_date=date(2026, 4, 1),
        buyer={},
        seller={},
        total_ht=Decimal("72.00"),
        total_vat=Decimal("0"),
        total_ttc=Decimal("72.00"),
    )
    InvoiceLine.objects.create(
        invoice=invoice,
        source="year:999001",
        offer=catalogue.mail,
        subscription=subscription,
        label="Messagerie",
        period_start=date(2026, 3, 1),
        period_end=date(2027, 3, 1),
        months=12,
        quantity=3,
        unit_price=Decimal("24.00"),
        amount=Decimal("72.00"),
        vat_exemption="Exonéré",
    )
    services.schedule_publish(
        schedule=_draft(date(2026, 9, 1), deliberation_date=date(2026, 7, 1)),
        published_by=None,
        today=TODAY,
    )
    draft = _draft(effective_from=date(2026, 2, 1), deliberation_date=date(2026, 1, 15))
    assert services.schedule_problems(draft, today=TODAY) == [
        "La grille ne peut pas prendre effet le 01/02/2026 : des documents déjà émis sont "
        "tarifés sur la période qu'elle couvrirait (du 01/02/2026 au 31/08/2026) et leurs prix "
        "ne changent pas : facture FAC-2026-00042. Choisissez une date d'effet postérieure à ces "
        "documents."
    ]
    # a schedule ending before the year's first day is free to be recorded
    earlier = _draft(effective_from=date(2025, 1, 1), deliberation_date=date(2024, 12, 1))
    assert services.schedule_problems(earlier, today=TODAY) == []


def test_missing_prices_are_listed(catalogue):
    Offer.objects.create(
        family=catalogue.mail.family,
        code="nouvelle",
        name="Nouvelle offre",
        system="none",
        billing_unit="unit",
    )
    draft = _draft()
    forfait_line = draft.lines.get(offer__code="forfait-techno")
    forfait_line.strate_prices.filter(strate__in=["hebergee", "moins-100"]).delete()
    assert services.schedule_problems(draft, today=TODAY) == [
        services.SCHEDULE_MISSING_OFFERS.format(offers="« Nouvelle offre »"),
        "L'offre « Forfait Technologie » n'a pas de tarif pour les strates : Communes de moins "
        "de 100 habitants ; Collectivités hébergées (même base de données Métiers).",
    ]


def test_line_needs_vat_or_exemption(catalogue):
    line = _draft().lines.get(offer__code="mail")
    with pytest.raises(ValidationError) as error:
        services.schedule_line_update(
            line=line,
            unit_price=Decimal("25"),
            strate_prices={},
            first_free_quantity=0,
            vat_rate=None,
            vat_exemption="  ",
        )
    assert error.value.messages == [
        services.SCHEDULE_LINE_WITHOUT_VAT.format(offer="Messagerie BlueMind 2 Go")
    ]


def test_published_schedule_lines_cannot_change(catalogue):
    line = catalogue.schedule.lines.get(offer__code="mail")
    with pytest.raises(ValidationError, match="publiée"):
        services.schedule_line_update(
            line=line,
            unit_price=Decimal("1"),
            strate_prices={},
            first_free_quantity=0,
            vat_rate=None,
            vat_exemption="x",
        )


def test_the_first_schedule_is_needed_to_copy(db):
    with pytest.raises(ValidationError) as error:
        _draft()
    assert error.value.messages == [services.NO_SCHEDULE_TO_COPY]


def test_effective_date_before_the_deliberation_is_refused(catalogue):
    with pytest.raises(ValidationError) as error:
        _draft(effective_from=date(2026, 12, 1), deliberation_date=date(2026, 12, 10))
    assert error.value.message_dict["effective_from"] == [services.EFFECTIVE_BEFORE_DELIBERATION]


def test_annex_versions(catalogue):
    v2 = services.annex_publish(
        offer=catalogue.mail, title="Conditions messagerie", text="Version 2.", published_by=None
    )
    assert v2.version == 2
    assert selectors.annex_current(offer=catalogue.mail) == v2
    v1 = AnnexVersion.objects.get(offer=catalogue.mail, version=1)
    assert v1.text == "Version 1."  # kept as it was, for the quotes that carry it
    v1.text = "Réécrite"
    with pytest.raises(ValueError, match="ne change plus"):
        v1.save()
    with pytest.raises(ValidationError):
        services.annex_publish(offer=catalogue.mail, title="x", text="  ", published_by=None)
    assert catalogue.mail.annex_versions.count() == 2


def test_preview_compares_yearly_amounts(catalogue, tenant, other_tenant):
    from contracts.models import Subscription

    Subscription.objects.create(
        collectivite=tenant, offer=catalogue.mail, quantity=10, activated_on=date(2026, 3, 1)
    )
    Subscription.objects.create(
        collectivite=tenant, offer=catalogue.visio, quantity=3, activated_on=date(2026, 3, 1)
    )
    Subscription.objects.create(
        collectivite=tenant, offer=catalogue.forfait, quantity=1, activated_on=date(2026, 3, 1)
    )
    draft = _draft()
    services.schedule_line_update(
        line=draft.lines.get(offer__code="mail"),
        unit_price=Decimal("25.00"),
        strate_prices={},
        first_free_quantity=0,
        vat_rate=None,
        vat_exemption="Exonéré",
    )
    rows = {
        row.collectivite.slug: row for row in selectors.schedule_preview(draft=draft, today=TODAY)
    }
    # 10 × 24 + (3 − 1 free) × 60 + forfait of strate 2000-3499 (7th strate: 700)
    assert rows["test"].today == Decimal("1060.00")
    assert rows["test"].proposed == Decimal("1070.00")
    assert rows["test"].change == Decimal("10.00")
    assert (rows["autre"].today, rows["autre"].proposed) == (Decimal("0.00"), Decimal("0.00"))


def test_a_past_deliberation_starts_from_the_schedule_then_in_force(catalogue):
    history = _draft(effective_from=date(2025, 1, 1), deliberation_date=date(2024, 12, 1))
    services.schedule_publish(schedule=history, published_by=None, today=TODAY)
    assert history.copied_from == catalogue.schedule  # nothing was in force in 2025 yet
    mid_year = _draft(effective_from=date(2025, 7, 1), deliberation_date=date(2025, 6, 1))
    assert mid_year.copied_from == history
    assert _draft(effective_from=date(2027, 1, 1)).copied_from == catalogue.schedule
