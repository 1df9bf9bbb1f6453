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
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone
from django_tenants.middleware.main import TenantMainMiddleware
from django_tenants.utils import schema_exists

from portal import schema_versions

logger = logging.getLogger(__name__)


def public_hostnames() -> set[str]:
    return {settings.BASE_DOMAIN, *getattr(settings, "PUBLIC_EXTRA_HOSTNAMES", ())}


# Host name → collectivité, cached in Redis (issue 17: the lookup was a query and a second
# `SET search_path` on every request). The keys are global (portal/cache.py: not prefixed by
# the schema, since a collectivité is saved from its own site as well as from the
# back-office); saving or deleting a collectivité or a domain forgets its host names
# (`tenant_cache_forget`, connected in portal/apps.py); the TTL bounds anything else.
TENANT_CACHE_PREFIX = "tenancy:host:"
TENANT_CACHE_TTL = 300
_NO_TENANT = "-"


def tenant_cache_forget(hostnames) -> None:
    from django.core.cache import cache

    cache.delete_many([TENANT_CACHE_PREFIX + h for h in hostnames if h])


class PortalTenantMiddleware(TenantMainMiddleware):
    """django-tenants' middleware, with the back-office on BASE_DOMAIN instead of a fake
    tenant row for the syndicate, and the host name → collectivité lookup cached."""

    def get_tenant(self, domain_model, hostname):
        from django.core.cache import cache

        key = TENANT_CACHE_PREFIX + hostname
        cached = cache.get(key)
        if cached == _NO_TENANT:
            raise domain_model.DoesNotExist
        if cached is not None:
            return cached
        try:
            tenant = super().get_tenant(domain_model, hostname)
        except domain_model.DoesNotExist:
            cache.set(key, _NO_TENANT, TENANT_CACHE_TTL)
            raise
        cache.set(key, tenant, TENANT_CACHE_TTL)
        return tenant

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


def tenant_template_pending_migrations() -> int:
    """How many migrations the template schema still lacks (0 when it is up to date): the
    code's migrations (read from disk once per process) against the template's own table,
    one indexed query — not a migration executor per call, whose table listing scans the
    whole of pg_class (issue 17: creation slowed with the number of schemas)."""
    return len(schema_versions.missing_in(settings.TENANT_BASE_SCHEMA))


def tenant_template_ensure() -> None:
    """Create or migrate the template schema so that a copy of it is a complete tenant.

    Copies carry the template's migration records, so a template that lagged behind the code
    would make incomplete tenants: check it first. An exclusive advisory lock serialises this
    with concurrent creations (and their copies, which hold the lock shared)."""
    template = settings.TENANT_BASE_SCHEMA
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [_TEMPLATE_LOCK])
    try:
        if schema_exists(template) and not tenant_template_pending_migrations():
            return
        if not schema_exists(template):
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE SCHEMA "{template}"')
        template_shape_forget()
        logger.info("Migrating the tenant template schema %s", template)
        call_command(
            "migrate_schemas", schema_name=template, tenant=True, interactive=False, verbosity=0
        )
    finally:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_TEMPLATE_LOCK])


# --- Cloning the template ------------------------------------------------------------------
#
# django-tenants ships a generic PL/pgSQL clone_schema() whose catalogue queries grow with the
# whole database: measured at 3.5 s for a two-table template in a database of a dozen schemas
# (bench/tenant_create.py), slower than migrating. A Django schema holds tables with their
# constraints, indexes, identity sequences and comments, which this copies directly, keeping
# every name (later migrations drop and rename constraints and indexes by name). Anything else
# in the template (views, functions, triggers, types, free-standing sequences, storage
# options) makes `_template_shape` say no, and creation falls back to the migrations.

# Advisory lock key shared by the template's upkeep (exclusive) and its copies (shared).
_TEMPLATE_LOCK = 0x706F7274  # "port"


@dataclass(frozen=True)
class TemplateShape:
    tables: list[tuple[str, list[str], str | None]]  # name, copied columns, table comment
    constraints: list[tuple[str, str, str]]  # table, name, definition
    indexes: list[str]  # CREATE INDEX statements (template-qualified) of plain indexes
    identities: list[tuple[str, str]]  # table, column


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_UNSUPPORTED_SQL = """
SELECT
  (SELECT count(*) FROM pg_class c WHERE c.relnamespace = n.oid
     AND (c.relkind NOT IN ('r', 'i', 'S') OR c.reloptions IS NOT NULL))
+ (SELECT count(*) FROM pg_class s WHERE s.relnamespace = n.oid AND s.relkind = 'S'
     AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                     AND d.objid = s.oid AND d.deptype IN ('a', 'i')))
+ (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = n.oid)
+ (SELECT count(*) FROM pg_type t WHERE t.typnamespace = n.oid AND t.typrelid = 0
     AND t.typcategory <> 'A')
+ (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
     WHERE c.relnamespace = n.oid AND NOT t.tgisinternal)
+ (SELECT count(*) FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid
     WHERE c.relnamespace = n.oid AND pg_get_expr(d.adbin, d.adrelid) LIKE '%%nextval(%%')
FROM pg_namespace n WHERE n.nspname = %s
"""


def _template_shape(cursor, template: str) -> TemplateShape | None:
    """The template's structure, or None when it holds objects this copy does not handle."""
    cursor.execute(_UNSUPPORTED_SQL, [template])
    if cursor.fetchone()[0]:
        return None
    cursor.execute(
        """SELECT c.relname, obj_description(c.oid, 'pg_class'),
                  array_agg(a.attname ORDER BY a.attnum)
                      FILTER (WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '')
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_attribute a ON a.attrelid = c.oid
           WHERE n.nspname = %s AND c.relkind = 'r' GROUP BY c.oid, c.relname ORDER BY c.relname""",
        [template],
    )
    tables = [(name, list(columns or []), comment) for name, comment, columns in cursor.fetchall()]
    cursor.execute(
        """SELECT c.relname, con.conname, pg_get_constraintdef(con.oid)
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


# The template's shape, read once per process and per state of its migrations: reading it
# scans pg_class and pg_type by namespace (no index serves that), which grows with every schema
# of the database — it made creation slow down with the number of collectivités (issue 17).
# The template changes only through migrations (`tenant_template_ensure`); whoever changes it
# by hand calls `template_shape_forget()`.
_shape_cache: dict[tuple, TemplateShape | None] = {}


def template_shape_forget() -> None:
    _shape_cache.clear()


def _cached_template_shape(cursor, template: str) -> TemplateShape | None:
    cursor.execute(f"SELECT count(*), max(id) FROM {_q(template)}.django_migrations")  # noqa: S608
    key = (connection.settings_dict["NAME"], template, *cursor.fetchone())
    if key not in _shape_cache:
        _shape_cache.clear()
        _shape_cache[key] = _template_shape(cursor, template)
    return _shape_cache[key]


def _index_in(statement: str, template: str, new: str) -> str | None:
    """`CREATE INDEX … ON template.t …` rewritten onto the new schema (None if not understood:
    pg_get_indexdef names the table schema-qualified)."""
    for quoted in (_q(template), template):
        for only in ("", "ONLY "):
            marker = f" ON {only}{quoted}."
            if marker in statement:
                return statement.replace(marker, f" ON {only}{new}.", 1)
    return None


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"  # standard_conforming_strings is on


def _copy(cursor, shape: TemplateShape, old: str, new: str, template: str) -> bool:
    """The copy, sent as one batch of statements (no parameters: names are quoted, the few
    literals too): one round trip instead of ~70 (issue 17, creation time)."""
    indexes = [_index_in(statement, template, new) for statement in shape.indexes]
    if None in indexes:
        return False
    statements = [f"CREATE SCHEMA {new}", f"SET search_path = {new}, public"]
    for table, columns, comment in shape.tables:
        target, source = f"{new}.{_q(table)}", f"{old}.{_q(table)}"
        statements.append(
            f"CREATE TABLE {target} (LIKE {source} INCLUDING DEFAULTS INCLUDING IDENTITY "
            "INCLUDING GENERATED INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS)"
        )
        if comment is not None:
            statements.append(f"COMMENT ON TABLE {target} IS {_literal(comment)}")
        if columns:
            names = ", ".join(_q(c) for c in columns)
            statements.append(
                f"INSERT INTO {target} ({names}) OVERRIDING SYSTEM VALUE "  # noqa: S608 (quoted identifiers)
                f"SELECT {names} FROM {source}"
            )
    for table, column in shape.identities:
        statements.append(
            f"SELECT setval(pg_get_serial_sequence({_literal(f'{new}.{_q(table)}')}, "  # noqa: S608
            f"{_literal(column)}), COALESCE(MAX({_q(column)}), 0) + 1, false) "
            f"FROM {new}.{_q(table)}"
        )
    for table, name, definition in shape.constraints:
        statements.append(f"ALTER TABLE {new}.{_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
    statements.extend(indexes)
    cursor.execute(";\n".join(statements))
    return True


def tenant_schema_clone(schema_name: str) -> bool:
    """Create `schema_name` as a copy of the template (structure and rows: migration records,
    content types). Returns False, creating nothing, when the template can't be copied so.

    Runs in a savepoint: a failure leaves nothing half-made. A shared advisory lock keeps the
    template from being migrated while it is read (it is released with the transaction)."""
    template = settings.TENANT_BASE_SCHEMA
    new, old = _q(schema_name), _q(template)
    previous = connection.tenant
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [_TEMPLATE_LOCK])
            # Definitions are read with the template first on the search path, so that they
            # name its tables unqualified and public tables (users…) through public.
            cursor.execute(f"SET LOCAL search_path = {old}, public")
            shape = _cached_template_shape(cursor, template)
            if shape is None or not _copy(cursor, shape, old, new, template):
                transaction.set_rollback(True)
                return False
    finally:
        connection.set_tenant(previous)  # also makes django-tenants set search_path again
    return True


def tenant_schema_create(collectivite) -> None:
    """Give a new collectivité its schema: a copy of the template, or the migrations; either
    way it has every migration of the code, which its `SchemaVersion` records (the deploy
    command then leaves it alone)."""
    from portal.models import SchemaVersion

    if not settings.TENANT_CLONE_TEMPLATE or not tenant_schema_clone(collectivite.schema_name):
        if settings.TENANT_CLONE_TEMPLATE:
            logger.warning("Template not copyable: migrating %s instead", collectivite.schema_name)
        collectivite.create_schema(check_if_exists=False, verbosity=0)
    SchemaVersion.objects.update_or_create(
        schema_name=collectivite.schema_name,
        defaults={"fingerprint": schema_versions.fingerprint(), "migrated_at": timezone.now()},
    )
