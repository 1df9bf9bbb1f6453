"""The directory connector (accounts/connectors/directory.py) against a real OpenLDAP slapd,
started once for the session by the ``slapd`` fixture (tests/support/slapd.py, on
scripts/slapd.py); the ``directory`` fixture empties it after each test. Every test reads
back from slapd what the connector wrote."""

from __future__ import annotations

import dataclasses
import socket

import ldap3
import pytest
from ldap3.core import exceptions as ldap_exceptions

from accounts.connectors import directory as directory_module
from accounts.connectors import registry
from accounts.connectors.base import AccountSpec, Kind, PermanentError, TransientError
from accounts.connectors.directory import DirectoryConnector, connector_error
from scripts.slapd import LocalSlapd, SlapdError
from tests.support.slapd import (
    directory_connection,
    directory_dns,
    directory_entry,
    directory_entry_dn,
    directory_group_members,
)

GIB = 2**30
MIB = 2**20
BASE = "dc=portail,dc=test"
NAMES = {"mairie-x": "Mairie de X", "mairie-y": "Mairie de Y"}


def account(
    kind: str = Kind.MAIL, *, collectivite: str = "mairie-x", login: str = "jean.dupont", **changes
) -> AccountSpec:
    """Jean Dupont's account of `kind`: a mailbox of 2 Gio (25 Mio messages, 100 recipients),
    or a drive / visio account of 5 Gio whose address is a contact address."""
    mail = kind == Kind.MAIL
    spec = AccountSpec(
        kind=kind,
        uid=f"{collectivite}.{login}",
        login=login,
        collectivite=collectivite,
        collectivite_name=NAMES[collectivite],
        given_name="Jean",
        surname="Dupont",
        email=f"{login}@{collectivite}.fr" if mail else "jean.dupont@exemple.org",
        quota_bytes=2 * GIB if mail else 5 * GIB,
        max_message_bytes=25 * MIB if mail else None,
        max_recipients=100 if mail else None,
    )
    return dataclasses.replace(spec, **changes)


def branch_dns(collectivite: str) -> list[str]:
    branch = f"ou={collectivite},{BASE}"
    return sorted(
        [
            branch,
            f"ou=people,{branch}",
            f"ou=groups,{branch}",
            f"cn=mail,ou=groups,{branch}",
            f"cn=drive,ou=groups,{branch}",
            f"cn=visio,ou=groups,{branch}",
        ]
    )


def test_create_makes_the_person_entry_with_quota_limits_and_membership(directory, slapd):
    directory.create(account())

    assert directory_entry_dn(slapd, "mairie-x.jean.dupont") == (
        f"uid=mairie-x.jean.dupont,ou=people,ou=mairie-x,{BASE}"
    )
    entry = directory_entry(slapd, "mairie-x.jean.dupont")
    assert sorted(entry.pop("objectClass")) == ["inetOrgPerson", "portailPerson"]
    assert entry == {
        "uid": ["mairie-x.jean.dupont"],
        "cn": ["Jean Dupont"],
        "sn": ["Dupont"],
        "givenName": ["Jean"],
        "displayName": ["Jean Dupont"],
        "mail": ["jean.dupont@mairie-x.fr"],
        "portailCollectivite": ["mairie-x"],
        "portailMailEnabled": ["TRUE"],
        "portailMailQuota": ["2147483648"],
        "portailMailMaxMessageSize": ["26214400"],
        "portailMailMaxRecipients": ["100"],
    }
    assert directory_group_members(slapd, "mairie-x", Kind.MAIL) == {"mairie-x.jean.dupont"}
    assert directory_group_members(slapd, "mairie-x", Kind.DRIVE) == set()


def test_create_makes_the_branch_with_the_collectivite_name(directory, slapd):
    directory.create(account())

    assert directory_dns(slapd) == sorted(
        [BASE, *branch_dns("mairie-x"), f"uid=mairie-x.jean.dupont,ou=people,ou=mairie-x,{BASE}"]
    )
    with directory_connection(slapd) as conn:
        conn.search(
            f"ou=mairie-x,{BASE}", "(objectClass=*)", ldap3.BASE, attributes=["description"]
        )
        assert conn.response[0]["attributes"]["description"] == ["Mairie de X"]


def test_creating_twice_makes_one_entry_brought_to_the_second_spec(directory, slapd):
    directory.create(account())
    directory.create(account(quota_bytes=5 * GIB))

    assert directory_dns(slapd) == sorted(
        [BASE, *branch_dns("mairie-x"), f"uid=mairie-x.jean.dupont,ou=people,ou=mairie-x,{BASE}"]
    )
    assert directory_entry(slapd, "mairie-x.jean.dupont")["portailMailQuota"] == ["5368709120"]
    assert directory_group_members(slapd, "mairie-x", Kind.MAIL) == {"mairie-x.jean.dupont"}


def test_two_kinds_for_one_person_make_one_entry_and_two_memberships(directory, slapd):
    directory.create(account(Kind.MAIL))
    directory.create(account(Kind.DRIVE))

    people = directory_dns(slapd, f"ou=people,ou=mairie-x,{BASE}")
    assert people == [
        f"ou=people,ou=mairie-x,{BASE}",
        f"uid=mairie-x.jean.dupont,ou=people,ou=mairie-x,{BASE}",
    ]
    entry = directory_entry(slapd, "mairie-x.jean.dupont")
    assert entry["portailMailEnabled"] == ["TRUE"]
    assert entry["portailMailQuota"] == ["2147483648"]
    assert entry["portailDriveEnabled"] == ["TRUE"]
    assert entry["portailDriveQuota"] == ["5368709120"]
    assert "portailVisioEnabled" not in entry
    assert entry["mail"] == ["jean.dupont@mairie-x.fr"]  # the drive's contact address loses
    assert directory_group_members(slapd, "mairie-x", Kind.MAIL) == {"mairie-x.jean.dupont"}
    assert directory_group_members(slapd, "mairie-x", Kind.DRIVE) == {"mairie-x.jean.dupont"}
    assert directory_group_members(slapd, "mairie-x", Kind.VISIO) == set()


def test_a_mail_account_after_a_drive_account_sets_the_mailbox_address(directory, slapd):
    directory.create(account(Kind.DRIVE))
    assert directory_entry(slapd, "mairie-x.jean.dupont")["mail"] == ["jean.dupont@exemple.org"]

    directory.create(account(Kind.MAIL))
    directory.update(account(Kind.DRIVE))

    assert directory_entry(slapd, "mairie-x.jean.dupont")["mail"] == ["jean.dupont@mairie-x.fr"]


def test_update_changes_quota_limits_and_names(directory, slapd):
    directory.create(account())

    directory.update(
        account(
            quota_bytes=10 * GIB, max_message_bytes=50 * MIB, max_recipients=500, surname="Durand"
        )
    )

    entry = directory_entry(slapd, "mairie-x.jean.dupont")
    assert entry["portailMailQuota"] == ["10737418240"]
    assert entry["portailMailMaxMessageSize"] == ["52428800"]
    assert entry["portailMailMaxRecipients"] == ["500"]
    assert entry["sn"] == ["Durand"]
    assert entry["cn"] == entry["displayName"] == ["Jean Durand"]


def test_update_without_quota_or_limits_removes_them(directory, slapd):
    directory.create(account())

    directory.update(account(quota_bytes=None, max_message_bytes=None, max_recipients=None))

    entry = directory_entry(slapd, "mairie-x.jean.dupont")
    assert "portailMailQuota" not in entry
    assert "portailMailMaxMessageSize" not in entry
    assert "portailMailMaxRecipients" not in entry
    assert entry["portailMailEnabled"] == ["TRUE"]


@pytest.mark.parametrize(
    ("existing", "_case"),
    [
        ((), "no entry at all"),
        ((Kind.DRIVE,), "the person holds another kind only"),
    ],
)
def test_update_of_an_account_the_directory_lacks_is_refused(directory, slapd, existing, _case):
    for kind in existing:
        directory.create(account(kind))

    with pytest.raises(PermanentError) as raised:
        directory.update(account(Kind.MAIL))

    assert raised.value.reason == "Ce compte est absent de l'annuaire : créez-le à nouveau."
    entry = directory_entry(slapd, "mairie-x.jean.dupont")
    assert entry is None or "portailMailEnabled" not in entry


def test_disable_then_enable_switch_the_state_and_the_membership(directory, slapd):
    directory.create(account(Kind.MAIL))
    directory.create(account(Kind.DRIVE))

    directory.disable(account(Kind.MAIL))
    directory.disable(account(Kind.MAIL))  # already disabled: succeeds

    entry = directory_entry(slapd, "mairie-x.jean.dupont")
    assert entry["portailMailEnabled"] == ["FALSE"]
    assert entry["portailMailQuota"] == ["2147483648"]  # nothing deleted
    assert entry["portailDriveEnabled"] == ["TRUE"]
    assert directory_group_members(slapd, "mairie-x", Kind.MAIL) == set()
    assert directory_group_members(slapd, "mairie-x", Kind.DRIVE) == {"mairie-x.jean.dupont"}

    directory.enable(account(Kind.MAIL))
    directory.enable(account(Kind.MAIL))  # already enabled: succeeds

    assert directory_entry(slapd, "mairie-x.jean.dupont")["portailMailEnabled"] == ["TRUE"]
    assert directory_group_members(slapd, "mairie-x", Kind.MAIL) == {"mairie-x.jean.dupont"}


def test_create_again_keeps_a_disabled_account_disabled(directory, slapd):
    directory.create(account())
    directory.disable(account())

    directory.create(account(quota_bytes=3 * GIB))

    entry = directory_entry(slapd, "mairie-x.jean.dupont")
    assert entry["portailMailEnabled"] == ["FALSE"]
    assert entry["portailMailQuota"] == ["3221225472"]
    assert directory_group_members(slapd, "mairie-x", Kind.MAIL) == set()


def test_disable_of_an_absent_account_succeeds_and_enable_is_refused(directory, slapd):
    directory.disable(account())

    with pytest.raises(PermanentError) as raised:
        directory.enable(account())

    assert raised.value.reason == "Ce compte est absent de l'annuaire : créez-le à nouveau."
    assert directory_dns(slapd) == [BASE]


def test_delete_of_one_kind_keeps_the_entry_and_of_the_last_removes_it(directory, slapd):
    directory.create(account(Kind.MAIL))
    directory.create(account(Kind.DRIVE))

    directory.delete(account(Kind.DRIVE))

    entry = directory_entry(slapd, "mairie-x.jean.dupont")
    assert entry["portailMailEnabled"] == ["TRUE"]
    assert entry["portailMailQuota"] == ["2147483648"]
    assert "portailDriveEnabled" not in entry
    assert "portailDriveQuota" not in entry
    assert directory_group_members(slapd, "mairie-x", Kind.DRIVE) == set()
    assert directory_group_members(slapd, "mairie-x", Kind.MAIL) == {"mairie-x.jean.dupont"}

    directory.delete(account(Kind.MAIL))

    assert directory_entry(slapd, "mairie-x.jean.dupont") is None
    assert directory_group_members(slapd, "mairie-x", Kind.MAIL) == set()
    # The groups stay (with their placeholder member) for the collectivité's other people.
    assert directory_dns(slapd) == sorted([BASE, *branch_dns("mairie-x")])


def test_delete_of_a_disabled_last_account_removes_the_entry(directory, slapd):
    directory.create(account())
    directory.disable(account())

    directory.delete(account())

    assert directory_entry(slapd, "mairie-x.jean.dupont") is None


def test_delete_of_an_absent_account_succeeds(directory, slapd):
    directory.delete(account())  # not even a branch
    directory.create(account(Kind.DRIVE))
    directory.delete(account(Kind.DRIVE))
    directory.delete(account(Kind.DRIVE))  # twice

    assert directory_entry(slapd, "mairie-x.jean.dupont") is None


def test_a_collectivites_entries_live_under_its_own_branch_only(directory, slapd):
    directory.create(account(collectivite="mairie-x", login="jean.dupont"))
    directory.create(account(collectivite="mairie-y", login="marie.curie"))

    assert directory_dns(slapd, f"ou=mairie-x,{BASE}") == sorted(
        [*branch_dns("mairie-x"), f"uid=mairie-x.jean.dupont,ou=people,ou=mairie-x,{BASE}"]
    )
    assert directory_dns(slapd, f"ou=mairie-y,{BASE}") == sorted(
        [*branch_dns("mairie-y"), f"uid=mairie-y.marie.curie,ou=people,ou=mairie-y,{BASE}"]
    )
    assert directory_group_members(slapd, "mairie-x", Kind.MAIL) == {"mairie-x.jean.dupont"}
    assert directory_group_members(slapd, "mairie-y", Kind.MAIL) == {"mairie-y.marie.curie"}
    assert directory_entry(slapd, "mairie-y.marie.curie")["portailCollectivite"] == ["mairie-y"]


def test_usage_is_none(directory):
    directory.create(account())

    assert directory.usage(account()) is None


def test_an_unknown_kind_is_refused(directory, slapd):
    with pytest.raises(PermanentError) as raised:
        directory.create(account(kind="fax"))

    assert raised.value.reason == "Ce type de compte n'est pas géré par l'annuaire."
    assert directory_dns(slapd) == [BASE]


def test_a_stopped_server_gives_a_transient_error(tmp_path):
    server = LocalSlapd(tmp_path / "slapd")
    settings = server.start()
    connector = DirectoryConnector(
        url=settings.url,
        bind_dn=settings.bind_dn,
        password=settings.password,
        base_dn=settings.base_dn,
        timeout=2.0,
    )
    connector.create(account())  # it works while the server runs
    server.stop()

    with pytest.raises(TransientError) as raised:
        connector.create(account())

    assert (
        raised.value.reason
        == "L'annuaire est injoignable ou ne répond pas ; nouvel essai plus tard."
    )


def test_a_server_that_never_answers_gives_a_transient_error_after_the_timeout(slapd):
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        host, port = silent.getsockname()
        connector = DirectoryConnector(
            url=f"ldap://{host}:{port}",
            bind_dn=slapd.bind_dn,
            password=slapd.password,
            base_dn=slapd.base_dn,
            timeout=0.5,
        )

        with pytest.raises(TransientError) as raised:
            connector.delete(account())

    assert (
        raised.value.reason
        == "L'annuaire est injoignable ou ne répond pas ; nouvel essai plus tard."
    )


def test_bad_credentials_give_a_permanent_error_without_the_password(directory, slapd):
    connector = DirectoryConnector(
        url=slapd.url,
        bind_dn=slapd.bind_dn,
        password="pas-le-bon-mot-de-passe",
        base_dn=slapd.base_dn,
    )

    with pytest.raises(PermanentError) as raised:
        connector.create(account())

    assert raised.value.reason == (
        "L'annuaire refuse l'identifiant ou le mot de passe de connexion du portail."
    )
    shown = f"{raised.value} {raised.value.detail} {raised.value.__cause__} {connector!r}"
    assert "pas-le-bon" not in shown
    assert directory_dns(slapd) == [BASE]


def test_a_missing_base_gives_a_permanent_error(directory, slapd):
    connector = DirectoryConnector(
        url=slapd.url,
        bind_dn=slapd.bind_dn,
        password=slapd.password,
        base_dn="ou=absente,dc=portail,dc=test",
    )

    with pytest.raises(PermanentError) as raised:
        connector.create(account())

    assert raised.value.reason == (
        "La base configurée de l'annuaire, ou une entrée attendue, est introuvable."
    )


def _result(cls: type[ldap_exceptions.LDAPOperationResult], code: int, description: str):
    return cls(result=code, description=description, message="", response_type="modifyResponse")


@pytest.mark.parametrize(
    ("exc", "error", "reason", "_case"),
    [
        (
            ldap_exceptions.LDAPSocketOpenError("connection refused"),
            TransientError,
            directory_module.UNREACHABLE,
            "server down",
        ),
        (
            ldap_exceptions.LDAPResponseTimeoutError("no response"),
            TransientError,
            directory_module.UNREACHABLE,
            "time-out",
        ),
        (
            ldap_exceptions.LDAPSessionTerminatedByServerError("closed"),
            TransientError,
            directory_module.UNREACHABLE,
            "connection closed by the server",
        ),
        (
            _result(ldap_exceptions.LDAPBusyResult, 51, "busy"),
            TransientError,
            directory_module.BUSY,
            "busy",
        ),
        (
            _result(ldap_exceptions.LDAPUnavailableResult, 52, "unavailable"),
            TransientError,
            directory_module.BUSY,
            "unavailable",
        ),
        (
            _result(ldap_exceptions.LDAPInvalidCredentialsResult, 49, "invalidCredentials"),
            PermanentError,
            directory_module.BAD_CREDENTIALS,
            "invalid credentials",
        ),
        (
            _result(ldap_exceptions.LDAPInsufficientAccessRightsResult, 50, "insufficientAccess"),
            PermanentError,
            directory_module.NO_ACCESS,
            "insufficient access",
        ),
        (
            _result(ldap_exceptions.LDAPObjectClassViolationResult, 65, "objectClassViolation"),
            PermanentError,
            directory_module.SCHEMA_REFUSED,
            "schema violation",
        ),
        (
            _result(ldap_exceptions.LDAPUndefinedAttributeTypeResult, 17, "undefinedAttribute"),
            PermanentError,
            directory_module.SCHEMA_REFUSED,
            "our schema is not loaded",
        ),
        (
            _result(ldap_exceptions.LDAPUnwillingToPerformResult, 53, "unwillingToPerform"),
            PermanentError,
            directory_module.REFUSED,
            "any other refusal",
        ),
        (
            ldap_exceptions.LDAPInvalidPortError("bad port"),
            PermanentError,
            directory_module.MISCONFIGURED,
            "bad configuration",
        ),
    ],
)
def test_connector_error(exc, error, reason, _case):
    result = connector_error(exc)

    assert type(result) is error
    assert result.reason == reason


def test_local_slapd_says_how_to_install_a_missing_slapd(monkeypatch, tmp_path):
    monkeypatch.setattr("scripts.slapd.SLAPD", tmp_path / "absent" / "slapd")

    with pytest.raises(SlapdError) as raised:
        LocalSlapd(tmp_path).start()

    assert str(raised.value) == (
        f"{tmp_path / 'absent' / 'slapd'} est introuvable : installez les paquets Debian "
        "« slapd » et « ldap-utils » (make test / scripts/test.sh le fait quand il manque)."
    )


def test_the_registry_reaches_the_session_slapd_through_the_settings(directory_settings):
    connector = registry.directory()
    connector.create(account(Kind.DRIVE))

    entry = directory_entry(directory_settings, "mairie-x.jean.dupont")
    assert entry["portailDriveQuota"] == ["5368709120"]
