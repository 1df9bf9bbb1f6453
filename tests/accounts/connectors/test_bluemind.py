"""The BlueMind connector (accounts/connectors/bluemind.py) against devservers/bluemind.py: a
local server implementing the documented REST endpoints the connector calls — not BlueMind
itself. Each test starts its own server and reads back from its state what the connector
wrote. No database."""

from __future__ import annotations

import dataclasses
import socket

import pytest

from accounts.connectors.base import AccountSpec, Kind, PermanentError, TransientError, Usage
from accounts.connectors.bluemind import BlueMindConnector
from accounts.connectors.http import HttpClient
from devservers.base import serve
from devservers.bluemind import DEV_API_KEY, BlueMindDevServer

GIB = 2**30
MIB = 2**20
UID = "mairie-x.jean.dupont"


def mailbox(**changes) -> AccountSpec:
    """Jean Dupont's mailbox at the charter's values: 2 Go, 10 Mo messages, 50 recipients."""
    spec = AccountSpec(
        kind=Kind.MAIL,
        uid=UID,
        login="jean.dupont",
        collectivite="mairie-x",
        collectivite_name="Mairie de X",
        given_name="Jean",
        surname="Dupont",
        email="jean.dupont@mairie-x.fr",
        quota_bytes=2 * GIB,
        max_message_bytes=10 * MIB,
        max_recipients=50,
    )
    return dataclasses.replace(spec, **changes)


@pytest.fixture
def server():
    running = serve(BlueMindDevServer)
    yield running
    running.stop()


@pytest.fixture
def connector(server):
    with BlueMindConnector(url=server.url, api_key=DEV_API_KEY, timeout=2.0) as made:
        yield made


def user_writes(server) -> list[tuple[str, str]]:
    return [(m, p) for m, p in server.requests if m != "GET" and p.startswith("/api/users/")]


def test_create_twice_makes_one_user_with_its_mailbox(server, connector):
    connector.create(mailbox())
    connector.create(mailbox())

    assert list(server.state.users) == [UID]
    stored = server.state.users[UID]
    assert stored.domain == "mairie-x.fr"
    assert stored.value["login"] == "jean.dupont"
    assert stored.value["emails"] == [
        {"address": "jean.dupont@mairie-x.fr", "isDefault": True, "allAliases": False}
    ]
    assert stored.value["routing"] == "internal"
    assert stored.value["quota"] == 2_097_152  # KiB
    assert stored.value["archived"] is False
    assert stored.value["contactInfos"]["identification"]["name"]["familyNames"] == "Dupont"
    assert stored.value["contactInfos"]["identification"]["formatedName"]["value"] == (
        "Jean Dupont"
    )
    assert stored.value["properties"] == {
        "portail.maxRecipients": "50",
        "portail.maxMessageBytes": "10485760",
    }
    assert "password" not in stored.value
    assert user_writes(server) == [("PUT", f"/api/users/mairie-x.fr/{UID}")]


def test_create_brings_an_existing_user_to_the_spec(server, connector):
    connector.create(mailbox(quota_bytes=1 * GIB, surname="Durand"))
    connector.disable(mailbox())

    connector.create(mailbox())

    value = server.state.users[UID].value
    assert value["quota"] == 2_097_152
    assert value["archived"] is False
    assert value["contactInfos"]["identification"]["name"]["familyNames"] == "Dupont"
    assert list(server.state.users) == [UID]


QUOTAS = [
    (2 * GIB, 2_097_152, "the charter's 2 Go: 2 GiB, exactly"),
    (2_000_000_000, 1_953_125, "2 GB decimal, exactly"),
    (2_000_000_001, 1_953_126, "one byte more: rounded up, never less than sold"),
    (None, None, "no limit"),
]


@pytest.mark.parametrize(("quota_bytes", "kib", "_case"), QUOTAS)
def test_quota_is_carried_in_kib(server, connector, quota_bytes, kib, _case):
    connector.create(mailbox(quota_bytes=quota_bytes))

    assert server.state.users[UID].value["quota"] == kib


def test_update_carries_quota_names_and_a5_limits(server, connector):
    connector.create(mailbox())

    connector.update(
        mailbox(
            quota_bytes=5 * GIB, surname="Martin", max_message_bytes=20 * MIB, max_recipients=30
        )
    )

    value = server.state.users[UID].value
    assert value["quota"] == 5_242_880
    assert value["contactInfos"]["identification"]["name"]["familyNames"] == "Martin"
    assert value["contactInfos"]["identification"]["formatedName"]["value"] == "Jean Martin"
    assert value["properties"] == {
        "portail.maxRecipients": "30",
        "portail.maxMessageBytes": "20971520",
    }
    # BlueMind's only message size is the installation's Postfix message_size_limit.
    assert server.state.system_conf["message_size_limit"] == "20971520"


def test_update_writes_the_system_message_size_only_when_it_differs(server, connector):
    connector.create(mailbox())  # 10 MiB: the value BlueMind already has

    connector.update(mailbox())

    assert ("POST", "/api/configuration") not in server.requests
    assert server.state.system_conf["message_size_limit"] == "10485760"


def test_update_can_leave_the_system_message_size_alone(server):
    with BlueMindConnector(
        url=server.url, api_key=DEV_API_KEY, timeout=2.0, apply_message_size_limit=False
    ) as connector:
        connector.create(mailbox(max_message_bytes=25 * MIB))

    assert server.state.system_conf["message_size_limit"] == "10485760"
    assert ("GET", "/api/configuration") not in server.requests


def test_limits_removed_from_the_spec_leave_the_properties(server, connector):
    connector.create(mailbox())

    connector.update(mailbox(max_recipients=None, max_message_bytes=None))

    assert server.state.users[UID].value["properties"] == {}


def test_update_of_a_missing_mailbox_is_refused(connector):
    with pytest.raises(PermanentError) as refused:
        connector.update(mailbox())

    assert (
        refused.value.reason == "La boîte « jean.dupont@mairie-x.fr » n'existe pas dans BlueMind."
    )


def test_disable_and_enable_set_the_archived_flag_once(server, connector):
    connector.create(mailbox())

    connector.disable(mailbox())
    connector.disable(mailbox())
    assert server.state.users[UID].value["archived"] is True

    connector.enable(mailbox())
    connector.enable(mailbox())
    assert server.state.users[UID].value["archived"] is False
    assert user_writes(server) == [
        ("PUT", f"/api/users/mairie-x.fr/{UID}"),
        ("POST", f"/api/users/mairie-x.fr/{UID}"),
        ("POST", f"/api/users/mairie-x.fr/{UID}"),
    ]


def test_disable_of_an_absent_user_succeeds(server, connector):
    connector.disable(mailbox())

    assert user_writes(server) == []


def test_delete_removes_the_user_and_an_absent_one_is_fine(server, connector):
    connector.create(mailbox())

    connector.delete(mailbox())
    connector.delete(mailbox())

    assert server.state.users == {}
    assert [path for method, path in server.requests if method == "DELETE"] == [
        f"/api/users/mairie-x.fr/{UID}"
    ]
    assert len([path for _, path in server.requests if path.startswith("/api/tasks/")]) == 1


def test_a_deletion_task_in_error_is_retried(server, connector):
    connector.create(mailbox())
    server.state.delete_outcome = "InError"

    with pytest.raises(TransientError) as failed:
        connector.delete(mailbox())

    assert (
        failed.value.reason == "BlueMind n'a pas pu supprimer la boîte « jean.dupont@mairie-x.fr »."
    )
    assert list(server.state.users) == [UID]


def test_usage_is_the_mailbox_quota_in_bytes(server, connector):
    connector.create(mailbox())
    server.state.used_kib[UID] = 1536

    assert connector.usage(mailbox()) == Usage(used_bytes=1_572_864, quota_bytes=2 * GIB)


def test_usage_without_a_limit(server, connector):
    connector.create(mailbox(quota_bytes=None))

    assert connector.usage(mailbox()) == Usage(used_bytes=0, quota_bytes=None)


@pytest.mark.parametrize(
    ("status", "_case"),
    [
        (503, "the front proxy: service unavailable"),
        (502, "the front proxy: bad gateway"),
        (429, "too many requests"),
        (500, "a ServerFault UNKNOWN from BlueMind itself"),
    ],
)
def test_unavailable_is_transient_and_the_next_run_passes(server, connector, status, _case):
    server.fail_next(1, status=status)

    with pytest.raises(TransientError) as failed:
        connector.create(mailbox())

    assert failed.value.reason == "BlueMind est momentanément indisponible."
    assert f"→ HTTP {status}" in failed.value.detail
    connector.create(mailbox())
    assert list(server.state.users) == [UID]


def test_a_wrong_api_key_is_permanent(server):
    with (
        BlueMindConnector(url=server.url, api_key="not-the-key", timeout=2.0) as connector,
        pytest.raises(PermanentError) as refused,
    ):
        connector.create(mailbox())

    assert refused.value.reason == (
        "BlueMind refuse les identifiants du portail : vérifiez la configuration du connecteur."
    )
    assert "HTTP 403" in refused.value.detail
    assert "not-the-key" not in refused.value.detail


def test_an_address_used_by_another_account_is_refused_not_retried(server, connector):
    """BlueMind answers ALREADY_EXISTS with HTTP 500: a refusal all the same."""
    connector.create(mailbox())
    server.state.users[UID].value["login"] = "jdupont"  # made by hand: other login, same address

    with pytest.raises(PermanentError) as refused:
        connector.create(mailbox(uid="mairie-x.jean.dupont-2"))

    assert refused.value.reason == (
        "L'identifiant ou l'adresse est déjà utilisé par un autre compte dans BlueMind."
    )
    assert "HTTP 500" in refused.value.detail
    assert "ALREADY_EXISTS" in refused.value.detail


def test_an_address_outside_the_configured_domain_is_refused(server):
    with (
        BlueMindConnector(
            url=server.url, api_key=DEV_API_KEY, domain_uid="autre.fr", timeout=2.0
        ) as connector,
        pytest.raises(PermanentError) as refused,
    ):
        connector.create(mailbox())

    assert refused.value.reason == (
        "BlueMind refuse les valeurs du compte (identifiant, adresse, quota ou nom)."
    )
    assert ("PUT", f"/api/users/autre.fr/{UID}") in server.requests


def test_an_address_without_domain_is_refused_before_any_call(server, connector):
    with pytest.raises(PermanentError) as refused:
        connector.create(mailbox(email="jean.dupont"))

    assert refused.value.reason == "L'adresse de messagerie « jean.dupont » n'est pas valide."
    assert server.requests == []


def test_a_time_out_is_transient(server):
    server.delay_next(1.0)

    with (
        BlueMindConnector(url=server.url, api_key=DEV_API_KEY, timeout=0.2) as connector,
        pytest.raises(TransientError) as failed,
    ):
        connector.create(mailbox())

    assert failed.value.reason == "BlueMind n'a pas répondu dans le délai imparti."
    assert "ReadTimeout" in failed.value.detail


def test_an_unreachable_server_is_transient():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nobody listens there

    with (
        BlueMindConnector(url=f"http://127.0.0.1:{port}", api_key="k", timeout=2.0) as connector,
        pytest.raises(TransientError) as failed,
    ):
        connector.create(mailbox())

    assert failed.value.reason == "BlueMind est injoignable."
    assert "ConnectError" in failed.value.detail


def test_the_detail_masks_the_secrets(server):
    """Whatever a server echoes, the event log never shows a declared secret."""
    client = HttpClient(
        system="BlueMind",
        base_url=f"{server.url}/api/s3cr3t-key/",
        timeout=2.0,
        secrets=("s3cr3t-key",),
        classify=None,
    )
    with pytest.raises(PermanentError) as refused:
        client.request("GET", "configuration")
    client.close()

    assert "s3cr3t-key" not in refused.value.detail
    assert "/api/***/configuration" in refused.value.detail
