"""Visio accounts in BigBlueButton (seed 004: one room per account, recordings kept 7 days).

The API is documented at https://docs.bigbluebutton.org/development/api: every call is
`GET /bigbluebutton/api/<call>?<query>&checksum=<hash>`, where the hash is the SHA-1 (the
default; bbb-web also accepts sha256, sha384, sha512, told apart by their length) of
`<call> + <query> + <shared secret>`, the query being exactly the string sent, before the
checksum is appended. The answer is XML: `<response><returncode>SUCCESS|FAILED</returncode>`,
with `messageKey` / `message` on failure, and HTTP 200 even then (a wrong checksum is
`FAILED / checksumError`).

BigBlueButton keeps no rooms: a meeting exists from `create` until it ends (or expires when
nobody joins), and recordings outlive it. "One room per account" is therefore modelled so:

- the room is the meeting id `spec.room_id` (the account's `uid` when empty), its name and
  its parameters; the portal keeps them and calls `create` each time the room is opened;
- `create` is idempotent as documented ("subsequent calls to create simply return SUCCESS",
  `duplicateWarning`) only if the parameters match — bbb-web answers `idNotUnique` when the
  passwords differ — so the moderator and attendee passwords are derived from the shared
  secret and the meeting id (HMAC-SHA256): the same room always gets the same ones. (They are
  deprecated since 2.6, where `join` takes a role, and still accepted.);
- the room is created with recording allowed but not started automatically, and `meta_*`
  tags that BigBlueButton copies into every recording's metadata: the account, the
  collectivité and the retention in days (`meta_portail-retention-days`, seed 004: 7);
- disabling cannot be written into BigBlueButton (a `create` is always accepted): `disable`
  ends the running meeting, and the portal's own account state is the flag that stops it from
  opening the room again (its join view must check the account is active);
- `delete` ends the meeting and deletes every recording of the room (`deleteRecordings`);
- `usage` is the total size of the room's recordings: `getRecordings` gives a `<size>` per
  playback format (and per recording) since 2.6; with an older server the size is unknown and
  `usage` answers None;
- `recordings_purge(spec, now=...)` deletes the recordings older than the retention: BBB has
  no per-meeting retention, so a scheduled task of the portal has to call it.

XML is parsed with the standard library: a document type declaration (the entity-expansion
attacks) is refused before parsing, and ElementTree never fetches external entities.
"""

from __future__ import annotations

import hashlib
import hmac
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from urllib.parse import urlencode

from accounts.connectors.base import AccountSpec, PermanentError, Usage
from accounts.connectors.http import UNREADABLE, HttpClient

CHECKSUM_ALGORITHMS = ("sha1", "sha256", "sha384", "sha512")
NAME_MAX = 64  # `name`, `attendeePW`, `moderatorPW`: 2 to 64 characters (API 2.4)
MEETING_ID_MAX = 256  # `meetingID`: 2 to 256 characters, no comma (API 2.4)
# Recordings that take space: every state but `deleted` (getRecordings `state`).
LIVE_STATES = "processing,processed,published,unpublished"

CHECKSUM_REFUSED = (
    "BigBlueButton refuse la signature des appels du portail : vérifiez le secret partagé."
)
ROOM_ID_INVALID = "L'identifiant de salle « {room} » n'est pas accepté par BigBlueButton."
ROOM_CONFLICT = "Une réunion « {room} » existe déjà dans BigBlueButton avec d'autres paramètres."
REFUSED = "BigBlueButton a refusé l'opération sur la salle « {room} » ({key})."


def checksum(call: str, query: str, secret: str, algorithm: str = "sha1") -> str:
    """The documented checksum: hash(call name + query string + shared secret)."""
    return hashlib.new(algorithm, (call + query + secret).encode("utf-8")).hexdigest()


def api_base(url: str) -> str:
    """The API endpoint from a configured address: the server, its `/bigbluebutton/` (what
    `bbb-conf --secret` prints) or the `/bigbluebutton/api` endpoint itself."""
    base = url.rstrip("/")
    if base.endswith("/bigbluebutton/api"):
        return base
    if base.endswith("/bigbluebutton"):
        return base + "/api"
    return base + "/bigbluebutton/api"


class BigBlueButtonConnector:
    """Visio accounts: one room (a meeting id and its parameters) per account."""

    name = "BigBlueButton"

    def __init__(
        self, *, url: str, secret: str, timeout: float = 10.0, checksum_algorithm: str = "sha1"
    ) -> None:
        if checksum_algorithm not in CHECKSUM_ALGORITHMS:
            raise ValueError(f"checksum_algorithm must be one of {CHECKSUM_ALGORITHMS}")
        self._secret = secret
        self._algorithm = checksum_algorithm
        self._http = HttpClient(
            system=self.name, base_url=api_base(url) + "/", timeout=timeout, secrets=(secret,)
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> BigBlueButtonConnector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- the Connector interface -------------------------------------------------------------

    def create(self, spec: AccountSpec) -> None:
        """Open the room once: checks the secret and the parameters; a second call with the
        same parameters is the documented `duplicateWarning` success."""
        self._call("create", self.room_parameters(spec), spec)

    def update(self, spec: AccountSpec) -> None:
        """A running meeting keeps its parameters (BBB cannot change them); the new name and
        tags apply from the next opening, which `create` here checks."""
        self._call("create", self.room_parameters(spec), spec)

    def enable(self, spec: AccountSpec) -> None:
        """Nothing to switch on in BBB (the portal's flag is the state): check the room opens."""
        self._call("create", self.room_parameters(spec), spec)

    def disable(self, spec: AccountSpec) -> None:
        """End the running meeting, if any; the portal refuses to open the room from now on."""
        self._end(spec)

    def delete(self, spec: AccountSpec) -> None:
        self._end(spec)
        record_ids = [
            recording.findtext("recordID", "")
            for recording in self._recordings(spec, state=LIVE_STATES)
        ]
        self._delete_recordings(spec, [record_id for record_id in record_ids if record_id])

    def usage(self, spec: AccountSpec) -> Usage | None:
        """Bytes taken by the room's recordings; None when the server does not give sizes."""
        total = 0
        for recording in self._recordings(spec, state=LIVE_STATES):
            size = _recording_size(recording)
            if size is None:
                return None
            total += size
        return Usage(used_bytes=total, quota_bytes=None)

    # --- beyond the interface: seed 004's retention ----------------------------------------------

    def recordings_purge(self, spec: AccountSpec, *, now: datetime) -> int:
        """Delete the room's recordings that ended more than the retention ago (none when
        `spec.recording_retention_days` is None); the number deleted."""
        if spec.recording_retention_days is None:
            return 0
        limit = now - timedelta(days=spec.recording_retention_days)
        limit_ms = int(limit.timestamp() * 1000)
        expired = []
        for recording in self._recordings(spec, state=LIVE_STATES):
            ended = recording.findtext("endTime") or recording.findtext("startTime") or ""
            if ended.isdigit() and int(ended) < limit_ms:
                expired.append(recording.findtext("recordID", ""))
        self._delete_recordings(spec, [record_id for record_id in expired if record_id])
        return len(expired)

    # --- rooms -----------------------------------------------------------------------------------

    def room_parameters(self, spec: AccountSpec) -> dict[str, str]:
        """The `create` parameters of the account's room, the same on every call."""
        meeting_id = _meeting_id(spec)
        name = (spec.room_name or spec.display_name or meeting_id)[:NAME_MAX]
        if len(name) < 2:
            name = meeting_id[:NAME_MAX]
        parameters = {
            "name": name,
            "meetingID": meeting_id,
            "attendeePW": self._password("attendee", meeting_id),
            "moderatorPW": self._password("moderator", meeting_id),
            "record": "true",
            "autoStartRecording": "false",
            "allowStartStopRecording": "true",
            "meta_portail-uid": spec.uid,
            "meta_portail-collectivite": spec.collectivite,
        }
        if spec.recording_retention_days is not None:
            parameters["meta_portail-retention-days"] = str(spec.recording_retention_days)
        return parameters

    def _password(self, role: str, meeting_id: str) -> str:
        message = f"{role}:{meeting_id}".encode()
        return hmac.new(self._secret.encode(), message, hashlib.sha256).hexdigest()[:32]

    def _end(self, spec: AccountSpec) -> None:
        meeting_id = _meeting_id(spec)
        self._call(
            "end",
            {"meetingID": meeting_id, "password": self._password("moderator", meeting_id)},
            spec,
            absent_ok=True,  # `notFound`: not running, already ended
        )

    def _recordings(self, spec: AccountSpec, *, state: str) -> list[ET.Element]:
        response = self._call(
            "getRecordings", {"meetingID": _meeting_id(spec), "state": state}, spec
        )
        return response.findall("recordings/recording")

    def _delete_recordings(self, spec: AccountSpec, record_ids: list[str]) -> None:
        if record_ids:
            self._call("deleteRecordings", {"recordID": ",".join(record_ids)}, spec, absent_ok=True)

    # --- the API ---------------------------------------------------------------------------------

    def _call(
        self, call: str, parameters: dict[str, str], spec: AccountSpec, *, absent_ok: bool = False
    ) -> ET.Element:
        """The `<response>` of one signed call; FAILED raises, `notFound` aside if absent_ok."""
        query = urlencode(parameters)  # `+` for spaces, as in the documentation's example
        signature = checksum(call, query, self._secret, self._algorithm)
        url = f"{call}?{query}&checksum={signature}" if query else f"{call}?checksum={signature}"
        response = self._http.request("GET", url)
        body = response.content
        if b"<!DOCTYPE" in body.upper():
            raise PermanentError(
                UNREADABLE.format(system=self.name), detail=self._http.detail(response)
            )
        try:
            root = ET.fromstring(body)  # noqa: S314 — no DTD (checked above), no external entities
        except ET.ParseError as exc:
            raise PermanentError(
                UNREADABLE.format(system=self.name), detail=self._http.detail(response)
            ) from exc
        if root.findtext("returncode", "").upper() == "SUCCESS":
            return root
        key = root.findtext("messageKey", "")
        if absent_ok and key == "notFound":
            return root
        detail = self._http.detail(response, note=f"{call} : {key}")
        room = parameters.get("meetingID") or _meeting_id(spec)
        if key == "checksumError":
            raise PermanentError(CHECKSUM_REFUSED, detail=detail)
        if key == "idNotUnique":
            raise PermanentError(ROOM_CONFLICT.format(room=room), detail=detail)
        raise PermanentError(REFUSED.format(room=room, key=key or "FAILED"), detail=detail)


def _meeting_id(spec: AccountSpec) -> str:
    meeting_id = spec.room_id or spec.uid
    if not 2 <= len(meeting_id) <= MEETING_ID_MAX or "," in meeting_id:
        raise PermanentError(ROOM_ID_INVALID.format(room=meeting_id))
    return meeting_id


def _recording_size(recording: ET.Element) -> int | None:
    """The sum of the playback formats' `<size>`, else the recording's own; None if absent."""
    sizes = [
        text.strip()
        for text in (fmt.findtext("size") for fmt in recording.findall("playback/format"))
        if text and text.strip()
    ]
    if sizes and all(size.isdigit() for size in sizes):
        return sum(int(size) for size in sizes)
    own = (recording.findtext("size") or "").strip()
    return int(own) if own.isdigit() else None
