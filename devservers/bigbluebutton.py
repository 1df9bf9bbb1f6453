"""A local stand-in for the BigBlueButton API — not BigBlueButton: an in-memory
implementation of the calls accounts/connectors/bigbluebutton.py makes, as documented at
https://docs.bigbluebutton.org/development/api (create, getMeetingInfo, isMeetingRunning,
end, getRecordings, deleteRecordings), under `/bigbluebutton/api/<call>`.

Like bbb-web: every call carries `checksum` = hash(call + query string without the checksum
+ shared secret), the algorithm told by the checksum's length (sha1, sha256, sha384,
sha512); answers are XML with HTTP 200, `returncode` SUCCESS or FAILED, and `messageKey` /
`message` — `checksumError` for a wrong or missing checksum, `notFound` for an unknown
meeting or recording, `idNotUnique` when `create` names an existing meeting with other
passwords, `duplicateWarning` (a success) when it repeats one; `name` and the passwords must
be 2 to 64 characters, `meetingID` 2 to 256 without commas (API 2.4).

Meetings do not expire here and never run by themselves: a test starts one with
`state.start(meeting_id)`; recordings are added with `state.add_recording(...)`, with a
`<size>` per playback format as BigBlueButton 2.6+ reports it (`sizes=False`: an older
server without sizes). `deleteRecordings` moves them to the `deleted` state, as bbb-web does.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import time
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from devservers.base import DevRequest, DevResponse, DevServer, main

DEV_SECRET = "dev-bigbluebutton-shared-secret"  # noqa: S105 — the local stand-in's
ALGORITHM_BY_LENGTH = {40: "sha1", 64: "sha256", 96: "sha384", 128: "sha512"}
DEFAULT_STATES = ("published", "unpublished")


@dataclass
class Meeting:
    meeting_id: str
    name: str
    attendee_pw: str
    moderator_pw: str
    record: bool
    metadata: dict[str, str]
    create_time: int
    running: bool = False


@dataclass
class Recording:
    record_id: str
    meeting_id: str
    name: str
    start_time: int  # ms since the epoch
    end_time: int
    formats: dict[str, int]  # playback type → bytes
    metadata: dict[str, str] = field(default_factory=dict)
    state: str = "published"
    sizes: bool = True  # False: a server older than 2.6, which reports no size


@dataclass
class BigBlueButtonState:
    meetings: dict[str, Meeting] = field(default_factory=dict)
    recordings: dict[str, Recording] = field(default_factory=dict)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def start(self, meeting_id: str) -> None:
        """Someone joined: the meeting is running."""
        self.meetings[meeting_id].running = True

    def add_recording(
        self,
        meeting_id: str,
        *,
        formats: dict[str, int] | None = None,
        end_time_ms: int | None = None,
        duration_ms: int = 60_000,
        sizes: bool = True,
        state: str = "published",
    ) -> str:
        """A processed recording of the meeting (which need not be running any more)."""
        end = end_time_ms if end_time_ms is not None else int(time.time() * 1000)
        meeting = self.meetings.get(meeting_id)
        record_id = f"{_internal_id(meeting_id)}-{next(self._ids)}"
        self.recordings[record_id] = Recording(
            record_id=record_id,
            meeting_id=meeting_id,
            name=meeting.name if meeting else meeting_id,
            start_time=end - duration_ms,
            end_time=end,
            formats=dict(formats if formats is not None else {"presentation": 1_000_000}),
            metadata=dict(meeting.metadata) if meeting else {},
            state=state,
            sizes=sizes,
        )
        return record_id


class BigBlueButtonDevServer(DevServer):
    """Local stand-in for the BigBlueButton API (meetings and recordings)."""

    def __init__(
        self, address: tuple[str, int], *, secret: str = DEV_SECRET, verbose: bool = False
    ) -> None:
        self.secret = secret
        super().__init__(address, verbose=verbose)

    def new_state(self) -> BigBlueButtonState:
        return BigBlueButtonState()

    def credentials(self) -> dict[str, str]:
        return {"BIGBLUEBUTTON_SECRET": self.secret}

    def route(self, request: DevRequest) -> DevResponse:
        prefix = "/bigbluebutton/api"
        if request.path.rstrip("/") == prefix:
            return _response({"version": "2.0", "apiVersion": "2.0", "bbbVersion": "3.0"})
        if not request.path.startswith(prefix + "/"):
            return DevResponse.text("Not Found\n", 404)
        call = request.path[len(prefix) + 1 :]
        if not self._checksum_ok(call, request.raw_query):
            return _failed("checksumError", "Checksums do not match")
        handler = {
            "create": self._create,
            "getMeetingInfo": self._meeting_info,
            "isMeetingRunning": self._is_running,
            "end": self._end,
            "getRecordings": self._recordings,
            "deleteRecordings": self._delete_recordings,
        }.get(call)
        if handler is None:
            return _failed("unsupportedRequest", "This request is not supported.")
        return handler(request)

    def _checksum_ok(self, call: str, raw_query: str) -> bool:
        """bbb-web's check: the query string without its checksum parameter, hashed."""
        pairs = raw_query.split("&") if raw_query else []
        given = [pair[len("checksum=") :] for pair in pairs if pair.startswith("checksum=")]
        if len(given) != 1:
            return False
        algorithm = ALGORITHM_BY_LENGTH.get(len(given[0]))
        if algorithm is None:
            return False
        query = "&".join(pair for pair in pairs if not pair.startswith("checksum="))
        expected = hashlib.new(algorithm, (call + query + self.secret).encode()).hexdigest()
        return hmac.compare_digest(expected, given[0].lower())

    # --- meetings --------------------------------------------------------------------------------

    def _create(self, request: DevRequest) -> DevResponse:
        meeting_id, name = request.arg("meetingID"), request.arg("name")
        attendee_pw, moderator_pw = request.arg("attendeePW"), request.arg("moderatorPW")
        if not meeting_id:
            return _failed("missingParamMeetingID", "You must specify a meeting ID.")
        if not 2 <= len(meeting_id) <= 256 or "," in meeting_id:
            return _failed("validationError", "Meeting ID must be 2 to 256 characters, no comma")
        lengths = (("name", name), ("attendeePW", attendee_pw), ("moderatorPW", moderator_pw))
        for label, value in lengths:
            if value and not 2 <= len(value) <= 64:
                return _failed("validationError", f"{label} must be 2 to 64 characters")
        existing = self.state.meetings.get(meeting_id)
        if existing is not None:
            if (existing.attendee_pw, existing.moderator_pw) != (attendee_pw, moderator_pw):
                return _failed(
                    "idNotUnique",
                    "A meeting already exists with that meeting ID. "
                    "Please use a different meeting ID.",
                )
            return _response(
                _meeting_fields(existing),
                key="duplicateWarning",
                message="This conference was already in existence and may currently be "
                "in progress.",
            )
        metadata = {
            key[len("meta_") :].lower(): values[0]
            for key, values in request.query.items()
            if key.startswith("meta_")
        }
        meeting = Meeting(
            meeting_id=meeting_id,
            name=name or meeting_id,
            attendee_pw=attendee_pw,
            moderator_pw=moderator_pw,
            record=request.arg("record") == "true",
            metadata=metadata,
            create_time=int(time.time() * 1000),
        )
        self.state.meetings[meeting_id] = meeting
        return _response(_meeting_fields(meeting))

    def _meeting_info(self, request: DevRequest) -> DevResponse:
        meeting = self.state.meetings.get(request.arg("meetingID"))
        if meeting is None:
            return _failed("notFound", "We could not find a meeting with that meeting ID")
        fields = {
            "meetingName": meeting.name,
            **_meeting_fields(meeting),
            "running": meeting.running,
            "recording": meeting.record,
            "metadata": meeting.metadata,
        }
        return _response(fields)

    def _is_running(self, request: DevRequest) -> DevResponse:
        meeting = self.state.meetings.get(request.arg("meetingID"))
        return _response({"running": bool(meeting and meeting.running)})

    def _end(self, request: DevRequest) -> DevResponse:
        meeting = self.state.meetings.get(request.arg("meetingID"))
        if meeting is None:
            return _failed(
                "notFound",
                "We could not find a meeting with that meeting ID - perhaps the meeting "
                "is not yet running?",
            )
        password = request.arg("password")
        if password and password != meeting.moderator_pw:
            return _failed("invalidPassword", "You must supply the moderator password.")
        del self.state.meetings[meeting.meeting_id]
        return _response(
            {},
            key="sentEndMeetingRequest",
            message="A request to end the meeting was sent. Please wait a few seconds, and "
            "then use the getMeetingInfo or isMeetingRunning API calls to verify that it "
            "was ended.",
        )

    # --- recordings ------------------------------------------------------------------------------

    def _recordings(self, request: DevRequest) -> DevResponse:
        meeting_ids = {item for item in request.arg("meetingID").split(",") if item}
        record_ids = {item for item in request.arg("recordID").split(",") if item}
        states = {item for item in request.arg("state").split(",") if item} or set(DEFAULT_STATES)
        found = [
            recording
            for recording in self.state.recordings.values()
            if (not meeting_ids or recording.meeting_id in meeting_ids)
            and (not record_ids or recording.record_id in record_ids)
            and ("any" in states or recording.state in states)
        ]
        body = "".join(_recording_xml(recording) for recording in found)
        if not found:
            return DevResponse.xml(
                "<response><returncode>SUCCESS</returncode><recordings/>"
                "<messageKey>noRecordings</messageKey>"
                "<message>There are no recordings for the meeting(s).</message></response>"
            )
        return DevResponse.xml(
            f"<response><returncode>SUCCESS</returncode><recordings>{body}</recordings></response>"
        )

    def _delete_recordings(self, request: DevRequest) -> DevResponse:
        record_ids = [item for item in request.arg("recordID").split(",") if item]
        if not record_ids:
            return _failed("missingParamRecordID", "You must specify one or more a record IDs.")
        found = [
            self.state.recordings[item] for item in record_ids if item in self.state.recordings
        ]
        if not found:
            return _failed("notFound", "We could not find recordings")
        for recording in found:
            recording.state = "deleted"
        return _response({"deleted": True})


def _meeting_fields(meeting: Meeting) -> dict[str, Any]:
    return {
        "meetingID": meeting.meeting_id,
        "internalMeetingID": f"{_internal_id(meeting.meeting_id)}-{meeting.create_time}",
        "parentMeetingID": "bbb-none",
        "attendeePW": meeting.attendee_pw,
        "moderatorPW": meeting.moderator_pw,
        "createTime": meeting.create_time,
        "hasUserJoined": meeting.running,
        "duration": 0,
        "hasBeenForciblyEnded": False,
    }


def _internal_id(meeting_id: str) -> str:
    """bbb-web's internal meeting id starts with the SHA-1 of the external one."""
    return hashlib.sha1(meeting_id.encode()).hexdigest()  # noqa: S324 — an identifier


def _recording_xml(recording: Recording) -> str:
    formats = "".join(
        f"<format><type>{escape(kind)}</type>"
        f"<url>https://bbb.invalid/playback/{kind}/{recording.record_id}/</url>"
        f"<processingTime>0</processingTime><length>1</length>"
        + (f"<size>{size}</size>" if recording.sizes else "")
        + "</format>"
        for kind, size in recording.formats.items()
    )
    total = sum(recording.formats.values())
    metadata = "".join(
        f"<{key}>{escape(value)}</{key}>" for key, value in recording.metadata.items()
    )
    return (
        f"<recording><recordID>{recording.record_id}</recordID>"
        f"<meetingID>{escape(recording.meeting_id)}</meetingID>"
        f"<internalMeetingID>{recording.record_id}</internalMeetingID>"
        f"<name>{escape(recording.name)}</name><isBreakout>false</isBreakout>"
        f"<published>{str(recording.state == 'published').lower()}</published>"
        f"<state>{recording.state}</state>"
        f"<startTime>{recording.start_time}</startTime><endTime>{recording.end_time}</endTime>"
        f"<participants>1</participants>"
        + (f"<size>{total}</size>" if recording.sizes else "")
        + f"<metadata>{metadata}</metadata><playback>{formats}</playback></recording>"
    )


def _response(fields: dict[str, Any], *, key: str = "", message: str = "") -> DevResponse:
    inner = "".join(_element(name, value) for name, value in fields.items())
    if key:
        inner += f"<messageKey>{key}</messageKey><message>{escape(message)}</message>"
    return DevResponse.xml(f"<response><returncode>SUCCESS</returncode>{inner}</response>")


def _failed(key: str, message: str) -> DevResponse:
    return DevResponse.xml(
        f"<response><returncode>FAILED</returncode><messageKey>{key}</messageKey>"
        f"<message>{escape(message)}</message></response>"
    )


def _element(name: str, value: Any) -> str:
    if isinstance(value, dict):
        return f"<{name}>" + "".join(_element(k, v) for k, v in value.items()) + f"</{name}>"
    if isinstance(value, bool):
        return f"<{name}>{str(value).lower()}</{name}>"
    return f"<{name}>{escape(str(value))}</{name}>"


if __name__ == "__main__":
    main(BigBlueButtonDevServer)
