"""A collectivité's schema copied from the template is the same, object for object and name
for name, as one built by running the migrations; what the copy can't handle falls back to
the migrations."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from portal import tenancy


def _structure(schema: str) -> dict:
    def rows(sql: str) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, [schema])
            return [
                tuple(str(v).replace(f'"{schema}".', "").replace(f"{schema}.", "") for v in r)
                for r in cursor.fetchall()
            ]

    return {
        "columns": rows(
            """SELECT table_name, column_name, data_type, is_nullable, column_default,
                      is_identity, identity_generation
               FROM information_schema.columns WHERE table_schema = %s ORDER BY 1, 2"""
        ),
        "constraints": rows(
            """SELECT c.relname, con.conname, con.contype, pg_get_constraintdef(con.oid)
               FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
               JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s ORDER BY 1, 2"""
        ),
        "indexes": rows(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s ORDER BY 1"
        ),
        "sequences": rows(
            "SELECT sequence_name, data_type FROM information_schema.sequences "
            "WHERE sequence_schema = %s ORDER BY 1"
        ),
    }


def _rows(schema: str, table: str, columns: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT {columns} FROM "{schema}".{table} ORDER BY 1, 2')
        return cursor.fetchall()


def _migrated(schema: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema}"')
    call_command("migrate_schemas", schema_name=schema, tenant=True, interactive=False, verbosity=0)
    connection.set_schema_to_public()


def test_copy_equals_migrations(db):
    assert tenancy.tenant_schema_clone("c_copie") is True
    _migrated("c_migree")
    assert _structure("c_copie") == _structure("c_migree")
    assert _structure("c_copie")["columns"], "the tenant schema has tables"
    assert _rows("c_copie", "django_migrations", "app, name") == _rows(
        "c_migree", "django_migrations", "app, name"
    )
    assert _rows("c_copie", "django_content_type", "app_label, model") == _rows(
        "c_migree", "django_content_type", "app_label, model"
    )


def test_copy_continues_identity_sequences(db):
    tenancy.tenant_schema_clone("c_copie")
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM c_copie.django_content_type")
        highest = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO c_copie.django_content_type (app_label, model) VALUES ('x', 'y') "
            "RETURNING id"
        )
        assert cursor.fetchone()[0] == highest + 1
        # the template's own sequence did not move
        cursor.execute("SELECT max(id) FROM tenant_template.django_content_type")
        assert cursor.fetchone()[0] == highest


@pytest.mark.parametrize(
    ("statement", "_case"),
    [
        ("CREATE VIEW tenant_template.v AS SELECT 1 AS one", "a view"),
        (
            "CREATE FUNCTION tenant_template.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
            "a function",
        ),
        (
            "CREATE SEQUENCE tenant_template.s; CREATE TABLE tenant_template.t "
            "(id integer DEFAULT nextval('tenant_template.s'))",
            "a serial default, which would keep pointing at the template's sequence",
        ),
    ],
)
def test_template_the_copy_cannot_handle_falls_back_to_migrations(db, statement, _case):
    with connection.cursor() as cursor:
        cursor.execute(statement)
    assert tenancy.tenant_schema_clone("c_copie") is False
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regnamespace('c_copie')")
        assert cursor.fetchone()[0] is None  # nothing half-made

    class Tenant:  # what tenant_schema_create needs of a collectivité
        schema_name = "c_repli"

        def create_schema(self, **kwargs):
            _migrated(self.schema_name)

    tenancy.tenant_schema_create(Tenant())
    assert _rows("c_repli", "django_migrations", "app, name")
