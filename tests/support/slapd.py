"""A real OpenLDAP slapd for the directory connector and the tests that check what it wrote.

Fixtures:

- ``slapd`` (session): one private slapd (scripts/slapd.py) in a temporary folder, started on
  first use and stopped at the end of the session; yields its ``DirectorySettings``;
- ``directory``: a ``DirectoryConnector`` on it; every entry under the base DN except the base
  itself is deleted after the test, so tests are independent;
- ``directory_settings``: the portal's ``DIRECTORY_*`` settings pointed at it (for tests that
  go through accounts.connectors.registry, e.g. the accounts feature end to end), the
  directory emptied after the test in the same way. Yields the ``DirectorySettings``.

Helpers, for reading back what a connector wrote: ``directory_entry``, ``directory_entry_dn``,
``directory_group_members``, ``directory_dns`` and ``directory_clear``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import ldap3
import pytest
from ldap3.core.exceptions import LDAPNoSuchObjectResult
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn, parse_dn

from accounts.connectors.directory import DirectoryConnector
from scripts.slapd import DirectorySettings, LocalSlapd


@pytest.fixture(scope="session")
def slapd(tmp_path_factory) -> Iterator[DirectorySettings]:
    server = LocalSlapd(tmp_path_factory.mktemp("slapd"))
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def directory(slapd: DirectorySettings) -> Iterator[DirectoryConnector]:
    yield DirectoryConnector(
        url=slapd.url,
        bind_dn=slapd.bind_dn,
        password=slapd.password,
        base_dn=slapd.base_dn,
        timeout=5.0,
    )
    directory_clear(slapd)


@pytest.fixture
def directory_settings(slapd: DirectorySettings, settings) -> Iterator[DirectorySettings]:
    settings.DIRECTORY_URL = slapd.url
    settings.DIRECTORY_BIND_DN = slapd.bind_dn
    settings.DIRECTORY_BIND_PASSWORD = slapd.password
    settings.DIRECTORY_BASE_DN = slapd.base_dn
    yield slapd
    directory_clear(slapd)


@contextlib.contextmanager
def directory_connection(settings: DirectorySettings) -> Iterator[ldap3.Connection]:
    """A connection bound as the directory's administrator."""
    server = ldap3.Server(settings.url, connect_timeout=5, get_info=ldap3.NONE)
    conn = ldap3.Connection(
        server, settings.bind_dn, settings.password, receive_timeout=5, raise_exceptions=True
    )
    conn.open()
    conn.bind()
    try:
        yield conn
    finally:
        conn.unbind()


def directory_entry(settings: DirectorySettings, uid: str) -> dict[str, list[str]] | None:
    """The attributes of the person `uid` (wherever it lives under the base), as the server
    names them, each a list of strings (``{"portailMailQuota": ["2147483648"], ...}``); None
    when there is no such entry."""
    found = _person_search(settings, uid)
    return None if found is None else found[1]


def directory_entry_dn(settings: DirectorySettings, uid: str) -> str | None:
    found = _person_search(settings, uid)
    return None if found is None else found[0]


def directory_group_members(settings: DirectorySettings, collectivite: str, kind: str) -> set[str]:
    """The uids of the people in ``cn=<kind>`` of the collectivité's branch (the branch's own
    DN, a placeholder that keeps the group valid, is left out); empty if there is no group."""
    branch = f"ou={escape_rdn(collectivite)},{settings.base_dn}"
    with directory_connection(settings) as conn:
        try:
            conn.search(
                f"cn={escape_rdn(kind)},ou=groups,{branch}",
                "(objectClass=*)",
                ldap3.BASE,
                attributes=["member"],
            )
        except LDAPNoSuchObjectResult:
            return set()
        members = conn.response[0]["attributes"].get("member", [])
    people = [dn for dn in members if dn.lower() != branch.lower()]
    return {parse_dn(dn)[0][1] for dn in people}


def directory_dns(settings: DirectorySettings, base: str | None = None) -> list[str]:
    """Every DN under `base` (the base DN by default), `base` included, sorted."""
    with directory_connection(settings) as conn:
        conn.search(base or settings.base_dn, "(objectClass=*)", ldap3.SUBTREE, attributes=[])
        return sorted(entry["dn"] for entry in conn.response)


def directory_clear(settings: DirectorySettings) -> None:
    """Delete every entry under the base DN, deepest first; the base entry stays."""
    with directory_connection(settings) as conn:
        conn.search(settings.base_dn, "(objectClass=*)", ldap3.SUBTREE, attributes=[])
        dns = [entry["dn"] for entry in conn.response]
        base = settings.base_dn.lower()
        for dn in sorted(dns, key=lambda dn: len(parse_dn(dn)), reverse=True):
            if dn.lower() != base:
                conn.delete(dn)


def _person_search(
    settings: DirectorySettings, uid: str
) -> tuple[str, dict[str, list[str]]] | None:
    with directory_connection(settings) as conn:
        conn.search(
            settings.base_dn,
            f"(&(objectClass=inetOrgPerson)(uid={escape_filter_chars(uid)}))",
            ldap3.SUBTREE,
            attributes=["*"],
        )
        if not conn.response:
            return None
        assert len(conn.response) == 1, f"uid {uid} is held by {len(conn.response)} entries"
        entry = conn.response[0]
        return entry["dn"], dict(entry["attributes"])
