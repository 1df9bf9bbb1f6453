"""Public-schema core models: the tenant model, people, the audit log, API tokens."""

from .audit import AuditEvent
from .collectivite import Collectivite, Domain, Syndicate
from .people import ApiToken, Invitation, LoginHandoff, Membership, Role, User
from .schema_version import SchemaVersion

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Collectivite",
    "Domain",
    "Invitation",
    "LoginHandoff",
    "Membership",
    "Role",
    "SchemaVersion",
    "Syndicate",
    "User",
]
