"""B8 and B9 as tables: which invoice a line goes on (VAT treatment), and which engagement
number a contract year carries."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing import domain

T = domain.VatTreatment


@pytest.mark.parametrize(
    ("_case", "rates", "expected"),
    [
        ("outside VAT only", [None, None], {T.OUTSIDE_SCOPE: [0, 1]}),
        ("20 % only", [Decimal("0.2")], {T.TAXED: [0]}),
        (
            "mixed: two invoices",
            [Decimal("0.2"), None, Decimal("0.055")],
            {
                T.OUTSIDE_SCOPE: [1],
                T.TAXED: [0, 2],
            },
        ),
        ("0 % is a rate, not outside scope", [Decimal("0")], {T.TAXED: [0]}),
        ("nothing", [], {}),
    ],
)
def test_one_invoice_per_vat_treatment(_case, rates, expected):
    items = list(enumerate(rates))
    groups = domain.split_by_vat_treatment(items, lambda item: item[1])
    assert {k: [i for i, _ in v] for k, v in groups.items()} == expected
    assert list(groups) == [t for t in T if t in expected]  # outside scope first


@pytest.mark.parametrize(
    ("_case", "budget_year", "renewal", "given", "expected"),
    [
        ("first year: the order's number", 2026, False, {2026: "ENG-26"}, ("BC-1", False)),
        ("renewal with its year's number", 2027, True, {2027: "ENG-27"}, ("ENG-27", False)),
        ("renewal without: the order's, said", 2027, True, {}, ("BC-1", True)),
        (
            "renewal without: the latest earlier one",
            2029,
            True,
            {2027: "ENG-27", 2028: "ENG-28", 2030: "ENG-30"},
            ("ENG-28", True),
        ),
        ("a later year's number is not used", 2027, True, {2028: "ENG-28"}, ("BC-1", True)),
    ],
)
def test_engagement_number_of_a_contract_year(_case, budget_year, renewal, given, expected):
    assert (
        domain.engagement_for(
            budget_year=budget_year, renewal=renewal, original="BC-1", given=given
        )
        == expected
    )


def test_no_number_at_all_is_not_said_to_be_reused():
    assert domain.engagement_for(budget_year=2027, renewal=True, original="", given={}) == (
        "",
        False,
    )


def test_engagement_numbers_are_joined_whole_without_duplicates():
    long = "E" * 80
    assert domain.engagements_joined(["A", "", long, "A"]) == f"A, {long}"
