"""A local stand-in for Nextcloud's OCS provisioning API — not Nextcloud: an in-memory
implementation of the calls accounts/connectors/nextcloud.py makes, as the admin manual
documents them ("Instruction set for users",
https://docs.nextcloud.com/server/latest/admin_manual/configuration_user/
instruction_set_for_users.html), under `/ocs/v1.php/cloud/`:

- `POST users` (userid, password, displayName, email, groups[], quota): 100, or 101 invalid
  input, 102 username exists, 104 group missing, 108 neither password nor e-mail;
- `GET users/{userid}`: the user with its `quota` {free, used, total, relative, quota};
  an unknown user is statuscode 404 (OCSNotFoundException; older servers said 998);
- `PUT users/{userid}` (key, value) for email, quota, displayname: 101 user missing, 102
  invalid value, 103 unknown key;
- `PUT users/{userid}/enable|disable`, `DELETE users/{userid}`: 100, or 101 failure;
- `POST users/{userid}/groups` (groupid): 101 no group given, 102 group missing, 103 user
  missing.

Like the real v1 endpoint: HTTP 200 whatever the outcome, `ocs.meta.statuscode` 100 on
success, JSON with `format=json` (XML otherwise); basic authentication checked on every call,
a wrong one answered HTTP 401 with statuscode 997; the `OCS-APIRequest: true` header
required, its absence answered 412 "CSRF check failed" as Nextcloud's CSRF check does.
Quotas accept what the server's `computerFileSize` reads: bytes, "5 GB", "100MB", "none".
A user's space in use is whatever a test put in `state.users[userid].used`.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from devservers.base import DevRequest, DevResponse, DevServer, main

DEV_USER = "portail-admin"
DEV_PASSWORD = "dev-nextcloud-app-password"  # noqa: S105 — the local stand-in's
DEV_GROUPS = ("collectivites",)
UNLIMITED = -3  # FileInfo::SPACE_UNLIMITED
DISK_FREE = 500 * 1024**3  # what an unlimited user sees as free space
USERID_PATTERN = re.compile(r"^[a-zA-Z0-9 _.@\-']+$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
UNITS = {"b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3,
         "gb": 1024**3, "t": 1024**4, "tb": 1024**4, "p": 1024**5, "pb": 1024**5}  # fmt: skip


@dataclass
class NextcloudUser:
    userid: str
    displayname: str = ""
    email: str = ""
    quota: int | None = None  # bytes; None: no limit
    enabled: bool = True
    groups: list[str] = field(default_factory=list)
    used: int = 0  # bytes in use

    def data(self) -> dict[str, Any]:
        if self.quota is None:
            free, total, quota = DISK_FREE, self.used + DISK_FREE, UNLIMITED
        else:
            free, total, quota = max(0, self.quota - self.used), self.quota, self.quota
        relative = round(100 * self.used / total, 2) if total else 0
        return {
            "enabled": self.enabled,
            "id": self.userid,
            "quota": {
                "free": free,
                "used": self.used,
                "total": total,
                "relative": relative,
                "quota": quota,
            },
            "email": self.email or None,
            "displayname": self.displayname or self.userid,
            "groups": list(self.groups),
        }


@dataclass
class NextcloudState:
    users: dict[str, NextcloudUser] = field(default_factory=dict)
    groups: set[str] = field(default_factory=lambda: set(DEV_GROUPS))


def file_size(text: str) -> int | None:
    """Nextcloud's `computerFileSize`: "5 GB" → bytes; None when unreadable."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([a-z]*)", text.strip().lower())
    if not match or match.group(2) not in UNITS | {"": 1}:
        return None
    return round(float(match.group(1)) * UNITS.get(match.group(2), 1))


class NextcloudDevServer(DevServer):
    """Local stand-in for Nextcloud's OCS user provisioning API."""

    def __init__(
        self,
        address: tuple[str, int],
        *,
        user: str = DEV_USER,
        password: str = DEV_PASSWORD,
        verbose: bool = False,
    ) -> None:
        self.user = user
        self.password = password
        super().__init__(address, verbose=verbose)

    def new_state(self) -> NextcloudState:
        return NextcloudState()

    def credentials(self) -> dict[str, str]:
        return {"NEXTCLOUD_USER": self.user, "NEXTCLOUD_PASSWORD": self.password}

    def route(self, request: DevRequest) -> DevResponse:
        as_json = request.arg("format") == "json"
        if not self._authenticated(request):
            return _ocs(997, "Current user is not logged in", as_json=as_json, http_status=401)
        if request.header("OCS-APIRequest").lower() != "true":
            return DevResponse.json({"message": "CSRF check failed"}, 412)
        match = re.fullmatch(r"/ocs/v1\.php/cloud/users(?:/([^/]+))?(?:/([^/]+))?", request.path)
        if not match:
            return DevResponse.text("Not Found\n", 404)
        userid, action = match.groups()
        form = request.form() if request.method in ("POST", "PUT") else {}
        code, message, data = self._dispatch(request.method, userid, action, form)
        return _ocs(code, message, data, as_json=as_json)

    def _authenticated(self, request: DevRequest) -> bool:
        scheme, _, encoded = request.header("Authorization").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return (user, password) == (self.user, self.password)

    def _dispatch(
        self, method: str, userid: str | None, action: str | None, form: dict[str, list[str]]
    ) -> tuple[int, str, Any]:
        if userid is None:
            if method == "POST":
                return self._add(form)
            return 100, "", {"users": sorted(self.state.users)}
        user = self.state.users.get(userid)
        if action is None and method == "GET":
            return (100, "", user.data()) if user else (404, "User does not exist", [])
        if action is None and method == "PUT":
            return self._edit(user, form)
        if action is None and method == "DELETE":
            if user is None:
                return 101, "", []
            del self.state.users[userid]
            return 100, "", []
        if action in ("enable", "disable") and method == "PUT":
            if user is None:
                return 101, "", []
            user.enabled = action == "enable"
            return 100, "", []
        if action == "groups" and method == "POST":
            return self._join(user, _first(form, "groupid"))
        return 998, "Invalid query, please check the syntax.", []

    def _add(self, form: dict[str, list[str]]) -> tuple[int, str, Any]:
        userid = _first(form, "userid")
        groups = form.get("groups[]", [])
        if not userid or not USERID_PATTERN.match(userid):
            return 101, "Invalid user ID", []
        if userid in self.state.users:
            return 102, "User already exists", []
        missing = [group for group in groups if group not in self.state.groups]
        if missing:
            return 104, f"Group {missing[0]} does not exist", []
        password, email = _first(form, "password"), _first(form, "email")
        if not password and not email:
            return 108, "To send a password link to the user an email address is required.", []
        if email and not EMAIL_PATTERN.match(email):
            return 101, "Invalid email address", []
        quota: int | None = None
        if _first(form, "quota") not in ("", "none", "default"):
            quota = file_size(_first(form, "quota"))
            if quota is None:
                return 101, "Invalid quota value", []
        self.state.users[userid] = NextcloudUser(
            userid=userid,
            displayname=_first(form, "displayName"),
            email=email,
            quota=quota,
            groups=list(groups),
        )
        return 100, "", {"id": userid}

    def _edit(self, user: NextcloudUser | None, form: dict[str, list[str]]) -> tuple[int, str, Any]:
        if user is None:
            return 101, "User does not exist", []
        key, value = _first(form, "key"), _first(form, "value")
        if key in ("displayname", "display"):
            user.displayname = value
        elif key == "email":
            if value and not EMAIL_PATTERN.match(value):
                return 102, "Invalid email address", []
            user.email = value
        elif key == "quota":
            if value in ("none", "default"):
                user.quota = None
            else:
                size = file_size(value)
                if size is None:
                    return 102, f"Invalid quota value: {value}", []
                user.quota = size
        else:
            return 103, "", []
        return 100, "", []

    def _join(self, user: NextcloudUser | None, group: str) -> tuple[int, str, Any]:
        if not group:
            return 101, "", []
        if group not in self.state.groups:
            return 102, "Group does not exist", []
        if user is None:
            return 103, "User does not exist", []
        if group not in user.groups:
            user.groups.append(group)
        return 100, "", []


def _first(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name)
    return values[0] if values else ""


def _ocs(
    code: int, message: str, data: Any = None, *, as_json: bool, http_status: int = 200
) -> DevResponse:
    """An OCS v1 envelope: meta (status, statuscode, message) and data."""
    ok = code == 100
    meta = {
        "status": "ok" if ok else "failure",
        "statuscode": code,
        "message": "OK" if ok else message,
        "totalitems": "",
        "itemsperpage": "",
    }
    payload = {"ocs": {"meta": meta, "data": [] if data is None else data}}
    if as_json:
        return DevResponse.json(payload, http_status)
    return DevResponse.xml(f'<?xml version="1.0"?>\n{_xml("ocs", payload["ocs"])}\n', http_status)


def _xml(tag: str, value: Any) -> str:
    if isinstance(value, dict):
        inner = "".join(_xml(key, item) for key, item in value.items())
    elif isinstance(value, list):
        inner = "".join(_xml("element", item) for item in value)
    elif isinstance(value, bool):
        inner = "true" if value else "false"
    else:
        inner = escape("" if value is None else str(value))
    return f"<{tag}>{inner}</{tag}>"


if __name__ == "__main__":
    main(NextcloudDevServer)
