"""The one interface every connector implements (issue 6, build 3).

A connector carries a service account into one real system: the shared LDAP directory behind
single sign-on (seed 001 §4), the mail system, Nextcloud, BigBlueButton. The portal's
provisioning tasks (accounts/tasks.py) call these methods and nothing else; each call must be
idempotent, because a task may run twice (Celery acks late, retries):

- `create` on an account that already exists brings it to `spec` and succeeds;
- `delete` on an account that does not exist succeeds;
- `disable` / `enable` on an account already in that state succeed.

Errors: a `TransientError` (network failure, time-out, HTTP 5xx/429, LDAP server busy or
unavailable) is retried with exponential backoff; a `PermanentError` (refused by the system,
bad configuration) is shown to the functional administrator with its French `reason` and
waits for a "retry" by hand. Messages are French, short, and never contain a secret.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class Kind:
    """The kinds of service account (values stored by accounts.models.ServiceAccount)."""

    MAIL = "mail"
    DRIVE = "drive"
    VISIO = "visio"


@dataclass(frozen=True)
class AccountSpec:
    """What a connector needs to know of one service account.

    `uid` is unique across every collectivité (``<slug>.<login>``): the id in Nextcloud, the
    directory's ``uid`` and the prefix of the BigBlueButton meeting id. `login` is the local
    part chosen by the functional administrator; `email` the mailbox address (mail accounts)
    or the holder's contact address (other kinds). Sizes are in bytes; None means "no limit".
    """

    kind: str
    uid: str
    login: str
    collectivite: str  # tenant slug: the directory branch ou=<slug>
    collectivite_name: str
    given_name: str
    surname: str
    email: str
    quota_bytes: int | None = None
    # A5 (mail): carried to the mail system.
    max_message_bytes: int | None = None
    max_recipients: int | None = None
    # A6 / seed 004 (visio): the account's room.
    room_id: str = ""
    room_name: str = ""
    recording_retention_days: int | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def display_name(self) -> str:
        return f"{self.given_name} {self.surname}".strip()


@dataclass(frozen=True)
class Usage:
    """Space used in the system, and the quota it enforces (bytes; None if it has none)."""

    used_bytes: int
    quota_bytes: int | None = None


class ConnectorError(Exception):
    """A call to a real system failed. `reason` is French and safe to show to users."""

    def __init__(self, reason: str, *, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail  # technical detail for the event log (status, body excerpt)


class TransientError(ConnectorError):
    """Worth retrying later: the system is unreachable, slow, or answered 5xx/429."""


class PermanentError(ConnectorError):
    """Retrying will not help until someone changes something (refused, misconfigured)."""


class Connector(Protocol):
    """One real system. Every method is idempotent (see the module's docstring)."""

    name: str  # shown in the event log: "annuaire", "BlueMind", "Nextcloud", "BigBlueButton"

    def create(self, spec: AccountSpec) -> None: ...

    def update(self, spec: AccountSpec) -> None:
        """Carry the quota and limits (and names) of `spec` to the system."""

    def disable(self, spec: AccountSpec) -> None:
        """The holder can no longer sign in; nothing is deleted."""

    def enable(self, spec: AccountSpec) -> None: ...

    def delete(self, spec: AccountSpec) -> None:
        """Purge the account and its data from the system."""

    def usage(self, spec: AccountSpec) -> Usage | None:
        """Space used, or None when the system keeps no usage for this kind (directory)."""
