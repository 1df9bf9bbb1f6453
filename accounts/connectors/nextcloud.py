"""Drive accounts in Nextcloud, through the OCS provisioning API (seed 001 §2: 5 GB).

Documented in the Nextcloud admin manual, "User provisioning API › Instruction set for users"
(https://docs.nextcloud.com/server/latest/admin_manual/configuration_user/
instruction_set_for_users.html). Every call goes to `/ocs/v1.php/cloud/...` with basic
authentication (an app password of an administrator), the `OCS-APIRequest: true` header the
manual requires, and `format=json`:

- `GET    users/{userid}` → the user: `enabled`, `email`, `displayname`, `groups`, and `quota`
  `{free, used, total, relative, quota}` in bytes (`quota` < 0 when unlimited);
- `POST   users` (userid, password, displayName, email, groups[], quota);
- `PUT    users/{userid}` with `key` / `value` — one field per call (email, quota,
  displayname);
- `PUT    users/{userid}/enable` and `.../disable`; `DELETE users/{userid}`;
- `POST   users/{userid}/groups` (groupid), for the optional groups of the constructor.

OCS v1 answers HTTP 200 with the outcome in `ocs.meta.statuscode` — 100 is success, and 200
too with v2-style controllers — except 997 (not authenticated), which comes as HTTP 401. The
codes depend on the call (add user: 102 exists, 104 group missing, 105 not allowed, 107 a
password-policy hint; edit: 101 user missing, 102 invalid value, 103 unknown field) and on
the server's generation: recent servers answer 404 (OCSNotFoundException) where older ones
answered 998, 403 for "forbidden", 996/999 for a server or unknown error. `ocs_error` maps
them: 996/999 → TransientError, everything else → PermanentError with a French reason; the
server's own message (we ask for French) goes to the detail.

Quota: the manual documents "quota - string" with the example `100MB`; a plain number is
read as bytes (`is_numeric`), so we send the exact byte count, and `none` for no limit.

Password: Nextcloud requires a password or an e-mail at creation, and with an e-mail alone it
mails a "set your password" link. Holders sign in through single sign-on (seed 001 §4), so we
send a random password that is never stored nor shown, and no welcome mail goes out.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote

from accounts.connectors.base import (
    AccountSpec,
    ConnectorError,
    PermanentError,
    TransientError,
    Usage,
)
from accounts.connectors.http import (
    CREDENTIALS_REFUSED,
    FORBIDDEN,
    UNAVAILABLE,
    UNREADABLE,
    HttpClient,
)

OK_CODES = {100, 200}
NOT_FOUND_CODES = {404, 998}
TRANSIENT_CODES = {996, 999}
ADD_USER_EXISTS = 102

ACCOUNT_MISSING = "Le compte « {uid} » n'existe pas dans Nextcloud."
GROUP_MISSING = "Un groupe demandé pour « {uid} » n'existe pas dans Nextcloud."
INVALID_VALUE = "Nextcloud refuse une valeur du compte « {uid} » (adresse, nom ou quota)."
REFUSED = "Nextcloud a refusé l'opération sur le compte « {uid} » (code {code})."


class NextcloudConnector:
    """Drive accounts: one Nextcloud user per account, userid = `spec.uid`."""

    name = "Nextcloud"

    def __init__(
        self,
        *,
        url: str,
        user: str,
        password: str,
        timeout: float = 10.0,
        groups: tuple[str, ...] = (),
    ) -> None:
        self._groups = tuple(groups)  # groups every account joins (they must exist)
        self._http = HttpClient(
            system=self.name,
            base_url=url.rstrip("/") + "/ocs/v1.php/cloud/",
            timeout=timeout,
            headers={
                "OCS-APIRequest": "true",
                "Accept": "application/json",
                "Accept-Language": "fr",
            },
            auth=(user, password),
            secrets=(password,),
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> NextcloudConnector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- the Connector interface -------------------------------------------------------------

    def create(self, spec: AccountSpec) -> None:
        """An existing user (a second run, or an account made by hand) is brought to `spec`."""
        current = self._get(spec.uid)
        if current is None:
            code, _ = self._ocs(
                "POST",
                "users",
                spec,
                form={
                    "userid": spec.uid,
                    "password": _unusable_password(),
                    "displayName": spec.display_name,
                    "email": spec.email,
                    "quota": _quota(spec.quota_bytes),
                    "groups[]": list(self._groups),
                },
                accepted={ADD_USER_EXISTS},
            )
            if code != ADD_USER_EXISTS:
                return
            current = self._get(spec.uid)  # created by a concurrent run
            if current is None:
                raise PermanentError(REFUSED.format(uid=spec.uid, code=code))
        self._edit(spec, current)
        self._join_groups(spec, current)
        if not _enabled(current):
            self._ocs("PUT", f"users/{_seg(spec.uid)}/enable", spec)

    def update(self, spec: AccountSpec) -> None:
        self._edit(spec, self._require(spec))

    def disable(self, spec: AccountSpec) -> None:
        """A user already disabled, or absent (a purge retried after its delete), is left."""
        current = self._get(spec.uid)
        if current is not None and _enabled(current):
            self._ocs("PUT", f"users/{_seg(spec.uid)}/disable", spec)

    def enable(self, spec: AccountSpec) -> None:
        if not _enabled(self._require(spec)):
            self._ocs("PUT", f"users/{_seg(spec.uid)}/enable", spec)

    def delete(self, spec: AccountSpec) -> None:
        """Deleting an absent user answers 101 "failure", like any other failure: look first."""
        if self._get(spec.uid) is not None:
            self._ocs("DELETE", f"users/{_seg(spec.uid)}", spec)

    def usage(self, spec: AccountSpec) -> Usage:
        quota = self._require(spec).get("quota")
        if not isinstance(quota, dict):
            raise PermanentError(UNREADABLE.format(system=self.name), detail=str(quota)[:300])
        limit = _number(quota.get("quota"))
        return Usage(
            used_bytes=_number(quota.get("used")) or 0,
            quota_bytes=limit if limit is not None and limit >= 0 else None,
        )

    # --- users ---------------------------------------------------------------------------------

    def _get(self, uid: str) -> dict[str, Any] | None:
        code, data = self._ocs("GET", f"users/{_seg(uid)}", None, accepted=NOT_FOUND_CODES)
        if code in NOT_FOUND_CODES or not isinstance(data, dict):
            return None
        return data

    def _require(self, spec: AccountSpec) -> dict[str, Any]:
        current = self._get(spec.uid)
        if current is None:
            raise PermanentError(ACCOUNT_MISSING.format(uid=spec.uid))
        return current

    def _edit(self, spec: AccountSpec, current: dict[str, Any]) -> None:
        """One `PUT users/{userid}` per field that differs (the API edits one key at a time)."""
        quota = current.get("quota") if isinstance(current.get("quota"), dict) else {}
        current_limit = _number(quota.get("quota"))
        if current_limit is not None and current_limit < 0:
            current_limit = None  # unlimited
        wanted = (
            ("displayname", spec.display_name, current.get("displayname")),
            ("email", spec.email, current.get("email")),
        )
        for key, value, present in wanted:
            if value != (present or ""):
                self._ocs("PUT", f"users/{_seg(spec.uid)}", spec, form={"key": key, "value": value})
        if spec.quota_bytes != current_limit:
            self._ocs(
                "PUT",
                f"users/{_seg(spec.uid)}",
                spec,
                form={"key": "quota", "value": _quota(spec.quota_bytes)},
            )

    def _join_groups(self, spec: AccountSpec, current: dict[str, Any]) -> None:
        member_of = set(current.get("groups") or [])
        for group in self._groups:
            if group not in member_of:
                self._ocs("POST", f"users/{_seg(spec.uid)}/groups", spec, form={"groupid": group})

    # --- OCS -------------------------------------------------------------------------------------

    def _ocs(
        self,
        method: str,
        path: str,
        spec: AccountSpec | None,
        *,
        form: dict[str, Any] | None = None,
        accepted: set[int] | frozenset[int] = frozenset(),
    ) -> tuple[int, Any]:
        """(statuscode, data) of one OCS call; a status that is neither OK nor `accepted`
        raises."""
        response = self._http.request(method, path, params={"format": "json"}, form=form)
        payload = self._http.json(response)
        try:
            meta = payload["ocs"]["meta"]
            code = int(meta["statuscode"])
        except (KeyError, TypeError, ValueError) as exc:
            raise PermanentError(
                UNREADABLE.format(system=self.name), detail=self._http.detail(response)
            ) from exc
        if code in OK_CODES or code in accepted:
            return code, payload["ocs"].get("data")
        note = f"{path.split('/')[-1]} : OCS {code} {meta.get('message') or ''}".strip()
        uid = spec.uid if spec is not None else path
        raise ocs_error(
            code, method=method, path=path, uid=uid, detail=self._http.detail(response, note=note)
        )


def ocs_error(code: int, *, method: str, path: str, uid: str, detail: str = "") -> ConnectorError:
    """The error an OCS statuscode stands for, for the call `method path` on user `uid`."""
    system = NextcloudConnector.name
    if code in TRANSIENT_CODES:
        return TransientError(UNAVAILABLE.format(system=system), detail=detail)
    if code == 997:
        return PermanentError(CREDENTIALS_REFUSED.format(system=system), detail=detail)
    if code == 403:
        return PermanentError(FORBIDDEN.format(system=system), detail=detail)
    if code in NOT_FOUND_CODES:
        return PermanentError(ACCOUNT_MISSING.format(uid=uid), detail=detail)
    adding = method == "POST" and path == "users"
    editing = method == "PUT" and path.count("/") == 1  # PUT users/{userid} key=…&value=…
    joining = method == "POST" and path.endswith("/groups")
    if (adding and code == 104) or (joining and code == 102):
        return PermanentError(GROUP_MISSING.format(uid=uid), detail=detail)
    if (adding and code in (101, 107)) or (editing and code in (102, 103)):
        return PermanentError(INVALID_VALUE.format(uid=uid), detail=detail)
    if (editing and code == 101) or (joining and code == 103):
        return PermanentError(ACCOUNT_MISSING.format(uid=uid), detail=detail)
    return PermanentError(REFUSED.format(uid=uid, code=code), detail=detail)


def _seg(value: str) -> str:
    return quote(value, safe="@")


def _quota(size_bytes: int | None) -> str:
    return "none" if size_bytes is None else str(size_bytes)


def _number(value: Any) -> int | None:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def _enabled(user: dict[str, Any]) -> bool:
    value = user.get("enabled", True)
    if isinstance(value, str):  # older servers answer "true" / "1"
        return value.lower() in ("true", "1")
    return bool(value)


def _unusable_password() -> str:
    """Random, never kept; the suffix meets any password policy (upper, lower, digit, symbol)."""
    return secrets.token_urlsafe(32) + "Aa1!"
