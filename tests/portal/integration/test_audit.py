"""P2: the audit log is append-only, in the application and in the database."""

import pytest
from django.db import DatabaseError, connection, transaction

from portal.events import audit_record
from portal.models import AuditEvent
from portal.models.audit import AUDIT_IMMUTABLE


def test_events_cannot_be_changed_or_deleted(tenant):
    event = audit_record(action="test.event", obj=tenant, summary="Un événement")
    event.summary = "Réécrit"
    with pytest.raises(ValueError, match=AUDIT_IMMUTABLE):
        event.save()
    with pytest.raises(ValueError, match=AUDIT_IMMUTABLE):
        event.delete()
    for statement in (
        "UPDATE portal_auditevent SET summary = 'x' WHERE id = %s",
        "DELETE FROM portal_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).summary == "Un événement"


def test_event_records_who_and_what(tenant, staff_admin):
    event = audit_record(
        action="test.event",
        obj=tenant,
        summary="Fait",
        actor=staff_admin,
        collectivite=tenant,
        data={"montant": "12.50"},
    )
    assert (event.actor, event.actor_label, event.object_type, event.object_id) == (
        staff_admin,
        "Nadia Roussel",
        "portal.collectivite",
        str(tenant.pk),
    )
    assert event.data == {"montant": "12.50"}
