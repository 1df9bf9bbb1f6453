"""Mail accounts in BlueMind, through its core REST API (seed 000: 2 GB, 10 MB, 50 recipients;
seed 001 §1: BlueMind 2 GB).

Calls, as the API's interfaces declare them (net.bluemind.*.api, `@Path` under `/api`; the
`X-BM-ApiKey` header carries an API key or a session of an administrator of the domain):

- `GET  /api/users/{domainUid}/byLogin/{login}` → `ItemValue<User>`, or HTTP 204 (null) when
  there is no such login (IUser.byLogin);
- `PUT  /api/users/{domainUid}/{uid}` creates a user, and its mailbox when routing is
  `internal`; `POST` on the same path replaces the user's value (IUser.create / update);
- `DELETE /api/users/{domainUid}/{uid}` → `TaskRef`, followed on `GET /api/tasks/{id}` until
  its state is `Success` or `InError` (ITask.status);
- `GET  /api/mailboxes/{domainUid}/{uid}/_quota` → `MailboxQuota {used, quota}` in KiB
  (IMailboxes.getMailboxQuota; a user's mailbox has the user's uid);
- `GET` / `POST /api/configuration` → `SystemConf {values}` / `updateMutableValues(map)`
  (ISystemConfiguration).

Quotas: `User.quota` is "{@link Mailbox#quota}", and `Mailbox.quota` is documented as "mail
quota in KiB"; we round up, so that the holder never gets less than the bytes sold.

A5 limits. BlueMind has no per-user setting for either:
- the maximum message size is the system-wide Postfix `message_size_limit` (bytes; admin
  console "Configuration système › Messagerie › Taille maximale des messages"; SysConfKeys,
  read back by IMailboxes.getMailboxConfig as `messageMaxSize`). It is the closest documented
  call, so `update` writes it through ISystemConfiguration when it differs — one value for the
  whole installation, which is what the charter asks (10 MB for every account). The API key
  then needs the `manageSystemConf` role; `apply_message_size_limit=False` leaves it alone.
- the maximum number of recipients has no API at all (it is Postfix's `smtpd_recipient_limit`,
  set on the server). We record both limits in the user's documented custom `properties`
  (`portail.maxRecipients`, `portail.maxMessageBytes`) so that they are visible in BlueMind
  and a Postfix policy could read them; BlueMind itself does not enforce them.

Errors: BlueMind answers a `ServerFault {errorCode, message}`; its REST layer maps
INVALID_PARAMETER to 400, NOT_FOUND to 404, PERMISSION_DENIED to 403 and every other code —
ALREADY_EXISTS included — to 500 (net.bluemind.core.rest.http.vertx.HttpStatusCode). A 500
that carries a refusal is therefore permanent; an unknown key gets 403 PERMISSION_DENIED.

Passwords: none is sent. Holders sign in through the shared directory (seed 001 §4), so
BlueMind keeps no password of its own for them.
"""

from __future__ import annotations

import math
import time
from typing import Any
from urllib.parse import quote

import httpx

from accounts.connectors.base import (
    AccountSpec,
    ConnectorError,
    PermanentError,
    TransientError,
    Usage,
)
from accounts.connectors.http import CREDENTIALS_REFUSED, HttpClient

KIB = 1024
MESSAGE_SIZE_KEY = "message_size_limit"
PROPERTY_MAX_RECIPIENTS = "portail.maxRecipients"
PROPERTY_MAX_MESSAGE_BYTES = "portail.maxMessageBytes"
TASK_POLL_SECONDS = 0.2
# ServerFault codes that no retry will cure, whatever HTTP status carried them.
REFUSALS = {"INVALID_PARAMETER", "INVALID_EMAIL", "INVALID_QUOTA", "ALREADY_EXISTS"}

ADDRESS_INVALID = "L'adresse de messagerie « {address} » n'est pas valide."
ACCOUNT_MISSING = "La boîte « {address} » n'existe pas dans BlueMind."
ALREADY_USED = "L'identifiant ou l'adresse est déjà utilisé par un autre compte dans BlueMind."
INVALID_VALUE = "BlueMind refuse les valeurs du compte (identifiant, adresse, quota ou nom)."
DELETE_FAILED = "BlueMind n'a pas pu supprimer la boîte « {address} »."
DELETE_PENDING = "La suppression de la boîte « {address} » est toujours en cours dans BlueMind."


class BlueMindConnector:
    """Mail accounts: one BlueMind user (and its mailbox) per account, login = the local part
    of `spec.email`, domain = the domain part unless `domain_uid` is given."""

    name = "BlueMind"

    def __init__(
        self,
        *,
        url: str,
        api_key: str,
        domain_uid: str | None = None,
        timeout: float = 10.0,
        data_location: str | None = None,
        apply_message_size_limit: bool = True,
    ) -> None:
        base = url.rstrip("/")
        if not base.endswith("/api"):
            base += "/api"
        self._domain_uid = domain_uid
        # Which mail backend holds new mailboxes; None lets BlueMind choose the domain's
        # default one (set it on installations with several backends).
        self._data_location = data_location
        self._apply_message_size_limit = apply_message_size_limit
        self._timeout = timeout
        self._http = HttpClient(
            system=self.name,
            base_url=base + "/",
            timeout=timeout,
            headers={"X-BM-ApiKey": api_key, "Accept": "application/json"},
            secrets=(api_key,),
            classify=self._fault,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> BlueMindConnector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- the Connector interface -------------------------------------------------------------

    def create(self, spec: AccountSpec) -> None:
        """Look the login up first, so that a second run finds the user the first created."""
        domain, login = self._locate(spec)
        found = self._find(domain, login)
        if found is None:
            value = self._new_user(spec, login)
            self._http.request("PUT", f"users/{_seg(domain)}/{_seg(spec.uid)}", json_body=value)
        else:
            self._save(domain, found, spec, archived=False)
        self._carry_message_size(spec)

    def update(self, spec: AccountSpec) -> None:
        domain, login = self._locate(spec)
        found = self._require(domain, login, spec)
        self._save(domain, found, spec, archived=bool(found["value"].get("archived")))
        self._carry_message_size(spec)

    def disable(self, spec: AccountSpec) -> None:
        """`archived` users cannot sign in; nothing is deleted. An absent user is already as
        disabled as can be: a purge (disable, then delete) retried after its delete passes."""
        domain, login = self._locate(spec)
        found = self._find(domain, login)
        if found is not None:
            self._set_archived(domain, found, archived=True)

    def enable(self, spec: AccountSpec) -> None:
        domain, login = self._locate(spec)
        found = self._require(domain, login, spec)
        self._set_archived(domain, found, archived=False)

    def delete(self, spec: AccountSpec) -> None:
        """Delete the user and its mailbox (IUser.delete), then follow the task it returns."""
        domain, login = self._locate(spec)
        found = self._find(domain, login)
        if found is None:
            return
        response = self._http.request(
            "DELETE", f"users/{_seg(domain)}/{_seg(found['uid'])}", handled={404}
        )
        if response.status_code == 404:  # deleted meanwhile
            return
        task = self._http.json(response) or {}
        if task.get("id"):
            self._wait_for_task(str(task["id"]), spec)

    def usage(self, spec: AccountSpec) -> Usage:
        domain, login = self._locate(spec)
        found = self._require(domain, login, spec)
        response = self._http.request(
            "GET", f"mailboxes/{_seg(domain)}/{_seg(found['uid'])}/_quota"
        )
        quota = self._http.json(response) or {}
        used_kib = int(quota.get("used") or 0)
        quota_kib = quota.get("quota")
        return Usage(
            used_bytes=used_kib * KIB,
            quota_bytes=int(quota_kib) * KIB if quota_kib is not None else None,
        )

    # --- users ---------------------------------------------------------------------------------

    def _locate(self, spec: AccountSpec) -> tuple[str, str]:
        """(domain uid, login): the login is the address's local part, the domain its domain
        part unless the connector was given the BlueMind domain uid."""
        domain, login = _address(spec)
        return self._domain_uid or domain, login

    def _find(self, domain: str, login: str) -> dict[str, Any] | None:
        response = self._http.request(
            "GET", f"users/{_seg(domain)}/byLogin/{_seg(login)}", handled={204, 404}
        )
        if response.status_code in (204, 404) or not response.content.strip():
            return None
        found = self._http.json(response)
        return found if isinstance(found, dict) and found.get("value") else None

    def _require(self, domain: str, login: str, spec: AccountSpec) -> dict[str, Any]:
        found = self._find(domain, login)
        if found is None:
            raise PermanentError(ACCOUNT_MISSING.format(address=spec.email))
        return found

    def _new_user(self, spec: AccountSpec, login: str) -> dict[str, Any]:
        value: dict[str, Any] = {
            "login": login,
            "emails": [{"address": spec.email, "isDefault": True, "allAliases": False}],
            "routing": "internal",  # BlueMind holds the mailbox (IUser.create makes it)
            "accountType": "FULL",
            "archived": False,
            "hidden": False,
            "system": False,
            "quota": _kib(spec.quota_bytes),
            "contactInfos": {
                "kind": "individual",
                "identification": _identification(spec),
                "communications": {"emails": [{"value": spec.email, "parameters": []}]},
            },
            "properties": _limit_properties({}, spec),
        }
        if self._data_location:
            value["dataLocation"] = self._data_location
        return value

    def _save(
        self, domain: str, found: dict[str, Any], spec: AccountSpec, *, archived: bool
    ) -> None:
        """IUser.update replaces the whole value: start from the one read, change ours."""
        original = {key: item for key, item in found["value"].items() if key != "password"}
        value = dict(original)
        value["quota"] = _kib(spec.quota_bytes)
        value["archived"] = archived
        contact = dict(value.get("contactInfos") or {"kind": "individual"})
        contact["identification"] = {
            **(contact.get("identification") or {}),
            **_identification(spec),
        }
        value["contactInfos"] = contact
        value["properties"] = _limit_properties(value.get("properties") or {}, spec)
        # `password` is never fetched, and a value without it keeps the stored one.
        if value != original:
            self._http.request(
                "POST", f"users/{_seg(domain)}/{_seg(found['uid'])}", json_body=value
            )

    def _set_archived(self, domain: str, found: dict[str, Any], *, archived: bool) -> None:
        if bool(found["value"].get("archived")) == archived:
            return
        value = dict(found["value"], archived=archived)
        value.pop("password", None)
        self._http.request("POST", f"users/{_seg(domain)}/{_seg(found['uid'])}", json_body=value)

    def _wait_for_task(self, task_id: str, spec: AccountSpec) -> None:
        deadline = time.monotonic() + 3 * self._timeout
        while True:
            response = self._http.request("GET", f"tasks/{_seg(task_id)}")
            state = (self._http.json(response) or {}).get("state")
            if state == "Success":
                return
            if state == "InError":
                raise TransientError(
                    DELETE_FAILED.format(address=spec.email),
                    detail=self._http.detail(response, note=f"tâche {task_id}"),
                )
            if time.monotonic() >= deadline:
                # The next run finds the user gone, or deletes it again.
                raise TransientError(
                    DELETE_PENDING.format(address=spec.email),
                    detail=self._http.detail(response, note=f"tâche {task_id}"),
                )
            time.sleep(TASK_POLL_SECONDS)

    # --- A5: the system-wide message size -----------------------------------------------------

    def _carry_message_size(self, spec: AccountSpec) -> None:
        if not self._apply_message_size_limit or spec.max_message_bytes is None:
            return
        response = self._http.request("GET", "configuration")
        values = (self._http.json(response) or {}).get("values") or {}
        wanted = str(spec.max_message_bytes)
        if str(values.get(MESSAGE_SIZE_KEY, "")) != wanted:
            self._http.request("POST", "configuration", json_body={MESSAGE_SIZE_KEY: wanted})

    # --- errors ---------------------------------------------------------------------------------

    def _fault(self, response: httpx.Response, detail: str) -> ConnectorError | None:
        """A ServerFault whose code is a refusal is permanent, even when it came as HTTP 500."""
        try:
            fault = response.json()
        except ValueError:
            return None
        code = fault.get("errorCode") if isinstance(fault, dict) else None
        if code == "ALREADY_EXISTS":
            return PermanentError(ALREADY_USED, detail=detail)
        if code in REFUSALS:
            return PermanentError(INVALID_VALUE, detail=detail)
        if code in ("PERMISSION_DENIED", "FORBIDDEN", "AUTHENTICATION_FAIL"):
            return PermanentError(CREDENTIALS_REFUSED.format(system=self.name), detail=detail)
        return None


def _address(spec: AccountSpec) -> tuple[str, str]:
    """(domain, login) of the mailbox address; BlueMind logins are lower-case."""
    local, at, domain = spec.email.strip().rpartition("@")
    if not at or not local or not domain:
        raise PermanentError(ADDRESS_INVALID.format(address=spec.email))
    return domain.lower(), local.lower()


def _seg(value: str) -> str:
    return quote(value, safe="@")


def _kib(size_bytes: int | None) -> int | None:
    return None if size_bytes is None else math.ceil(size_bytes / KIB)


def _identification(spec: AccountSpec) -> dict[str, Any]:
    return {
        "formatedName": {"value": spec.display_name or spec.email, "parameters": []},
        "name": {
            "familyNames": spec.surname,
            "givenNames": spec.given_name,
            "additionalNames": "",
            "prefixes": "",
            "suffixes": "",
            "parameters": [],
        },
    }


def _limit_properties(properties: dict[str, str], spec: AccountSpec) -> dict[str, str]:
    result = dict(properties)
    for key, limit in (
        (PROPERTY_MAX_RECIPIENTS, spec.max_recipients),
        (PROPERTY_MAX_MESSAGE_BYTES, spec.max_message_bytes),
    ):
        if limit is None:
            result.pop(key, None)
        else:
            result[key] = str(limit)
    return result
