"""The Nextcloud connector (accounts/connectors/nextcloud.py) against devservers/nextcloud.py:
a local server implementing the documented OCS provisioning calls the connector makes — not
Nextcloud itself. Each test starts its own server and reads back from its state what the
connector wrote. No database."""

from __future__ import annotations

import dataclasses

import pytest

from accounts.connectors.base import AccountSpec, Kind, PermanentError, TransientError, Usage
from accounts.connectors.nextcloud import NextcloudConnector, ocs_error
from devservers.base import serve
from devservers.nextcloud import DEV_PASSWORD, DEV_USER, NextcloudDevServer, NextcloudUser

GIB = 2**30
UID = "mairie-x.jean.dupont"


def drive(**changes) -> AccountSpec:
    """Jean Dupont's drive at the seed's 5 Go, with his contact address."""
    spec = AccountSpec(
        kind=Kind.DRIVE,
        uid=UID,
        login="jean.dupont",
        collectivite="mairie-x",
        collectivite_name="Mairie de X",
        given_name="Jean",
        surname="Dupont",
        email="jean.dupont@mairie-x.fr",
        quota_bytes=5 * GIB,
    )
    return dataclasses.replace(spec, **changes)


@pytest.fixture
def server():
    running = serve(NextcloudDevServer)
    yield running
    running.stop()


@pytest.fixture
def connector(server):
    with NextcloudConnector(
        url=server.url, user=DEV_USER, password=DEV_PASSWORD, timeout=2.0, groups=("collectivites",)
    ) as made:
        yield made


def writes(server) -> list[tuple[str, str]]:
    return [(method, path) for method, path in server.requests if method != "GET"]


def test_create_twice_makes_one_user(server, connector):
    connector.create(drive())
    connector.create(drive())

    assert server.state.users == {
        UID: NextcloudUser(
            userid=UID,
            displayname="Jean Dupont",
            email="jean.dupont@mairie-x.fr",
            quota=5 * GIB,
            enabled=True,
            groups=["collectivites"],
            used=0,
        )
    }
    assert writes(server) == [("POST", "/ocs/v1.php/cloud/users")]


def test_create_brings_a_user_made_by_hand_to_the_spec(server, connector):
    server.state.users[UID] = NextcloudUser(
        userid=UID, displayname="J. D.", email="", quota=GIB, enabled=False
    )

    connector.create(drive())

    user = server.state.users[UID]
    assert (user.displayname, user.email, user.quota) == (
        "Jean Dupont",
        "jean.dupont@mairie-x.fr",
        5 * GIB,
    )
    assert user.enabled is True
    assert user.groups == ["collectivites"]
    assert writes(server) == [
        ("PUT", f"/ocs/v1.php/cloud/users/{UID}"),  # displayname
        ("PUT", f"/ocs/v1.php/cloud/users/{UID}"),  # email
        ("PUT", f"/ocs/v1.php/cloud/users/{UID}"),  # quota
        ("POST", f"/ocs/v1.php/cloud/users/{UID}/groups"),
        ("PUT", f"/ocs/v1.php/cloud/users/{UID}/enable"),
    ]


def test_update_carries_quota_email_and_name(server, connector):
    connector.create(drive())

    connector.update(drive(quota_bytes=10 * GIB, surname="Martin", email="jm@mairie-x.fr"))

    user = server.state.users[UID]
    assert (user.displayname, user.email, user.quota) == ("Jean Martin", "jm@mairie-x.fr", 10 * GIB)


def test_update_to_no_limit_and_back(server, connector):
    connector.create(drive())

    connector.update(drive(quota_bytes=None))
    assert server.state.users[UID].quota is None

    connector.update(drive())
    assert server.state.users[UID].quota == 5 * GIB


def test_update_changes_nothing_when_nothing_differs(server, connector):
    connector.create(drive())

    connector.update(drive())

    assert writes(server) == [("POST", "/ocs/v1.php/cloud/users")]


def test_update_of_a_missing_user_is_refused(connector):
    with pytest.raises(PermanentError) as refused:
        connector.update(drive())

    assert refused.value.reason == "Le compte « mairie-x.jean.dupont » n'existe pas dans Nextcloud."


def test_disable_and_enable(server, connector):
    connector.create(drive())

    connector.disable(drive())
    connector.disable(drive())
    assert server.state.users[UID].enabled is False

    connector.enable(drive())
    connector.enable(drive())
    assert server.state.users[UID].enabled is True
    assert writes(server)[1:] == [
        ("PUT", f"/ocs/v1.php/cloud/users/{UID}/disable"),
        ("PUT", f"/ocs/v1.php/cloud/users/{UID}/enable"),
    ]


def test_disable_of_an_absent_user_succeeds(server, connector):
    connector.disable(drive())

    assert writes(server) == []


def test_delete_and_an_absent_user_is_fine(server, connector):
    connector.create(drive())

    connector.delete(drive())
    connector.delete(drive())

    assert server.state.users == {}
    assert [path for method, path in server.requests if method == "DELETE"] == [
        f"/ocs/v1.php/cloud/users/{UID}"
    ]


def test_usage_is_the_users_quota_in_bytes(server, connector):
    connector.create(drive())
    server.state.users[UID].used = 1_234_567_890

    assert connector.usage(drive()) == Usage(used_bytes=1_234_567_890, quota_bytes=5 * GIB)


def test_usage_of_an_unlimited_user(server, connector):
    connector.create(drive(quota_bytes=None))
    server.state.users[UID].used = 42

    assert connector.usage(drive()) == Usage(used_bytes=42, quota_bytes=None)


def test_unavailable_is_transient_and_the_next_run_passes(server, connector):
    server.fail_next(1, status=503)

    with pytest.raises(TransientError) as failed:
        connector.create(drive())

    assert failed.value.reason == "Nextcloud est momentanément indisponible."
    assert "→ HTTP 503" in failed.value.detail
    connector.create(drive())
    assert list(server.state.users) == [UID]


def test_a_wrong_password_is_permanent(server):
    with (
        NextcloudConnector(
            url=server.url, user=DEV_USER, password="wrong-app-password", timeout=2.0
        ) as connector,
        pytest.raises(PermanentError) as refused,
    ):
        connector.create(drive())

    assert refused.value.reason == (
        "Nextcloud refuse les identifiants du portail : vérifiez la configuration du connecteur."
    )
    assert "HTTP 401" in refused.value.detail
    assert "997" in refused.value.detail
    assert "wrong-app-password" not in refused.value.detail


def test_a_missing_group_is_refused(server):
    with (
        NextcloudConnector(
            url=server.url, user=DEV_USER, password=DEV_PASSWORD, timeout=2.0, groups=("absent",)
        ) as connector,
        pytest.raises(PermanentError) as refused,
    ):
        connector.create(drive())

    assert refused.value.reason == (
        "Un groupe demandé pour « mairie-x.jean.dupont » n'existe pas dans Nextcloud."
    )
    assert "OCS 104" in refused.value.detail
    assert server.state.users == {}


def test_an_invalid_address_is_refused(server, connector):
    connector.create(drive())

    with pytest.raises(PermanentError) as refused:
        connector.update(drive(email="pas-une-adresse"))

    assert refused.value.reason == (
        "Nextcloud refuse une valeur du compte « mairie-x.jean.dupont » (adresse, nom ou quota)."
    )
    assert "OCS 102" in refused.value.detail


def test_a_time_out_is_transient(server):
    server.delay_next(1.0)

    with (
        NextcloudConnector(
            url=server.url, user=DEV_USER, password=DEV_PASSWORD, timeout=0.2
        ) as connector,
        pytest.raises(TransientError) as failed,
    ):
        connector.create(drive())

    assert failed.value.reason == "Nextcloud n'a pas répondu dans le délai imparti."


OCS_CODES = [
    (996, "GET", f"users/{UID}", TransientError, "Nextcloud est momentanément indisponible.",
     "server error"),
    (999, "PUT", f"users/{UID}", TransientError, "Nextcloud est momentanément indisponible.",
     "unknown error"),
    (997, "GET", f"users/{UID}", PermanentError,
     "Nextcloud refuse les identifiants du portail : vérifiez la configuration du connecteur.",
     "not authenticated"),
    (403, "POST", "users", PermanentError,
     "Nextcloud refuse cette opération au compte technique du portail.", "forbidden"),
    (998, "PUT", f"users/{UID}", PermanentError,
     f"Le compte « {UID} » n'existe pas dans Nextcloud.", "not found, older servers"),
    (404, "PUT", f"users/{UID}/enable", PermanentError,
     f"Le compte « {UID} » n'existe pas dans Nextcloud.", "not found, OCSNotFoundException"),
    (101, "PUT", f"users/{UID}", PermanentError,
     f"Le compte « {UID} » n'existe pas dans Nextcloud.", "edit: user not found"),
    (102, "PUT", f"users/{UID}", PermanentError,
     f"Nextcloud refuse une valeur du compte « {UID} » (adresse, nom ou quota).",
     "edit: invalid input"),
    (103, "PUT", f"users/{UID}", PermanentError,
     f"Nextcloud refuse une valeur du compte « {UID} » (adresse, nom ou quota).",
     "edit: unknown field"),
    (101, "POST", "users", PermanentError,
     f"Nextcloud refuse une valeur du compte « {UID} » (adresse, nom ou quota).",
     "add: invalid input"),
    (107, "POST", "users", PermanentError,
     f"Nextcloud refuse une valeur du compte « {UID} » (adresse, nom ou quota).",
     "add: password policy hint"),
    (104, "POST", "users", PermanentError,
     f"Un groupe demandé pour « {UID} » n'existe pas dans Nextcloud.", "add: group missing"),
    (102, "POST", f"users/{UID}/groups", PermanentError,
     f"Un groupe demandé pour « {UID} » n'existe pas dans Nextcloud.", "join: group missing"),
    (101, "PUT", f"users/{UID}/disable", PermanentError,
     f"Nextcloud a refusé l'opération sur le compte « {UID} » (code 101).",
     "disable: failure"),
    (105, "POST", "users", PermanentError,
     f"Nextcloud a refusé l'opération sur le compte « {UID} » (code 105).",
     "add: insufficient privileges for the group"),
]  # fmt: skip


@pytest.mark.parametrize(("code", "method", "path", "kind", "reason", "_case"), OCS_CODES)
def test_ocs_statuscodes_become_errors(code, method, path, kind, reason, _case):
    error = ocs_error(code, method=method, path=path, uid=UID, detail="d")

    assert type(error) is kind
    assert error.reason == reason
    assert error.detail == "d"
