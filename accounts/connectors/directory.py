"""The shared LDAP directory behind single sign-on (seed 001 §4), written with ldap3.

Layout under the configured base DN (`base_dn`)::

    ou=<slug>                     organizationalUnit, description = the collectivité's name
      ou=people                   one entry per PERSON
        uid=<uid>                 inetOrgPerson + portailPerson (accounts/connectors/ldap/)
      ou=groups
        cn=mail, cn=drive, cn=visio   groupOfNames: the people whose account of that kind is
                                      enabled

A person may hold several service accounts (mail, drive, visio); their `uid` is the same
(``<slug>.<login>``). For each kind the person entry carries ``portail<Kind>Enabled`` (absent:
no account of that kind; TRUE: enabled; FALSE: disabled) and ``portail<Kind>Quota`` (bytes,
absent = no limit); a mail account also carries ``portailMailMaxMessageSize`` and
``portailMailMaxRecipients`` (A5). The single sign-on portal reads them.

Invariants the methods keep:

- a person is a member of ``cn=<kind>`` exactly when their account of that kind is enabled:
  `disable` sets the state to FALSE *and* removes the membership, `enable` restores both, so
  a service that only checks groups refuses a disabled account too;
- groupOfNames needs at least one member: each group is created with its branch and always
  keeps the branch's own DN (``ou=<slug>,<base_dn>``) as a placeholder member, which is no
  person. Groups are therefore never emptied nor deleted, and adding or removing a person is
  a single value change, safe when two accounts of a collectivité change at once;
- `mail` is the mailbox address when the person holds a mail account; an account of another
  kind (whose `email` is only a contact address) does not overwrite it (once the mail account
  is deleted, the next `update` of another kind puts its contact address back);
- the person entry is deleted with its last account.

Every method opens its own connection (connect and receive time-outs), binds, works, unbinds.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import ldap3
from ldap3.core import exceptions as ldap_exceptions
from ldap3.utils.dn import escape_rdn

from accounts.connectors.base import (
    AccountSpec,
    ConnectorError,
    Kind,
    PermanentError,
    TransientError,
    Usage,
)

PERSON_CLASSES = ("inetOrgPerson", "portailPerson")
GROUP_CLASS = "groupOfNames"
TRUE, FALSE = "TRUE", "FALSE"

UNREACHABLE = "L'annuaire est injoignable ou ne répond pas ; nouvel essai plus tard."
BUSY = "L'annuaire est occupé ou indisponible ; nouvel essai plus tard."
BAD_CREDENTIALS = "L'annuaire refuse l'identifiant ou le mot de passe de connexion du portail."
NO_ACCESS = "Le compte de connexion du portail n'a pas les droits nécessaires dans l'annuaire."
SCHEMA_REFUSED = (
    "L'annuaire refuse l'entrée : son schéma ne correspond pas (schéma « portail » chargé ?)."
)
BASE_MISSING = "La base configurée de l'annuaire, ou une entrée attendue, est introuvable."
REFUSED = "L'annuaire a refusé l'opération."
MISCONFIGURED = "La connexion à l'annuaire est mal configurée."
ACCOUNT_MISSING = "Ce compte est absent de l'annuaire : créez-le à nouveau."
UNKNOWN_KIND = "Ce type de compte n'est pas géré par l'annuaire."


@dataclass(frozen=True)
class KindAttributes:
    """The person entry's attributes for one kind of account."""

    state: str
    quota: str
    limits: tuple[str, ...] = ()

    @property
    def all(self) -> tuple[str, ...]:
        return (self.state, self.quota, *self.limits)


KIND_ATTRIBUTES = {
    Kind.MAIL: KindAttributes(
        state="portailMailEnabled",
        quota="portailMailQuota",
        limits=("portailMailMaxMessageSize", "portailMailMaxRecipients"),
    ),
    Kind.DRIVE: KindAttributes(state="portailDriveEnabled", quota="portailDriveQuota"),
    Kind.VISIO: KindAttributes(state="portailVisioEnabled", quota="portailVisioQuota"),
}
STATE_ATTRIBUTES = tuple(attributes.state for attributes in KIND_ATTRIBUTES.values())

_TRANSIENT_RESULTS = (
    ldap_exceptions.LDAPBusyResult,
    ldap_exceptions.LDAPUnavailableResult,
    ldap_exceptions.LDAPTimeLimitExceededResult,
)
_TRANSIENT_ERRORS = (
    ldap_exceptions.LDAPCommunicationError,  # socket open / send / receive, session closed
    ldap_exceptions.LDAPResponseTimeoutError,
    ldap_exceptions.LDAPServerPoolExhaustedError,
    ldap_exceptions.LDAPStartTLSError,
)
_SCHEMA_RESULTS = (
    ldap_exceptions.LDAPObjectClassViolationResult,
    ldap_exceptions.LDAPUndefinedAttributeTypeResult,
    ldap_exceptions.LDAPInvalidAttributeSyntaxResult,
    ldap_exceptions.LDAPConstraintViolationResult,
    ldap_exceptions.LDAPNamingViolationResult,
)


def connector_error(exc: ldap_exceptions.LDAPException) -> ConnectorError:
    """The connector error for an ldap3 exception: worth retrying (server down, time-out, busy,
    unavailable) or not (everything else), with a French reason that holds no secret."""
    detail = f"{type(exc).__name__}: {exc}"[:300]
    if isinstance(exc, ldap_exceptions.LDAPOperationResult):
        detail = f"{exc.result} {exc.description}: {exc.message}".strip()
    if isinstance(exc, _TRANSIENT_RESULTS):
        return TransientError(BUSY, detail=detail)
    if isinstance(exc, _TRANSIENT_ERRORS):
        return TransientError(UNREACHABLE, detail=detail)
    if isinstance(exc, ldap_exceptions.LDAPInvalidCredentialsResult):
        return PermanentError(BAD_CREDENTIALS, detail=detail)
    if isinstance(exc, ldap_exceptions.LDAPInsufficientAccessRightsResult):
        return PermanentError(NO_ACCESS, detail=detail)
    if isinstance(exc, _SCHEMA_RESULTS):
        return PermanentError(SCHEMA_REFUSED, detail=detail)
    if isinstance(exc, ldap_exceptions.LDAPNoSuchObjectResult):
        return PermanentError(BASE_MISSING, detail=detail)
    if isinstance(exc, ldap_exceptions.LDAPOperationResult):
        return PermanentError(REFUSED, detail=detail)
    return PermanentError(MISCONFIGURED, detail=detail)


class DirectoryConnector:
    """Service accounts as person entries and group memberships (see the module docstring)."""

    name = "annuaire"

    def __init__(
        self, *, url: str, bind_dn: str, password: str, base_dn: str, timeout: float = 10.0
    ) -> None:
        self.url = url
        self.bind_dn = bind_dn
        self._password = password
        self.base_dn = base_dn
        self.timeout = timeout

    def __repr__(self) -> str:  # never the password
        return f"<DirectoryConnector {self.url} {self.base_dn}>"

    # --- the Connector interface ------------------------------------------------------------

    def create(self, spec: AccountSpec) -> None:
        """Branch, person entry (added, or brought to `spec` when it exists) and membership of
        the kind's group. A new account is enabled; an existing one keeps its state."""
        kind = _kind_attributes(spec)
        with self._connection() as conn:
            self._ensure_branch(conn, spec)
            person = self._person(conn, spec)
            if person is None and self._add_person(conn, spec, kind):
                enabled = True
            else:  # it existed, or another call added it meanwhile
                person = person or self._person(conn, spec) or {}
                enabled = _first(person, kind.state) != FALSE
                changes = self._person_changes(spec, kind, person)
                changes[kind.state] = [(ldap3.MODIFY_REPLACE, [TRUE if enabled else FALSE])]
                classes = {value.lower() for value in person.get("objectClass", [])}
                if "portailperson" not in classes:
                    changes["objectClass"] = [(ldap3.MODIFY_ADD, ["portailPerson"])]
                conn.modify(self._person_dn(spec), changes)
            self._set_membership(conn, spec, member=enabled)

    def update(self, spec: AccountSpec) -> None:
        """Names, quota and limits of `spec`; the account must exist."""
        kind = _kind_attributes(spec)
        with self._connection() as conn:
            person = self._person(conn, spec)
            if person is None or not _first(person, kind.state):
                raise PermanentError(ACCOUNT_MISSING)
            conn.modify(self._person_dn(spec), self._person_changes(spec, kind, person))

    def disable(self, spec: AccountSpec) -> None:
        """State FALSE and out of the group. An account the directory lacks is disabled
        already."""
        self._set_state(spec, enabled=False)

    def enable(self, spec: AccountSpec) -> None:
        """State TRUE and back in the group; the account must exist."""
        self._set_state(spec, enabled=True)

    def delete(self, spec: AccountSpec) -> None:
        """This kind's membership and attributes; the person entry too when it was the
        person's last account."""
        kind = _kind_attributes(spec)
        with self._connection() as conn:
            person = self._person(conn, spec)
            if person is None:
                return
            self._set_membership(conn, spec, member=False)
            others = [
                state for state in STATE_ATTRIBUTES if state != kind.state and _first(person, state)
            ]
            if others:
                conn.modify(
                    self._person_dn(spec),
                    {name: [(ldap3.MODIFY_REPLACE, [])] for name in kind.all},
                )
            else:
                with contextlib.suppress(ldap_exceptions.LDAPNoSuchObjectResult):
                    conn.delete(self._person_dn(spec))

    def usage(self, spec: AccountSpec) -> Usage | None:
        """The directory stores no data: no usage."""
        return None

    # --- connection -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _connection(self) -> Iterator[ldap3.Connection]:
        """A bound connection, closed afterwards; ldap3 errors become connector errors."""
        server = ldap3.Server(self.url, connect_timeout=self.timeout, get_info=ldap3.NONE)
        conn = ldap3.Connection(
            server,
            user=self.bind_dn,
            password=self._password,
            # ldap3 packs the receive time-out into SO_RCVTIMEO as whole seconds.
            receive_timeout=max(1, math.ceil(self.timeout)),
            raise_exceptions=True,
        )
        try:
            conn.open()
            conn.bind()
            yield conn
        except ldap_exceptions.LDAPException as exc:
            raise connector_error(exc) from exc
        except OSError as exc:  # a socket error ldap3 did not wrap
            raise TransientError(UNREACHABLE, detail=f"{type(exc).__name__}: {exc}") from exc
        finally:
            with contextlib.suppress(ldap_exceptions.LDAPException, OSError):
                conn.unbind()

    # --- names ------------------------------------------------------------------------------

    def _branch_dn(self, spec: AccountSpec) -> str:
        return f"ou={escape_rdn(spec.collectivite)},{self.base_dn}"

    def _person_dn(self, spec: AccountSpec) -> str:
        return f"uid={escape_rdn(spec.uid)},ou=people,{self._branch_dn(spec)}"

    def _group_dn(self, spec: AccountSpec) -> str:
        return f"cn={escape_rdn(spec.kind)},ou=groups,{self._branch_dn(spec)}"

    # --- entries ----------------------------------------------------------------------------

    def _ensure_branch(self, conn: ldap3.Connection, spec: AccountSpec) -> None:
        """ou=<slug> (its description kept to the collectivité's name), ou=people, ou=groups
        and the three groups with their placeholder member: one search when all exist."""
        branch = self._branch_dn(spec)
        try:
            conn.search(
                branch,
                f"(|(objectClass=organizationalUnit)(objectClass={GROUP_CLASS}))",
                ldap3.SUBTREE,
                attributes=["description"],
            )
            found = {entry["dn"].lower(): entry["attributes"] for entry in conn.response}
        except ldap_exceptions.LDAPNoSuchObjectResult:
            found = {}
        description = found.get(branch.lower(), {}).get("description")
        if branch.lower() not in found:
            attributes = {"ou": spec.collectivite, "description": spec.collectivite_name}
            _add_if_absent(conn, branch, ["organizationalUnit"], attributes)
        elif description != [spec.collectivite_name]:
            change = [(ldap3.MODIFY_REPLACE, [spec.collectivite_name])]
            conn.modify(branch, {"description": change})
        for ou in ("people", "groups"):
            if f"ou={ou},{branch}".lower() not in found:
                _add_if_absent(conn, f"ou={ou},{branch}", ["organizationalUnit"], {"ou": ou})
        for kind in KIND_ATTRIBUTES:
            group = f"cn={kind},ou=groups,{branch}"
            if group.lower() not in found:
                _add_if_absent(conn, group, [GROUP_CLASS], {"cn": kind, "member": [branch]})

    def _person(self, conn: ldap3.Connection, spec: AccountSpec) -> Mapping[str, list[str]] | None:
        """The person entry's classes and states, or None if it does not exist."""
        try:
            conn.search(
                self._person_dn(spec),
                "(objectClass=*)",
                ldap3.BASE,
                attributes=["objectClass", *STATE_ATTRIBUTES],
            )
        except ldap_exceptions.LDAPNoSuchObjectResult:
            return None
        return conn.response[0]["attributes"] if conn.response else None

    def _add_person(self, conn: ldap3.Connection, spec: AccountSpec, kind: KindAttributes) -> bool:
        """Add the person entry; False if it exists already."""
        attributes = {
            "uid": spec.uid,
            "portailCollectivite": spec.collectivite,
            kind.state: TRUE,
            **_names(spec),
            **_kind_values(spec, kind),
        }
        try:
            conn.add(
                self._person_dn(spec),
                list(PERSON_CLASSES),
                {name: value for name, value in attributes.items() if value},
            )
        except ldap_exceptions.LDAPEntryAlreadyExistsResult:
            return False
        return True

    def _person_changes(
        self, spec: AccountSpec, kind: KindAttributes, person: Mapping[str, list[str]]
    ) -> dict[str, list]:
        """Names, quota and limits of `spec` as modify-replace changes (empty = remove)."""
        values = {"portailCollectivite": spec.collectivite, **_names(spec)}
        holds_mail = bool(_first(person, KIND_ATTRIBUTES[Kind.MAIL].state))
        if spec.kind != Kind.MAIL and holds_mail:
            del values["mail"]  # the mailbox address wins over a contact address
        values |= _kind_values(spec, kind)
        return {
            name: [(ldap3.MODIFY_REPLACE, [value] if value else [])]
            for name, value in values.items()
        }

    def _set_state(self, spec: AccountSpec, *, enabled: bool) -> None:
        kind = _kind_attributes(spec)
        with self._connection() as conn:
            person = self._person(conn, spec)
            if person is None or not _first(person, kind.state):
                if enabled:
                    raise PermanentError(ACCOUNT_MISSING)
                return
            if _first(person, kind.state) != (TRUE if enabled else FALSE):
                conn.modify(
                    self._person_dn(spec),
                    {kind.state: [(ldap3.MODIFY_REPLACE, [TRUE if enabled else FALSE])]},
                )
            if enabled:
                self._ensure_branch(conn, spec)  # the group may have been removed by hand
            self._set_membership(conn, spec, member=enabled)

    def _set_membership(self, conn: ldap3.Connection, spec: AccountSpec, *, member: bool) -> None:
        """Add or remove the person in the group of `spec.kind` (idempotent; the placeholder
        member keeps the group valid when the last person leaves)."""
        operation = ldap3.MODIFY_ADD if member else ldap3.MODIFY_DELETE
        try:
            conn.modify(self._group_dn(spec), {"member": [(operation, [self._person_dn(spec)])]})
        except ldap_exceptions.LDAPAttributeOrValueExistsResult:
            pass  # already a member
        except (ldap_exceptions.LDAPNoSuchAttributeResult, ldap_exceptions.LDAPNoSuchObjectResult):
            if member:
                raise
            # not a member, or no such group: nothing to remove


def _kind_attributes(spec: AccountSpec) -> KindAttributes:
    try:
        return KIND_ATTRIBUTES[spec.kind]
    except KeyError:
        raise PermanentError(UNKNOWN_KIND, detail=f"kind={spec.kind!r}") from None


def _names(spec: AccountSpec) -> dict[str, str]:
    """inetOrgPerson requires cn and sn: the uid stands in for a missing name."""
    return {
        "cn": spec.display_name or spec.uid,
        "sn": spec.surname or spec.uid,
        "givenName": spec.given_name,
        "displayName": spec.display_name or spec.uid,
        "mail": spec.email,
    }


def _kind_values(spec: AccountSpec, kind: KindAttributes) -> dict[str, str]:
    """Quota and (mail) limits; "" where `spec` has none, i.e. no limit."""
    values = {kind.quota: _integer(spec.quota_bytes)}
    if spec.kind == Kind.MAIL:
        values["portailMailMaxMessageSize"] = _integer(spec.max_message_bytes)
        values["portailMailMaxRecipients"] = _integer(spec.max_recipients)
    return values


def _integer(value: int | None) -> str:
    return "" if value is None else str(value)


def _first(entry: Mapping[str, list[str]], name: str) -> str:
    values = entry.get(name) or []
    return values[0] if values else ""


def _add_if_absent(
    conn: ldap3.Connection, dn: str, classes: list[str], attributes: dict[str, object]
) -> None:
    with contextlib.suppress(ldap_exceptions.LDAPEntryAlreadyExistsResult):
        conn.add(dn, classes, attributes)
