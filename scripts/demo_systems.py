"""The systems behind the services, for `make run` when none is configured: a private
OpenLDAP slapd (scripts/slapd.py; skipped, with a warning, when Debian's slapd is not
installed) and the local stand-ins for BlueMind, Nextcloud, BigBlueButton and Zimbra (devservers/:
in-memory servers implementing the documented endpoints the connectors use, not the real
products). They start empty at every run.

    python scripts/demo_systems.py --env-file PATH

writes the portal's settings for them (DIRECTORY_*, BLUEMIND_*, NEXTCLOUD_*, BIGBLUEBUTTON_*, ZIMBRA_*)
to PATH once all answer, then serves until SIGTERM / SIGINT.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devservers.base import serve  # noqa: E402
from devservers.bigbluebutton import BigBlueButtonDevServer  # noqa: E402
from devservers.bluemind import BlueMindDevServer  # noqa: E402
from devservers.nextcloud import NextcloudDevServer  # noqa: E402
from devservers.zimbra import ZimbraDevServer  # noqa: E402
from scripts.slapd import LocalSlapd, SlapdError  # noqa: E402


def _stop(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env-file", type=Path, required=True)
    options = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop)
    lines: list[str] = []
    slapd = None
    with tempfile.TemporaryDirectory(prefix="portail-annuaire-") as folder:
        try:
            slapd = LocalSlapd(Path(folder))
            directory = slapd.start()
            lines += [f"{key}={value}" for key, value in directory.as_env().items()]
        except SlapdError as exc:
            slapd = None
            print(f"Annuaire de démonstration non démarré : {exc}", file=sys.stderr, flush=True)
        servers = {
            "BLUEMIND_URL": serve(BlueMindDevServer),
            "NEXTCLOUD_URL": serve(NextcloudDevServer),
            "BIGBLUEBUTTON_URL": serve(BigBlueButtonDevServer),
            "ZIMBRA_URL": serve(ZimbraDevServer),
        }
        for setting, running in servers.items():
            suffix = "/bigbluebutton/" if setting == "BIGBLUEBUTTON_URL" else ""
            lines.append(f"{setting}={running.url}{suffix}")
            lines += [f"{k}={v}" for k, v in running.server.credentials().items()]
        tmp = options.env_file.with_suffix(".tmp")
        tmp.write_text("\n".join(lines) + "\n")
        tmp.replace(options.env_file)
        try:
            signal.pause()  # until SIGTERM / SIGINT (both raise KeyboardInterrupt)
        except KeyboardInterrupt:
            pass
        finally:
            for running in servers.values():
                running.stop()
            if slapd is not None:
                slapd.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
