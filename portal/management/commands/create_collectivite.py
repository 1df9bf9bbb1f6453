"""Create a collectivité from the command line: schema, domain, invitation (and the time it took)."""

from __future__ import annotations

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from portal import services
from portal.models import Collectivite


class Command(BaseCommand):
    help = "Crée une collectivité (schéma, domaine) et invite son administrateur fonctionnel."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="Nom, ex. « Commune de Brévands »")
        parser.add_argument("--slug", required=True, help="Identifiant = sous-domaine")
        parser.add_argument(
            "--kind", required=True, choices=[k for k, _ in Collectivite.Kind.choices]
        )
        parser.add_argument("--siret", required=True)
        parser.add_argument("--population", type=int, default=0)
        parser.add_argument("--agents", type=int, default=0)
        parser.add_argument("--hosted", action="store_true")
        parser.add_argument("--non-affiliated", action="store_true")
        parser.add_argument("--service-code", default="")
        parser.add_argument("--city", default="")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-name", default="")

    def handle(self, *args, **options):
        started = time.perf_counter()
        try:
            collectivite = services.collectivite_create(
                data=services.CollectiviteInput(
                    name=options["name"],
                    slug=options["slug"],
                    kind=options["kind"],
                    siret=options["siret"],
                    population=options["population"],
                    agent_count=options["agents"],
                    hosted=options["hosted"],
                    non_affiliated=options["non_affiliated"],
                    service_code=options["service_code"],
                    city=options["city"],
                ),
                admin_email=options["admin_email"],
                admin_name=options["admin_name"],
                created_by=None,
            )
        except ValidationError as exc:
            messages = (
                "; ".join(
                    f"{field} : {' '.join(errors)}" for field, errors in exc.message_dict.items()
                )
                if hasattr(exc, "error_dict")
                else " ".join(exc.messages)
            )
            raise CommandError(messages) from exc
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Collectivité « {collectivite.name} » créée en {elapsed * 1000:.0f} ms : "
                f"{services.site_url(collectivite.primary_domain_name)} "
                f"(strate {collectivite.get_strate_display()})"
            )
        )
