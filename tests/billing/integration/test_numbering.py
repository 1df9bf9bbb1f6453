"""B4: invoice numbers are one gapless sequence per calendar year, even with concurrent
issuers and with issuing transactions that fail after taking a number."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from billing.models import NumberSequence
from billing.services import number_take

YEAR = 2099  # a year no other test uses


class Abandon(Exception):
    """An issuing transaction that fails after taking its number (rendering, say)."""


@pytest.fixture
def clean_sequence(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        NumberSequence.objects.filter(year=YEAR).delete()
        yield
        NumberSequence.objects.filter(year=YEAR).delete()


def test_concurrent_issuers_leave_no_gap_and_no_duplicate(clean_sequence, django_db_blocker):
    kept: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(6)

    def issuer(worker: int):
        with django_db_blocker.unblock():
            barrier.wait(timeout=10)
            for attempt in range(20):
                try:
                    with transaction.atomic():
                        number = number_take(NumberSequence.Kind.INVOICE, YEAR)
                        if (worker + attempt) % 4 == 0:
                            raise Abandon
                    with lock:
                        kept.append(number)
                except Abandon:
                    pass
            connection.close()

    threads = [threading.Thread(target=issuer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    numbers = sorted(int(n.rsplit("-", 1)[1]) for n in kept)
    assert len(numbers) == 90  # 120 attempts, 30 abandoned
    assert numbers == list(range(1, 91))  # gapless, no duplicate
    assert all(n.startswith(f"FAC-{YEAR}-") for n in kept)
    with django_db_blocker.unblock():
        assert NumberSequence.objects.get(kind="FAC", year=YEAR).last_number == 90


def test_credit_notes_have_their_own_sequence(clean_sequence, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        assert number_take(NumberSequence.Kind.INVOICE, YEAR) == f"FAC-{YEAR}-00001"
        assert number_take(NumberSequence.Kind.CREDIT_NOTE, YEAR) == f"AV-{YEAR}-00001"
        assert number_take(NumberSequence.Kind.INVOICE, YEAR) == f"FAC-{YEAR}-00002"
