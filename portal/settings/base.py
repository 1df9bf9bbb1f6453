"""Settings shared by every environment, driven by environment variables."""

from __future__ import annotations

import os
from pathlib import Path

import csp.constants as csp
import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "oui"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


SECRET_KEY = env("SECRET_KEY", "dev-only-insecure-key-change-me-in-production")
DEBUG = False

# The syndicate's back-office answers on BASE_DOMAIN; each collectivité on <slug>.BASE_DOMAIN.
# `*.localhost` resolves to the loopback address in browsers without any DNS set-up.
BASE_DOMAIN = env("BASE_DOMAIN", "portail.localhost")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", f".{BASE_DOMAIN},{BASE_DOMAIN}")
PORTAL_SCHEME = env("PORTAL_SCHEME", "http")
PORTAL_PORT = env("PORTAL_PORT", "")  # appended to links in e-mails when not the default port

# --- Applications -------------------------------------------------------------------------
# DESIGN §2: what the syndicate owns lives in the public schema, what belongs to one
# collectivité's daily operation lives in its own schema.
SHARED_APPS = [
    "django_tenants",
    "portal.apps.PortalConfig",  # tenant model, users, memberships, audit log
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "ninja",
    "catalogue.apps.CatalogueConfig",
    "contracts.apps.ContractsConfig",
    "billing.apps.BillingConfig",
    "status.apps.StatusConfig",  # service status, announcements, feeds (issue 13)
    "trainings.apps.TrainingsConfig",  # sessions shared by collectivités, billed (F1)
    "lifecycle.apps.LifecycleConfig",  # retention, suspension, notices, reversibility (issue 15)
    "support.apps.SupportConfig",  # assistance: tickets, SLA calendars, guides, estimates
    "onboarding.apps.OnboardingConfig",  # import of existing members (CSV, XLSX)
    "workqueues.apps.WorkQueuesConfig",  # no models: home pages' work queues, both schemas
    "documents.apps.DocumentsConfig",  # no models: a collectivité's documents in one place
    "projections.apps.ProjectionsConfig",  # what the back-office reads of every tenant (issue 17)
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "accounts.apps.AccountsConfig",  # service accounts, quotas, provisioning events
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "portal.Collectivite"
TENANT_DOMAIN_MODEL = "portal.Domain"
PUBLIC_SCHEMA_URLCONF = "portal.urls_public"
ROOT_URLCONF = "portal.urls_tenants"
# New collectivités are copied from a migrated template schema instead of replaying every
# migration (portal.tenancy: keeps the template up to date, copies it, and falls back to
# django-tenants' migrating creation when the template holds what the copy can't handle).
TENANT_BASE_SCHEMA = "tenant_template"
TENANT_CREATION_FAKES_MIGRATIONS = False
TENANT_CLONE_TEMPLATE = env_bool("TENANT_CLONE_TEMPLATE", True)  # False: always migrate
# Set the search_path once per request, not before every query.
TENANT_LIMIT_SET_CALLS = True
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

# French pages in the portal's layout for a refused form (portal.views.pages).
CSRF_FAILURE_VIEW = "portal.views.pages.csrf_failure"

MIDDLEWARE = [
    "portal.tenancy.PortalTenantMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.middleware.StaffSecondFactorMiddleware",
    "csp.middleware.CSPMiddleware",
]

# Issue 18: a Content-Security-Policy on every page. Scripts only from our own static files
# (htmx, vendored); styles from our files plus the one <style> of the layout (brand colours),
# which carries the request's nonce; no inline script, no style attribute, no frame.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF],
        "style-src": [csp.SELF, csp.NONCE],
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF],
        "connect-src": [csp.SELF],
        # a form may lead to another site of the portal: "Changer de collectivité" posts on
        # this site and is redirected to the other one (a redirect form-action also checks)
        "form-action": [csp.SELF, f"{BASE_DOMAIN}:*", f"*.{BASE_DOMAIN}:*"],
        "frame-ancestors": [csp.NONE],
        "base-uri": [csp.SELF],
        "object-src": [csp.NONE],
    }
}

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
                "status.context_processors.status_banner",
            ],
        },
    }
]

WSGI_APPLICATION = "portal.wsgi.application"

# --- Database ----------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portail"),
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "60")),
    )
}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, sessions ---------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # P4: every cache key carries the tenant's schema name (sign-in throttling aside).
        "KEY_FUNCTION": "portal.cache.make_key",
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", "portail"),
    }
}
# P4: sessions are bound to the host (schema) that created them; see portal/sessions.py.
SESSION_ENGINE = "portal.sessions"
SESSION_COOKIE_NAME = "portail_session"
SESSION_COOKIE_DOMAIN = None  # host-only
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 10  # a working day
CSRF_COOKIE_DOMAIN = None  # host-only
CSRF_COOKIE_NAME = "portail_csrftoken"

# --- Authentication ----------------------------------------------------------------------
AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "portal.validators.CnilPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "portal.adapters.PortalAccountAdapter"
ACCOUNT_FORMS = {"login": "portal.forms.PortalLoginForm"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Portail] "
# P1: failed sign-ins are throttled per account *and* address (see the adapter), so that one
# shared town-hall address is never locked out because of someone else's mistakes; a looser
# limit per address (IPv6 by /64) stops one machine from trying many accounts, and one per
# account stops guesses spread over many addresses. Counters are shared by every site.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "20/m/ip,5/15m/key",
    "login_failed_account": "30/h/key",
    "login": "60/m/ip",
    "reset_password": "5/h/ip,3/h/key",
    "reset_password_from_key": "20/m/ip",
}
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_ADAPTER = "portal.adapters.PortalMFAAdapter"
# Fernet keys for second-factor secrets at rest, newest first (portal/crypto.py); empty: derived
# from SECRET_KEY. Rotation: new key first, `manage.py rotate_mfa_secrets`, then drop the old.
MFA_ENCRYPTION_KEYS = env_list("MFA_ENCRYPTION_KEYS")
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TOTP_ISSUER = env("MFA_TOTP_ISSUER", "Portail du syndicat")
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = False

# --- Internationalisation ----------------------------------------------------------------
# French first: pages are French whatever the browser asks (no LocaleMiddleware) until the
# English catalogue exists; every string is marked for translation already.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
# Numbers are grouped only where asked (intcomma, euros, quantity): a grouped id in an
# attribute or a form value ("1 162") would break it.
USE_THOUSAND_SEPARATOR = False

# --- Static and media --------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = "/fichiers/"  # never served directly: files go through views that check rights
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- E-mail ------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "20"))  # a stuck relay must not block a worker
DEFAULT_FROM_EMAIL = env(
    "DEFAULT_FROM_EMAIL", "Portail du syndicat <ne-pas-repondre@portail.localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Budget estimate (issue 16): the day each autumn (MM-DD) it is e-mailed to the members.
ESTIMATE_NOTICE_DATE = env("ESTIMATE_NOTICE_DATE", "10-15")

# Assistance (support app): replies go to the support mailbox, read back over IMAP by a beat job.
SUPPORT_MAILBOX_ADDRESS = env("SUPPORT_MAILBOX_ADDRESS", "")
SUPPORT_MAIL_DOMAIN = env("SUPPORT_MAIL_DOMAIN", "")  # Message-ID domain; BASE_DOMAIN if empty
SUPPORT_IMAP_HOST = env("SUPPORT_IMAP_HOST", "")
SUPPORT_IMAP_PORT = int(env("SUPPORT_IMAP_PORT", "993") or 993)
SUPPORT_IMAP_USER = env("SUPPORT_IMAP_USER", "")
SUPPORT_IMAP_PASSWORD = env("SUPPORT_IMAP_PASSWORD", "")
SUPPORT_IMAP_SSL = env_bool("SUPPORT_IMAP_SSL", True)

# --- Celery ------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Issue 18: a request that sends a task never waits long on a broker that is away — the task
# is in the outbox (portal/outbox.py) and the sweeper sends it later.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_REDIS_SOCKET_TIMEOUT = 5

# --- Connectors to the real systems (issue 6, accounts/connectors/) ------------------------
# A system left unconfigured makes its accounts fail with "non configuré", never silently.
DIRECTORY_URL = env("DIRECTORY_URL", "")  # ldap://host:389 or ldaps://host:636
DIRECTORY_BIND_DN = env("DIRECTORY_BIND_DN", "")
DIRECTORY_BIND_PASSWORD = env("DIRECTORY_BIND_PASSWORD", "")
DIRECTORY_BASE_DN = env("DIRECTORY_BASE_DN", "")
BLUEMIND_URL = env("BLUEMIND_URL", "")
BLUEMIND_API_KEY = env("BLUEMIND_API_KEY", "")
ZIMBRA_URL = env("ZIMBRA_URL", "")  # https://mail.example.fr:7071 (SOAP admin service)
ZIMBRA_ADMIN_USER = env("ZIMBRA_ADMIN_USER", "")
ZIMBRA_ADMIN_PASSWORD = env("ZIMBRA_ADMIN_PASSWORD", "")
NEXTCLOUD_URL = env("NEXTCLOUD_URL", "")
NEXTCLOUD_USER = env("NEXTCLOUD_USER", "")
NEXTCLOUD_PASSWORD = env("NEXTCLOUD_PASSWORD", "")  # an app password of an admin account
BIGBLUEBUTTON_URL = env("BIGBLUEBUTTON_URL", "")  # https://visio.example.fr/bigbluebutton/
BIGBLUEBUTTON_SECRET = env("BIGBLUEBUTTON_SECRET", "")
CONNECTOR_TIMEOUT = float(env("CONNECTOR_TIMEOUT", "10"))
# Mailboxes are <login>@<domain>: the collectivité's own mail domain when it has one, else
# <slug>.<MAIL_DEFAULT_DOMAIN>.
MAIL_DEFAULT_DOMAIN = env("MAIL_DEFAULT_DOMAIN", "mail.localhost")

# --- The end of a membership (issue 15, lifecycle/) ------------------------------------------
# L2: an invoice unpaid this many days after its due date gets a formal notice; this many days
# after the notice, the suspension is proposed to the syndicate (who confirms it).
SUSPENSION_OVERDUE_DAYS = int(env("SUSPENSION_OVERDUE_DAYS", "30"))
SUSPENSION_NOTICE_DAYS = int(env("SUSPENSION_NOTICE_DAYS", "15"))

# --- API ---------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50

# --- Service status (issue 13, status/) --------------------------------------------------
STATUS_ALERTMANAGER_TOKEN = env("STATUS_ALERTMANAGER_TOKEN", "")  # bearer of the webhook
STATUS_MAINTENANCE_NOTICE_DAYS = int(env("STATUS_MAINTENANCE_NOTICE_DAYS", "3"))

# --- Logging -----------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "factur-x": {"level": "WARNING"},  # one INFO line per step of every invoice otherwise
        "facturx": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
