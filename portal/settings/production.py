"""Production: everything from the environment; passes `manage.py check --deploy`."""

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import SECRET_KEY, env, env_bool

if SECRET_KEY.startswith("dev-only") or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "SECRET_KEY doit être défini (au moins 50 caractères) en production."
    )

for _key in MFA_ENCRYPTION_KEYS:  # noqa: F405
    try:
        Fernet(_key.encode())
    except ValueError as _error:
        raise ImproperlyConfigured(
            "MFA_ENCRYPTION_KEYS : chaque clé doit être une clé Fernet (32 octets en base64 "
            "URL), par exemple celle que donne « python -c 'from cryptography.fernet import "
            "Fernet; print(Fernet.generate_key().decode())' »."
        ) from _error

DEBUG = False
PORTAL_SCHEME = "https"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Reverse proxies in front of gunicorn that append to X-Forwarded-For: sign-in throttling
# (P1) keys on the real client address, not the proxy's.
ALLAUTH_TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "1"))
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = [
    # HSTS preload is a one-way door for every sub-domain; the operator opts in explicitly.
    "security.W021",
]

# PostgreSQL's lock table is a server setting, not Django's: `max_locks_per_transaction`
# (docker-compose.yml sets 1024, POSTGRES_MAX_LOCKS_PER_TRANSACTION). The portal's requests
# and jobs take a constant number of locks whatever the number of collectivités (they read the
# public projection and enter one schema at a time; tests/portal/integration/
# test_request_locks.py), so the default of 64 would serve them; what needs more is pg_dump,
# which locks every table of every schema in one transaction (~10 tables and sequences per collectivité:
# 3,000 collectivités need ~30,000 slots, i.e. max_locks_per_transaction × max_connections).
# `manage.py migrate_tenants` prints both figures at each deploy.
