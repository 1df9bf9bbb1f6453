"""The Zimbra connector (accounts/connectors/zimbra.py) against devservers/zimbra.py: a local
server implementing the documented SOAP admin requests the connector sends — not Zimbra
itself. The same suite as BlueMind's: creation, idempotent retries, quota change, usage,
disable / enable, purge, and the failures. Each test starts its own server. No database."""

from __future__ import annotations

import dataclasses
import socket

import pytest

from accounts.connectors.base import AccountSpec, Kind, PermanentError, TransientError, Usage
from accounts.connectors.zimbra import ZimbraConnector
from devservers.base import serve
from devservers.zimbra import DEV_ADMIN_PASSWORD, DEV_ADMIN_USER, ZimbraDevServer, account_attrs

GIB = 2**30
MIB = 2**20
ADDRESS = "jean.dupont@mairie-x.fr"


def mailbox(**changes) -> AccountSpec:
    """Jean Dupont's mailbox at the charter's values (seed 000: 2 Go)."""
    spec = AccountSpec(
        kind=Kind.MAIL,
        uid="mairie-x.jean.dupont",
        login="jean.dupont",
        collectivite="mairie-x",
        collectivite_name="Mairie de X",
        given_name="Jean",
        surname="Dupont",
        email=ADDRESS,
        quota_bytes=2 * GIB,
        max_message_bytes=10 * MIB,
        max_recipients=50,
    )
    return dataclasses.replace(spec, **changes)


@pytest.fixture
def server():
    running = serve(ZimbraDevServer)
    yield running
    running.stop()


def connect(server, **options) -> ZimbraConnector:
    values = {
        "url": server.url,
        "admin_user": DEV_ADMIN_USER,
        "admin_password": DEV_ADMIN_PASSWORD,
        "timeout": 2.0,
    }
    return ZimbraConnector(**{**values, **options})


@pytest.fixture
def connector(server):
    with connect(server) as made:
        yield made


def operations(server) -> int:
    return len(server.requests)


def stored(server) -> dict:
    attrs = account_attrs(server.state, ADDRESS)
    assert attrs is not None
    return attrs


def test_create_twice_makes_one_account_with_its_quota(server, connector):
    connector.create(mailbox())
    connector.create(mailbox())

    assert [account.name for account in server.state.accounts.values()] == [ADDRESS]
    attrs = stored(server)
    assert attrs["zimbraMailQuota"] == "2147483648"
    assert attrs["zimbraAccountStatus"] == "active"
    assert attrs["givenName"] == "Jean"
    assert attrs["sn"] == "Dupont"
    assert attrs["displayName"] == "Jean Dupont"
    assert "userPassword" not in attrs
    # One sign-in for the connector's life: the token is kept.
    assert server.state.auth_count == 1


def test_create_brings_an_existing_account_to_the_spec(server, connector):
    connector.create(mailbox(quota_bytes=1 * GIB, surname="Durand"))
    connector.disable(mailbox())

    connector.create(mailbox())

    attrs = stored(server)
    assert attrs["zimbraMailQuota"] == "2147483648"
    assert attrs["zimbraAccountStatus"] == "active"
    assert attrs["sn"] == "Dupont"
    assert len(server.state.accounts) == 1


@pytest.mark.parametrize(
    ("quota_bytes", "zimbra", "_case"),
    [
        (2 * GIB, "2147483648", "the charter's 2 Go, in bytes"),
        (2_000_000_001, "2000000001", "an odd size, exactly"),
        (None, "0", "no limit: Zimbra's 0"),
    ],
)
def test_quota_is_carried_in_bytes(server, connector, quota_bytes, zimbra, _case):
    connector.create(mailbox(quota_bytes=quota_bytes))

    assert stored(server)["zimbraMailQuota"] == zimbra


def test_update_carries_the_quota_and_the_names(server, connector):
    connector.create(mailbox())

    connector.update(mailbox(quota_bytes=5 * GIB, surname="Martin"))

    attrs = stored(server)
    assert attrs["zimbraMailQuota"] == "5368709120"
    assert attrs["sn"] == "Martin"
    assert attrs["displayName"] == "Jean Martin"


def test_update_without_change_sends_no_modification(server, connector):
    connector.create(mailbox())
    before = operations(server)

    connector.update(mailbox())

    assert operations(server) == before + 1  # the GetAccountRequest only


def test_update_of_a_missing_mailbox_is_refused(connector):
    with pytest.raises(PermanentError) as refused:
        connector.update(mailbox())

    assert refused.value.reason == "La boîte « jean.dupont@mairie-x.fr » n'existe pas dans Zimbra."


def test_disable_locks_and_enable_reactivates_once(server, connector):
    connector.create(mailbox())

    connector.disable(mailbox())
    after_first = operations(server)
    connector.disable(mailbox())
    assert stored(server)["zimbraAccountStatus"] == "locked"
    assert operations(server) == after_first + 1  # looked up, already locked: nothing sent

    connector.enable(mailbox())
    connector.enable(mailbox())
    assert stored(server)["zimbraAccountStatus"] == "active"
    assert len(server.state.accounts) == 1  # disabled, never deleted


def test_disable_of_an_absent_account_succeeds(server, connector):
    connector.disable(mailbox())

    assert server.state.accounts == {}


def test_enable_of_an_absent_account_is_refused(connector):
    with pytest.raises(PermanentError) as refused:
        connector.enable(mailbox())

    assert refused.value.reason == "La boîte « jean.dupont@mairie-x.fr » n'existe pas dans Zimbra."


def test_delete_purges_the_account_and_an_absent_one_is_fine(server, connector):
    connector.create(mailbox())
    server.state.used_bytes[next(iter(server.state.accounts))] = 1234

    connector.delete(mailbox())
    connector.delete(mailbox())

    assert server.state.accounts == {}
    assert server.state.used_bytes == {}


def test_usage_is_the_quota_report_row_of_the_account(server, connector):
    connector.create(mailbox())
    [zimbra_id] = server.state.accounts
    server.state.used_bytes[zimbra_id] = 1_572_864

    assert connector.usage(mailbox()) == Usage(used_bytes=1_572_864, quota_bytes=2 * GIB)


def test_usage_pages_through_a_large_domain(server, connector, monkeypatch):
    monkeypatch.setattr("accounts.connectors.zimbra.USAGE_PAGE", 2)
    for login in ("aline", "bruno", "chloe", "denis"):
        connector.create(mailbox(email=f"{login}@mairie-x.fr"))
    connector.create(mailbox(email="zoe.martin@mairie-x.fr", quota_bytes=None))
    found = server.state.by_name("zoe.martin@mairie-x.fr")
    server.state.used_bytes[found[0]] = 42

    assert connector.usage(mailbox(email="zoe.martin@mairie-x.fr")) == Usage(
        used_bytes=42, quota_bytes=None
    )


def test_an_expired_token_signs_in_again_once(server, connector):
    connector.create(mailbox())
    server.state.tokens.clear()  # the server restarted, or the token's lifetime passed

    connector.update(mailbox(quota_bytes=3 * GIB))

    assert stored(server)["zimbraMailQuota"] == str(3 * GIB)
    assert server.state.auth_count == 2


@pytest.mark.parametrize(
    ("status", "_case"),
    [
        (503, "the front proxy: service unavailable"),
        (502, "the front proxy: bad gateway"),
        (429, "too many requests"),
        (500, "a service.FAILURE fault from Zimbra itself"),
    ],
)
def test_unavailable_is_transient_and_the_next_run_passes(server, connector, status, _case):
    server.fail_next(1, status=status)

    with pytest.raises(TransientError) as failed:
        connector.create(mailbox())

    assert failed.value.reason == "Zimbra est momentanément indisponible."
    assert f"→ HTTP {status}" in failed.value.detail
    connector.create(mailbox())
    assert len(server.state.accounts) == 1


def test_a_wrong_admin_password_is_permanent_and_never_shown(server):
    with (
        connect(server, admin_password="not-the-password") as connector,
        pytest.raises(PermanentError) as refused,
    ):
        connector.create(mailbox())

    assert refused.value.reason == (
        "Zimbra refuse les identifiants du portail : vérifiez la configuration du connecteur."
    )
    assert "account.AUTH_FAILED" in refused.value.detail
    assert "HTTP 500" in refused.value.detail
    assert "not-the-password" not in refused.value.detail
    assert server.state.accounts == {}


def test_an_address_taken_meanwhile_is_refused_not_retried(server, connector, monkeypatch):
    """Another tool created the address between the lookup and the creation: Zimbra answers
    ACCOUNT_EXISTS (HTTP 500), a refusal all the same."""
    connector.create(mailbox())
    monkeypatch.setattr(connector, "_find", lambda address: None)

    with pytest.raises(PermanentError) as refused:
        connector.create(mailbox())

    assert refused.value.reason == "L'adresse est déjà utilisée par un autre compte dans Zimbra."
    assert "HTTP 500" in refused.value.detail
    assert "account.ACCOUNT_EXISTS" in refused.value.detail
    assert len(server.state.accounts) == 1


def test_an_invalid_quota_is_refused_not_retried(server, connector):
    with pytest.raises(PermanentError) as refused:
        connector.create(mailbox(quota_bytes=-1))

    assert refused.value.reason == (
        "Zimbra refuse les valeurs du compte (adresse, quota, statut ou nom)."
    )
    assert "account.INVALID_ATTR_VALUE" in refused.value.detail


def test_an_address_without_domain_is_refused_before_any_call(server, connector):
    with pytest.raises(PermanentError) as refused:
        connector.create(mailbox(email="jean.dupont"))

    assert refused.value.reason == "L'adresse de messagerie « jean.dupont » n'est pas valide."
    assert server.requests == []


def test_a_time_out_is_transient(server):
    server.delay_next(1.0)

    with (
        connect(server, timeout=0.2) as connector,
        pytest.raises(TransientError) as failed,
    ):
        connector.create(mailbox())

    assert failed.value.reason == "Zimbra n'a pas répondu dans le délai imparti."
    assert "ReadTimeout" in failed.value.detail


def test_an_unreachable_server_is_transient():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nobody listens there

    with (
        ZimbraConnector(
            url=f"http://127.0.0.1:{port}", admin_user="a", admin_password="p", timeout=2.0
        ) as connector,
        pytest.raises(TransientError) as failed,
    ):
        connector.create(mailbox())

    assert failed.value.reason == "Zimbra est injoignable."
    assert "ConnectError" in failed.value.detail
