"""The catalogue API: families, offers, tariff schedules and the price endpoint, for syndicate
staff only, with money as strings and French errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from catalogue.models import (
    AnnexVersion,
    BillingUnit,
    Offer,
    ServiceFamily,
    StrateInclusion,
    StratePrice,
    System,
    TariffLine,
    TariffSchedule,
)
from portal import services
from portal.api import FORBIDDEN, INVALID, NOT_FOUND, UNAUTHENTICATED
from portal.models import Collectivite
from tests.conftest import host_of
from tests.factories import UserFactory

EXEMPTION = "TVA non applicable, article 256 B du CGI"
STRATES = Collectivite.Strate.values


def _client(user=None) -> Client:
    headers = {}
    if user is not None:
        _, raw = services.api_token_create(user=user, name="tests")
        headers["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    return Client(HTTP_HOST=host_of(None), **headers)


# --- Catalogue data, built here (independent of the demo catalogue) --------------------------


def _strate_price(strate: str, base: Decimal) -> Decimal:
    """A distinct price per strate: base + 100 × its rank in the strate table."""
    return base + 100 * STRATES.index(strate)


def _schedule(number: str, voted: date, start: date, *, status=TariffSchedule.Status.PUBLISHED):
    return TariffSchedule.objects.create(
        deliberation_number=number,
        deliberation_date=voted,
        effective_from=start,
        title=f"Tarifs {start.year}",
        is_example=True,
        status=status,
    )


def _line(schedule, offer, **fields) -> TariffLine:
    strate_prices = fields.pop("strate_prices", {})
    line = TariffLine.objects.create(schedule=schedule, offer=offer, **fields)
    for strate, price in strate_prices.items():
        StratePrice.objects.create(line=line, strate=strate, unit_price=price)
    return line


@pytest.fixture
def catalogue(db):
    visio_family = ServiceFamily.objects.create(code="visio", name="Visioconférence", position=3)
    forfaits = ServiceFamily.objects.create(
        code="forfaits", name="Forfaits", description="Métiers et Technologie", position=5
    )
    visio = Offer.objects.create(
        family=visio_family,
        code="visio-bbb",
        name="Compte de visioconférence",
        summary="Salles BigBlueButton, enregistrements conservés 30 jours.",
        description="Un compte organisateur.",
        system=System.BIGBLUEBUTTON,
        billing_unit=BillingUnit.ACCOUNT_YEAR,
        recording_retention_days=30,
        requires_referent_training=True,
        position=1,
    )
    Offer.objects.create(
        family=visio_family,
        code="visio-ancienne",
        name="Ancienne visio",
        system=System.NONE,
        billing_unit=BillingUnit.ACCOUNT_YEAR,
        orderable=False,
        position=2,
    )
    forfait = Offer.objects.create(
        family=forfaits,
        code="forfait-technologie",
        name="Forfait Technologie",
        summary="Sécurité, sauvegarde et certificats selon la strate.",
        system=System.NONE,
        billing_unit=BillingUnit.COLLECTIVITE_YEAR,
        requires_framework_agreement=True,
        default_quota_gb=Decimal("50.00"),
    )
    AnnexVersion.objects.create(offer=visio, version=1, title="Conditions visio", text="v1")
    AnnexVersion.objects.create(
        offer=visio, version=2, title="Conditions particulières visio", text="Texte v2."
    )

    first = _schedule("2025-42", date(2025, 11, 20), date(2026, 1, 1))
    _line(first, visio, unit_price=Decimal("60.00"), first_free_quantity=1, vat_rate="0.2000")
    _line(
        first,
        forfait,
        strate_prices={s: _strate_price(s, Decimal("350.00")) for s in STRATES},
        vat_exemption=EXEMPTION,
    )
    for strate, licences, backup in (("2000-3499", 25, 200), ("moins-250", 3, 20)):
        StrateInclusion.objects.create(
            schedule=first,
            offer=forfait,
            item="Licences de sécurité",
            unit="licence",
            strate=strate,
            quantity=licences,
            position=1,
        )
        StrateInclusion.objects.create(
            schedule=first,
            offer=forfait,
            item="Sauvegarde externalisée",
            unit="Go",
            strate=strate,
            quantity=backup,
            position=2,
        )
    second = _schedule("2026-17", date(2026, 6, 25), date(2027, 1, 1))
    _line(second, visio, unit_price=Decimal("72.00"), first_free_quantity=1, vat_rate="0.2000")
    _line(
        second,
        forfait,
        strate_prices={s: _strate_price(s, Decimal("360.00")) for s in STRATES},
        vat_exemption=EXEMPTION,
    )
    draft = _schedule(
        "2027-03", date(2027, 3, 10), date(2028, 1, 1), status=TariffSchedule.Status.DRAFT
    )
    return {"visio": visio, "forfait": forfait, "first": first, "second": second, "draft": draft}


# --- Access ---------------------------------------------------------------------------------

PATHS = [
    "/api/v1/catalogue/families",
    "/api/v1/catalogue/offers",
    "/api/v1/catalogue/offers/visio-bbb",
    "/api/v1/tariff-schedules",
    "/api/v1/prices?offer=visio-bbb&quantity=1&collectivite=1",
]


@pytest.mark.parametrize("path", PATHS)
def test_without_token_is_401(catalogue, path):
    response = Client(HTTP_HOST=host_of(None)).get(path)
    assert (response.status_code, response.json()) == (401, {"detail": UNAUTHENTICATED})


@pytest.mark.parametrize("path", PATHS)
def test_without_staff_role_is_403(catalogue, tenant, path):
    response = _client(UserFactory()).get(path)
    assert (response.status_code, response.json()) == (403, {"detail": FORBIDDEN})


# --- Catalogue ------------------------------------------------------------------------------

VISIO = {
    "code": "visio-bbb",
    "name": "Compte de visioconférence",
    "summary": "Salles BigBlueButton, enregistrements conservés 30 jours.",
    "family": "visio",
    "system": "bigbluebutton",
    "system_label": "BigBlueButton",
    "billing_unit": "account_year",
    "billing_unit_label": "par compte et par an",
    "yearly": True,
    "default_quota_gb": None,
    "limits": {
        "max_message_size_mb": None,
        "max_recipients": None,
        "recording_retention_days": 30,
    },
    "needs_supplier_order": False,
    "prerequisites": {"offer": None, "referent_training": True, "framework_agreement": False},
    "orderable": True,
}


def test_families_with_their_orderable_offers(catalogue, staff_finance):
    body = _client(staff_finance).get("/api/v1/catalogue/families").json()
    assert [(f["code"], [o["code"] for o in f["offers"]]) for f in body] == [
        ("visio", ["visio-bbb"]),
        ("forfaits", ["forfait-technologie"]),
    ]
    assert body[0]["offers"][0] == VISIO
    forfaits = body[1]
    assert (forfaits["name"], forfaits["description"]) == ("Forfaits", "Métiers et Technologie")
    forfait = forfaits["offers"][0]
    assert forfait["billing_unit_label"] == "par collectivité et par an"
    assert forfait["default_quota_gb"] == "50"
    assert forfait["prerequisites"] == {
        "offer": None,
        "referent_training": False,
        "framework_agreement": True,
    }


def test_offers_and_family_filter(catalogue, staff_finance):
    client = _client(staff_finance)
    codes = [o["code"] for o in client.get("/api/v1/catalogue/offers").json()]
    assert codes == ["visio-bbb", "forfait-technologie"]
    filtered = client.get("/api/v1/catalogue/offers?family=visio").json()
    assert filtered == [VISIO]
    assert client.get("/api/v1/catalogue/offers?family=inconnue").json() == []


def test_offer_detail_with_annex_and_no_inclusions(catalogue, staff_finance):
    with time_machine.travel(date(2026, 6, 15)):
        body = _client(staff_finance).get("/api/v1/catalogue/offers/visio-bbb").json()
    assert {k: body[k] for k in VISIO} == VISIO
    assert body["description"] == "Un compte organisateur."
    annex = body["annex"]
    assert (annex["version"], annex["title"], annex["text"]) == (
        2,
        "Conditions particulières visio",
        "Texte v2.",
    )
    assert body["schedule_in_force"] == {
        "id": catalogue["first"].pk,
        "title": "Tarifs 2026",
        "deliberation_number": "2025-42",
        "deliberation_date": "2025-11-20",
        "effective_from": "2026-01-01",
    }
    assert body["inclusions"] == []


def test_offer_detail_with_strate_inclusions(catalogue, staff_finance):
    with time_machine.travel(date(2026, 6, 15)):
        body = _client(staff_finance).get("/api/v1/catalogue/offers/forfait-technologie").json()
    assert body["annex"] is None
    # in the order of the strate table, items by position
    assert [
        (i["strate"], [(x["item"], x["unit"], x["quantity"]) for x in i["items"]])
        for i in body["inclusions"]
    ] == [
        (
            "moins-250",
            [("Licences de sécurité", "licence", "3"), ("Sauvegarde externalisée", "Go", "20")],
        ),
        (
            "2000-3499",
            [("Licences de sécurité", "licence", "25"), ("Sauvegarde externalisée", "Go", "200")],
        ),
    ]
    assert body["inclusions"][1]["strate_label"].startswith("Communes de 2 000 à 3 499 habitants")


def test_offer_detail_before_any_schedule_has_no_inclusions(catalogue, staff_finance):
    with time_machine.travel(date(2025, 12, 1)):
        body = _client(staff_finance).get("/api/v1/catalogue/offers/forfait-technologie").json()
    assert (body["schedule_in_force"], body["inclusions"]) == (None, [])


def test_unknown_offer_is_404(catalogue, staff_finance):
    response = _client(staff_finance).get("/api/v1/catalogue/offers/inconnue")
    assert (response.status_code, response.json()) == (404, {"detail": NOT_FOUND})


# --- Tariff schedules -----------------------------------------------------------------------


def test_schedule_list_with_drafts(catalogue, staff_finance):
    body = _client(staff_finance).get("/api/v1/tariff-schedules").json()
    assert [
        (
            s["id"],
            s["status"],
            s["status_label"],
            s["deliberation_number"],
            s["deliberation_date"],
            s["effective_from"],
            s["is_example"],
        )
        for s in body
    ] == [
        (catalogue["draft"].pk, "draft", "brouillon", "2027-03", "2027-03-10", "2028-01-01", True),
        (
            catalogue["second"].pk,
            "published",
            "publiée",
            "2026-17",
            "2026-06-25",
            "2027-01-01",
            True,
        ),
        (
            catalogue["first"].pk,
            "published",
            "publiée",
            "2025-42",
            "2025-11-20",
            "2026-01-01",
            True,
        ),
    ]


def test_schedule_detail_with_lines(catalogue, staff_finance):
    client = _client(staff_finance)
    body = client.get(f"/api/v1/tariff-schedules/{catalogue['first'].pk}").json()
    assert (body["title"], body["status"], body["copied_from"]) == (
        "Tarifs 2026",
        "published",
        None,
    )
    visio, forfait = body["lines"]
    assert visio == {
        "offer": "visio-bbb",
        "offer_name": "Compte de visioconférence",
        "unit_price": "60.00",
        "strate_prices": {},
        "first_free_quantity": 1,
        "vat_rate": "0.2",
        "vat_exemption": "",
    }
    assert (forfait["offer"], forfait["unit_price"], forfait["vat_rate"]) == (
        "forfait-technologie",
        None,
        None,
    )
    assert forfait["vat_exemption"] == EXEMPTION
    assert list(forfait["strate_prices"]) == STRATES
    assert forfait["strate_prices"]["moins-100"] == "350.00"
    assert forfait["strate_prices"]["2000-3499"] == "950.00"
    missing = client.get("/api/v1/tariff-schedules/999999")
    assert (missing.status_code, missing.json()) == (404, {"detail": NOT_FOUND})


# --- Prices ---------------------------------------------------------------------------------


def _price(client, collectivite, offer="visio-bbb", **params):
    query = "&".join(f"{k}={v}" for k, v in {"offer": offer, **params}.items())
    return client.get(f"/api/v1/prices?{query}&collectivite={collectivite.pk}")


def test_first_visio_account_is_free(catalogue, staff_finance, tenant):
    response = _price(_client(staff_finance), tenant, quantity=1, date="2026-03-01")
    assert response.status_code == 200
    assert response.json() == {
        "offer": "visio-bbb",
        "collectivite": tenant.pk,
        "strate": "2000-3499",
        "date": "2026-03-01",
        "schedule": "délibération n° 2025-42 du 20/11/2025",
        "schedule_id": catalogue["first"].pk,
        "lines": [
            {
                "label": "Compte de visioconférence",
                "unit_price": "60.00",
                "quantity": "1",
                "free_quantity": "1",
                "amount": "0.00",
                "vat_rate": "0.2",
                "vat_exemption": "",
                "strate": None,
            }
        ],
        "total": "0.00",
    }


@pytest.mark.parametrize(
    ("quantity", "held", "free", "amount"),
    [
        ("1", 0, "1", "0.00"),
        ("5", 0, "1", "240.00"),
        ("5", 1, "0", "300.00"),
        ("2", 3, "0", "120.00"),
    ],
)
def test_first_free_counts_accounts_already_held(
    catalogue, staff_finance, tenant, quantity, held, free, amount
):
    body = _price(
        _client(staff_finance), tenant, quantity=quantity, held=held, date="2026-03-01"
    ).json()
    line = body["lines"][0]
    assert (line["quantity"], line["free_quantity"], line["amount"], body["total"]) == (
        quantity,
        free,
        amount,
        amount,
    )


@pytest.mark.parametrize(
    ("fixture", "strate", "amount"),
    [("tenant", "2000-3499", "950.00"), ("other_tenant", "moins-250", "550.00")],
)
def test_forfait_priced_on_the_collectivite_strate(
    catalogue, staff_finance, request, fixture, strate, amount
):
    collectivite = request.getfixturevalue(fixture)
    body = _price(
        _client(staff_finance),
        collectivite,
        offer="forfait-technologie",
        quantity=1,
        date="2026-03-01",
    ).json()
    assert body["strate"] == strate
    line = body["lines"][0]
    assert (line["unit_price"], line["amount"], line["strate"], body["total"]) == (
        amount,
        amount,
        strate,
        amount,
    )
    assert (line["vat_rate"], line["vat_exemption"]) == (None, EXEMPTION)


@pytest.mark.parametrize(
    ("on", "unit_price", "deliberation"),
    [
        ("2026-12-31", "60.00", "délibération n° 2025-42 du 20/11/2025"),
        ("2027-01-01", "72.00", "délibération n° 2026-17 du 25/06/2026"),
        ("2027-07-14", "72.00", "délibération n° 2026-17 du 25/06/2026"),
    ],
)
def test_price_follows_the_schedule_in_force(
    catalogue, staff_finance, tenant, on, unit_price, deliberation
):
    body = _price(_client(staff_finance), tenant, quantity=3, date=on).json()
    assert (body["date"], body["schedule"], body["lines"][0]["unit_price"]) == (
        on,
        deliberation,
        unit_price,
    )
    assert body["total"] == str(Decimal(unit_price) * 2)


def test_date_defaults_to_today(catalogue, staff_finance, tenant):
    with time_machine.travel(date(2027, 2, 1)):
        body = _price(_client(staff_finance), tenant, quantity=2).json()
    assert (body["date"], body["lines"][0]["unit_price"], body["total"]) == (
        "2027-02-01",
        "72.00",
        "72.00",
    )


def test_no_schedule_in_force_is_422_in_french(catalogue, staff_finance, tenant):
    response = _price(_client(staff_finance), tenant, quantity=1, date="2025-12-31")
    assert (response.status_code, response.json()) == (
        422,
        {"detail": "Aucune grille tarifaire n'est en vigueur au 31/12/2025."},
    )


def test_offer_without_a_price_and_bad_quantity_are_422(catalogue, staff_finance, tenant):
    client = _client(staff_finance)
    unpriced = _price(client, tenant, offer="visio-ancienne", quantity=1, date="2026-03-01")
    assert unpriced.status_code == 422
    assert unpriced.json() == {
        "detail": "L'offre « visio-ancienne » n'a pas de tarif dans la grille "
        "« délibération n° 2025-42 du 20/11/2025 »."
    }
    zero = _price(client, tenant, quantity=0, date="2026-03-01")
    assert (zero.status_code, zero.json()) == (
        422,
        {"detail": "La quantité doit être un nombre positif."},
    )


def test_non_numeric_quantity_is_422_from_validation(catalogue, staff_finance, tenant):
    response = _price(_client(staff_finance), tenant, quantity="beaucoup", date="2026-03-01")
    assert (response.status_code, response.json()) == (
        422,
        {"detail": INVALID, "errors": {"quantity": "Valeur invalide."}},
    )


def test_quantity_out_of_bounds_is_422_from_validation(catalogue, staff_finance, tenant):
    client = _client(staff_finance)
    for quantity in ("1" + "0" * 12, "1.005", "NaN"):
        response = _price(client, tenant, quantity=quantity, date="2026-03-01")
        assert (response.status_code, response.json()) == (
            422,
            {"detail": INVALID, "errors": {"quantity": "Valeur invalide."}},
        ), quantity


def test_missing_parameter_is_named(catalogue, staff_finance):
    response = _client(staff_finance).get("/api/v1/prices?offer=visio-bbb&quantity=1")
    assert (response.status_code, response.json()) == (
        422,
        {"detail": INVALID, "errors": {"collectivite": "Ce champ est obligatoire."}},
    )


def test_unknown_offer_or_collectivite_is_404(catalogue, staff_finance, tenant):
    client = _client(staff_finance)
    offer = _price(client, tenant, offer="inconnue", quantity=1)
    assert (offer.status_code, offer.json()) == (404, {"detail": "Offre inconnue : « inconnue »."})
    collectivite = client.get("/api/v1/prices?offer=visio-bbb&quantity=1&collectivite=999999")
    assert (collectivite.status_code, collectivite.json()) == (
        404,
        {"detail": "Collectivité inconnue : n° 999999."},
    )


# --- OpenAPI --------------------------------------------------------------------------------


def test_openapi_schema_lists_the_catalogue_paths(db):
    schema = Client(HTTP_HOST=host_of(None)).get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert {
        "/api/v1/catalogue/families",
        "/api/v1/catalogue/offers",
        "/api/v1/catalogue/offers/{code}",
        "/api/v1/tariff-schedules",
        "/api/v1/tariff-schedules/{schedule_id}",
        "/api/v1/prices",
    } <= set(paths)
    prices = paths["/api/v1/prices"]["get"]
    assert prices["tags"] == ["prix"]
    assert prices["summary"] == "Calculer le prix d'une offre pour une collectivité à une date"
    parameters = {p["name"]: p for p in prices["parameters"]}
    assert set(parameters) == {"offer", "quantity", "collectivite", "date", "held"}
    assert parameters["collectivite"]["description"] == "Identifiant de la collectivité."
    assert paths["/api/v1/catalogue/families"]["get"]["tags"] == ["catalogue"]
    assert paths["/api/v1/tariff-schedules"]["get"]["tags"] == ["tarifs"]
