"""C1: the strate of a collectivité follows CDG 47's table (seed 003), on every row and on
both sides of every boundary."""

import pytest

from portal.domain import DomainError, Kind, Strate, strate_for

COMMUNE_CASES = [
    # (population, strate, _case)
    (0, Strate.UNDER_100, "empty commune"),
    (99, Strate.UNDER_100, "99 inhabitants: last of the <100 row"),
    (100, Strate.UNDER_250, "100 inhabitants: first of the <250 row"),
    (249, Strate.UNDER_250, "249: last of <250"),
    (250, Strate.FROM_250, "250: first of 250-499"),
    (499, Strate.FROM_250, "499: last of 250-499"),
    (500, Strate.FROM_500, "500: first of 500-999"),
    (999, Strate.FROM_500, "999: last of 500-999"),
    (1_000, Strate.FROM_1000, "1 000: first of 1 000-1 999"),
    (1_999, Strate.FROM_1000, "1 999: last of 1 000-1 999"),
    (2_000, Strate.FROM_2000, "2 000: first of 2 000-3 499"),
    (3_499, Strate.FROM_2000, "3 499: last of 2 000-3 499"),
    (3_500, Strate.FROM_3500, "3 500: first of 3 500-4 999"),
    (4_999, Strate.FROM_3500, "4 999: last of 3 500-4 999"),
    (5_000, Strate.FROM_5000, "5 000: first of 5 000 and more"),
    (9_999, Strate.FROM_5000, "9 999: last before the top row"),
    (10_000, Strate.TOP, "10 000: top row"),
    (250_000, Strate.TOP, "a city"),
]


@pytest.mark.parametrize(("population", "expected", "_case"), COMMUNE_CASES)
def test_commune_strate_follows_population(population, expected, _case):
    # agent count is irrelevant for a commune, even a large one
    assert (
        strate_for(
            kind=Kind.COMMUNE,
            population=population,
            agent_count=500,
            hosted=False,
            non_affiliated=False,
        )
        == expected
    )


AGENT_CASES = [
    (0, Strate.UNDER_250, "no agent"),
    (3, Strate.UNDER_250, "3 agents: last of <4"),
    (4, Strate.FROM_250, "4 agents: first of 4-7"),
    (7, Strate.FROM_250, "7: last of 4-7"),
    (8, Strate.FROM_500, "8: first of 8-9"),
    (9, Strate.FROM_500, "9: last of 8-9"),
    (10, Strate.FROM_1000, "10: first of 10-19"),
    (19, Strate.FROM_1000, "19: last of 10-19"),
    (20, Strate.FROM_2000, "20: first of 20-29"),
    (29, Strate.FROM_2000, "29: last of 20-29"),
    (30, Strate.FROM_3500, "30: first of 30-59"),
    (59, Strate.FROM_3500, "59: last of 30-59"),
    (60, Strate.FROM_5000, "60: first of 60 and more"),
    (119, Strate.FROM_5000, "119: last before the top row"),
    (120, Strate.TOP, "120: top row"),
]


@pytest.mark.parametrize("kind", [Kind.PUBLIC_BODY, Kind.ANNEX_BUDGET, Kind.EPCI])
@pytest.mark.parametrize(("agents", "expected", "_case"), AGENT_CASES)
def test_bodies_strate_follows_agent_count(kind, agents, expected, _case):
    # population is irrelevant for établissements publics and budgets annexes
    assert (
        strate_for(
            kind=kind, population=50_000, agent_count=agents, hosted=False, non_affiliated=False
        )
        == expected
    )


@pytest.mark.parametrize(
    ("kind", "population", "agents", "hosted", "non_affiliated", "expected", "_case"),
    [
        (Kind.COMMUNE, 50, 1, True, False, Strate.HOSTED, "hosted small commune"),
        (Kind.COMMUNE, 20_000, 300, True, False, Strate.HOSTED, "hosted takes precedence on size"),
        (Kind.COMMUNE, 20_000, 300, True, True, Strate.HOSTED, "hosted takes precedence"),
        (Kind.COMMUNE, 50, 1, False, True, Strate.TOP, "non affiliated small commune: top row"),
        (Kind.PUBLIC_BODY, 0, 2, False, True, Strate.TOP, "non affiliated body: top row"),
        (Kind.ANNEX_BUDGET, 0, 2, True, False, Strate.HOSTED, "hosted budget annexe"),
    ],
)
def test_flags(kind, population, agents, hosted, non_affiliated, expected, _case):
    assert (
        strate_for(
            kind=kind,
            population=population,
            agent_count=agents,
            hosted=hosted,
            non_affiliated=non_affiliated,
        )
        == expected
    )


def test_negative_figures_are_refused():
    with pytest.raises(DomainError, match="négatifs"):
        strate_for(
            kind=Kind.COMMUNE, population=-1, agent_count=0, hosted=False, non_affiliated=False
        )
