"""Re-encrypt every second-factor secret with the first key of MFA_ENCRYPTION_KEYS (and
encrypt the ones stored in clear before encryption was enabled). Safe to run again."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.core.management.base import BaseCommand
from django.db import transaction

from portal.crypto import InvalidToken, secret_rotate

# The encrypted fields of each kind of authenticator (allauth.mfa: TOTP key, recovery seed).
ENCRYPTED_FIELDS = {
    Authenticator.Type.TOTP: ("secret",),
    Authenticator.Type.RECOVERY_CODES: ("seed",),
}


class Command(BaseCommand):
    help = "Chiffre à nouveau les secrets de double authentification avec la clé la plus récente."

    def handle(self, *args, **options) -> None:
        count, unreadable = 0, 0
        with transaction.atomic():
            rows = Authenticator.objects.select_for_update().filter(type__in=list(ENCRYPTED_FIELDS))
            for authenticator in rows:
                data = dict(authenticator.data)
                try:
                    for name in ENCRYPTED_FIELDS[authenticator.type]:
                        if name in data:
                            data[name] = secret_rotate(data[name])
                    codes = data.get("migrated_codes")
                    if codes is not None:
                        data["migrated_codes"] = [secret_rotate(code) for code in codes]
                except InvalidToken:
                    unreadable += 1  # under a key no longer configured: left as it is
                    continue
                authenticator.data = data
                authenticator.save(update_fields=["data"])
                count += 1
        self.stdout.write(f"{count} secret(s) de double authentification chiffré(s) à nouveau.")
        if unreadable:
            self.stderr.write(
                f"{unreadable} secret(s) illisible(s) avec les clés de MFA_ENCRYPTION_KEYS, "
                "laissé(s) tel(s) quel(s) : remettez l'ancienne clé dans la liste et relancez."
            )
