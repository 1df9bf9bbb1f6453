"""A local stand-in for BlueMind's core REST API — not BlueMind: an in-memory implementation
of the endpoints accounts/connectors/bluemind.py calls, shaped on the API's Java interfaces
(BlueMind sources, `net.bluemind.*.api`; https://doc.bluemind.net, "API" section):

- IUser (`/api/users/{domainUid}`): `GET byLogin/{login}` (ItemValue<User>, HTTP 204 when
  null), `GET {uid}/complete`, `PUT {uid}` (create: the user and, with internal routing, its
  mailbox), `POST {uid}` (update: replaces the value), `DELETE {uid}` (→ TaskRef);
- ITask (`GET /api/tasks/{id}`): TaskStatus, finished at once here (`Success`, or what a
  test put in `state.delete_outcome`);
- IMailboxes (`GET /api/mailboxes/{domainUid}/{uid}/_quota`): MailboxQuota {used, quota} in
  KiB — `used` is whatever a test put in `state.used_kib`;
- ISystemConfiguration (`GET` / `POST /api/configuration`): SystemConf {values}.

Authentication: the `X-BM-ApiKey` header must be the configured key; otherwise the call runs
as anonymous and is refused with 403 PERMISSION_DENIED. Failures are `ServerFault` JSON
`{errorCode, errorType, message}` with the REST layer's status mapping
(net.bluemind.core.rest.http.vertx.HttpStatusCode): INVALID_PARAMETER 400, NOT_FOUND 404,
PERMISSION_DENIED 403, anything else — ALREADY_EXISTS included — 500. Validation is a
subset of BlueMind's: login syntax, address in the domain, login / address / uid not
already used, a quota that is a non-negative integer.
"""

from __future__ import annotations

import copy
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from devservers.base import DevRequest, DevResponse, DevServer, main

DEV_API_KEY = "dev-bluemind-api-key"
DEFAULT_MESSAGE_SIZE_LIMIT = "10485760"  # Postfix message_size_limit as BlueMind installs it
LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
STATUS_OF_CODE = {"INVALID_PARAMETER": 400, "NOT_FOUND": 404, "PERMISSION_DENIED": 403}


@dataclass
class StoredUser:
    domain: str
    value: dict[str, Any]


@dataclass
class BlueMindState:
    users: dict[str, StoredUser] = field(default_factory=dict)  # uid → user
    used_kib: dict[str, int] = field(default_factory=dict)  # mailbox uid → KiB in use
    system_conf: dict[str, str] = field(
        default_factory=lambda: {"message_size_limit": DEFAULT_MESSAGE_SIZE_LIMIT}
    )
    tasks: dict[str, str] = field(default_factory=dict)  # task id → state
    delete_outcome: str = "Success"  # the state deletion tasks end in ("InError": a failure)

    def by_login(self, domain: str, login: str) -> tuple[str, StoredUser] | None:
        for uid, user in self.users.items():
            if user.domain == domain and user.value.get("login") == login:
                return uid, user
        return None


def fault(code: str, message: str) -> DevResponse:
    body = {"errorCode": code, "errorType": "ServerFault", "message": message}
    return DevResponse.json(body, STATUS_OF_CODE.get(code, 500))


class BlueMindDevServer(DevServer):
    """Local stand-in for BlueMind's REST API (users, mailbox quota, system configuration)."""

    def __init__(
        self, address: tuple[str, int], *, api_key: str = DEV_API_KEY, verbose: bool = False
    ) -> None:
        self.api_key = api_key
        super().__init__(address, verbose=verbose)

    def new_state(self) -> BlueMindState:
        return BlueMindState()

    def credentials(self) -> dict[str, str]:
        return {"BLUEMIND_API_KEY": self.api_key}

    def fault_response(self, status: int) -> DevResponse:
        """500 as BlueMind's own ServerFault; other statuses as the front proxy answers."""
        if status == 500:
            return fault("UNKNOWN", "injected failure")
        return super().fault_response(status)

    def route(self, request: DevRequest) -> DevResponse:
        if request.header("X-BM-ApiKey") != self.api_key:
            return fault("PERMISSION_DENIED", "Invalid credentials: anonymous access refused")
        path = request.path
        routes = (
            (r"/api/users/([^/]+)/byLogin/([^/]+)", self._by_login),
            (r"/api/users/([^/]+)/([^/]+)/complete", self._complete),
            (r"/api/users/([^/]+)/([^/_][^/]*)", self._user),
            (r"/api/tasks/([^/]+)", self._task),
            (r"/api/mailboxes/([^/]+)/([^/]+)/_quota", self._quota),
            (r"/api/configuration", self._configuration),
        )
        for pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if match:
                return handler(request, *match.groups())
        return fault("NOT_FOUND", f"no route for {request.method} {path}")

    # --- IUser ------------------------------------------------------------------------------------

    def _by_login(self, request: DevRequest, domain: str, login: str) -> DevResponse:
        found = self.state.by_login(domain, login)
        if found is None:
            return DevResponse(204)
        return DevResponse.json(_item(*found))

    def _complete(self, request: DevRequest, domain: str, uid: str) -> DevResponse:
        user = self.state.users.get(uid)
        if user is None or user.domain != domain:
            return DevResponse(204)
        return DevResponse.json(_item(uid, user))

    def _user(self, request: DevRequest, domain: str, uid: str) -> DevResponse:
        existing = self.state.users.get(uid)
        if request.method == "PUT":
            if existing is not None:
                return fault("ALREADY_EXISTS", f"user {uid} already exists")
            return self._store(domain, uid, request.json(), previous=None)
        if existing is None or existing.domain != domain:
            return fault("NOT_FOUND", f"user {uid} not found")
        if request.method == "POST":
            return self._store(domain, uid, request.json(), previous=existing)
        if request.method == "DELETE":
            task_id = str(uuid.uuid4())
            self.state.tasks[task_id] = self.state.delete_outcome
            if self.state.delete_outcome == "Success":
                del self.state.users[uid]
                self.state.used_kib.pop(uid, None)
            return DevResponse.json({"id": task_id})
        return fault("NOT_FOUND", f"no route for {request.method} {request.path}")

    def _store(
        self, domain: str, uid: str, value: Any, *, previous: StoredUser | None
    ) -> DevResponse:
        refusal = self._refusal(domain, uid, value, previous)
        if refusal is not None:
            return refusal
        stored = copy.deepcopy(value)
        stored.pop("password", None)  # never stored in clear, never fetched
        if previous is not None:
            stored["login"] = previous.value["login"]  # a login does not change this way
        self.state.users[uid] = StoredUser(domain=domain, value=stored)
        self.state.used_kib.setdefault(uid, 0)
        return DevResponse(204)

    def _refusal(
        self, domain: str, uid: str, value: Any, previous: StoredUser | None
    ) -> DevResponse | None:
        if not isinstance(value, dict) or not value.get("login"):
            return fault("INVALID_PARAMETER", "login is required")
        if previous is None and not LOGIN_PATTERN.match(value["login"]):
            return fault("INVALID_PARAMETER", f"invalid login {value['login']!r}")
        quota = value.get("quota")
        if quota is not None and (not isinstance(quota, int) or quota < 0):
            return fault("INVALID_PARAMETER", f"invalid quota {quota!r}")
        addresses = [email.get("address", "") for email in value.get("emails") or []]
        for address in addresses:
            if address.rpartition("@")[2].lower() != domain:
                return fault("INVALID_PARAMETER", f"{address} is not in domain {domain}")
        for other_uid, other in self.state.users.items():
            if other_uid == uid:
                continue
            if (
                previous is None
                and other.domain == domain
                and (other.value.get("login") == value["login"])
            ):
                return fault("ALREADY_EXISTS", f"login {value['login']} already used")
            used = {email.get("address") for email in other.value.get("emails") or []}
            if used & set(addresses):
                return fault("ALREADY_EXISTS", "At least one email is already used")
        return None

    # --- ITask, IMailboxes, ISystemConfiguration --------------------------------------------------

    def _task(self, request: DevRequest, task_id: str) -> DevResponse:
        state = self.state.tasks.get(task_id)
        if state is None:
            return fault("NOT_FOUND", f"task {task_id} not found")
        return DevResponse.json(
            {"state": state, "progress": 1, "steps": 1, "lastLogEntry": "", "result": None}
        )

    def _quota(self, request: DevRequest, domain: str, uid: str) -> DevResponse:
        user = self.state.users.get(uid)
        if user is None or user.domain != domain:
            return fault("NOT_FOUND", f"mailbox {uid} not found")
        return DevResponse.json(
            {"used": self.state.used_kib.get(uid, 0), "quota": user.value.get("quota")}
        )

    def _configuration(self, request: DevRequest) -> DevResponse:
        if request.method == "GET":
            return DevResponse.json({"values": dict(self.state.system_conf)})
        if request.method == "POST":
            values = request.json()
            size = values.get("message_size_limit") if isinstance(values, dict) else None
            if size is not None and not str(size).isdigit():
                return fault("INVALID_PARAMETER", "message_size_limit must be a valid integer")
            self.state.system_conf.update({key: str(item) for key, item in values.items()})
            return DevResponse(204)
        return fault("NOT_FOUND", f"no route for {request.method} {request.path}")


def _item(uid: str, user: StoredUser) -> dict[str, Any]:
    """An ItemValue<User> as the API returns it."""
    return {
        "uid": uid,
        "displayName": (user.value.get("contactInfos") or {})
        .get("identification", {})
        .get("formatedName", {})
        .get("value", user.value.get("login")),
        "externalId": None,
        "version": 1,
        "value": copy.deepcopy(user.value),
    }


if __name__ == "__main__":
    main(BlueMindDevServer)
