"""P1: CNIL 2022-100 — the seed's rule (12 characters, four kinds) or 80 bits of entropy."""

import math

import pytest

from portal.domain import PASSWORD_TOO_LONG, PASSWORD_TOO_WEAK, password_assess

ACCEPTED = [
    ("Abcdefgh1!xy", "seed rule: exactly 12 characters of four kinds (78.8 bits)"),
    ("Abcdefghijk1mn", "14 characters of upper, lower and digits (83.4 bits)"),
    ("abcdefghijklmnopqr", "18 lower-case letters (84.6 bits)"),
    ("le chat dort sur le toit", "a passphrase with spaces"),
    ("élan vital à l'aube du jour", "accents and spaces count as special characters"),
    ("A" * 10 + "b" * 10 + "1" * 10 + "!" * 34, "64 characters are accepted"),
    ("abcd" * 32, "128 characters, the most we take"),
]
REFUSED = [
    ("", PASSWORD_TOO_WEAK, "empty"),
    ("Abcdefgh1!x", PASSWORD_TOO_WEAK, "11 characters of four kinds: seed rule not met, 72 bits"),
    ("Abcdefghij12", PASSWORD_TOO_WEAK, "12 characters of three kinds: 71 bits"),
    ("Abcdefghijk1m", PASSWORD_TOO_WEAK, "13 characters of three kinds: 77.4 bits"),
    ("abcdefghijklmnopq", PASSWORD_TOO_WEAK, "17 lower-case letters: 79.9 bits"),
    ("12345678901234567890123", PASSWORD_TOO_WEAK, "23 digits: 76.4 bits"),
    ("abcd" * 32 + "e", PASSWORD_TOO_LONG, "129 characters"),
    ("a" * 30, PASSWORD_TOO_WEAK, "one character repeated: no real entropy"),
    ("abcabcabcabcabcabcabc", PASSWORD_TOO_WEAK, "three characters repeated"),
]


@pytest.mark.parametrize(("password", "_case"), ACCEPTED)
def test_accepted(password, _case):
    assert password_assess(password).accepted


@pytest.mark.parametrize(("password", "reason", "_case"), REFUSED)
def test_refused_with_french_reason(password, reason, _case):
    assessment = password_assess(password)
    assert not assessment.accepted
    assert assessment.reason == reason


def test_entropy_is_length_times_log2_of_alphabet():
    assert password_assess("Abcdefghijk1mn").entropy_bits == pytest.approx(14 * math.log2(62))
