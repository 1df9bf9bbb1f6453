"""Create (or complete) a syndicate staff member: administrator or finance."""

from __future__ import annotations

import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from portal import services
from portal.models.people import STAFF_ADMIN_GROUP, STAFF_FINANCE_GROUP

ROLES = {"administrateur": STAFF_ADMIN_GROUP, "finances": STAFF_FINANCE_GROUP}


class Command(BaseCommand):
    help = (
        "Crée un membre du personnel du syndicat (rôle administrateur ou finances). "
        "Le mot de passe est demandé ; la double authentification est exigée à la première "
        "connexion."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", required=True, help="Nom complet")
        parser.add_argument("--role", choices=sorted(ROLES), action="append", required=True)

    def handle(self, *args, **options):
        password = getpass.getpass("Mot de passe : ")
        if password != getpass.getpass("Mot de passe (confirmation) : "):
            raise CommandError("Les deux mots de passe ne correspondent pas.")
        try:
            user = services.staff_user_create(
                email=options["email"],
                full_name=options["name"],
                password=password,
                groups=[ROLES[role] for role in options["role"]],
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"{user.email} : {', '.join(options['role'])}."))
