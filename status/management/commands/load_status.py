"""`manage.py load_status [--demo]`: the services of the status page and their Alertmanager
routes from `status/data/services.json` (idempotent, keyed on the slug; offers missing from
the catalogue are skipped); with `--demo`, a few announcements, made once."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from catalogue.models import Offer
from status import services
from status.models import AlertRoute, Announcement, Service

DATA = Path(__file__).resolve().parents[2] / "data" / "services.json"


class Command(BaseCommand):
    help = "Charge les services de la page d'état (et, avec --demo, des annonces d'exemple)."

    def add_arguments(self, parser):
        parser.add_argument("--demo", action="store_true", help="Ajouter des annonces d'exemple.")

    @transaction.atomic
    def handle(self, *args, **options):
        specs = json.loads(DATA.read_text(encoding="utf-8"))["services"]
        for position, spec in enumerate(specs, start=1):
            service, _ = Service.objects.update_or_create(
                slug=spec["slug"],
                defaults={
                    "name": spec["name"],
                    "description": spec.get("description", ""),
                    "position": position,
                },
            )
            service.offers.set(Offer.objects.filter(code__in=spec.get("offers", [])))
            for label, values in spec.get("alert_labels", {}).items():
                for value in values:
                    AlertRoute.objects.update_or_create(
                        label=label, value=value, defaults={"service": service}
                    )
        if options["demo"] and not Announcement.objects.exists():
            self._demo()
        self.stdout.write(f"État des services : {Service.objects.count()} services.")

    def _demo(self) -> None:
        now = timezone.now().replace(second=0, microsecond=0)
        mail = Service.objects.get(slug="messagerie")
        services.announcement_create(
            kind=Announcement.Kind.INCIDENT,
            title="Messagerie : envois retardés",
            body="Les messages sortants partaient avec plusieurs minutes de retard.",
            severity=Announcement.Severity.DEGRADED,
            services=[mail],
            starts_at=now - timedelta(days=12, hours=3),
            ends_at=now - timedelta(days=12, hours=1),
            created_by=None,
        )
        services.announcement_create(
            kind=Announcement.Kind.MAINTENANCE,
            title="Mise à jour du stockage en ligne",
            body="Nextcloud passe à la version suivante ; le service sera coupé pendant la fenêtre.",
            services=[Service.objects.get(slug="stockage")],
            starts_at=now + timedelta(days=5),
            ends_at=now + timedelta(days=5, hours=2),
            created_by=None,
        )
        services.announcement_create(
            kind=Announcement.Kind.NEWS,
            title="Nouvelle version du logiciel d'état civil",
            body="<p>La version 2026.1 simplifie l'édition des actes. <strong>Aucune action</strong> n'est nécessaire de votre part.</p>",
            created_by=None,
        )
