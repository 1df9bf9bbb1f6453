"""People and roles (issue 10): a functional administrator (on the collectivité's site) and a
syndicate administrator (in the back-office) invite with one or more roles, resend or revoke,
change roles and remove; the last signatory and the last functional administrator stay until
a successor holds the role; every change is audited and e-mailed; A's admin cannot see or touch
B's members; staff invited by an administrator set up a second factor at first sign-in."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client

from portal import members
from portal.models import AuditEvent, Invitation, Membership, Role, User
from portal.models.people import STAFF_ADMIN_GROUP, STAFF_FINANCE_GROUP
from tests.conftest import TEST_PASSWORD, host_of, page_text, sign_in


def _token(message) -> str:
    return re.search(r"/invitation/([A-Za-z0-9_-]+)/", message.body).group(1)


@pytest.fixture
def admin(tenant, make_member):
    return make_member(tenant, Role.FUNCTIONAL_ADMIN, email="admin-fonctionnel@test.fr")


@pytest.fixture
def admin_site(tenant, admin):
    return sign_in(Client(HTTP_HOST=host_of(tenant)), admin, tenant)


def test_a_functional_admin_invites_a_signatory_who_joins_and_signs_a_quote(
    tenant, admin, admin_site, django_capture_on_commit_callbacks, audit_floor
):
    from catalogue.models import Offer
    from contracts import services as contracts
    from contracts.models import Quote
    from tests.factories.catalogue import build_catalogue

    page = admin_site.get("/membres/")
    assert page.status_code == 200
    assert 'href="/membres/"' in page.content.decode()  # in the navigation
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_site.post(
            "/membres/",
            {"email": "Maire@Test.fr", "full_name": "Anne Maire", "roles": [Role.SIGNATORY]},
        )
    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["maire@test.fr"]
    assert "avec le rôle « Signataire »" in message.body
    assert "maire@test.fr" in page_text(admin_site.get("/membres/"))
    event = AuditEvent.objects.get(id__gt=audit_floor, action="invitation.sent")
    assert (event.actor, event.collectivite) == (admin, tenant)

    newcomer = Client(HTTP_HOST=host_of(tenant))
    done = newcomer.post(
        f"/invitation/{_token(message)}/",
        {"full_name": "Anne Maire", "password1": TEST_PASSWORD, "password2": TEST_PASSWORD},
    )
    assert done["Location"] == "/"
    signatory = User.objects.get(email="maire@test.fr")
    assert set(
        Membership.objects.filter(user=signatory, collectivite=tenant).values_list(
            "role", flat=True
        )
    ) == {Role.SIGNATORY}
    # she signs in later with her password, and signs a quote
    fresh = Client(HTTP_HOST=host_of(tenant))
    assert fresh.login(email="maire@test.fr", password=TEST_PASSWORD)
    catalogue = build_catalogue()
    today = date(2026, 11, 23)
    quote = contracts.quote_create(
        collectivite=tenant, title="Messagerie", created_by=None, today=today
    )
    contracts.quote_line_set(quote=quote, offer=Offer.objects.get(pk=catalogue.mail.pk), quantity=2)
    contracts.quote_send(quote=quote, sent_by=None, today=today)
    contracts.quote_accept(
        quote=quote,
        signatory=signatory,
        po_number="ENG-1",
        accept_framework=True,
        ip_address=None,
        today=today,
    )
    quote.refresh_from_db()
    assert quote.status == Quote.Status.ACCEPTED


def test_one_invitation_gives_several_roles(tenant, admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = members.member_invite(
            collectivite=tenant,
            email="dgs@test.fr",
            roles=[Role.SIGNATORY, Role.FUNCTIONAL_ADMIN],
            invited_by=admin,
        )
    assert invitation.roles == [Role.FUNCTIONAL_ADMIN, Role.SIGNATORY]
    assert "les rôles « Administrateur fonctionnel, Signataire »" in mail.outbox[0].body
    from portal import services

    user = services.invitation_accept(
        token=_token(mail.outbox[0]), collectivite=tenant, full_name="D", password=TEST_PASSWORD
    )
    assert set(user.memberships.values_list("role", flat=True)) == {
        Role.FUNCTIONAL_ADMIN,
        Role.SIGNATORY,
    }


def test_resend_gives_a_new_link_and_revoke_kills_it(
    tenant, admin, admin_site, django_capture_on_commit_callbacks, audit_floor
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = members.member_invite(
            collectivite=tenant, email="agent@test.fr", roles=[Role.AGENT], invited_by=admin
        )
    first = _token(mail.outbox[0])
    with django_capture_on_commit_callbacks(execute=True):
        admin_site.post(f"/membres/invitations/{invitation.pk}/", {"action": "resend"})
    second = _token(mail.outbox[1])
    assert first != second
    anonymous = Client(HTTP_HOST=host_of(tenant))
    assert anonymous.get(f"/invitation/{first}/").status_code == 404
    assert anonymous.get(f"/invitation/{second}/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        admin_site.post(f"/membres/invitations/{invitation.pk}/", {"action": "revoke"})
    assert anonymous.get(f"/invitation/{second}/").status_code == 404
    assert mail.outbox[2].subject == f"Votre invitation au portail de {tenant.name} est retirée"
    assert list(
        AuditEvent.objects.filter(id__gt=audit_floor, collectivite=tenant)
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["invitation.sent", "invitation.resent", "invitation.revoked"]
    # an invitation already pending for the address: say so
    with pytest.raises(ValidationError) as error:
        members.member_invite(
            collectivite=tenant,
            email="admin-fonctionnel@test.fr",
            roles=[Role.FUNCTIONAL_ADMIN],
            invited_by=admin,
        )
    assert error.value.message_dict == {
        "email": [members.ALREADY_MEMBER.format(email="admin-fonctionnel@test.fr")]
    }


def test_the_last_signatory_stays_until_a_successor_holds_the_role(
    tenant, admin, admin_site, make_member, django_capture_on_commit_callbacks, audit_floor
):
    maire = make_member(tenant, Role.SIGNATORY, Role.AGENT, email="maire@test.fr")
    maire.full_name = "Anne Maire"
    maire.save()
    response = admin_site.post(f"/membres/{maire.pk}/", {"action": "remove"}, follow=True)
    assert (
        "Anne Maire est le dernier signataire de la collectivité : désignez d'abord un successeur"
        in page_text(response)
    )
    assert Membership.objects.filter(user=maire, role=Role.SIGNATORY).exists()
    with pytest.raises(ValidationError) as error:
        members.member_roles_set(
            collectivite=tenant, user=maire, roles=[Role.AGENT], changed_by=admin
        )
    assert error.value.messages == [
        members.LAST_HOLDER.format(name="Anne Maire", role_label="signataire")
    ]
    # the last functional administrator cannot demote herself either
    with pytest.raises(ValidationError):
        members.member_roles_set(collectivite=tenant, user=admin, roles=[], changed_by=admin)
    # with a successor, the change goes through, audited and e-mailed
    make_member(tenant, Role.SIGNATORY, email="adjoint@test.fr")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_site.post(
            f"/membres/{maire.pk}/", {"action": "roles", f"m{maire.pk}-roles": [Role.AGENT]}
        )
    assert response.status_code == 302
    assert set(Membership.objects.filter(user=maire).values_list("role", flat=True)) == {Role.AGENT}
    event = AuditEvent.objects.get(id__gt=audit_floor, action="membership.roles_changed")
    assert event.summary == "maire@test.fr : rôles Agent, Signataire → Agent."
    assert (event.actor, event.data["before"], event.data["after"]) == (
        admin,
        [Role.AGENT, Role.SIGNATORY],
        [Role.AGENT],
    )
    assert mail.outbox[-1].to == ["maire@test.fr"]
    assert "Désormais : Agent." in mail.outbox[-1].body
    with django_capture_on_commit_callbacks(execute=True):
        admin_site.post(f"/membres/{maire.pk}/", {"action": "remove"})
    assert not Membership.objects.filter(user=maire, collectivite=tenant).exists()
    assert AuditEvent.objects.filter(id__gt=audit_floor, action="membership.removed").exists()
    assert mail.outbox[-1].subject == f"Vous n'êtes plus membre du portail de {tenant.name}"


def test_a_functional_admin_sees_and_touches_only_their_collectivite(
    tenant, other_tenant, admin, admin_site, make_member
):
    theirs = make_member(other_tenant, Role.SIGNATORY, email="maire@autre.fr")
    Invitation.objects.create(
        collectivite=other_tenant,
        email="invitee@autre.fr",
        role=Role.AGENT,
        token_hash="x" * 64,
        expires_at="2099-01-01T00:00:00Z",
    )
    other_invitation = Invitation.objects.get(email="invitee@autre.fr")
    page = page_text(admin_site.get("/membres/"))
    assert "maire@autre.fr" not in page
    assert "invitee@autre.fr" not in page
    assert admin_site.post(f"/membres/{theirs.pk}/", {"action": "remove"}).status_code == 404
    assert (
        admin_site.post(
            f"/membres/invitations/{other_invitation.pk}/", {"action": "revoke"}
        ).status_code
        == 404
    )
    assert Membership.objects.filter(user=theirs, collectivite=other_tenant).exists()
    other_invitation.refresh_from_db()
    assert other_invitation.revoked_at is None
    # an agent of the collectivité does not reach the page
    agent = make_member(tenant, Role.AGENT)
    assert (
        sign_in(Client(HTTP_HOST=host_of(tenant)), agent, tenant).get("/membres/").status_code
        == 404
    )


def test_syndicate_admin_manages_a_collectivites_people_from_the_back_office(
    tenant, staff_admin, staff_finance, django_capture_on_commit_callbacks
):
    site = sign_in(Client(HTTP_HOST=host_of(None)), staff_admin)
    detail = site.get(f"/collectivites/{tenant.pk}/").content.decode()
    assert f'href="/collectivites/{tenant.pk}/membres/"' in detail
    with django_capture_on_commit_callbacks(execute=True):
        response = site.post(
            f"/collectivites/{tenant.pk}/membres/",
            {"email": "referent@test.fr", "roles": [Role.VISIO_REFERENT]},
        )
    assert response.status_code == 302
    assert Invitation.objects.filter(
        collectivite=tenant, email="referent@test.fr", role=Role.VISIO_REFERENT
    ).exists()
    bad = site.post(f"/collectivites/{tenant.pk}/membres/", {"email": "pas-une-adresse"})
    assert bad.status_code == 400
    text = page_text(bad)
    assert "Saisissez une adresse électronique valide." in text
    assert "Choisissez au moins un rôle." in text
    finance = sign_in(Client(HTTP_HOST=host_of(None)), staff_finance)
    assert finance.get(f"/collectivites/{tenant.pk}/membres/").status_code == 404


def test_staff_invited_by_an_admin_sets_up_a_second_factor_at_first_sign_in(
    db, staff_admin, django_capture_on_commit_callbacks, audit_floor
):
    site = sign_in(Client(HTTP_HOST=host_of(None)), staff_admin)
    assert 'href="/personnel/"' in site.get("/personnel/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        site.post(
            "/personnel/",
            {
                "email": "compta@syndicat.test",
                "full_name": "Lise Compta",
                "groups": [STAFF_FINANCE_GROUP],
            },
        )
    [message] = mail.outbox
    assert "double authentification" in message.body
    newcomer = Client(HTTP_HOST=host_of(None))
    done = newcomer.post(
        f"/personnel/invitation/{_token(message)}/",
        {"full_name": "Lise Compta", "password1": TEST_PASSWORD, "password2": TEST_PASSWORD},
    )
    assert done.status_code == 302
    user = User.objects.get(email="compta@syndicat.test")
    assert list(user.groups.values_list("name", flat=True)) == [STAFF_FINANCE_GROUP]
    # P1: the back-office asks for a second factor before anything else
    assert newcomer.get("/factures/")["Location"] == "/securite/double-authentification/"
    # the last administrator stays one
    with pytest.raises(ValidationError) as error:
        members.staff_groups_set(
            user=staff_admin, groups=[STAFF_FINANCE_GROUP], changed_by=staff_admin
        )
    assert error.value.messages == [members.STAFF_LAST_ADMIN.format(name="Nadia Roussel")]
    with django_capture_on_commit_callbacks(execute=True):
        site.post(
            f"/personnel/{user.pk}/",
            {"action": "groups", f"s{user.pk}-groups": [STAFF_ADMIN_GROUP, STAFF_FINANCE_GROUP]},
        )
    assert set(user.groups.values_list("name", flat=True)) == {
        STAFF_ADMIN_GROUP,
        STAFF_FINANCE_GROUP,
    }
    assert AuditEvent.objects.filter(id__gt=audit_floor, action="staff.groups_changed").exists()
    assert mail.outbox[-1].to == ["compta@syndicat.test"]
