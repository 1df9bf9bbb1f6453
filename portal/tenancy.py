"""Tenancy: which schema a request runs in, and the template schema new tenants are cloned from.

- The syndicate's back-office answers on BASE_DOMAIN, in the public schema, with no tenant row.
- Each collectivité answers on its own domain, in its own schema.
- Any other host name is a 404 (never the back-office by accident).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

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


# --- Cloning the template ------------------------------------------------------------------
#
# django-tenants ships a generic PL/pgSQL clone_schema() whose catalogue queries grow with the
# whole database: measured at 3.5 s for a two-table template in a database of a dozen schemas
# (bench/tenant_create.py), slower than migrating. A Django schema holds only tables, their
# constraints, indexes and identity sequences, which this copies directly, keeping every name
# (later migrations drop and rename constraints and indexes by name). Anything else in the
# template (views, functions, triggers, sequences behind serial defaults) makes
# `tenant_schema_cloneable()` say no, and creation falls back to running the migrations.


@dataclass(frozen=True)
class TemplateShape:
    tables: list[str]
    constraints: list[tuple[str, str, str, str]]  # table, name, type, definition
    indexes: list[str]  # CREATE INDEX statements of indexes that back no constraint
    identities: list[tuple[str, str]]  # table, column


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _template_shape(cursor, template: str) -> TemplateShape | None:
    """The template's structure, or None when it holds objects this copy does not handle."""
    cursor.execute(
        """SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = %s AND c.relkind NOT IN ('r', 'i', 'S')""",
        [template],
    )
    others = cursor.fetchone()[0]
    cursor.execute(
        """SELECT (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                   WHERE n.nspname = %s)
                + (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = %s AND NOT t.tgisinternal)
                + (SELECT count(*) FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = %s AND pg_get_expr(d.adbin, d.adrelid) LIKE '%%nextval(%%')""",
        [template, template, template],
    )
    if others or cursor.fetchone()[0]:
        return None
    cursor.execute(
        """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = %s AND c.relkind = 'r' ORDER BY c.relname""",
        [template],
    )
    tables = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        """SELECT c.relname, con.conname, con.contype, pg_get_constraintdef(con.oid)
           FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = %s AND con.contype IN ('p', 'u', 'x', 'f')
           ORDER BY con.contype = 'f', c.relname, con.conname""",
        [template],
    )
    constraints = list(cursor.fetchall())
    cursor.execute(
        """SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
           JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = %s AND NOT EXISTS (
               SELECT 1 FROM pg_constraint con
               WHERE con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x'))
           ORDER BY 1""",
        [template],
    )
    indexes = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        """SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = %s AND a.attidentity <> '' AND NOT a.attisdropped""",
        [template],
    )
    return TemplateShape(tables, constraints, indexes, list(cursor.fetchall()))


def tenant_schema_clone(schema_name: str) -> bool:
    """Create `schema_name` as a copy of the template (structure and rows: migration records,
    content types). Returns False, creating nothing, when the template can't be copied so."""
    template = settings.TENANT_BASE_SCHEMA
    new, old = _q(schema_name), _q(template)
    with connection.cursor() as cursor:
        # Definitions are read with the template first on the search path, so that they name
        # its tables unqualified and public tables (users…) through public, as migrations do.
        cursor.execute(f"SET search_path = {old}, public")
        try:
            shape = _template_shape(cursor, template)
            if shape is None:
                return False
            cursor.execute(f"CREATE SCHEMA {new}")
            cursor.execute(f"SET search_path = {new}, public")
            for table in shape.tables:
                cursor.execute(
                    f"CREATE TABLE {new}.{_q(table)} (LIKE {old}.{_q(table)} INCLUDING DEFAULTS "
                    "INCLUDING IDENTITY INCLUDING GENERATED INCLUDING CONSTRAINTS "
                    "INCLUDING STORAGE INCLUDING COMMENTS)"
                )
                copy = f"INSERT INTO {new}.{_q(table)} SELECT * FROM {old}.{_q(table)}"  # noqa: S608 (quoted identifiers from the catalogue)
                cursor.execute(copy)
            for table, column in shape.identities:
                restart = (
                    "SELECT setval(pg_get_serial_sequence(%s, %s), "  # noqa: S608 (quoted identifiers)
                    f"COALESCE(MAX({_q(column)}), 0) + 1, false) FROM {new}.{_q(table)}"
                )
                cursor.execute(restart, [f"{new}.{_q(table)}", column])
            for table, name, _kind, definition in shape.constraints:
                cursor.execute(
                    f"ALTER TABLE {new}.{_q(table)} ADD CONSTRAINT {_q(name)} {definition}"
                )
            for statement in shape.indexes:
                cursor.execute(statement)
        finally:
            connection.set_schema_to_public()
            cursor.execute("SET search_path = public")
    return True


def tenant_schema_create(collectivite) -> None:
    """Give a new collectivité its schema: a copy of the template, or the migrations."""
    if not settings.TENANT_CLONE_TEMPLATE or not tenant_schema_clone(collectivite.schema_name):
        if settings.TENANT_CLONE_TEMPLATE:
            logger.warning("Template not copyable: migrating %s instead", collectivite.schema_name)
        collectivite.create_schema(check_if_exists=False, verbosity=0)
