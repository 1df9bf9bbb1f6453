"""Tenancy: which schema a request runs in, and the template schema new tenants are cloned from.

- The syndicate's back-office answers on BASE_DOMAIN, in the public schema, with no tenant row.
- Each collectivité answers on its own domain, in its own schema.
- Any other host name is a 404 (never the back-office by accident).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import Http404
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import schema_exists

logger = logging.getLogger(__name__)


def public_hostnames() -> set[str]:
    return {settings.BASE_DOMAIN, *getattr(settings, "PUBLIC_EXTRA_HOSTNAMES", ())}


class PortalTenantMiddleware(TenantMainMiddleware):
    """django-tenants' middleware, with the back-office on BASE_DOMAIN instead of a fake
    tenant row for the syndicate."""

    def no_tenant_found(self, request, hostname):
        if hostname in public_hostnames():
            connection.set_schema_to_public()
            request.tenant = None
            self.setup_url_routing(request, force_public=True)
            return None
        raise Http404("Aucun site ne correspond à cette adresse.")


def is_public_request(request) -> bool:
    return getattr(request, "tenant", None) is None


# --- The template schema ------------------------------------------------------------------


def _tenant_migration_targets(executor: MigrationExecutor) -> list[tuple[str, str]]:
    return executor.loader.graph.leaf_nodes()


def tenant_template_pending_migrations() -> int:
    """How many migrations the template schema still lacks (0 when it is up to date)."""
    template = settings.TENANT_BASE_SCHEMA
    previous = connection.schema_name
    try:
        connection.set_schema(template, include_public=False)
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(_tenant_migration_targets(executor))
        # Shared apps' migrations are faked as applied in tenant schemas by migrate_schemas;
        # only count those the router would run here.
        return len([m for m, backwards in plan if not backwards])
    finally:
        connection.set_schema(previous)


def tenant_template_ensure() -> None:
    """Create or migrate the template schema so that a clone of it is a complete tenant.

    django-tenants fakes every migration on a cloned schema (TENANT_CREATION_FAKES_MIGRATIONS),
    so a template that lagged behind the code would make incomplete tenants: check it first.
    """
    template = settings.TENANT_BASE_SCHEMA
    if not schema_exists(template):
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{template}"')
    elif not tenant_template_pending_migrations():
        return
    logger.info("Migrating the tenant template schema %s", template)
    call_command(
        "migrate_schemas", schema_name=template, tenant=True, interactive=False, verbosity=0
    )
    connection.set_schema_to_public()
