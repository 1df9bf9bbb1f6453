"""Issue 18: second-factor secrets are encrypted at rest, with keys that can be rotated."""

from __future__ import annotations

import io

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    generate_totp_secret,
    hotp_value,
    validate_totp_code,
)
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command

from portal.crypto import secret_decrypt
from tests.factories import UserFactory

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def _code(secret: str) -> str:
    import time

    return f"{hotp_value(secret, int(time.time()) // 30):06d}"


@pytest.fixture
def staff(db):
    return UserFactory(email="agent-du-syndicat@exemple.fr")


def test_the_totp_secret_is_not_stored_in_clear(staff):
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)

    stored = Authenticator.objects.get(user=staff, type=Authenticator.Type.TOTP).data["secret"]

    assert stored != secret
    assert secret not in stored
    assert secret_decrypt(stored) == secret
    assert validate_totp_code(secret, _code(secret))


def test_rotation_moves_every_secret_to_the_new_key(staff, settings):
    settings.MFA_ENCRYPTION_KEYS = [OLD_KEY]
    secret = generate_totp_secret()
    totp = TOTP.activate(staff, secret)
    codes = RecoveryCodes.activate(staff).generate_codes()

    settings.MFA_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    call_command("rotate_mfa_secrets", stdout=io.StringIO(), stderr=io.StringIO())
    settings.MFA_ENCRYPTION_KEYS = [NEW_KEY]

    totp.instance.refresh_from_db()
    assert secret_decrypt(totp.instance.data["secret"]) == secret
    recovery = Authenticator.objects.get(user=staff, type=Authenticator.Type.RECOVERY_CODES)
    assert RecoveryCodes(recovery).generate_codes() == codes


def test_a_secret_under_a_removed_key_is_unreadable(staff, settings):
    settings.MFA_ENCRYPTION_KEYS = [OLD_KEY]
    TOTP.activate(staff, generate_totp_secret())
    settings.MFA_ENCRYPTION_KEYS = [NEW_KEY]

    stored = Authenticator.objects.get(user=staff).data["secret"]
    with pytest.raises(InvalidToken):
        secret_decrypt(stored)


def test_secrets_stored_in_clear_before_are_encrypted_by_the_command(staff):
    secret = generate_totp_secret()
    Authenticator.objects.create(user=staff, type=Authenticator.Type.TOTP, data={"secret": secret})
    assert secret_decrypt(secret) == secret  # still readable until the command runs

    call_command("rotate_mfa_secrets", stdout=io.StringIO(), stderr=io.StringIO())

    stored = Authenticator.objects.get(user=staff).data["secret"]
    assert stored != secret
    assert secret_decrypt(stored) == secret
