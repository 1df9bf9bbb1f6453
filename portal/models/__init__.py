"""Public-schema core models: the tenant model, people, the audit log, API tokens."""

from .audit import AuditEvent
from .collectivite import Collectivite, Domain, Syndicate
from .outbox import OutboxMessage
from .people import (
    ApiToken,
    Invitation,
    LoginHandoff,
    Membership,
    Role,
    StaffInvitation,
    User,
)
from .schema_version import SchemaVersion

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Collectivite",
    "Domain",
    "Invitation",
    "LoginHandoff",
    "Membership",
    "OutboxMessage",
    "Role",
    "SchemaVersion",
    "StaffInvitation",
    "Syndicate",
    "User",
]
