"""The deploy command (issues 17 and 19): it finds the schemas behind in one query, migrates
only those, goes on past a schema that fails (recorded and reported), resumes on a re-run, and
keeps the template up to date. Run here with one process (the test's transaction is not
visible to forked workers; bench/tenants_scale.py runs it in parallel)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from portal import schema_versions
from portal.management.commands import migrate_tenants
from portal.models import Collectivite, SchemaVersion


def _run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("migrate_tenants", "--workers=1", "--skip-shared", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _forget(schema: str, app: str, name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f'DELETE FROM "{schema}".django_migrations WHERE app = %s AND name = %s', [app, name]
        )


@pytest.fixture
def up_to_date(tenant, other_tenant):
    for c in (tenant, other_tenant):
        migrate_tenants.record(c.schema_name, "")


def test_schemas_behind_are_found_in_one_query(
    tenant, other_tenant, up_to_date, django_assert_num_queries
):
    SchemaVersion.objects.filter(schema_name=tenant.schema_name).update(fingerprint="ancienne")
    with django_assert_num_queries(1):
        assert migrate_tenants.behind(verify=False) == [tenant.schema_name]


def test_a_new_collectivite_is_recorded_up_to_date(db):
    from portal import services
    from tests.factories import valid_siret

    created = services.collectivite_create(
        data=services.CollectiviteInput(
            name="Commune Neuve", slug="neuve", kind="commune", siret=valid_siret(8_200_001)
        ),
        admin_email="admin@neuve.test",
        created_by=None,
    )
    connection.set_schema_to_public()
    version = SchemaVersion.objects.get(schema_name=created.schema_name)
    assert version.fingerprint == schema_versions.fingerprint()
    assert not schema_versions.missing_in(created.schema_name)
    assert created.schema_name not in migrate_tenants.behind(verify=False)


def test_only_the_schema_behind_is_migrated(tenant, other_tenant, up_to_date):
    _forget(tenant.schema_name, "accounts", "0002_public_references_as_plain_ids")
    SchemaVersion.objects.filter(schema_name=tenant.schema_name).update(fingerprint="ancienne")
    assert schema_versions.missing_in(tenant.schema_name) == {
        ("accounts", "0002_public_references_as_plain_ids")
    }
    out, err = _run()
    assert "1 schéma(s) de collectivité en retard" in out
    assert "1 migré(s), 0 en échec" in out
    assert err == ""
    assert schema_versions.missing_in(tenant.schema_name) == set()
    assert migrate_tenants.behind(verify=False) == []
    out, _ = _run()
    assert "0 schéma(s) de collectivité en retard" in out


def test_schemas_behind_alike_share_one_rendering_of_the_models(tenant, other_tenant, up_to_date):
    """The models as the applied migrations leave them are rendered once and copied for each
    schema (the cost of a deploy, bench/README.md); each schema gets the same result as with
    its own rendering."""
    for schema in (tenant.schema_name, other_tenant.schema_name):
        _forget(schema, "accounts", "0002_public_references_as_plain_ids")
        SchemaVersion.objects.filter(schema_name=schema).update(fingerprint="ancienne")
    schema_versions._rendered.clear()

    out, err = _run()
    assert "2 migré(s), 0 en échec" in out
    assert err == ""
    assert len(schema_versions._rendered) == 1  # one rendering for both
    for schema in (tenant.schema_name, other_tenant.schema_name):
        assert schema_versions.missing_in(schema) == set()
    [cached] = schema_versions._rendered.values()
    copy = cached.clone()
    assert copy.apps is not cached.apps  # each schema migrates its own copy
    assert set(copy.models) == set(cached.models)
    assert ("accounts", "serviceaccount") in copy.models


def test_verify_reads_each_schema(tenant, other_tenant, up_to_date):
    _forget(other_tenant.schema_name, "accounts", "0002_public_references_as_plain_ids")
    assert migrate_tenants.behind(verify=False) == []
    assert migrate_tenants.behind(verify=True) == [other_tenant.schema_name]


def test_a_failing_schema_is_reported_the_others_go_on_and_a_rerun_resumes(
    tenant, other_tenant, up_to_date
):
    broken = Collectivite(  # a collectivité row whose schema is missing
        schema_name="c_absent",
        slug="absent",
        name="Commune Absente",
        kind="commune",
        siret="00000000000000",
        strate=tenant.strate,
    )
    broken.auto_create_schema = False
    broken.save()
    _forget(tenant.schema_name, "accounts", "0002_public_references_as_plain_ids")
    SchemaVersion.objects.filter(schema_name=tenant.schema_name).update(fingerprint="ancienne")

    out, err = _run()
    assert "2 schéma(s) de collectivité en retard" in out
    assert "1 migré(s), 1 en échec" in out
    assert err.startswith("ÉCHEC c_absent : ")
    failed = SchemaVersion.objects.get(schema_name="c_absent")
    assert failed.failed_at is not None
    assert failed.error
    assert not schema_versions.missing_in(tenant.schema_name)

    with pytest.raises(Exception, match="1 schéma\\(s\\) en échec"):
        _run("--strict")
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "c_absent"')
    out, err = _run()
    assert "1 schéma(s) de collectivité en retard" in out
    assert "1 migré(s), 0 en échec" in out
    assert not schema_versions.missing_in("c_absent")
    assert SchemaVersion.objects.get(schema_name="c_absent").error == ""
