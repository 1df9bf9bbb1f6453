#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys
from pathlib import Path


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")
    _services_of_make_run()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


def _services_of_make_run() -> None:
    """In development, reach the services `make run` started (.data/run.env) unless the
    environment names others."""
    run_env = Path(__file__).resolve().parent / ".data" / "run.env"
    if os.environ["DJANGO_SETTINGS_MODULE"] != "portal.settings.dev" or not run_env.exists():
        return
    for line in run_env.read_text().splitlines():
        name, _, value = line.partition("=")
        if name and value:
            os.environ.setdefault(name, value)


if __name__ == "__main__":
    main()
