"""Development only: the current TOTP code of a demo staff account, for trying the back-office
without an authenticator app. Refuses outside DEBUG and for any non-demo account."""

from __future__ import annotations

import time

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.management.commands.load_demo import STAFF

DEMO_STAFF = {email for email, _, _ in STAFF}


class Command(BaseCommand):
    help = (
        "Affiche le code TOTP courant d'un compte de démonstration du syndicat (DEBUG seulement)."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", nargs="?", default=STAFF[0][0])

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Réservé au développement (DEBUG).")
        if options["email"] not in DEMO_STAFF:
            raise CommandError("Seulement pour les comptes de démonstration du syndicat.")
        totp = Authenticator.objects.filter(
            user__email=options["email"], type=Authenticator.Type.TOTP
        ).first()
        if totp is None:
            raise CommandError("Ce compte n'a pas d'application d'authentification.")
        secret = decrypt(totp.data["secret"])
        self.stdout.write(f"{hotp_value(secret, int(time.time()) // 30):06d}")
