"""The BigBlueButton connector (accounts/connectors/bigbluebutton.py) against
devservers/bigbluebutton.py: a local server implementing the documented API calls the
connector makes, checksum included — not BigBlueButton itself. Each test starts its own
server and reads back from its state what the connector did. No database."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from accounts.connectors.base import AccountSpec, Kind, PermanentError, TransientError, Usage
from accounts.connectors.bigbluebutton import BigBlueButtonConnector, api_base, checksum
from devservers.base import serve
from devservers.bigbluebutton import DEV_SECRET, BigBlueButtonDevServer, Meeting

ROOM = "mairie-x.jean.dupont"


def visio(**changes) -> AccountSpec:
    """Jean Dupont's visio account: his room, recordings kept 7 days (seed 004)."""
    spec = AccountSpec(
        kind=Kind.VISIO,
        uid="mairie-x.jean.dupont",
        login="jean.dupont",
        collectivite="mairie-x",
        collectivite_name="Mairie de X",
        given_name="Jean",
        surname="Dupont",
        email="jean.dupont@mairie-x.fr",
        room_id=ROOM,
        room_name="Salle de Jean Dupont",
        recording_retention_days=7,
    )
    return dataclasses.replace(spec, **changes)


@pytest.fixture
def server():
    running = serve(BigBlueButtonDevServer)
    yield running
    running.stop()


@pytest.fixture
def connector(server):
    with BigBlueButtonConnector(
        url=f"{server.url}/bigbluebutton/", secret=DEV_SECRET, timeout=2.0
    ) as made:
        yield made


def calls(server) -> list[str]:
    return [path.rsplit("/", 1)[-1] for _, path in server.requests]


def test_checksum_of_the_documented_example():
    """docs.bigbluebutton.org, "API Security Model": the worked example."""
    query = "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444"

    assert checksum("create", query, "639259d4-9dd8-4b25-bf01-95f9567eaf4b") == (
        "1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17"
    )


API_BASES = [
    ("https://visio.example.fr", "the server"),
    ("https://visio.example.fr/bigbluebutton/", "what bbb-conf --secret prints"),
    ("https://visio.example.fr/bigbluebutton", "without the slash"),
    ("https://visio.example.fr/bigbluebutton/api/", "the endpoint itself"),
]


@pytest.mark.parametrize(("url", "_case"), API_BASES)
def test_the_api_endpoint_from_the_configured_address(url, _case):
    assert api_base(url) == "https://visio.example.fr/bigbluebutton/api"


def test_create_twice_opens_one_room_with_its_parameters(server, connector):
    connector.create(visio())
    connector.create(visio())  # the documented duplicateWarning: a success

    assert list(server.state.meetings) == [ROOM]
    meeting = server.state.meetings[ROOM]
    assert meeting.name == "Salle de Jean Dupont"
    assert meeting.record is True
    assert meeting.metadata == {
        "portail-uid": "mairie-x.jean.dupont",
        "portail-collectivite": "mairie-x",
        "portail-retention-days": "7",
    }
    assert len(meeting.moderator_pw) == 32
    assert meeting.moderator_pw != meeting.attendee_pw
    assert calls(server) == ["create", "create"]


def test_the_room_passwords_depend_on_the_secret_and_the_room_only(connector):
    first = connector.room_parameters(visio())
    again = connector.room_parameters(visio(room_name="Autre nom", surname="Martin"))
    other_room = connector.room_parameters(visio(room_id="mairie-x.autre"))
    with BigBlueButtonConnector(url="http://bbb.invalid", secret="autre-secret") as other:
        other_secret = other.room_parameters(visio())

    assert first["moderatorPW"] == again["moderatorPW"]
    assert first["attendeePW"] == again["attendeePW"]
    assert first["moderatorPW"] != other_room["moderatorPW"]
    assert first["moderatorPW"] != other_secret["moderatorPW"]


def test_without_room_id_the_room_is_the_account_uid(server, connector):
    connector.create(visio(room_id="", room_name=""))

    assert server.state.meetings["mairie-x.jean.dupont"].name == "Jean Dupont"


def test_a_sha256_checksum_is_accepted_too(server):
    with BigBlueButtonConnector(
        url=server.url, secret=DEV_SECRET, timeout=2.0, checksum_algorithm="sha256"
    ) as connector:
        connector.create(visio())

    assert list(server.state.meetings) == [ROOM]


def test_update_of_a_running_room_keeps_it(server, connector):
    connector.create(visio())
    server.state.start(ROOM)

    connector.update(visio(room_name="Salle du conseil"))

    assert server.state.meetings[ROOM].running is True
    assert server.state.meetings[ROOM].name == "Salle de Jean Dupont"  # until the next opening


def test_disable_ends_the_running_meeting_and_may_run_twice(server, connector):
    connector.create(visio())
    server.state.start(ROOM)

    connector.disable(visio())
    connector.disable(visio())  # notFound: nothing running any more

    assert server.state.meetings == {}
    assert calls(server) == ["create", "end", "end"]


def test_enable_opens_the_room_again(server, connector):
    connector.create(visio())
    connector.disable(visio())

    connector.enable(visio())

    assert list(server.state.meetings) == [ROOM]


def test_delete_ends_the_meeting_and_deletes_its_recordings(server, connector):
    connector.create(visio())
    first = server.state.add_recording(ROOM)
    second = server.state.add_recording(ROOM, state="unpublished")
    other = server.state.add_recording("mairie-x.autre")
    server.state.start(ROOM)

    connector.delete(visio())
    connector.delete(visio())

    assert server.state.meetings == {}
    assert {key: item.state for key, item in server.state.recordings.items()} == {
        first: "deleted",
        second: "deleted",
        other: "published",
    }
    assert calls(server) == [
        "create",
        "end",
        "getRecordings",
        "deleteRecordings",
        "end",
        "getRecordings",
    ]


def test_delete_of_an_absent_room_is_fine(server, connector):
    connector.delete(visio())

    assert calls(server) == ["end", "getRecordings"]


def test_usage_is_the_size_of_the_rooms_recordings(server, connector):
    connector.create(visio())
    server.state.add_recording(ROOM, formats={"presentation": 1_000_000, "video": 250_000_000})
    server.state.add_recording(ROOM, formats={"presentation": 2_000_000})
    server.state.add_recording("mairie-x.autre", formats={"video": 999})
    deleted = server.state.add_recording(ROOM, formats={"video": 5_000_000})
    server.state.recordings[deleted].state = "deleted"

    assert connector.usage(visio()) == Usage(used_bytes=253_000_000, quota_bytes=None)


def test_usage_of_a_room_without_recordings_is_zero(connector):
    assert connector.usage(visio()) == Usage(used_bytes=0, quota_bytes=None)


def test_usage_is_unknown_when_the_server_gives_no_sizes(server, connector):
    """Servers before 2.6 report no <size>."""
    server.state.add_recording(ROOM, sizes=False)

    assert connector.usage(visio()) is None


def test_purge_deletes_the_recordings_past_the_retention(server, connector):
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

    def ended(delta: timedelta) -> int:
        return int((now - delta).timestamp() * 1000)

    old = server.state.add_recording(ROOM, end_time_ms=ended(timedelta(days=7, minutes=1)))
    kept = server.state.add_recording(ROOM, end_time_ms=ended(timedelta(days=6, hours=23)))

    assert connector.recordings_purge(visio(), now=now) == 1
    assert server.state.recordings[old].state == "deleted"
    assert server.state.recordings[kept].state == "published"
    assert connector.recordings_purge(visio(recording_retention_days=None), now=now) == 0


def test_unavailable_is_transient_and_the_next_run_passes(server, connector):
    server.fail_next(1, status=503)

    with pytest.raises(TransientError) as failed:
        connector.create(visio())

    assert failed.value.reason == "BigBlueButton est momentanément indisponible."
    assert "→ HTTP 503" in failed.value.detail
    assert "checksum" not in failed.value.detail  # the query string stays out of the log
    connector.create(visio())
    assert list(server.state.meetings) == [ROOM]


def test_a_wrong_secret_is_permanent(server):
    with (
        BigBlueButtonConnector(url=server.url, secret="pas-le-secret", timeout=2.0) as connector,
        pytest.raises(PermanentError) as refused,
    ):
        connector.create(visio())

    assert refused.value.reason == (
        "BigBlueButton refuse la signature des appels du portail : vérifiez le secret partagé."
    )
    assert "checksumError" in refused.value.detail
    assert "pas-le-secret" not in refused.value.detail
    assert server.state.meetings == {}


def test_a_meeting_with_the_same_id_and_other_passwords_is_refused(server, connector):
    """Another application (or the portal under a former secret) opened a meeting with the
    room's id: bbb-web answers idNotUnique, which no retry will cure."""
    server.state.meetings[ROOM] = Meeting(
        meeting_id=ROOM,
        name="Réunion d'une autre application",
        attendee_pw="ap",
        moderator_pw="mp",
        record=False,
        metadata={},
        create_time=0,
    )

    with pytest.raises(PermanentError) as refused:
        connector.create(visio())

    assert refused.value.reason == (
        "Une réunion « mairie-x.jean.dupont » existe déjà dans BigBlueButton avec d'autres "
        "paramètres."
    )
    assert "idNotUnique" in refused.value.detail
    assert server.state.meetings[ROOM].moderator_pw == "mp"


def test_a_room_id_with_a_comma_is_refused_before_any_call(server, connector):
    with pytest.raises(PermanentError) as refused:
        connector.create(visio(room_id="salle,1"))

    assert refused.value.reason == (
        "L'identifiant de salle « salle,1 » n'est pas accepté par BigBlueButton."
    )
    assert server.requests == []


def test_a_time_out_is_transient(server):
    server.delay_next(1.0)

    with (
        BigBlueButtonConnector(url=server.url, secret=DEV_SECRET, timeout=0.2) as connector,
        pytest.raises(TransientError) as failed,
    ):
        connector.create(visio())

    assert failed.value.reason == "BigBlueButton n'a pas répondu dans le délai imparti."
