"""Settings of the scale benchmarks: development settings without DEBUG (no query log), with
one bare view added to each site behind the same middleware (`/__bare__/`), the baseline the
pages are compared with."""

import os
import sys

from portal.settings.dev import *  # noqa: F403

DEBUG = False
PUBLIC_SCHEMA_URLCONF = "bench.urls_bench_public"
ROOT_URLCONF = "bench.urls_bench_tenants"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = False
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}}
# Static files served by the application as in production (WhiteNoise), from the apps'
# folders (no collectstatic for a bench).
MIDDLEWARE = list(MIDDLEWARE)  # noqa: F405
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
WHITENOISE_USE_FINDERS = True


# bench/tenants_scale.py measures one new migration from a temporary copy of
# accounts/migrations (never written into the source tree).
if os.environ.get("BENCH_ACCOUNTS_MIGRATIONS"):
    sys.path.insert(0, os.environ["BENCH_ACCOUNTS_MIGRATIONS"])
    MIGRATION_MODULES = {"accounts": "bench_accounts_migrations"}
