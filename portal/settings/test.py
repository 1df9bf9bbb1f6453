"""Tests: a real PostgreSQL and a real Redis (see scripts/services.py), fast hashing."""

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .base import *  # noqa: F403
from .base import BASE_DIR, env, env_bool

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "test-media")))
CACHES["default"]["KEY_PREFIX"] = env("CACHE_KEY_PREFIX", "portail-test")  # noqa: F405

# Tests use their own Redis database, which they flush between tests (rate limits, cache).
TEST_REDIS_URL = env(
    "TEST_REDIS_URL",
    urlunsplit(urlsplit(REDIS_URL)._replace(path="/15")),  # noqa: F405
)
CACHES["default"]["LOCATION"] = TEST_REDIS_URL  # noqa: F405
CELERY_BROKER_URL = env("CELERY_BROKER_URL", TEST_REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", TEST_REDIS_URL)
# Tasks run inline unless a test starts a real worker (tests/portal/integration/test_celery.py);
# a worker process started by a test (tests/billing/integration/test_killed_worker.py) sends
# its own tasks through the broker: CELERY_TASK_ALWAYS_EAGER=false in its environment.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", True)
CELERY_TASK_EAGER_PROPAGATES = True
PORTAL_PORT = ""
# Static files come from the apps' folders (runserver, test server): no collected root.
MIDDLEWARE = [m for m in MIDDLEWARE if not m.startswith("whitenoise")]  # noqa: F405
