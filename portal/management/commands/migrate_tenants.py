"""The deploy's migrations (issues 17 and 19): the public schema, then only the collectivités'
schemas that are behind, in parallel, then the template schema new collectivités are copied
from. docker-compose's `migrate` service runs it at every start.

- Which schemas are behind: one query over the public schema — the collectivités whose
  `SchemaVersion` does not carry the code's migration fingerprint (`--verify` instead reads
  each schema's own migration table, one schema at a time).
- In parallel: `--workers` processes (default `MIGRATE_WORKERS`, else the number of cores),
  never more than the connections the server has left minus a margin for the running site.
  Each process builds the migration graph once and migrates schema after schema, each in its
  own transactions: locks are held on one schema at a time.
- A schema that fails is recorded (`SchemaVersion.error`) and reported; the others go on. A
  re-run takes up only what is still behind. The exit status is 0 unless the public schema
  or the template failed, or `--strict` is given and a collectivité failed.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections
from django.utils import timezone

from portal import schema_versions
from portal.models import Collectivite, SchemaVersion
from portal.tenancy import tenant_template_ensure

CONNECTION_MARGIN = 10  # connections left to the site while the deploy runs


def _worker_init() -> None:
    connections.close_all()  # never share the parent's socket


def _migrate(schema: str) -> tuple[str, int, str, float]:
    """Migrate one schema and record the outcome, in the worker (one statement: the parent
    is never the bottleneck, and a run stopped half-way resumes exactly)."""
    started = time.perf_counter()
    try:
        applied = schema_versions.schema_migrate(schema)
    except Exception as exc:  # noqa: BLE001 — reported; the other schemas go on
        connection.set_schema_to_public()
        error = f"{type(exc).__name__}: {exc}"[:2000]
        record(schema, error)
        return schema, -1, error, time.perf_counter() - started
    record(schema, "")
    return schema, applied, "", time.perf_counter() - started


def behind(*, verify: bool) -> list[str]:
    """The collectivités' schemas that lack migrations of the code."""
    if verify:
        return [
            s
            for s in Collectivite.objects.order_by("pk").values_list("schema_name", flat=True)
            if schema_versions.missing_in(s)
        ]
    current = SchemaVersion.objects.filter(fingerprint=schema_versions.fingerprint())
    return list(
        Collectivite.objects.exclude(schema_name__in=current.values("schema_name"))
        .order_by("pk")
        .values_list("schema_name", flat=True)
    )


def record(schema: str, error: str) -> None:
    """Upsert the schema's version: up to date, or its failure (keeping the version it had)."""
    now = timezone.now()
    row = SchemaVersion(schema_name=schema, fingerprint="", failed_at=now, error=error)
    fields = ["failed_at", "error"]
    if not error:
        row.fingerprint, row.migrated_at, row.failed_at = schema_versions.fingerprint(), now, None
        fields = ["fingerprint", "migrated_at", "failed_at", "error"]
    SchemaVersion.objects.bulk_create(
        [row], update_conflicts=True, unique_fields=["schema_name"], update_fields=fields
    )


def worker_count(requested: int | None) -> int:
    wanted = requested or int(os.environ.get("MIGRATE_WORKERS") or 0) or os.cpu_count() or 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity"
        )
        free = cursor.fetchone()[0]
    return max(1, min(wanted, free - CONNECTION_MARGIN))


def lock_table_note() -> str:
    """The server's lock table against what a full pg_dump (one lock per relation) needs."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_locks_per_transaction')::int"
            " * (current_setting('max_connections')::int"
            " + current_setting('max_prepared_transactions')::int),"
            " (SELECT count(*) FROM pg_class WHERE relkind IN ('r', 'p', 'S', 'v', 'm'))"
        )
        slots, relations = cursor.fetchone()
    verdict = (
        "suffisant" if slots > relations else "INSUFFISANT : augmenter max_locks_per_transaction"
    )
    return (
        f"Table des verrous : {slots} places ; une sauvegarde complète (pg_dump) en prend "
        f"~{relations} — {verdict}."
    )


class Command(BaseCommand):
    help = (
        "Migre le schéma public, puis en parallèle les seuls schémas de collectivités en retard, "
        "puis le schéma modèle."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workers", type=int, default=None)
        parser.add_argument("--verify", action="store_true", help="lire chaque schéma")
        parser.add_argument("--strict", action="store_true", help="échouer si un schéma échoue")
        parser.add_argument("--skip-shared", action="store_true")

    def handle(self, *args, workers, verify, strict, skip_shared, **options):
        started = time.perf_counter()
        self.verbosity = int(options.get("verbosity", 1))
        if not skip_shared:
            call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        todo = behind(verify=verify)
        count = worker_count(workers)
        self.stdout.write(
            f"{len(todo)} schéma(s) de collectivité en retard sur "
            f"{Collectivite.objects.count()} ; {count} processus."
        )
        failures = self._run(todo, count)
        tenant_template_ensure()
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Terminé en {elapsed:.1f} s : {len(todo) - len(failures)} migré(s), "
            f"{len(failures)} en échec ; schéma modèle à jour."
        )
        self.stdout.write(lock_table_note())
        for schema, error in failures:
            self.stderr.write(f"ÉCHEC {schema} : {error.splitlines()[0] if error else ''}")
        if failures and strict:
            raise CommandError(f"{len(failures)} schéma(s) en échec ; relancer pour reprendre.")

    def _run(self, todo: list[str], count: int) -> list[tuple[str, str]]:
        failures: list[tuple[str, str]] = []
        if not todo:
            return failures
        if count == 1 or len(todo) == 1:
            results = (_migrate(schema) for schema in todo)
            for result in results:
                self._done(result, failures)
            return failures
        connections.close_all()
        with ProcessPoolExecutor(
            max_workers=count, mp_context=get_context("fork"), initializer=_worker_init
        ) as pool:
            futures = [pool.submit(_migrate, schema) for schema in todo]
            for future in as_completed(futures):
                self._done(future.result(), failures)
        return failures

    def _done(self, result: tuple[str, int, str, float], failures: list) -> None:
        schema, applied, error, seconds = result
        if error:
            failures.append((schema, error))
        elif applied and self.verbosity >= 2:
            self.stdout.write(f"{schema} : {applied} migration(s) en {seconds:.2f} s")
