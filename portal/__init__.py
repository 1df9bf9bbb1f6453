"""The portal project: settings, URLs, the Celery app, tenancy and the public-schema core."""

from .celery import app as celery_app

__all__ = ["celery_app"]
