"""The rules of service accounts through their services, in the test collectivité's schema
(no real system is called here: the provisioning tasks queued on commit are not run; the
connectors and the whole journey are tested in test_provisioning.py and test_journey.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import ProvisioningEvent, QuotaRequest, ServiceAccount
from billing import selectors as billing_selectors
from contracts import services as contract_services
from contracts.models import Subscription
from portal.models import Membership, Role

TODAY = date(2026, 3, 2)
GB = 1024**3


def create(tenant, admin, offer, login, today=TODAY, **extra):
    data = services.AccountData(
        offer_code=offer.code,
        given_name=extra.get("given_name", "Jean"),
        surname=extra.get("surname", login.title()),
        email=extra.get("email", f"{login}@perso.test"),
        login=login,
    )
    return services.account_create(collectivite=tenant, data=data, created_by=admin, today=today)


@pytest.fixture
def mail_sub(catalogue, subscribe):
    return subscribe(catalogue.mail, 2)


def test_a2_accounts_within_the_quantity_subscribed(
    tenant, catalogue, functional_admin, mail_sub, in_schema
):
    with in_schema(tenant):
        first = create(tenant, functional_admin, catalogue.mail, "anne")
        create(tenant, functional_admin, catalogue.mail, "bruno")
        with pytest.raises(ValidationError) as refused:
            create(tenant, functional_admin, catalogue.mail, "carla")
        assert "sont utilisés (2 sur 2)" in refused.value.messages[0]
        assert "commandez des comptes supplémentaires" in refused.value.messages[0]
        assert not ServiceAccount.objects.filter(login="carla").exists()
        # Closing one frees its seat.
        services.account_close(
            account=first, collectivite=tenant, closed_by=functional_admin, today=TODAY
        )
        third = create(tenant, functional_admin, catalogue.mail, "carla")
    assert third.state == ServiceAccount.State.PENDING
    assert first.mailbox == "anne@test.mail.localhost"
    assert first.quota_bytes == 2 * GB


def test_a2_no_account_without_a_running_subscription(
    tenant, catalogue, functional_admin, subscribe, in_schema
):
    with in_schema(tenant), pytest.raises(ValidationError) as refused:
        create(tenant, functional_admin, catalogue.mail, "anne")
    assert "pas d'abonnement en cours" in refused.value.messages[0]
    # A subscription activated later does not count yet.
    subscribe(catalogue.mail, 3, on=date(2026, 4, 1))
    with in_schema(tenant), pytest.raises(ValidationError):
        create(tenant, functional_admin, catalogue.mail, "anne")
    with in_schema(tenant):
        assert create(tenant, functional_admin, catalogue.mail, "anne", today=date(2026, 4, 1))


def test_bad_input_is_refused_in_french_and_changes_nothing(
    tenant, catalogue, functional_admin, mail_sub, in_schema
):
    with in_schema(tenant):
        create(tenant, functional_admin, catalogue.mail, "anne")
        with pytest.raises(ValidationError) as taken:
            create(tenant, functional_admin, catalogue.mail, "Anne")
        assert taken.value.message_dict["login"] == [
            "L'identifiant « anne » est déjà utilisé pour ce service."
        ]
        with pytest.raises(ValidationError) as bad:
            create(tenant, functional_admin, catalogue.mail, "jean dupont", email="pas-une-adresse")
        assert set(bad.value.message_dict) == {"login", "email"}
        with pytest.raises(ValidationError) as not_accounts:
            create(tenant, functional_admin, catalogue.extra_quota, "anne2")
        assert "ne donne pas de comptes" in not_accounts.value.messages[0]
        assert ServiceAccount.objects.count() == 1


def test_a6_visio_blocked_until_the_referent_is_trained(
    tenant, catalogue, functional_admin, subscribe, make_member, staff_admin, in_schema
):
    subscribe(catalogue.visio, 3)
    referent = make_member(tenant, Role.VISIO_REFERENT)
    with in_schema(tenant), pytest.raises(ValidationError) as blocked:
        create(tenant, functional_admin, catalogue.visio, "salle.maire")
    assert "formation préalable obligatoire" in blocked.value.messages[0]
    membership = Membership.objects.get(user=referent, role=Role.VISIO_REFERENT)
    with pytest.raises(ValidationError):  # a training cannot be recorded in the future
        services.referent_training_record(
            membership=membership, trained_on=date(2026, 3, 3), recorded_by=staff_admin, today=TODAY
        )
    services.referent_training_record(
        membership=membership, trained_on=date(2026, 2, 20), recorded_by=staff_admin, today=TODAY
    )
    with in_schema(tenant):
        account = create(tenant, functional_admin, catalogue.visio, "salle.maire")
    assert account.room_id.startswith("test-")
    assert account.room_name == "Salle de Jean Salle.Maire"
    assert account.quota_bytes is None


def test_a3_restore_within_14_days_only(tenant, catalogue, functional_admin, mail_sub, in_schema):
    with in_schema(tenant):
        account = create(tenant, functional_admin, catalogue.mail, "anne")
        closed = services.account_close(
            account=account, collectivite=tenant, closed_by=functional_admin, today=TODAY
        )
        assert closed.state == ServiceAccount.State.CLOSING
        restored = services.account_restore(
            account=account,
            collectivite=tenant,
            restored_by=functional_admin,
            today=date(2026, 3, 16),
        )
        # Never provisioned (its task did not run here): restoring queues its creation again.
        assert restored.state == ServiceAccount.State.PENDING
        services.account_close(
            account=account, collectivite=tenant, closed_by=functional_admin, today=TODAY
        )
        with pytest.raises(ValidationError) as late:
            services.account_restore(
                account=account,
                collectivite=tenant,
                restored_by=functional_admin,
                today=date(2026, 3, 17),
            )
        assert late.value.messages == [
            "Ce compte a été fermé le 02/03/2026. Il ne pouvait être restauré que jusqu'au "
            "16/03/2026."
        ]
        assert ServiceAccount.objects.get(pk=account.pk).state == ServiceAccount.State.CLOSING


def test_a3_restore_stays_within_the_quantity(
    tenant, catalogue, functional_admin, mail_sub, in_schema
):
    with in_schema(tenant):
        anne = create(tenant, functional_admin, catalogue.mail, "anne")
        create(tenant, functional_admin, catalogue.mail, "bruno")
        services.account_close(account=anne, collectivite=tenant, closed_by=None, today=TODAY)
        create(tenant, functional_admin, catalogue.mail, "carla")
        with pytest.raises(ValidationError) as full:
            services.account_restore(
                account=anne, collectivite=tenant, restored_by=functional_admin, today=TODAY
            )
    assert "sont utilisés (2 sur 2)" in full.value.messages[0]


def test_a3_closing_tells_the_holder_how_to_export(
    tenant, catalogue, functional_admin, mail_sub, in_schema, django_capture_on_commit_callbacks
):
    with in_schema(tenant):
        account = create(tenant, functional_admin, catalogue.mail, "anne", email="anne@perso.test")
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.account_close(
                account=account,
                collectivite=tenant,
                closed_by=functional_admin,
                today=TODAY,
                reason="Départ de l'agent",
            )
        for callback in callbacks:
            callback()
    [message] = mail.outbox
    assert set(message.to) == {"anne@perso.test", "fonctionnel@commune-test.fr"}
    assert "exportez vos données avant le 01/06/2026" in message.subject
    assert "jusqu'au 01/06/2026 inclus" in message.body
    assert "Le 02/06/2026, il sera désactivé puis supprimé" in message.body
    assert "jusqu'au 16/03/2026 inclus" in message.body


def test_a3_purge_is_due_three_months_after_closing(
    tenant, catalogue, functional_admin, mail_sub, in_schema
):
    with in_schema(tenant):
        account = create(tenant, functional_admin, catalogue.mail, "anne")
        services.account_close(account=account, collectivite=tenant, closed_by=None, today=TODAY)
        assert services.accounts_purge_due(today=date(2026, 6, 1)) == 0
        assert services.accounts_purge_due(today=date(2026, 6, 2)) == 1
        assert ServiceAccount.objects.get(pk=account.pk).state == ServiceAccount.State.CLOSED
        assert services.accounts_purge_due(today=date(2026, 6, 3)) == 0  # queued once


def test_s5_accounts_close_on_the_subscription_effective_end(
    tenant, catalogue, functional_admin, mail_sub, staff_admin, in_schema
):
    with in_schema(tenant):
        account = create(tenant, functional_admin, catalogue.mail, "anne")
    result = contract_services.termination_record(
        subscription=mail_sub,
        received_on=date(2026, 11, 10),
        today=date(2026, 11, 10),
        recorded_by=staff_admin,
    )
    ends = Subscription.objects.get(pk=mail_sub.pk).ends_on
    assert ends == date(2027, 2, 1), result
    with in_schema(tenant):
        assert services.accounts_close_ended(collectivite=tenant, today=date(2027, 1, 31)) == 0
        assert services.accounts_close_ended(collectivite=tenant, today=ends) == 1
        closed = ServiceAccount.objects.get(pk=account.pk)
    assert closed.state == ServiceAccount.State.CLOSING
    assert closed.closed_on == ends
    assert closed.close_reason == "Fin de l'abonnement au service"


def test_a4_usage_warnings_at_90_and_100_percent_once_each(
    tenant, catalogue, functional_admin, mail_sub, in_schema, django_capture_on_commit_callbacks
):
    with in_schema(tenant):
        account = create(tenant, functional_admin, catalogue.mail, "anne", email="anne@perso.test")
        mail.outbox.clear()

        def read(used):
            with django_capture_on_commit_callbacks(execute=True):
                return services.usage_record(account=account, collectivite=tenant, used_bytes=used)

        read(GB)  # 50 %
        assert mail.outbox == []
        read(int(1.84 * GB))  # 92 %
        read(int(1.86 * GB))  # still above 90 %: no second warning
        assert [m.subject for m in mail.outbox] == ["Votre compte messagerie est utilisé à 90 %"]
        assert set(mail.outbox[0].to) == {"anne@perso.test", "fonctionnel@commune-test.fr"}
        assert "1,8 Go sur 2 Go" in mail.outbox[0].body
        read(2 * GB)
        assert mail.outbox[-1].subject == "Votre compte messagerie est plein"
        read(GB)  # space freed: the next crossing warns again
        read(int(1.9 * GB))
        assert len(mail.outbox) == 3
        assert ServiceAccount.objects.get(pk=account.pk).used_bytes == int(1.9 * GB)


def test_a4_quota_request_approved_is_billed_and_raises_the_quota(
    tenant, catalogue, functional_admin, mail_sub, staff_admin, in_schema, audit_floor
):
    with in_schema(tenant):
        account = create(tenant, functional_admin, catalogue.mail, "anne")
        ServiceAccount.objects.filter(pk=account.pk).update(state="active")
        with pytest.raises(ValidationError):
            services.quota_request_create(
                account=account, collectivite=tenant, extra_gb="0", reason="", requested_by=None
            )
        request = services.quota_request_create(
            account=account,
            collectivite=tenant,
            extra_gb="3",
            reason="Archives du conseil",
            requested_by=functional_admin,
        )
        with pytest.raises(ValidationError) as twice:
            services.quota_request_create(
                account=account, collectivite=tenant, extra_gb=1, reason="", requested_by=None
            )
        assert twice.value.messages == ["Une demande d'espace est déjà en attente pour ce compte."]
        services.quota_request_approve(
            request=request, collectivite=tenant, decided_by=staff_admin, today=date(2026, 5, 12)
        )
        account.refresh_from_db()
        request.refresh_from_db()
        assert account.quota_bytes == 5 * GB
        assert account.extra_quota_gb == 3
        assert request.status == QuotaRequest.Status.APPROVED
        assert account.events.filter(
            action="quota", outcome=ProvisioningEvent.Outcome.INFO
        ).exists()
    extra = Subscription.objects.get(collectivite=tenant, offer=catalogue.extra_quota)
    assert extra.quantity == Decimal("3")
    assert extra.activated_on == date(2026, 5, 12)
    # Billed by the billing run: a contract year from May (S1), 3 GB at 3.00 €.
    items = billing_selectors.due_items(collectivite=tenant, as_of=date(2026, 6, 1))
    [line] = [i for i in items if i.offer_id == catalogue.extra_quota.pk]
    assert (line.quantity, line.amount, line.period_start) == (
        Decimal("3"),
        Decimal("9.00"),
        date(2026, 5, 1),
    )


def test_a4_quota_request_refused_needs_a_reason(
    tenant, catalogue, functional_admin, mail_sub, staff_admin, in_schema
):
    with in_schema(tenant):
        account = create(tenant, functional_admin, catalogue.mail, "anne")
        ServiceAccount.objects.filter(pk=account.pk).update(state="active")
        request = services.quota_request_create(
            account=account, collectivite=tenant, extra_gb=2, reason="", requested_by=None
        )
        with pytest.raises(ValidationError) as no_reason:
            services.quota_request_refuse(
                request=request, collectivite=tenant, decided_by=staff_admin, reason="  "
            )
        assert no_reason.value.message_dict == {"reason": [services.REFUSAL_REASON_REQUIRED]}
        services.quota_request_refuse(
            request=request,
            collectivite=tenant,
            decided_by=staff_admin,
            reason="Videz d'abord la corbeille.",
        )
        request.refresh_from_db()
        account.refresh_from_db()
    assert request.status == QuotaRequest.Status.REFUSED
    assert account.quota_bytes == 2 * GB
    assert not Subscription.objects.filter(offer=catalogue.extra_quota).exists()
