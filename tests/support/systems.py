"""The real systems behind the services, for tests: the session's OpenLDAP slapd (see
slapd.py) and local stand-ins for BlueMind, Nextcloud, BigBlueButton and Zimbra (devservers/, which
implement the documented endpoints the connectors use — not the real products).

`systems` points the portal's settings at all four and gives the tests the servers, to read
what the portal did there and to inject faults; each test starts with empty servers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from devservers.base import RunningServer, serve
from devservers.bigbluebutton import BigBlueButtonDevServer
from devservers.bluemind import BlueMindDevServer
from devservers.nextcloud import NextcloudDevServer
from devservers.zimbra import ZimbraDevServer
from scripts.slapd import DirectorySettings


@dataclass
class Systems:
    directory: DirectorySettings
    bluemind: RunningServer
    nextcloud: RunningServer
    bigbluebutton: RunningServer
    zimbra: RunningServer


@pytest.fixture(scope="session")
def _stand_ins() -> Iterator[tuple[RunningServer, ...]]:
    servers = (
        serve(BlueMindDevServer),
        serve(NextcloudDevServer),
        serve(BigBlueButtonDevServer),
        serve(ZimbraDevServer),
    )
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture
def systems(directory_settings, _stand_ins, settings) -> Systems:
    bluemind, nextcloud, bigbluebutton, zimbra = _stand_ins
    for server in _stand_ins:
        server.server.state = server.server.new_state()
        server.server.faults.clear()
        server.server.requests.clear()
    settings.BLUEMIND_URL = bluemind.url
    settings.NEXTCLOUD_URL = nextcloud.url
    settings.BIGBLUEBUTTON_URL = f"{bigbluebutton.url}/bigbluebutton/"
    settings.ZIMBRA_URL = zimbra.url
    for server in _stand_ins:
        for name, value in server.server.credentials().items():
            setattr(settings, name, value)
    settings.CONNECTOR_TIMEOUT = 3.0
    return Systems(directory_settings, bluemind, nextcloud, bigbluebutton, zimbra)
