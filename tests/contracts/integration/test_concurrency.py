"""Two acceptances of the same quote at the same moment (two signatories, two browsers):
exactly one wins, the other is told the quote is no longer awaiting signature (Q3, Q4)."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from contracts.models import Quote, QuoteAcceptance
from contracts.services import QUOTE_NOT_AWAITING_SIGNATURE, quote_accept
from portal.models import Collectivite, Membership, Role, User
from tests.conftest import TEST_PASSWORD


@pytest.fixture
def committed_quote(django_db_setup, django_db_blocker):
    """A sent quote and two signatories, committed so that two connections see them."""
    with django_db_blocker.unblock():
        tenant = Collectivite.objects.get(slug="test")
        signatories = [
            User.objects.create_user(f"signataire{n}.concurrence@exemple.fr", TEST_PASSWORD)
            for n in (1, 2)
        ]
        for user in signatories:
            Membership.objects.create(user=user, collectivite=tenant, role=Role.SIGNATORY)
        quote = Quote.objects.create(
            reference="DEV-2026-99999",
            collectivite=tenant,
            title="Concurrence",
            status=Quote.Status.SENT,
            issue_date=date(2026, 3, 1),
            valid_until=date(2026, 4, 1),
        )
        yield quote, signatories
        QuoteAcceptance.objects.filter(quote=quote).delete()
        quote.delete()
        for user in signatories:
            user.memberships.all().delete()
            user.is_active = False  # audited people are deactivated, never deleted
            user.email = f"supprime-{user.pk}@exemple.invalid"
            user.save()


def test_concurrent_acceptances_make_one_order(committed_quote, django_db_blocker):
    quote, signatories = committed_quote
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def accept(user):
        with django_db_blocker.unblock():
            try:
                barrier.wait(timeout=10)
                quote_accept(
                    quote=quote,
                    signatory=user,
                    po_number=f"BC-{user.pk}",
                    accept_framework=False,
                    ip_address="192.0.2.1",
                    today=date(2026, 3, 10),
                )
                outcomes.append("accepted")
            except ValidationError as exc:
                outcomes.append(exc.messages[0])
            finally:
                connection.close()

    threads = [threading.Thread(target=accept, args=(user,)) for user in signatories]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == sorted(["accepted", QUOTE_NOT_AWAITING_SIGNATURE])
    with django_db_blocker.unblock():
        assert QuoteAcceptance.objects.filter(quote=quote).count() == 1
        assert Quote.objects.get(pk=quote.pk).status == Quote.Status.ACCEPTED
