"""Mail accounts in Zimbra, through its SOAP admin API (seed 000: the Zimbra charter of Somme
Numérique — 2 GB mailboxes; issue 15, build 5).

Every call is a SOAP 1.2 envelope POSTed to `{ZIMBRA_URL}/service/admin/soap` (the admin
port, 7071 by default), in the `urn:zimbraAdmin` namespace ("Zimbra SOAP API Reference",
soap-admin.txt):

- `AuthRequest {name, password}` of an administrator → an `authToken`, sent back in every
  request's `<soap:Header><context xmlns="urn:zimbra"><authToken>`. The token is kept by the
  connector; a `service.AUTH_EXPIRED` / `service.AUTH_REQUIRED` fault signs in again once.
- `GetAccountRequest <account by="name">` finds the account (`account.NO_SUCH_ACCOUNT`: it
  does not exist), with its attributes: `zimbraId`, `zimbraMailQuota`,
  `zimbraAccountStatus`, `givenName`, `sn`, `displayName`.
- `CreateAccountRequest name=<address>` with those attributes; no password is sent: holders
  sign in through the shared directory (seed 001 §4; the domain's `zimbraAuthMech` is LDAP).
- `ModifyAccountRequest id=…` carries the quota (`zimbraMailQuota`, in bytes; 0 is
  "unlimited"), the names, and the status: `locked` disables the account (the holder can no
  longer sign in, mail is still delivered and nothing is deleted), `active` enables it.
- `DeleteAccountRequest id=…` purges the account and its mailbox.
- `GetQuotaUsageRequest domain=…` (paged, `limit` / `offset`, `more`) gives each account's
  `used` and `limit` bytes: usage is the row of the account's `zimbraId`.

A5: Zimbra's message size limit is the MTA's (`zimbraMtaMaxMessageSize`, global or per
server) and the recipient limit is Postfix's; neither is an account attribute, so the
connector leaves both to the server's configuration, set once for the whole installation.

Errors: Zimbra answers every fault with HTTP 500 and a `soap:Fault` whose
`Detail/Error/Code` is the reason: refusals (`account.ACCOUNT_EXISTS`,
`account.INVALID_ATTR_VALUE`, `service.INVALID_REQUEST`, `account.AUTH_FAILED`,
`service.PERM_DENIED`) are permanent, `service.FAILURE` and anything unreadable transient.

XML: the responses come from the configured administration server, and `xml.etree` neither
fetches external entities nor (with the expat Python ships) expands entity bombs.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - see the module docstring
from typing import Any

import httpx

from accounts.connectors.base import (
    AccountSpec,
    ConnectorError,
    PermanentError,
    TransientError,
    Usage,
)
from accounts.connectors.http import CREDENTIALS_REFUSED, FORBIDDEN, HttpClient

SOAP = "http://www.w3.org/2003/05/soap-envelope"
URN_ZIMBRA = "urn:zimbra"
URN_ADMIN = "urn:zimbraAdmin"
ADMIN_PATH = "service/admin/soap"
USAGE_PAGE = 500
STATUS_ACTIVE = "active"
STATUS_LOCKED = "locked"
# Zimbra fault codes that no retry will cure.
REFUSALS = {"account.INVALID_ATTR_VALUE", "service.INVALID_REQUEST", "service.PARSE_ERROR"}
CREDENTIAL_FAULTS = {"account.AUTH_FAILED", "account.CHANGE_PASSWORD"}
EXPIRED_FAULTS = {"service.AUTH_EXPIRED", "service.AUTH_REQUIRED"}
MISSING = frozenset({"account.NO_SUCH_ACCOUNT"})

ADDRESS_INVALID = "L'adresse de messagerie « {address} » n'est pas valide."
ACCOUNT_MISSING = "La boîte « {address} » n'existe pas dans Zimbra."
ALREADY_USED = "L'adresse est déjà utilisée par un autre compte dans Zimbra."
INVALID_VALUE = "Zimbra refuse les valeurs du compte (adresse, quota, statut ou nom)."
UNREADABLE = "Zimbra a renvoyé une réponse illisible."


class _Fault(Exception):
    def __init__(self, code: str, response: httpx.Response) -> None:
        super().__init__(code)
        self.code = code
        self.response = response


class ZimbraConnector:
    """Mail accounts: one Zimbra account (and its mailbox) per portal account, named by
    `spec.email`."""

    name = "Zimbra"

    def __init__(
        self, *, url: str, admin_user: str, admin_password: str, timeout: float = 10.0
    ) -> None:
        base = url.rstrip("/")
        if not base.endswith(ADMIN_PATH):
            base += "/" + ADMIN_PATH
        self._endpoint = base
        self._admin_user = admin_user
        self._admin_password = admin_password
        self._token: str | None = None
        self._http = HttpClient(
            system=self.name,
            base_url=base.rsplit("/", 1)[0] + "/",
            timeout=timeout,
            headers={"Content-Type": "application/soap+xml; charset=utf-8"},
            secrets=(admin_password,),
            classify=self._classify,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ZimbraConnector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- the Connector interface -------------------------------------------------------------

    def create(self, spec: AccountSpec) -> None:
        """Look the address up first, so that a second run finds the account the first made."""
        address = _address(spec)
        found = self._find(address)
        wanted = {**_attributes(spec), "zimbraAccountStatus": STATUS_ACTIVE}
        if found is None:
            request = _element("CreateAccountRequest", name=address)
            _add_attrs(request, wanted)
            self._call(request)
        else:
            self._modify(found, wanted)

    def update(self, spec: AccountSpec) -> None:
        found = self._require(spec)
        self._modify(found, _attributes(spec))

    def disable(self, spec: AccountSpec) -> None:
        """`locked`: the holder can no longer sign in; nothing is deleted. An absent account
        is as disabled as can be (a purge retried after its delete passes)."""
        found = self._find(_address(spec))
        if found is not None:
            self._modify(found, {"zimbraAccountStatus": STATUS_LOCKED})

    def enable(self, spec: AccountSpec) -> None:
        found = self._require(spec)
        self._modify(found, {"zimbraAccountStatus": STATUS_ACTIVE})

    def delete(self, spec: AccountSpec) -> None:
        found = self._find(_address(spec))
        if found is None:
            return
        try:
            self._call(_element("DeleteAccountRequest", id=found["zimbraId"]), handled=MISSING)
        except _Fault:  # deleted meanwhile
            return

    def usage(self, spec: AccountSpec) -> Usage:
        found = self._require(spec)
        domain = _address(spec).rpartition("@")[2]
        offset = 0
        while True:
            request = _element(
                "GetQuotaUsageRequest",
                domain=domain,
                allServers="1",
                limit=str(USAGE_PAGE),
                offset=str(offset),
                sortBy="totalUsed",
                sortAscending="0",
            )
            response = self._call(request)
            rows = response.findall(_q(URN_ADMIN, "account"))
            for row in rows:
                if row.get("id") == found["zimbraId"]:
                    limit = int(row.get("limit") or 0)
                    return Usage(used_bytes=int(row.get("used") or 0), quota_bytes=limit or None)
            if response.get("more") != "1" or not rows:
                break
            offset += len(rows)
        # A new account may not be in the quota report yet: nothing used, the quota it has.
        quota = int(found.get("zimbraMailQuota") or 0)
        return Usage(used_bytes=0, quota_bytes=quota or None)

    # --- accounts ----------------------------------------------------------------------------

    def _find(self, address: str) -> dict[str, str] | None:
        request = _element("GetAccountRequest", applyCos="0")
        ET.SubElement(request, _q(URN_ADMIN, "account"), by="name").text = address
        try:
            response = self._call(request, handled=MISSING)
        except _Fault:
            return None
        account = response.find(_q(URN_ADMIN, "account"))
        if account is None:
            return None
        attrs = {item.get("n", ""): item.text or "" for item in account.findall(_q(URN_ADMIN, "a"))}
        attrs["zimbraId"] = account.get("id") or attrs.get("zimbraId", "")
        return attrs

    def _require(self, spec: AccountSpec) -> dict[str, str]:
        found = self._find(_address(spec))
        if found is None:
            raise PermanentError(ACCOUNT_MISSING.format(address=spec.email))
        return found

    def _modify(self, found: dict[str, str], wanted: dict[str, str]) -> None:
        """Only the attributes that differ; nothing at all when none does."""
        changes = {key: value for key, value in wanted.items() if found.get(key, "") != value}
        if not changes:
            return
        request = _element("ModifyAccountRequest", id=found["zimbraId"])
        _add_attrs(request, changes)
        self._call(request)

    # --- SOAP ---------------------------------------------------------------------------------

    def _call(self, operation: ET.Element, *, handled: frozenset[str] = frozenset()) -> ET.Element:
        """The response element of `operation`. A fault whose code is in `handled` is raised as
        a `_Fault` for the caller; every other fault as the connector's error. An expired
        token signs in again, once."""
        try:
            if self._token is None:
                self._sign_in()
            try:
                return self._post(operation, token=self._token)
            except _Fault as fault:
                if fault.code not in EXPIRED_FAULTS:
                    raise
            self._sign_in()
            return self._post(operation, token=self._token)
        except _Fault as fault:
            if fault.code in handled:
                raise
            raise self._http.error_for(fault.response) from None

    def _sign_in(self) -> None:
        request = _element("AuthRequest")
        ET.SubElement(request, _q(URN_ADMIN, "name")).text = self._admin_user
        ET.SubElement(request, _q(URN_ADMIN, "password")).text = self._admin_password
        response = self._post(request, token=None)
        token = response.findtext(_q(URN_ADMIN, "authToken"))
        if not token:
            raise PermanentError(UNREADABLE, detail="AuthResponse sans authToken")
        self._token = token

    def _post(self, operation: ET.Element, *, token: str | None) -> ET.Element:
        response = self._http.request(
            "POST", ADMIN_PATH.rsplit("/", 1)[1], content=_envelope(operation, token), handled={500}
        )
        root = self._parse(response)
        body = root.find(_q(SOAP, "Body"))
        if body is None or len(body) == 0:
            raise PermanentError(UNREADABLE, detail=self._http.detail(response))
        answer = body[0]
        if answer.tag == _q(SOAP, "Fault") or response.status_code == 500:
            raise _Fault(_fault_code(answer), response)
        return answer

    def _parse(self, response: httpx.Response) -> ET.Element:
        try:
            return ET.fromstring(response.content)  # noqa: S314 - see the module docstring
        except ET.ParseError as exc:
            if response.status_code >= 500:  # a proxy's error page: worth retrying
                raise self._http.error_for(response) from exc
            raise PermanentError(UNREADABLE, detail=self._http.detail(response)) from exc

    def _classify(self, response: httpx.Response, detail: str) -> ConnectorError | None:
        """A Zimbra fault (always HTTP 500) by its code; None for anything else."""
        try:
            root = ET.fromstring(response.content)  # noqa: S314 - see the module docstring
        except ET.ParseError:
            return None
        fault = root.find(f"{_q(SOAP, 'Body')}/{_q(SOAP, 'Fault')}")
        if fault is None:
            return None
        code = _fault_code(fault)
        detail = f"{detail} [{code}]"
        if code == "account.ACCOUNT_EXISTS":
            return PermanentError(ALREADY_USED, detail=detail)
        if code in REFUSALS:
            return PermanentError(INVALID_VALUE, detail=detail)
        if code in CREDENTIAL_FAULTS or code in EXPIRED_FAULTS:
            return PermanentError(CREDENTIALS_REFUSED.format(system=self.name), detail=detail)
        if code == "service.PERM_DENIED":
            return PermanentError(FORBIDDEN.format(system=self.name), detail=detail)
        if code.startswith("account."):
            return PermanentError(INVALID_VALUE, detail=detail)
        return TransientError(f"{self.name} est momentanément indisponible.", detail=detail)


def _q(namespace: str, tag: str) -> str:
    return f"{{{namespace}}}{tag}"


def _element(tag: str, **attributes: str) -> ET.Element:
    return ET.Element(_q(URN_ADMIN, tag), attributes)


def _add_attrs(request: ET.Element, attrs: dict[str, str]) -> None:
    for key, value in attrs.items():
        ET.SubElement(request, _q(URN_ADMIN, "a"), n=key).text = value


def _envelope(operation: ET.Element, token: str | None) -> bytes:
    root = ET.Element(_q(SOAP, "Envelope"))
    header = ET.SubElement(root, _q(SOAP, "Header"))
    context = ET.SubElement(header, _q(URN_ZIMBRA, "context"))
    if token:
        ET.SubElement(context, _q(URN_ZIMBRA, "authToken")).text = token
    ET.SubElement(root, _q(SOAP, "Body")).append(operation)
    return ET.tostring(root, encoding="utf-8")


def _fault_code(fault: ET.Element) -> str:
    code = fault.findtext(
        f"{_q(SOAP, 'Detail')}/{_q(URN_ZIMBRA, 'Error')}/{_q(URN_ZIMBRA, 'Code')}"
    )
    return (code or "").strip()


def _address(spec: AccountSpec) -> str:
    local, at, domain = spec.email.strip().rpartition("@")
    if not at or not local or not domain:
        raise PermanentError(ADDRESS_INVALID.format(address=spec.email))
    return f"{local}@{domain}".lower()


def _attributes(spec: AccountSpec) -> dict[str, Any]:
    """The account attributes the portal owns (quota in bytes, 0 = no limit; names)."""
    return {
        "zimbraMailQuota": str(spec.quota_bytes or 0),
        "givenName": spec.given_name,
        "sn": spec.surname or spec.login,
        "displayName": spec.display_name or spec.email,
    }
