"""Secrets kept in the database encrypted at rest (issue 18: second-factor secrets).

Keys come from the environment, `MFA_ENCRYPTION_KEYS`: comma-separated Fernet keys, the first
encrypts and every one decrypts, so that a key is rotated by putting the new one first, running
`manage.py rotate_mfa_secrets`, then removing the old one. Without the variable the key is
derived from SECRET_KEY (development and tests). A value that is not a Fernet token is a secret
stored before encryption was enabled: it is read as it is until the command encrypts it."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

# A Fernet token starts with its version byte 0x80 and a 64-bit timestamp whose high bytes are
# zero for centuries: "gAAAAA" in URL-safe base64.
_TOKEN_PREFIX = "gAAAAA"  # noqa: S105 - a format marker, not a secret


def derived_key(secret_key: str) -> str:
    """A Fernet key derived from SECRET_KEY, for when no key is configured."""
    digest = hashlib.sha256(f"portail-mfa:{secret_key}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def _fernet() -> MultiFernet:
    keys = settings.MFA_ENCRYPTION_KEYS or [derived_key(settings.SECRET_KEY)]
    return MultiFernet([Fernet(key.encode()) for key in keys])


def is_encrypted(value: str) -> bool:
    return value.startswith(_TOKEN_PREFIX)


def secret_encrypt(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode()


def secret_decrypt(value: str) -> str:
    """The clear text of `value`; raises InvalidToken when no configured key opens it."""
    if not is_encrypted(value):
        return value  # stored before encryption: rotate_mfa_secrets encrypts it
    return _fernet().decrypt(value.encode()).decode()


def secret_rotate(value: str) -> str:
    """`value` encrypted with the first key (a clear value is encrypted)."""
    if not is_encrypted(value):
        return secret_encrypt(value)
    return _fernet().rotate(value.encode()).decode()


__all__ = ["InvalidToken", "secret_decrypt", "secret_encrypt", "secret_rotate"]
