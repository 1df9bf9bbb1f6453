"""`load_catalogue`: the demo catalogue built from the seeds, with example prices — idempotent,
complete for the published schedule, with the strate table of seed 003; and the demo's
subscriptions (`load_demo`)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal as D

import pytest
from django.core.management import call_command

from catalogue import services
from catalogue.models import (
    AnnexVersion,
    Offer,
    ServiceFamily,
    StrateInclusion,
    StratePrice,
    TariffLine,
    TariffSchedule,
)
from contracts.models import Subscription
from portal.domain import Strate
from portal.models import AuditEvent

EXEMPTION = "TVA non applicable, article 256 B du CGI"
OFFER_CODES = [
    "assistance-logiciels-metiers",
    "assistance-technique-heure",
    "assistance-technique-jour",
    "audit-securite-jour",
    "certificat-electronique-supplementaire",
    "conseil-equipement-jour",
    "forfait-metiers",
    "forfait-technologie",
    "formation-jour",
    "intervention-systeme-jour",
    "licence-securite-supplementaire",
    "messagerie-bluemind",
    "messagerie-quota-supplementaire",
    "messagerie-zimbra",
    "nom-de-domaine",
    "sauvegarde-supplementaire",
    "stockage-nextcloud",
    "stockage-quota-supplementaire",
    "visio-bigbluebutton",
]


def _load() -> str:
    out = io.StringIO()
    call_command("load_catalogue", stdout=out)
    return out.getvalue()


def _published() -> TariffSchedule:
    return TariffSchedule.objects.get(deliberation_number="2025-42")


def _snapshot() -> dict:
    return {
        "families": ServiceFamily.objects.count(),
        "offers": list(Offer.objects.order_by("code").values()),
        "annexes": AnnexVersion.objects.count(),
        "schedules": list(TariffSchedule.objects.order_by("id").values()),
        "lines": sorted(TariffLine.objects.values_list("schedule_id", "offer__code", "unit_price")),
        "strate_prices": StratePrice.objects.count(),
        "inclusions": StrateInclusion.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def test_load_catalogue_is_idempotent(db):
    first_out = _load()
    before = _snapshot()
    second_out = _load()
    assert _snapshot() == before
    assert (before["families"], len(before["offers"]), before["annexes"]) == (7, 19, 19)
    assert (len(before["schedules"]), len(before["lines"])) == (2, 38)
    assert (before["strate_prices"], before["inclusions"]) == (40, 100)
    assert "19 offres (nouvelles : 19), annexes publiées : 19." in first_out
    assert "19 tarifs (ajoutés : 19). Projet de grille 2027 : créé." in first_out
    assert "19 offres (nouvelles : 0), annexes publiées : 0." in second_out
    assert "19 tarifs (ajoutés : 0). Projet de grille 2027 : déjà présent." in second_out


def test_published_schedule_prices_every_orderable_offer(db):
    _load()
    published = _published()
    assert (
        published.status,
        published.is_example,
        published.title,
        published.deliberation_date,
        published.effective_from,
        published.published_at is not None,
        published.notes.startswith("Tarifs d'exemple"),
    ) == (
        TariffSchedule.Status.PUBLISHED,
        True,
        "Grille tarifaire 2026 (tarifs d'exemple)",
        date(2025, 12, 12),
        date(2026, 1, 1),
        True,
        True,
    )
    assert sorted(Offer.objects.filter(orderable=True).values_list("code", flat=True)) == (
        OFFER_CODES
    )
    assert sorted(published.lines.values_list("offer__code", flat=True)) == OFFER_CODES
    assert set(published.lines.values_list("vat_rate", "vat_exemption")) == {(None, EXEMPTION)}
    assert services.schedule_problems(published, today=published.effective_from) == []
    # Nothing but the "in the past" rule could object later (it needs a second published
    # schedule to compare with; the 2027 one is a draft).
    assert services.schedule_problems(published, today=date(2026, 11, 23)) == []


@pytest.mark.parametrize("code", ["forfait-metiers", "forfait-technologie"])
def test_forfaits_are_priced_per_strate_only(db, code):
    _load()
    line = _published().lines.get(offer__code=code)
    prices = dict(line.strate_prices.values_list("strate", "unit_price"))
    assert line.unit_price is None
    assert set(prices) == {s.value for s in Strate}
    # Rising with the strate, the hosted row cheapest.
    ordered = [prices[s] for s in Strate if s != Strate.HOSTED]
    assert ordered == sorted(ordered)
    assert prices[Strate.HOSTED] == min(prices.values())
    assert line.offer.requires_framework_agreement is True


@pytest.mark.parametrize(
    ("strate", "licences", "backup_gb", "certificates", "_case"),
    [
        (Strate.UNDER_100, D("1"), D("4"), D("1"), "communes of fewer than 100"),
        (Strate.HOSTED, D("0"), D("4"), D("0"), "hosted collectivités"),
        (Strate.UNDER_250, D("1"), D("6"), D("1"), "fewer than 250 / 4 agents"),
        (Strate.FROM_250, D("1"), D("9"), D("1"), "250-499 / 4-7 agents"),
        (Strate.FROM_500, D("2"), D("12"), D("1"), "500-999 / 8-9 agents"),
        (Strate.FROM_1000, D("2"), D("15"), D("1"), "1 000-1 999 / 10-19 agents"),
        (Strate.FROM_2000, D("5"), D("18"), D("2"), "2 000-3 499 / 20-29 agents"),
        (Strate.FROM_3500, D("10"), D("21"), D("2"), "3 500-4 999 / 30-59 agents"),
        (Strate.FROM_5000, D("15"), D("24"), D("2"), "5 000 and more / 60 agents and more"),
        (Strate.TOP, D("15"), D("27"), D("2"), "non affiliated, 10 000 / 120 agents and more"),
    ],
)
def test_forfait_technologie_inclusions_follow_seed_003(
    db, strate, licences, backup_gb, certificates, _case
):
    _load()
    inclusions = StrateInclusion.objects.filter(
        schedule=_published(), offer__code="forfait-technologie", strate=strate
    ).order_by("position")
    assert [(i.item, i.unit, i.quantity) for i in inclusions] == [
        ("Logiciels de sécurité", "licences", licences),
        ("Sauvegarde externalisée", "Go", backup_gb),
        ("Certificat électronique", "certificats", certificates),
        ("Messagerie professionnelle sécurisée", "compte de 5 Go", D("1")),
        ("Plateforme de stockage et partage de fichiers", "compte de 1 Go", D("1")),
    ]


@pytest.mark.parametrize("code", ["messagerie-bluemind", "messagerie-zimbra"])
def test_mail_offers_carry_quota_and_limits(db, code):
    _load()
    offer = Offer.objects.get(code=code)
    assert (
        offer.default_quota_gb,
        offer.max_message_size_mb,
        offer.max_recipients,
        offer.billing_unit,
        offer.needs_supplier_order,
        offer.family.code,
    ) == (D("2.00"), 10, 50, "account_year", False, "messagerie")
    assert "10 Mo" in offer.annex_versions.get(version=1).text


def test_extra_quota_and_drive(db):
    _load()
    drive = Offer.objects.get(code="stockage-nextcloud")
    extra_mail = Offer.objects.get(code="messagerie-quota-supplementaire")
    extra_drive = Offer.objects.get(code="stockage-quota-supplementaire")
    assert (drive.system, drive.default_quota_gb) == ("nextcloud", D("5.00"))
    assert (extra_mail.requires_offer.code, extra_mail.billing_unit) == (
        "messagerie-bluemind",
        "gb_year",
    )
    assert extra_drive.requires_offer == drive


def test_visio_first_account_free_and_referent_training(db):
    _load()
    offer = Offer.objects.get(code="visio-bigbluebutton")
    line = _published().lines.get(offer=offer)
    assert (
        offer.system,
        offer.requires_referent_training,
        offer.recording_retention_days,
        line.first_free_quantity,
        line.unit_price,
    ) == ("bigbluebutton", True, 7, 1, D("60.00"))


def test_2027_draft_is_a_copy_raised_by_three_percent(db):
    _load()
    draft = TariffSchedule.objects.get(deliberation_number="2026-51")
    assert (
        draft.status,
        draft.is_example,
        draft.published_at,
        draft.title,
        draft.deliberation_date,
        draft.effective_from,
        draft.copied_from == _published(),
    ) == (
        TariffSchedule.Status.DRAFT,
        True,
        None,
        "Grille tarifaire 2027 (projet, tarifs d'exemple)",
        date(2026, 12, 10),
        date(2027, 1, 1),
        True,
    )
    prices = dict(draft.lines.values_list("offer__code", "unit_price"))
    assert (
        prices["messagerie-bluemind"],
        prices["sauvegarde-supplementaire"],
        prices["assistance-technique-heure"],
        prices["forfait-technologie"],
    ) == (D("24.72"), D("2.58"), D("66.95"), None)
    technologie = draft.lines.get(offer__code="forfait-technologie").strate_prices
    assert technologie.get(strate=Strate.FROM_2000).unit_price == D("1740.70")
    assert draft.inclusions.count() == 50
    assert services.schedule_problems(draft, today=date(2026, 12, 10)) == []


def test_demo_gives_val_de_saire_its_subscriptions(db):
    import time_machine

    # the demo's dates are computed from the day it is loaded (issue 10)
    with time_machine.travel(date(2026, 12, 4), tick=False):
        call_command("load_demo", "--force", stdout=io.StringIO())
    held = set(
        Subscription.objects.filter(collectivite__slug="val-de-saire").values_list(
            "offer__code", "quantity", "activated_on", "ends_on"
        )
    )
    assert held == {
        ("messagerie-bluemind", D("12.00"), date(2025, 4, 17), None),
        ("stockage-nextcloud", D("8.00"), date(2025, 4, 17), None),
        ("visio-bigbluebutton", D("3.00"), date(2025, 10, 8), None),
        ("assistance-logiciels-metiers", D("1.00"), date(2025, 1, 6), None),
        ("forfait-technologie", D("1.00"), date(2026, 1, 5), None),
    }
    assert Subscription.objects.filter(collectivite__slug="cc-bocage").count() == 4
    assert Subscription.objects.filter(collectivite__slug="brevands").count() == 2
