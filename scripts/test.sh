#!/usr/bin/env bash
# `make test`: lint, Django checks, then pytest, against a real PostgreSQL and Redis:
# DATABASE_URL / REDIS_URL when set, else servers on the standard local ports, else embedded
# ones (scripts/services.py, data in .data/test/). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
services_pid=""
env_file=""

finish() {
    local status=$?
    if [ -n "$services_pid" ] && kill -0 "$services_pid" 2>/dev/null; then
        kill -TERM "$services_pid" 2>/dev/null || true
        wait "$services_pid" 2>/dev/null || true
    fi
    [ -n "$env_file" ] && rm -f "$env_file" "$env_file.tmp"
    local elapsed=$(( $(date +%s) - started ))
    if [ "$status" -eq 0 ]; then
        echo "==> Tests réussis en $((elapsed / 60)) min $((elapsed % 60)) s."
    else
        echo "==> ÉCHEC (code $status) après $((elapsed / 60)) min $((elapsed % 60)) s." >&2
    fi
    exit "$status"
}
trap finish EXIT

step() { echo; echo "==> $*"; }

if [ ! -x .venv/bin/python ]; then
    echo "Pas d'environnement virtuel : lancez « make test » (ou « make install »)." >&2
    exit 1
fi

# --- Chromium, for the Playwright browser tests -------------------------------------------
if [ ! -x /usr/bin/chromium ]; then
    step "Installation de Chromium (tests navigateur)"
    as_root=()
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then as_root=(sudo); fi
    if command -v apt-get >/dev/null; then
        if ! { "${as_root[@]}" apt-get update &&
               "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
                   apt-get install -y --no-install-recommends chromium; }; then
            echo "ATTENTION : l'installation de Chromium a échoué ; les tests navigateur échoueront." >&2
        fi
    else
        echo "ATTENTION : apt-get est absent, Chromium (/usr/bin/chromium) n'est pas installé ;" \
             "les tests navigateur échoueront." >&2
    fi
fi

# --- OpenLDAP slapd, for the directory connector tests --------------------------------------
# Only the binaries are used: the tests start their own slapd (scripts/slapd.py) on a free port
# of 127.0.0.1 with a configuration in a temporary folder. The preseed below tells the
# package not to configure a system directory (no question asked, no database created), so
# the start its postinst attempts finds no configuration and nothing listens on port 389; a
# system slapd that is already running is left alone and is not used either.
if [ ! -x /usr/sbin/slapd ]; then
    step "Installation d'OpenLDAP slapd (tests de l'annuaire)"
    as_root=()
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then as_root=(sudo); fi
    if command -v apt-get >/dev/null; then
        if ! { echo "slapd slapd/no_configuration boolean true" |
                   "${as_root[@]}" debconf-set-selections &&
               "${as_root[@]}" apt-get update &&
               "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
                   apt-get install -y --no-install-recommends slapd ldap-utils; }; then
            echo "ATTENTION : l'installation de slapd a échoué ; les tests de l'annuaire échoueront." >&2
        fi
    else
        echo "ATTENTION : apt-get est absent, slapd (/usr/sbin/slapd) n'est pas installé ;" \
             "les tests de l'annuaire échoueront." >&2
    fi
fi

# --- Dovecot IMAP, for the support mailbox tests (tests/support/dovecot.py starts its own) -----
if [ ! -x /usr/sbin/dovecot ]; then
    step "Installation de Dovecot IMAP (tests de la boîte du support)"
    as_root=()
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then as_root=(sudo); fi
    if ! { "${as_root[@]}" apt-get update &&
           "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
               apt-get install -y --no-install-recommends dovecot-imapd; }; then
        echo "ATTENTION : l'installation de Dovecot a échoué ; les tests de la boîte du support échoueront." >&2
    fi
fi

# --- HarfBuzz-Subset, for WeasyPrint's font subsetting -------------------------------------
# Without it WeasyPrint falls back to fontTools: correct, but ~3× slower per PDF (bench/).
if ! /sbin/ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset\.so\.0'; then
    step "Installation de libharfbuzz-subset0 (PDF plus rapides)"
    as_root=()
    if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then as_root=(sudo); fi
    if command -v apt-get >/dev/null; then
        "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y --no-install-recommends libharfbuzz-subset0 ||
            echo "ATTENTION : libharfbuzz-subset0 non installé ; les PDF seront plus lents." >&2
    fi
fi

# --- PostgreSQL and Redis ------------------------------------------------------------------
step "PostgreSQL et Redis"
mkdir -p .data
env_file=$(mktemp .data/test-env.XXXXXX)
.venv/bin/python scripts/services.py --for-tests --env-file "$env_file" &
services_pid=$!
deadline=$(( $(date +%s) + 300 ))
until [ -s "$env_file" ]; do
    if ! kill -0 "$services_pid" 2>/dev/null; then
        services_status=0
        wait "$services_pid" || services_status=$?
        services_pid=""
        if [ -s "$env_file" ]; then break; fi
        echo "Impossible de fournir PostgreSQL et Redis (code $services_status)." >&2
        exit 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
        echo "PostgreSQL et Redis ne sont pas prêts après 5 minutes." >&2
        exit 1
    fi
    sleep 0.2
done
while IFS= read -r line; do
    [ -n "$line" ] && export "${line?}"
done < "$env_file"

# --- Checks and tests ------------------------------------------------------------------------
step "ruff check"
.venv/bin/ruff check .
step "ruff format --check"
.venv/bin/ruff format --check .
step "mypy (règles pures)"
.venv/bin/mypy
step "manage.py check"
DJANGO_SETTINGS_MODULE=portal.settings.test .venv/bin/python manage.py check
step "manage.py check --deploy (réglages de production)"
DJANGO_SETTINGS_MODULE=portal.settings.production \
    SECRET_KEY="check-deploy-$(head -c 48 /dev/urandom | base64 | tr -d '/+=')" \
    ALLOWED_HOSTS=portail.example.fr BASE_DOMAIN=portail.example.fr \
    .venv/bin/python manage.py check --deploy --fail-level WARNING
step "manage.py makemigrations --check --dry-run"
DJANGO_SETTINGS_MODULE=portal.settings.test .venv/bin/python manage.py makemigrations --check --dry-run
step "pytest $*"
pytest_status=0
.venv/bin/pytest "$@" || pytest_status=$?
if [ "$pytest_status" -eq 5 ]; then
    echo "pytest n'a collecté aucun test : c'est une erreur." >&2
fi
exit "$pytest_status"
