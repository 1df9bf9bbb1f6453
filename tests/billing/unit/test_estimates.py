"""The estimate's arithmetic (issue 16), table-tested: which contract years start in a
budget year (S2, S3), the quantity held on their first day (S4), prorated lines (B2), the
schedule in force (B3), notice deadlines, and a draft's impact table summing to the change."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from billing import estimates
from catalogue import domain as pricing
from contracts import rules

D = Decimal


def _schedule(label, effective_from, mail="24.00", forfait=None, first_free=0):
    rules = {"mail": pricing.Rule(offer="mail", offer_name="Messagerie", unit_price=D(mail))}
    rules["visio"] = pricing.Rule(
        offer="visio", offer_name="Visio", unit_price=D("60.00"), first_free=1
    )
    if forfait is not None:
        rules["forfait"] = pricing.Rule(
            offer="forfait", offer_name="Forfait", strate_prices={"1000-1999": D(forfait)}
        )
    return pricing.Schedule(label=label, effective_from=effective_from, rules=rules)


S2026 = _schedule("2026", date(2026, 1, 1), forfait="300.00")
S2027 = _schedule("2027", date(2027, 1, 1), mail="26.40", forfait="330.00")


@pytest.mark.parametrize(
    ("_case", "activated_on", "ends_on", "year", "expected"),
    [
        ("renewed_in_march", date(2026, 3, 17), None, 2027, [(date(2027, 3, 1), date(2028, 3, 1))]),
        (
            "first_year_not_in_N1",
            date(2027, 5, 2),
            None,
            2027,
            [(date(2027, 5, 1), date(2028, 5, 1))],
        ),
        ("activated_after_N1", date(2028, 2, 1), None, 2027, []),
        (
            "january_anniversary",
            date(2026, 1, 31),
            None,
            2027,
            [(date(2027, 1, 1), date(2028, 1, 1))],
        ),
        (
            "december_anniversary",
            date(2025, 12, 31),
            None,
            2027,
            [(date(2027, 12, 1), date(2028, 12, 1))],
        ),
        (
            "leap_day_activation",
            date(2024, 2, 29),
            None,
            2027,
            [(date(2027, 2, 1), date(2028, 2, 1))],
        ),
        ("terminated_at_anniversary", date(2026, 3, 17), date(2027, 3, 1), 2027, []),
        ("terminated_before_anniversary", date(2026, 3, 17), date(2027, 2, 1), 2027, []),
        (
            "terminated_inside_year",
            date(2026, 1, 5),
            date(2027, 2, 1),
            2027,
            [(date(2027, 1, 1), date(2028, 1, 1))],
        ),
    ],
)
def test_years_starting_in(_case, activated_on, ends_on, year, expected):
    assert (
        estimates.years_starting_in(activated_on=activated_on, ends_on=ends_on, year=year)
        == expected
    )


@pytest.mark.parametrize(
    ("_case", "changes", "day", "expected"),
    [
        ("no_change", (), date(2027, 3, 1), D("10")),
        (
            "pending_reduction_on_the_day",
            ((D("-2"), date(2027, 3, 1), False),),
            date(2027, 3, 1),
            D("8"),
        ),
        (
            "pending_reduction_after",
            ((D("-2"), date(2027, 4, 1), False),),
            date(2027, 3, 1),
            D("10"),
        ),
        (
            "addition_before_renewed",
            ((D("3"), date(2026, 9, 10), True),),
            date(2027, 3, 1),
            D("10"),
        ),
        (
            "addition_after_billed_apart",
            ((D("3"), date(2027, 4, 10), True),),
            date(2027, 3, 1),
            D("7"),
        ),
    ],
)
def test_quantity_on(_case, changes, day, expected):
    holding = estimates.Holding(
        subscription_id=1,
        offer="mail",
        offer_name="Messagerie",
        activated_on=date(2026, 3, 17),
        quantity=D("10"),
        changes=tuple(estimates.Change(*c) for c in changes),
    )
    assert estimates.quantity_on(holding, day) == expected


def _holding(pk, offer, activated_on, quantity, ends_on=None, changes=()):
    return estimates.Holding(
        subscription_id=pk,
        offer=offer,
        offer_name={"mail": "Messagerie", "visio": "Visio", "forfait": "Forfait"}[offer],
        activated_on=activated_on,
        quantity=D(quantity),
        ends_on=ends_on,
        changes=changes,
    )


@pytest.mark.parametrize(
    ("_case", "holding", "schedules", "months", "amount"),
    [
        (
            "full_year_new_schedule",
            _holding(1, "mail", date(2026, 3, 17), "10"),
            [S2026, S2027],
            12,
            D("264.00"),
        ),
        (
            "full_year_old_schedule",
            _holding(1, "mail", date(2026, 3, 17), "10"),
            [S2026],
            12,
            D("240.00"),
        ),
        # B2: a termination effective 01/02/2027 leaves one month of the year from 01/01/2027.
        (
            "prorated_one_month",
            _holding(2, "forfait", date(2026, 1, 20), "1", date(2027, 2, 1)),
            [S2026, S2027],
            1,
            D("27.50"),
        ),
        (
            "prorated_rounding_half_up",
            _holding(3, "mail", date(2026, 1, 20), "7", date(2027, 6, 1)),
            [S2026, S2027],
            5,
            D("77.00"),
        ),
        (
            "first_free_visio",
            _holding(4, "visio", date(2026, 4, 2), "3"),
            [S2026, S2027],
            12,
            D("120.00"),
        ),
    ],
)
def test_estimate_line(_case, holding, schedules, months, amount):
    result = estimates.estimate(
        holdings=[holding],
        strate="1000-1999",
        year=2027,
        schedules=schedules,
        today=date(2026, 11, 16),
    )
    [line] = result.lines
    assert (line.months, line.amount) == (months, amount)
    assert line.next_notice == rules.notice_deadline(holding.activated_on, date(2026, 11, 16))
    assert result.total_ttc == amount  # outside VAT


def test_a_draft_first_wins_the_tie_and_an_unpriced_offer_is_a_problem():
    draft = _schedule("projet", date(2027, 1, 1), mail="30.00")
    result = estimates.estimate(
        holdings=[
            _holding(1, "mail", date(2026, 3, 17), "10"),
            _holding(2, "forfait", date(2026, 5, 4), "1"),
        ],
        strate="1000-1999",
        year=2027,
        schedules=[draft, S2026, S2027],
        today=date(2026, 11, 16),
    )
    assert [(line.schedule, line.amount) for line in result.lines] == [("projet", D("300.00"))]
    assert result.problems == ("L'offre « Forfait » n'a pas de tarif dans la grille « projet ».",)


@pytest.mark.parametrize(
    ("_case", "today", "expected"),
    [
        ("before_deadline", date(2026, 11, 16), date(2026, 12, 31)),
        ("on_deadline", date(2026, 12, 31), date(2026, 12, 31)),
        ("past_deadline", date(2027, 1, 1), None),
    ],
)
def test_notice_deadline(_case, today, expected):
    # anniversary 01/03/2027: notice must start by 01/01/2027, so be received by 31/12/2026
    assert estimates.notice_deadline_for(date(2025, 3, 17), date(2027, 3, 1), today) == expected


def test_first_year_has_no_notice_deadline():
    assert (
        estimates.notice_deadline_for(date(2027, 3, 17), date(2027, 3, 1), date(2026, 11, 16))
        is None
    )


def test_impact_groupings_each_sum_to_the_change():
    members = []
    for name, strate, mail in [
        ("A", "moins-250", "10"),
        ("B", "1000-1999", "25"),
        ("C", "1000-1999", "4"),
    ]:
        holdings = [
            _holding(1, "mail", date(2026, 3, 17), mail),
            _holding(2, "visio", date(2026, 8, 3), "2"),
        ]
        kwargs = {"holdings": holdings, "strate": strate, "year": 2027, "today": date(2026, 11, 16)}
        members.append(
            estimates.Member(
                name=name,
                strate=strate,
                current=estimates.estimate(schedules=[S2026, S2027], **kwargs),
                proposed=estimates.estimate(
                    schedules=[_schedule("p", date(2027, 1, 1), mail="27.13"), S2026], **kwargs
                ),
                last_year=D("100.00"),
                last_year_by_offer={"Messagerie": D("100.00")},
            )
        )
    impact = estimates.impact(members)
    expected = sum(m.proposed.total_ht for m in members) - sum(m.current.total_ht for m in members)
    assert expected == D("28.47")  # 39 mailboxes × (27.13 − 26.40) €, visio unchanged
    for grouping in (impact.by_collectivite, impact.by_strate, impact.by_offer):
        assert sum(row.change for row in grouping) == expected == impact.total.change
    assert [row.key for row in impact.by_strate] == ["1000-1999", "moins-250"]
    assert impact.total.last_year == D("300.00")
