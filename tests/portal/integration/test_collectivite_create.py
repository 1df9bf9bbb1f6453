"""Creating a collectivité makes its schema (cloned from the template), its domain, its strate
and the invitation of its first functional administrator; bad input changes nothing."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import schema_exists

from portal import services, tenancy
from portal.domain import SIRET_CHECKSUM_ERROR
from portal.models import AuditEvent, Collectivite, Domain, Invitation, Role
from tests.factories import valid_siret


def _input(**overrides):
    values = dict(
        name="Commune de Saint-Essai",
        slug="saint-essai",
        kind="commune",
        siret=valid_siret(4242),
        population=3_000,
        agent_count=12,
    )
    values.update(overrides)
    return services.CollectiviteInput(**values)


def test_creation_makes_schema_domain_strate_and_invitation(
    db, staff_admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        collectivite = services.collectivite_create(
            data=_input(),
            admin_email="DG@Saint-Essai.fr",
            admin_name="Lucie Marie",
            created_by=staff_admin,
        )

    assert collectivite.schema_name == "c_saint_essai"
    assert schema_exists("c_saint_essai")
    assert collectivite.strate == "2000-3499"
    assert Domain.objects.get(tenant=collectivite).domain == "saint-essai.portail.localhost"
    # the clone is a complete tenant: the tenant apps' tables exist and migrations are recorded
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM c_saint_essai.django_migrations WHERE app = 'contenttypes'"
        )
        assert cursor.fetchone()[0] == 2
        cursor.execute("SELECT to_regclass('c_saint_essai.django_content_type')")
        assert cursor.fetchone()[0] is not None
    invitation = Invitation.objects.get(collectivite=collectivite)
    assert (invitation.email, invitation.role) == ("dg@saint-essai.fr", Role.FUNCTIONAL_ADMIN)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["dg@saint-essai.fr"]
    assert message.subject == "Invitation au portail de la commune de Saint-Essai"
    assert "http://saint-essai.portail.localhost/invitation/" in message.body
    assert list(
        AuditEvent.objects.filter(collectivite=collectivite)
        .order_by("id")
        .values_list("action", "actor")
    ) == [("collectivite.created", staff_admin.pk), ("invitation.sent", staff_admin.pk)]


@pytest.mark.parametrize(
    ("overrides", "field", "message", "_case"),
    [
        ({"siret": "73282932000075"}, "siret", SIRET_CHECKSUM_ERROR, "bad Luhn key"),
        ({"slug": "Saint Essai"}, "slug", services.SLUG_FORMAT_ERROR, "slug with capitals, space"),
        ({"slug": "-essai"}, "slug", services.SLUG_FORMAT_ERROR, "slug starting with a dash"),
        ({"slug": "api"}, "slug", services.SLUG_RESERVED_ERROR, "reserved slug"),
        ({"slug": "test"}, "slug", services.SLUG_TAKEN_ERROR, "slug of the test collectivité"),
        ({"name": "  "}, "name", services.NAME_REQUIRED_ERROR, "blank name"),
        ({"kind": "région"}, "kind", services.KIND_ERROR, "unknown kind"),
    ],
)
def test_bad_input_is_refused_in_french_and_changes_nothing(
    tenant, overrides, field, message, _case
):
    before = (Collectivite.objects.count(), Invitation.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as error:
        services.collectivite_create(
            data=_input(**overrides), admin_email="a@b.fr", created_by=None
        )
    assert error.value.message_dict[field] == [message]
    assert (
        Collectivite.objects.count(),
        Invitation.objects.count(),
        AuditEvent.objects.count(),
    ) == before
    assert not schema_exists("c_saint_essai")


def test_siret_already_used_is_refused(tenant):
    with pytest.raises(ValidationError) as error:
        services.collectivite_create(
            data=_input(siret=tenant.siret), admin_email="a@b.fr", created_by=None
        )
    assert error.value.message_dict["siret"] == [services.SIRET_TAKEN_ERROR]


def test_invalid_admin_email_is_refused(db):
    with pytest.raises(ValidationError) as error:
        services.collectivite_create(data=_input(), admin_email="pas-une-adresse", created_by=None)
    assert error.value.message_dict["admin_email"] == [services.ADMIN_EMAIL_ERROR]
    assert not Collectivite.objects.filter(slug="saint-essai").exists()


def test_template_is_migrated_again_when_it_lags_behind(db):
    """A clone fakes every migration: a template missing one would make incomplete tenants,
    so creation first brings the template up to date."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM tenant_template.django_migrations WHERE app = 'sessions' "
            "AND name = '0001_initial'"
        )
    assert tenancy.tenant_template_pending_migrations() == 1
    tenancy.tenant_template_ensure()
    assert tenancy.tenant_template_pending_migrations() == 0


def test_update_recomputes_strate_and_is_audited(tenant, staff_admin):
    data = services.CollectiviteInput(
        name=tenant.name,
        slug=tenant.slug,
        kind=tenant.kind,
        siret=tenant.siret,
        population=12_000,
        agent_count=tenant.agent_count,
        brand_colour="#8A1C3B",
    )
    services.collectivite_update(collectivite=tenant, data=data, updated_by=staff_admin)
    tenant.refresh_from_db()
    assert (tenant.strate, tenant.brand_colour) == ("non-affiliee-10000-plus", "#8a1c3b")
    event = AuditEvent.objects.filter(collectivite=tenant, action="collectivite.updated").first()
    assert event.data["changed"] == {
        "population": "12000",
        "strate": "non-affiliee-10000-plus",
        "brand_colour": "#8a1c3b",
    }
