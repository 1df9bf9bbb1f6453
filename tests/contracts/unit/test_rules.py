"""Q1, S1–S4: contract dates, table-tested on month ends, 29 February and year ends."""

from datetime import date

import pytest

from contracts.rules import (
    contract_year,
    coterm_months,
    first_anniversary,
    notice_deadline,
    quote_is_expired,
    quote_valid_until,
    term_start,
    termination_effective_end,
)

D = date


@pytest.mark.parametrize(
    ("issued", "valid_until", "_case"),
    [
        (D(2026, 3, 17), D(2026, 4, 17), "same day next month"),
        (D(2026, 1, 31), D(2026, 2, 28), "31 January: clamped to 28 February"),
        (D(2028, 1, 31), D(2028, 2, 29), "leap year: 29 February"),
        (D(2026, 3, 31), D(2026, 4, 30), "31 March: clamped to 30 April"),
        (D(2026, 12, 15), D(2027, 1, 15), "year end"),
        (D(2028, 2, 29), D(2028, 3, 29), "from 29 February"),
    ],
)
def test_quote_valid_until(issued, valid_until, _case):
    assert quote_valid_until(issued) == valid_until


def test_quote_can_be_signed_on_its_last_day_and_not_after():
    issued = D(2026, 1, 31)
    assert not quote_is_expired(issued, D(2026, 2, 28))
    assert quote_is_expired(issued, D(2026, 3, 1))


@pytest.mark.parametrize(
    ("activated", "start", "anniversary", "_case"),
    [
        (D(2026, 3, 17), D(2026, 3, 1), D(2027, 3, 1), "DESIGN S1 example"),
        (D(2026, 3, 1), D(2026, 3, 1), D(2027, 3, 1), "first of the month"),
        (D(2026, 3, 31), D(2026, 3, 1), D(2027, 3, 1), "last of the month"),
        (D(2028, 2, 29), D(2028, 2, 1), D(2029, 2, 1), "29 February"),
        (D(2026, 12, 31), D(2026, 12, 1), D(2027, 12, 1), "year end"),
        (D(2027, 1, 1), D(2027, 1, 1), D(2028, 1, 1), "new year's day"),
    ],
)
def test_term_start_and_first_anniversary(activated, start, anniversary, _case):
    assert term_start(activated) == start
    assert first_anniversary(activated) == anniversary


@pytest.mark.parametrize(
    ("received", "effective_end", "_case"),
    [
        # DESIGN S3, activation 2026-03-17
        (D(2026, 4, 2), D(2027, 3, 1), "first year: due until the anniversary"),
        (D(2026, 12, 20), D(2027, 3, 1), "notice ends just at the anniversary"),
        (D(2027, 1, 15), D(2027, 4, 1), "notice runs past the anniversary"),
        (D(2027, 6, 30), D(2027, 9, 1), "second year: the notice alone"),
        # boundaries
        (D(2026, 12, 31), D(2027, 3, 1), "last day to end at the anniversary"),
        (D(2027, 1, 1), D(2027, 4, 1), "the day after"),
        (D(2026, 3, 17), D(2027, 3, 1), "received the day of activation"),
        (D(2027, 2, 28), D(2027, 5, 1), "end of February"),
        (D(2028, 2, 29), D(2028, 5, 1), "29 February"),
        (D(2027, 11, 30), D(2028, 2, 1), "notice over the year end"),
    ],
)
def test_termination_effective_end(received, effective_end, _case):
    assert termination_effective_end(D(2026, 3, 17), received) == effective_end


@pytest.mark.parametrize(
    ("on", "year", "_case"),
    [
        (D(2026, 3, 17), (D(2026, 3, 1), D(2027, 3, 1)), "activation day"),
        (D(2027, 2, 28), (D(2026, 3, 1), D(2027, 3, 1)), "last day of the first year"),
        (D(2027, 3, 1), (D(2027, 3, 1), D(2028, 3, 1)), "first renewal"),
        (D(2028, 2, 29), (D(2027, 3, 1), D(2028, 3, 1)), "29 February in the second year"),
        (D(2029, 12, 31), (D(2029, 3, 1), D(2030, 3, 1)), "years later, a year end"),
        (D(2026, 2, 10), (D(2026, 3, 1), D(2027, 3, 1)), "before the term: the first year"),
    ],
)
def test_contract_year(on, year, _case):
    assert contract_year(D(2026, 3, 17), on) == year


@pytest.mark.parametrize(
    ("on", "deadline", "anniversary", "_case"),
    [
        (D(2026, 6, 1), D(2026, 12, 31), D(2027, 3, 1), "first year"),
        (D(2026, 12, 31), D(2026, 12, 31), D(2027, 3, 1), "on the deadline"),
        (D(2027, 1, 1), D(2027, 12, 31), D(2028, 3, 1), "deadline passed: the next one"),
        (D(2027, 3, 1), D(2027, 12, 31), D(2028, 3, 1), "renewal day"),
    ],
)
def test_notice_deadline(on, deadline, anniversary, _case):
    assert notice_deadline(D(2026, 3, 17), on) == (deadline, anniversary)


@pytest.mark.parametrize(
    ("added", "months", "_case"),
    [
        (D(2026, 3, 20), 12, "in the activation month: the whole year"),
        (D(2026, 9, 10), 6, "September to February"),
        (D(2027, 2, 28), 1, "last month of the year"),
        (D(2027, 3, 1), 12, "first day of the renewed year"),
        (D(2028, 2, 29), 1, "29 February of a later year"),
    ],
)
def test_coterm_months(added, months, _case):
    assert coterm_months(D(2026, 3, 17), added) == months
