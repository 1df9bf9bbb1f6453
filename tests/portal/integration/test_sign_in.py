"""Sign-in (allauth), P1 passwords, throttling per account and address, the staff second
factor, invitations and moving between collectivités."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from portal import services
from portal.forms import LOGIN_REFUSED
from portal.models import Invitation, Membership, Role, User
from tests.conftest import TEST_PASSWORD, host_of, page_text, sign_in

LOGIN = "/comptes/login/"


def _login(client: Client, email: str, password: str, address: str = "192.0.2.10"):
    return client.post(LOGIN, {"login": email, "password": password}, REMOTE_ADDR=address)


# --- P1 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "accepted", "_case"),
    [
        ("Abcdefgh1!xy", True, "seed rule"),
        ("Ma phrase de passe est longue", True, "passphrase"),
        ("Abcdefghijk1m", False, "too weak"),
        ("1q2w3e4r5t6y7u8i9o0p", False, "common password, although long enough"),
        ("personne.test@exemple.fr", False, "too close to the e-mail address"),
    ],
)
def test_password_validators(db, password, accepted, _case):
    user = User(email="personne.test@exemple.fr", full_name="Personne Test")
    if accepted:
        validate_password(password, user)
    else:
        with pytest.raises(ValidationError):
            validate_password(password, user)


# --- Sign-in on a collectivité's site ------------------------------------------------------


def test_member_signs_in_on_their_site(tenant, agent):
    client = Client(HTTP_HOST=host_of(tenant))
    response = _login(client, agent.email, TEST_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert tenant.name in page_text(home)


def test_non_member_is_refused_with_the_same_message_as_a_wrong_password(
    tenant, other_tenant, make_member
):
    outsider = make_member(other_tenant, Role.AGENT)
    client = Client(HTTP_HOST=host_of(tenant))
    response = _login(client, outsider.email, TEST_PASSWORD)
    assert response.status_code == 200
    assert LOGIN_REFUSED in page_text(response)
    wrong = _login(client, "inconnu@exemple.fr", "Mauvais-mot-2026!")
    assert LOGIN_REFUSED in page_text(wrong)


def test_failed_sign_ins_are_throttled_per_account_and_address(tenant, agent, make_member):
    client = Client(HTTP_HOST=host_of(tenant))
    for _ in range(5):
        assert _login(client, agent.email, "Mauvais-mot-2026!").status_code == 200
    # the sixth attempt from the same address is refused, even with the right password
    blocked = _login(client, agent.email, TEST_PASSWORD)
    assert blocked.status_code == 200
    assert "Trop de tentatives de connexion" in page_text(blocked)
    # the same person from another address is not locked out…
    assert (
        _login(
            Client(HTTP_HOST=host_of(tenant)), agent.email, TEST_PASSWORD, "192.0.2.99"
        ).status_code
        == 302
    )
    # …nor is a colleague behind the same town-hall address
    colleague = make_member(tenant, Role.AGENT)
    assert (
        _login(Client(HTTP_HOST=host_of(tenant)), colleague.email, TEST_PASSWORD).status_code == 302
    )


def test_throttle_is_shared_by_every_site(tenant, other_tenant, agent):
    """Accounts are global: trying the password on each collectivité's site in turn gives no
    extra guesses."""
    for _ in range(5):
        _login(Client(HTTP_HOST=host_of(tenant)), agent.email, "Mauvais-mot-2026!")
    for host in (host_of(other_tenant), host_of(None), host_of(tenant)):
        blocked = _login(Client(HTTP_HOST=host), agent.email, TEST_PASSWORD)
        assert "Trop de tentatives de connexion" in page_text(blocked), host


def test_ipv6_addresses_count_by_their_network(tenant, agent):
    for n in range(1, 6):
        _login(
            Client(HTTP_HOST=host_of(tenant)),
            agent.email,
            "Mauvais-mot-2026!",
            f"2001:db8:1:2::{n}",
        )
    blocked = _login(
        Client(HTTP_HOST=host_of(tenant)), agent.email, TEST_PASSWORD, "2001:db8:1:2::99"
    )
    assert "Trop de tentatives de connexion" in page_text(blocked)
    other_network = _login(
        Client(HTTP_HOST=host_of(tenant)), agent.email, TEST_PASSWORD, "2001:db8:1:3::1"
    )
    assert other_network.status_code == 302


def test_guesses_spread_over_many_addresses_are_capped_per_account(tenant, agent):
    for n in range(30):
        _login(
            Client(HTTP_HOST=host_of(tenant)), agent.email, "Mauvais-mot-2026!", f"198.51.100.{n}"
        )
    blocked = _login(Client(HTTP_HOST=host_of(tenant)), agent.email, TEST_PASSWORD, "203.0.113.7")
    assert "Trop de tentatives de connexion" in page_text(blocked)


def test_throttle_lifts_after_fifteen_minutes(tenant, agent):
    client = Client(HTTP_HOST=host_of(tenant))
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(5):
            _login(client, agent.email, "Mauvais-mot-2026!")
        assert _login(client, agent.email, TEST_PASSWORD).status_code == 200
        traveller.shift(timedelta(minutes=16))
        assert _login(client, agent.email, TEST_PASSWORD).status_code == 302


# --- Staff second factor --------------------------------------------------------------------


def test_staff_without_second_factor_must_set_one_up(db):
    user = services.staff_user_create(
        email="nouveau@syndicat.test",
        full_name="Nouveau",
        password=TEST_PASSWORD,
        groups=["Administrateurs du syndicat"],
    )
    client = Client(HTTP_HOST=host_of(None))
    assert _login(client, user.email, TEST_PASSWORD).status_code == 302
    for path in ("/", "/collectivites/", "/collectivites/nouvelle/"):
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (
            302,
            "/securite/double-authentification/",
        )
    assert client.get("/securite/double-authentification/").status_code == 200
    # allauth asks for the password again before a second factor is added
    assert client.get("/comptes/2fa/totp/activate/")["Location"].startswith(
        "/comptes/reauthenticate/"
    )
    client.post("/comptes/reauthenticate/", {"password": TEST_PASSWORD})
    activation = client.get("/comptes/2fa/totp/activate/")
    assert activation.status_code == 200
    assert "otpauth://" in page_text(activation) or "data:image" in page_text(activation)


def test_staff_with_totp_is_asked_for_the_code_at_sign_in(db):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret, hotp_value

    user = services.staff_user_create(
        email="totp@syndicat.test",
        full_name="Totp",
        password=TEST_PASSWORD,
        groups=["Finances du syndicat"],
    )
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    client = Client(HTTP_HOST=host_of(None))
    response = _login(client, user.email, TEST_PASSWORD)
    assert response["Location"] == "/comptes/2fa/authenticate/"
    assert client.get("/").status_code == 302  # not signed in yet
    import time

    code = hotp_value(secret, int(time.time()) // 30)
    done = client.post("/comptes/2fa/authenticate/", {"code": f"{code:06d}"})
    assert done.status_code == 302
    assert client.get("/").status_code == 200


def test_staff_with_second_factor_reaches_the_backoffice(staff_admin, tenant):
    client = sign_in(Client(HTTP_HOST=host_of(None)), staff_admin)
    response = client.get("/")
    assert response.status_code == 200
    assert '<h2 id="a-faire-titre">' in page_text(response)  # the work queue
    assert tenant.name in page_text(client.get("/collectivites/"))


# --- Invitations ----------------------------------------------------------------------------


def _invite(collectivite, email="nouvelle@exemple.fr", role=Role.SIGNATORY):
    from unittest import mock

    with mock.patch("portal.services.secrets.token_urlsafe", return_value="jeton-invitation-test"):
        services.invitation_create(
            collectivite=collectivite, email=email, role=role, invited_by=None
        )
    return "jeton-invitation-test"


def test_invited_newcomer_chooses_a_password_and_joins(tenant):
    token = _invite(tenant)
    client = Client(HTTP_HOST=host_of(tenant))
    page = client.get(f"/invitation/{token}/")
    assert "nouvelle@exemple.fr" in page_text(page)
    weak = client.post(
        f"/invitation/{token}/",
        {"full_name": "Anne Nouvelle", "password1": "court", "password2": "court"},
    )
    assert "trop faible" in page_text(weak)
    assert not User.objects.filter(email="nouvelle@exemple.fr", password__startswith="md5").exists()
    done = client.post(
        f"/invitation/{token}/",
        {"full_name": "Anne Nouvelle", "password1": TEST_PASSWORD, "password2": TEST_PASSWORD},
    )
    assert done["Location"] == "/"
    assert client.get("/").status_code == 200
    user = User.objects.get(email="nouvelle@exemple.fr")
    assert user.full_name == "Anne Nouvelle"
    assert Membership.objects.filter(user=user, collectivite=tenant, role=Role.SIGNATORY).exists()
    # single use
    assert client.get(f"/invitation/{token}/").status_code == 404


def test_invitation_of_one_collectivite_is_unknown_on_another(tenant, other_tenant):
    token = _invite(tenant)
    assert Client(HTTP_HOST=host_of(other_tenant)).get(f"/invitation/{token}/").status_code == 404


def test_expired_invitation(tenant):
    token = _invite(tenant)
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        response = Client(HTTP_HOST=host_of(tenant)).get(f"/invitation/{token}/")
    assert response.status_code == 404
    assert services.INVITATION_EXPIRED in page_text(response)


def test_existing_user_signs_in_then_accepts(tenant, other_tenant, make_member):
    """The secrétaire de mairie who already works for another commune: she signs in on the
    inviting collectivité's site (the invitation lets her), then accepts."""
    person = make_member(other_tenant, Role.AGENT, email="secretaire@exemple.fr")
    token = _invite(tenant, email="secretaire@exemple.fr", role=Role.AGENT)
    client = Client(HTTP_HOST=host_of(tenant))
    # not signed in: asked to sign in, no password form
    page = client.get(f"/invitation/{token}/")
    assert "Se connecter pour accepter" in page_text(page)
    assert 'name="password1"' not in page_text(page)
    response = client.post(
        f"/invitation/{token}/",
        {"full_name": "X", "password1": TEST_PASSWORD, "password2": TEST_PASSWORD},
    )
    assert not Membership.objects.filter(user=person, collectivite=tenant).exists()
    # the real sign-in, on the inviting collectivité's site
    response = client.post(
        f"{LOGIN}?next=/invitation/{token}/",
        {"login": person.email, "password": TEST_PASSWORD, "next": f"/invitation/{token}/"},
    )
    assert response["Location"] == f"/invitation/{token}/"
    assert client.get("/").status_code == 404  # not a member yet
    assert client.post(f"/invitation/{token}/")["Location"] == "/"
    assert Membership.objects.filter(user=person, collectivite=tenant, role=Role.AGENT).exists()
    assert Invitation.objects.get(email="secretaire@exemple.fr").accepted_by == person
    assert client.get("/").status_code == 200


def test_signed_in_as_someone_else_cannot_accept(tenant, make_member):
    token = _invite(tenant, email="secretaire@exemple.fr", role=Role.AGENT)
    stranger = make_member(tenant, Role.AGENT)
    client = sign_in(Client(HTTP_HOST=host_of(tenant)), stranger, tenant)
    response = client.post(f"/invitation/{token}/", follow=True)
    assert services.INVITATION_OTHER_USER in page_text(response)
    assert Invitation.objects.get(email="secretaire@exemple.fr").accepted_at is None


def test_invitation_verifies_the_address_and_email_changes_are_closed(tenant):
    from allauth.account.models import EmailAddress

    token = _invite(tenant)
    client = Client(HTTP_HOST=host_of(tenant))
    client.post(
        f"/invitation/{token}/",
        {"full_name": "Anne Nouvelle", "password1": TEST_PASSWORD, "password2": TEST_PASSWORD},
    )
    assert EmailAddress.objects.get(email="nouvelle@exemple.fr").verified
    # nobody changes their own address (it is their identity in every collectivité)
    assert client.get("/comptes/email/").status_code == 404
    assert (
        client.post("/comptes/email/", {"email": "autre@exemple.fr", "action_add": ""}).status_code
        == 404
    )


# --- Switching collectivité ------------------------------------------------------------------


def test_switching_collectivite_carries_the_person_signed_in(tenant, other_tenant, make_member):
    person = make_member(tenant, Role.AGENT)
    Membership.objects.create(user=person, collectivite=other_tenant, role=Role.FUNCTIONAL_ADMIN)
    on_a = sign_in(Client(HTTP_HOST=host_of(tenant)), person, tenant)
    assert other_tenant.name in page_text(on_a.get("/"))  # offered in the header

    response = on_a.post(f"/changer/{other_tenant.pk}/")
    target = response["Location"]
    assert target.startswith("http://autre.portail.localhost/connexion/relais/")
    path = target.split("portail.localhost", 1)[1]
    on_b = Client(HTTP_HOST=host_of(other_tenant))
    # following the link only asks to confirm: a link sent to someone else signs nobody in
    confirm = on_b.get(path)
    assert confirm.status_code == 200
    assert f"Continuer en tant que {person.full_name}" in page_text(confirm)
    assert on_b.get("/").status_code == 302
    assert on_b.post(path)["Location"] == "/"
    assert on_b.get("/").status_code == 200
    # the pass is single use
    replay = Client(HTTP_HOST=host_of(other_tenant))
    assert replay.get(path)["Location"] == "/comptes/login/"
    assert replay.post(path)["Location"] == "/comptes/login/"


def test_switch_pass_expires_after_a_minute(tenant, other_tenant, make_member):
    person = make_member(tenant, Role.AGENT)
    Membership.objects.create(user=person, collectivite=other_tenant, role=Role.AGENT)
    token = services.handoff_create(user=person, collectivite=other_tenant)
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        response = Client(HTTP_HOST=host_of(other_tenant)).post(f"/connexion/relais/{token}/")
    assert response["Location"] == "/comptes/login/"


def test_cannot_switch_to_a_collectivite_one_is_not_member_of(tenant, other_tenant, agent):
    client = sign_in(Client(HTTP_HOST=host_of(tenant)), agent, tenant)
    assert client.post(f"/changer/{other_tenant.pk}/").status_code == 404
    token = services.handoff_create(user=agent, collectivite=tenant)
    # a pass made for A is worthless on B
    response = Client(HTTP_HOST=host_of(other_tenant)).post(f"/connexion/relais/{token}/")
    assert response["Location"] == "/comptes/login/"


def test_signing_in_on_the_main_domain_lists_ones_collectivites(tenant, agent):
    client = Client(HTTP_HOST=host_of(None))
    assert _login(client, agent.email, TEST_PASSWORD)["Location"] == "/mes-collectivites/"
    page = client.get("/mes-collectivites/").content.decode()
    assert tenant.name in page


def test_password_reset_email_links_to_the_same_site(tenant, agent):
    client = Client(HTTP_HOST=host_of(tenant))
    client.post("/comptes/password/reset/", {"email": agent.email})
    assert len(mail.outbox) == 1
    assert "http://test.portail.localhost/comptes/password/reset/key/" in mail.outbox[0].body
