"""The demo journeys of the browser suite (tests/browser/demo_site.py): test settings on a
throwaway database holding `load_demo`'s data, with the clock frozen on PORTAL_FROZEN_AT
(ticking from there) for every process that imports them, and e-mails written to files
that the test reads (invitation links). Never used outside that test."""

import os

import time_machine

from .test import *  # noqa: F403
from .test import BASE_DIR

_FROZEN_AT = os.environ.get("PORTAL_FROZEN_AT")
if _FROZEN_AT:
    time_machine.travel(_FROZEN_AT, tick=True).start()

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ.get("PORTAL_JOURNEY_MAIL_DIR") or str(
    BASE_DIR / "var" / "journey-mail"
)
# Tasks run inline (provisioning, billing, PDFs): the journey needs no worker.
CELERY_TASK_ALWAYS_EAGER = True
PORTAL_PORT = os.environ.get("PORTAL_PORT", "")  # the test server's: links between sites
