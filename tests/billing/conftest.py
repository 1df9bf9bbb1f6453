"""Billing needs the syndicate's identity (issuer of every invoice)."""

import pytest

from portal.models import Syndicate
from tests.factories import valid_siret, vat_number_of


@pytest.fixture(autouse=True)
def syndicate(request):
    if "db" not in request.fixturenames:
        yield None
        return
    request.getfixturevalue("db")  # autouse fixtures come first: open the database now
    yield Syndicate.objects.update_or_create(
        pk=1,
        defaults={
            "name": "Syndicat mixte Numérique Test",
            "short_name": "Numérique Test",
            "siret": valid_siret(8_000_001),
            "vat_number": vat_number_of(valid_siret(8_000_001)),
            "address": "1 rue de la Mutualisation",
            "postcode": "50000",
            "city": "Saint-Lô",
            "email": "contact@numerique-test.fr",
            "treasury_iban": "FR7630001007941234567890185",
            "treasury_bic": "BDFEFRPPCCT",
            "treasury_bank": "Banque de France — Trésor public",
        },
    )[0]
