"""A local stand-in for Zimbra's SOAP admin API — not Zimbra: an in-memory implementation of
the requests accounts/connectors/zimbra.py sends, shaped on Zimbra's documented admin
service (`urn:zimbraAdmin`, "Zimbra SOAP API Reference", docs/soap/soap-admin.txt of the
Zimbra sources), on `POST /service/admin/soap`:

- `AuthRequest {name, password}` → `AuthResponse {authToken, lifetime}`; every other request
  carries the token in `<soap:Header><context xmlns="urn:zimbra"><authToken>`;
- `GetAccountRequest <account by="name|id">` → `GetAccountResponse <account name id><a n=…>`;
- `GetAccountInfoRequest <account by=…>` → `<name>`, `<a n="zimbraId">`, `<a n="zimbraMailHost">`;
- `CreateAccountRequest name=… <a n=…>` → `CreateAccountResponse <account name id>`;
- `ModifyAccountRequest id=… <a n=…>` (an empty value removes the attribute);
- `DeleteAccountRequest id=…`;
- `GetQuotaUsageRequest domain=… limit offset sortBy` → `<account name id used limit>` (bytes;
  `used` is whatever a test put in `state.used_bytes`), with `more` and `searchTotal`.

Faults are SOAP 1.2 `soap:Fault` with HTTP 500 and the Zimbra code in
`<Detail><Error xmlns="urn:zimbra"><Code>`: `account.NO_SUCH_ACCOUNT`,
`account.ACCOUNT_EXISTS`, `account.AUTH_FAILED` (wrong admin password),
`service.AUTH_REQUIRED` / `service.AUTH_EXPIRED` (no token, or a token the server no longer
knows: `state.tokens.clear()` makes every token expire), `account.INVALID_ATTR_VALUE`
(a quota or a status that is not valid), `service.INVALID_REQUEST`.
"""

from __future__ import annotations

import re
import secrets
import uuid
import xml.etree.ElementTree as ET  # noqa: S405 - the portal's own test client sends these
from dataclasses import dataclass, field
from typing import Any

from devservers.base import DevRequest, DevResponse, DevServer, main

SOAP = "http://www.w3.org/2003/05/soap-envelope"
URN_ZIMBRA = "urn:zimbra"
URN_ADMIN = "urn:zimbraAdmin"
ADMIN_PATH = "/service/admin/soap"
DEV_ADMIN_USER = "admin@zimbra.localhost"
DEV_ADMIN_PASSWORD = "dev-zimbra-admin-password"  # noqa: S105 - a stand-in's own
TOKEN_LIFETIME_MS = 43_199_998
ACCOUNT_STATUSES = {"active", "maintenance", "locked", "closed", "lockout", "pending"}
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}@[a-z0-9.-]+\.[a-z]{2,}$")

ET.register_namespace("soap", SOAP)


@dataclass
class StoredAccount:
    name: str
    attrs: dict[str, str]


@dataclass
class ZimbraState:
    accounts: dict[str, StoredAccount] = field(default_factory=dict)  # zimbraId → account
    used_bytes: dict[str, int] = field(default_factory=dict)  # zimbraId → bytes in the mailbox
    tokens: set[str] = field(default_factory=set)
    auth_count: int = 0  # AuthRequests answered

    def by_name(self, name: str) -> tuple[str, StoredAccount] | None:
        for zimbra_id, account in self.accounts.items():
            if account.name == name:
                return zimbra_id, account
        return None


class SoapFault(Exception):
    def __init__(self, code: str, reason: str, sender: bool = True) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.sender = sender


def _q(namespace: str, tag: str) -> str:
    return f"{{{namespace}}}{tag}"


def envelope(body: ET.Element) -> bytes:
    root = ET.Element(_q(SOAP, "Envelope"))
    header = ET.SubElement(root, _q(SOAP, "Header"))
    ET.SubElement(header, _q(URN_ZIMBRA, "context"))
    ET.SubElement(root, _q(SOAP, "Body")).append(body)
    return ET.tostring(root, encoding="utf-8", xml_declaration=False)


def fault_envelope(code: str, reason: str, *, sender: bool = True) -> DevResponse:
    fault = ET.Element(_q(SOAP, "Fault"))
    value = ET.SubElement(ET.SubElement(fault, _q(SOAP, "Code")), _q(SOAP, "Value"))
    value.text = "soap:Sender" if sender else "soap:Receiver"
    text = ET.SubElement(ET.SubElement(fault, _q(SOAP, "Reason")), _q(SOAP, "Text"))
    text.text = reason
    error = ET.SubElement(ET.SubElement(fault, _q(SOAP, "Detail")), _q(URN_ZIMBRA, "Error"))
    ET.SubElement(error, _q(URN_ZIMBRA, "Code")).text = code
    ET.SubElement(error, _q(URN_ZIMBRA, "Trace")).text = f"qtp-stand-in:{uuid.uuid4().hex[:8]}"
    return DevResponse(500, envelope(fault), "application/soap+xml; charset=utf-8")


class ZimbraDevServer(DevServer):
    """Local stand-in for Zimbra's SOAP admin API (accounts, quotas, status, quota usage)."""

    def __init__(
        self,
        address: tuple[str, int],
        *,
        admin_user: str = DEV_ADMIN_USER,
        admin_password: str = DEV_ADMIN_PASSWORD,
        verbose: bool = False,
    ) -> None:
        self.admin_user = admin_user
        self.admin_password = admin_password
        super().__init__(address, verbose=verbose)

    def new_state(self) -> ZimbraState:
        return ZimbraState()

    def credentials(self) -> dict[str, str]:
        return {"ZIMBRA_ADMIN_USER": self.admin_user, "ZIMBRA_ADMIN_PASSWORD": self.admin_password}

    def fault_response(self, status: int) -> DevResponse:
        """500 as Zimbra's own `service.FAILURE`; other statuses as the front proxy answers."""
        if status == 500:
            return fault_envelope("service.FAILURE", "system failure: injected", sender=False)
        return super().fault_response(status)

    def route(self, request: DevRequest) -> DevResponse:
        if request.path.rstrip("/") != ADMIN_PATH or request.method != "POST":
            return DevResponse.text("404 Not Found\n", 404)
        try:
            root = ET.fromstring(request.body)  # noqa: S314 - see the import
            body = root.find(_q(SOAP, "Body"))
            if body is None or len(body) == 0:
                raise SoapFault("service.INVALID_REQUEST", "invalid request: no body")
            operation = body[0]
            name = operation.tag.rpartition("}")[2]
            handler = getattr(self, f"_{name}", None)
            if handler is None or not operation.tag.startswith(f"{{{URN_ADMIN}}}"):
                raise SoapFault("service.UNKNOWN_DOCUMENT", f"unknown document: {name}")
            if name != "AuthRequest":
                self._check_token(root)
            response = handler(operation)
        except ET.ParseError as exc:
            return fault_envelope("service.PARSE_ERROR", f"parse error: {exc}")
        except SoapFault as exc:
            return fault_envelope(exc.code, exc.reason, sender=exc.sender)
        return DevResponse(200, envelope(response), "application/soap+xml; charset=utf-8")

    def _check_token(self, root: ET.Element) -> None:
        token = root.findtext(
            f"{_q(SOAP, 'Header')}/{_q(URN_ZIMBRA, 'context')}/{_q(URN_ZIMBRA, 'authToken')}"
        )
        if not token:
            raise SoapFault("service.AUTH_REQUIRED", "no valid authtoken present")
        if token not in self.state.tokens:
            raise SoapFault("service.AUTH_EXPIRED", "auth credentials have expired")

    # --- requests -------------------------------------------------------------------------------

    def _AuthRequest(self, operation: ET.Element) -> ET.Element:
        name = operation.findtext(_q(URN_ADMIN, "name")) or operation.get("name", "")
        password = operation.findtext(_q(URN_ADMIN, "password")) or ""
        if name != self.admin_user or password != self.admin_password:
            raise SoapFault("account.AUTH_FAILED", f"authentication failed for [{name}]")
        token = secrets.token_hex(24)
        self.state.tokens.add(token)
        self.state.auth_count += 1
        response = ET.Element(_q(URN_ADMIN, "AuthResponse"))
        ET.SubElement(response, _q(URN_ADMIN, "authToken")).text = token
        ET.SubElement(response, _q(URN_ADMIN, "lifetime")).text = str(TOKEN_LIFETIME_MS)
        return response

    def _GetAccountRequest(self, operation: ET.Element) -> ET.Element:
        zimbra_id, account = self._select(operation)
        response = ET.Element(_q(URN_ADMIN, "GetAccountResponse"))
        response.append(_account_element(zimbra_id, account, with_attrs=True))
        return response

    def _GetAccountInfoRequest(self, operation: ET.Element) -> ET.Element:
        zimbra_id, account = self._select(operation)
        response = ET.Element(_q(URN_ADMIN, "GetAccountInfoResponse"))
        ET.SubElement(response, _q(URN_ADMIN, "name")).text = account.name
        for key, value in (("zimbraId", zimbra_id), ("zimbraMailHost", "stand-in.localhost")):
            ET.SubElement(response, _q(URN_ADMIN, "a"), n=key).text = value
        return response

    def _CreateAccountRequest(self, operation: ET.Element) -> ET.Element:
        name = (operation.get("name") or "").lower()
        if not NAME_PATTERN.match(name):
            raise SoapFault("service.INVALID_REQUEST", f"invalid request: bad address {name}")
        if self.state.by_name(name) is not None:
            raise SoapFault("account.ACCOUNT_EXISTS", f"email address already exists: {name}")
        attrs = _validated(_attrs_of(operation))
        attrs.setdefault("zimbraAccountStatus", "active")
        attrs.setdefault("zimbraMailQuota", "0")
        zimbra_id = str(uuid.uuid4())
        attrs["zimbraId"] = zimbra_id
        attrs["mail"] = name
        account = StoredAccount(name=name, attrs={k: v for k, v in attrs.items() if v != ""})
        self.state.accounts[zimbra_id] = account
        self.state.used_bytes.setdefault(zimbra_id, 0)
        response = ET.Element(_q(URN_ADMIN, "CreateAccountResponse"))
        response.append(_account_element(zimbra_id, account, with_attrs=True))
        return response

    def _ModifyAccountRequest(self, operation: ET.Element) -> ET.Element:
        zimbra_id = operation.get("id") or operation.findtext(_q(URN_ADMIN, "id")) or ""
        account = self.state.accounts.get(zimbra_id)
        if account is None:
            raise SoapFault("account.NO_SUCH_ACCOUNT", f"no such account: {zimbra_id}")
        for key, value in _validated(_attrs_of(operation)).items():
            if key in ("zimbraId", "mail"):
                raise SoapFault("account.INVALID_ATTR_VALUE", f"{key} is immutable")
            if value == "":
                account.attrs.pop(key, None)
            else:
                account.attrs[key] = value
        response = ET.Element(_q(URN_ADMIN, "ModifyAccountResponse"))
        response.append(_account_element(zimbra_id, account, with_attrs=True))
        return response

    def _DeleteAccountRequest(self, operation: ET.Element) -> ET.Element:
        zimbra_id = operation.get("id") or operation.findtext(_q(URN_ADMIN, "id")) or ""
        if zimbra_id not in self.state.accounts:
            raise SoapFault("account.NO_SUCH_ACCOUNT", f"no such account: {zimbra_id}")
        del self.state.accounts[zimbra_id]
        self.state.used_bytes.pop(zimbra_id, None)
        return ET.Element(_q(URN_ADMIN, "DeleteAccountResponse"))

    def _GetQuotaUsageRequest(self, operation: ET.Element) -> ET.Element:
        domain = (operation.get("domain") or "").lower()
        limit = int(operation.get("limit") or 0)
        offset = int(operation.get("offset") or 0)
        rows = [
            (zimbra_id, account)
            for zimbra_id, account in self.state.accounts.items()
            if not domain or account.name.endswith(f"@{domain}")
        ]
        rows.sort(key=lambda row: row[1].name)
        page = rows[offset : offset + limit] if limit else rows[offset:]
        response = ET.Element(
            _q(URN_ADMIN, "GetQuotaUsageResponse"),
            more="1" if offset + len(page) < len(rows) else "0",
            searchTotal=str(len(rows)),
        )
        for zimbra_id, account in page:
            ET.SubElement(
                response,
                _q(URN_ADMIN, "account"),
                name=account.name,
                id=zimbra_id,
                used=str(self.state.used_bytes.get(zimbra_id, 0)),
                limit=account.attrs.get("zimbraMailQuota", "0"),
            )
        return response

    def _select(self, operation: ET.Element) -> tuple[str, StoredAccount]:
        selector = operation.find(_q(URN_ADMIN, "account"))
        if selector is None:
            raise SoapFault("service.INVALID_REQUEST", "invalid request: missing account")
        by, key = selector.get("by", "name"), (selector.text or "").strip()
        if by == "id":
            account = self.state.accounts.get(key)
            if account is not None:
                return key, account
        elif by == "name":
            found = self.state.by_name(key.lower())
            if found is not None:
                return found
        else:
            raise SoapFault("service.INVALID_REQUEST", f"invalid request: unknown by={by}")
        raise SoapFault("account.NO_SUCH_ACCOUNT", f"no such account: {key}")


def _attrs_of(operation: ET.Element) -> dict[str, str]:
    return {item.get("n", ""): item.text or "" for item in operation.findall(_q(URN_ADMIN, "a"))}


def _validated(attrs: dict[str, str]) -> dict[str, str]:
    quota = attrs.get("zimbraMailQuota")
    if quota not in (None, "") and not quota.isdigit():
        raise SoapFault("account.INVALID_ATTR_VALUE", f"zimbraMailQuota must be a number: {quota}")
    status = attrs.get("zimbraAccountStatus")
    if status not in (None, "") and status not in ACCOUNT_STATUSES:
        raise SoapFault("account.INVALID_ATTR_VALUE", f"zimbraAccountStatus {status} is invalid")
    return attrs


def _account_element(zimbra_id: str, account: StoredAccount, *, with_attrs: bool) -> ET.Element:
    element = ET.Element(_q(URN_ADMIN, "account"), name=account.name, id=zimbra_id)
    if with_attrs:
        for key, value in sorted(account.attrs.items()):
            ET.SubElement(element, _q(URN_ADMIN, "a"), n=key).text = value
    return element


def account_attrs(state: ZimbraState, name: str) -> dict[str, Any] | None:
    """For tests: the stored attributes of the account called `name`, or None."""
    found = state.by_name(name)
    return None if found is None else dict(found[1].attrs)


if __name__ == "__main__":
    main(ZimbraDevServer)
