"""A small catalogue for tests: four offers, a published 2026 schedule pricing all of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from catalogue.models import (
    AnnexVersion,
    Offer,
    ServiceFamily,
    StrateInclusion,
    StratePrice,
    TariffLine,
    TariffSchedule,
)
from portal.models import Collectivite

EXEMPT = "TVA non applicable, article 256 B du CGI"
FORFAIT_PRICES = {
    strate: Decimal(100 * (index + 1))
    for index, (strate, _) in enumerate(Collectivite.Strate.choices)
}


@dataclass
class Catalogue:
    mail: Offer
    extra_quota: Offer
    visio: Offer
    forfait: Offer
    schedule: TariffSchedule


def build_catalogue() -> Catalogue:
    family = ServiceFamily.objects.create(code="messagerie", name="Messagerie", position=1)
    forfaits = ServiceFamily.objects.create(code="forfaits", name="Forfaits", position=2)
    mail = Offer.objects.create(
        family=family,
        code="mail",
        name="Messagerie BlueMind 2 Go",
        system="bluemind",
        billing_unit="account_year",
        default_quota_gb=Decimal("2"),
        max_message_size_mb=10,
        max_recipients=50,
        summary="Une boîte aux lettres de 2 Go.",
    )
    extra = Offer.objects.create(
        family=family,
        code="quota-mail",
        name="Quota de messagerie supplémentaire",
        system="bluemind",
        billing_unit="gb_year",
        requires_offer=mail,
    )
    visio = Offer.objects.create(
        family=family,
        code="visio",
        name="Salle de visioconférence",
        system="bigbluebutton",
        billing_unit="account_year",
        requires_referent_training=True,
        recording_retention_days=7,
    )
    forfait = Offer.objects.create(
        family=forfaits,
        code="forfait-techno",
        name="Forfait Technologie",
        system="none",
        billing_unit="collectivite_year",
        requires_framework_agreement=True,
    )
    AnnexVersion.objects.create(
        offer=mail, version=1, title="Conditions messagerie", text="Version 1."
    )
    schedule = TariffSchedule.objects.create(
        deliberation_number="2025-42",
        deliberation_date=date(2025, 12, 12),
        effective_from=date(2026, 1, 1),
        title="Grille 2026",
        status="published",
    )
    TariffLine.objects.create(
        schedule=schedule, offer=mail, unit_price=Decimal("24.00"), vat_exemption=EXEMPT
    )
    TariffLine.objects.create(
        schedule=schedule, offer=extra, unit_price=Decimal("3.00"), vat_exemption=EXEMPT
    )
    TariffLine.objects.create(
        schedule=schedule,
        offer=visio,
        unit_price=Decimal("60.00"),
        first_free_quantity=1,
        vat_exemption=EXEMPT,
    )
    line = TariffLine.objects.create(schedule=schedule, offer=forfait, vat_exemption=EXEMPT)
    StratePrice.objects.bulk_create(
        StratePrice(line=line, strate=strate, unit_price=price)
        for strate, price in FORFAIT_PRICES.items()
    )
    StrateInclusion.objects.bulk_create(
        [
            StrateInclusion(
                schedule=schedule,
                offer=forfait,
                item="Logiciels de sécurité",
                unit="licences",
                strate="2000-3499",
                quantity=Decimal("5"),
                position=1,
            ),
            StrateInclusion(
                schedule=schedule,
                offer=forfait,
                item="Sauvegarde externalisée",
                unit="Go",
                strate="2000-3499",
                quantity=Decimal("18"),
                position=2,
            ),
            StrateInclusion(
                schedule=schedule,
                offer=forfait,
                item="Logiciels de sécurité",
                unit="licences",
                strate="moins-250",
                quantity=Decimal("1"),
                position=1,
            ),
        ]
    )
    return Catalogue(mail, extra, visio, forfait, schedule)
