# Image of the portal: the same image runs the web server (default command), the Celery
# worker and beat, and the migrations (see docker-compose.yml and docs/deployment.md).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=portal.settings.production

# Libraries WeasyPrint loads at run time (Pango >= 1.44, HarfBuzz and its subsetter,
# Fontconfig) and a base font set: see WeasyPrint's "First steps" for Debian >= 11.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz0b \
        libharfbuzz-subset0 \
        libfontconfig1 \
        fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# Unprivileged user; its home holds Gunicorn's control socket and Fontconfig's cache.
# /var/lib/portail holds the volumes (media files, Celery beat's schedule): created here so
# that new named volumes are initialised with this ownership.
RUN groupadd --gid 1000 portail \
    && useradd --uid 1000 --gid portail --create-home --home-dir /home/portail \
        --shell /usr/sbin/nologin portail \
    && install -d -o portail -g portail -m 0750 /var/lib/portail /var/lib/portail/media

# Dependencies first (this layer is rebuilt only when pyproject.toml changes). pyproject.toml
# declares no package (`packages = []`): installing it brings the dependencies and an empty
# distribution; the application runs from the source tree in /app (WORKDIR, PYTHONPATH).
# Built outside /app so that no build/ or *.egg-info is left in the image.
COPY pyproject.toml /tmp/build/pyproject.toml
RUN pip install /tmp/build && rm -rf /tmp/build

WORKDIR /app
COPY . .

# Static files collected at build time (whitenoise serves them from /app/var/static).
# production.py refuses short or dev keys: this placeholder is used for this command only.
RUN SECRET_KEY=build-time-only-placeholder-for-collectstatic-never-used-at-run-time \
    python manage.py collectstatic --noinput

# The code stays owned by root: the application cannot modify itself.
USER portail

EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
