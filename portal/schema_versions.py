"""What migrations the code has, what a schema has, and how to bring one schema up to date
without django-tenants' per-schema `migrate` command (which reconnects, reruns the system
checks and reloads every migration module for each schema).

The code's migrations are read from disk once per process; a schema's from its own
`django_migrations` table (one indexed query). `fingerprint()` names the code's set of
migrations: a schema whose `SchemaVersion` carries it is up to date, which lets the deploy
command find the schemas behind in one query over the public schema.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.db.migrations.state import ProjectState


@lru_cache(maxsize=1)
def code_migrations() -> frozenset[tuple[str, str]]:
    """Every migration of every installed app, as on disk (the graph's nodes)."""
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


@lru_cache(maxsize=1)
def fingerprint() -> str:
    names = "\n".join(f"{app}.{name}" for app, name in sorted(code_migrations()))
    return hashlib.sha256(names.encode()).hexdigest()


def applied_in(schema: str) -> set[tuple[str, str]]:
    """The migrations recorded in `schema` (empty when it has no migration table)."""
    if not applied_table_exists(schema):
        return set()
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')  # noqa: S608
        return {(app, name) for app, name in cursor.fetchall()}


def missing_in(schema: str) -> set[tuple[str, str]]:
    return set(code_migrations()) - applied_in(schema)


def _post_migrate(plan, state) -> None:
    """`post_migrate` (content types…) for the apps whose migrations were applied here and
    that live in tenant schemas only — not Django's `emit_post_migrate_signal`, which
    queries the content types of every installed app in every schema."""
    from django.apps import apps
    from django.db.models.signals import post_migrate

    labels = {migration.app_label for migration, _ in plan}
    for app_config in apps.get_app_configs():
        if app_config.label in labels and app_config.models_module is not None:
            post_migrate.send(
                sender=app_config,
                app_config=app_config,
                verbosity=0,
                interactive=False,
                using=connection.alias,
                apps=state.apps,
                plan=plan,
            )


class SchemaRecorder(MigrationRecorder):
    """Django's recorder, asking whether the active schema has its migration table with one
    indexed lookup instead of listing every table of the database (`table_names` scans all
    of pg_class, which grows with every schema)."""

    def has_table(self) -> bool:
        if not self._has_table:
            self._has_table = bool(applied_table_exists(self.connection.schema_name))
        return self._has_table


def applied_table_exists(schema: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f'"{schema}".django_migrations'])
        return cursor.fetchone()[0] is not None


_executor: MigrationExecutor | None = None
# The models as the applied migrations leave them, rendered once per set of applied migrations
# (every schema of a deploy has the same): rendering them took ~115 ms of the ~137 ms a schema
# cost with one new migration (bench/README.md). Each schema migrates a copy.
_rendered: dict[frozenset, ProjectState] = {}


def _state_before(executor: MigrationExecutor) -> ProjectState:
    applied = frozenset(executor.loader.applied_migrations)
    state = _rendered.get(applied)
    if state is None:
        state = executor._create_project_state(with_applied_migrations=True)
        state.apps  # noqa: B018 - rendered here, once
        _rendered.clear()  # one deploy, one set of applied migrations: keep the last
        _rendered[applied] = state
    return state.clone()


def schema_migrate(schema: str) -> int:
    """Apply to `schema` the migrations it lacks; returns how many. The migration graph is
    built once per process; each schema only has its applied migrations read."""
    global _executor
    connection.set_schema(schema, include_public=False)
    with transaction.atomic():
        SchemaRecorder(connection).ensure_schema()  # in the schema, never public's table
    connection.set_schema(schema)
    if _executor is None:
        _executor = MigrationExecutor(connection)
    executor = _executor
    executor.recorder = SchemaRecorder(connection)
    executor.loader.applied_migrations = executor.recorder.applied_migrations()
    targets = executor.loader.graph.leaf_nodes()
    plan = executor.migration_plan(targets)
    if plan:
        state = executor.migrate(targets, plan=plan, state=_state_before(executor))
        _post_migrate(plan, state)
    connection.set_schema_to_public()
    return len(plan)
