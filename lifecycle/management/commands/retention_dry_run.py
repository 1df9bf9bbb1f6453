"""What the retention purge (P5) would remove, per collectivité whose last contract ended —
without changing anything."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lifecycle import selectors
from lifecycle.services import retention


class Command(BaseCommand):
    help = "Liste ce que la purge des données personnelles (P5) supprimerait, sans rien changer."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="date du calcul (AAAA-MM-JJ), aujourd'hui par défaut")

    def handle(self, *args, **options):
        try:
            today = date.fromisoformat(options["date"]) if options["date"] else None
        except ValueError as exc:
            raise CommandError("Date illisible : attendu AAAA-MM-JJ.") from exc
        today = today or timezone.localdate()
        found = 0
        for collectivite in selectors.ended_collectivites():
            preview = retention.retention_preview(collectivite=collectivite, today=today)
            decision = preview.decision
            if decision.ended_on is None or decision.purge_on is None:
                continue
            found += 1
            self.stdout.write(
                f"{collectivite.name} — dernier contrat terminé le {decision.ended_on:%d/%m/%Y}, "
                f"avis le {decision.notice_on:%d/%m/%Y}, purge le {decision.purge_on:%d/%m/%Y} "
                f"({decision.step.value})"
            )
            for where, label, count in preview.sections:
                self.stdout.write(f"  [{where}] {label} : {count}")
            for address in preview.people:
                self.stdout.write(f"  pseudonymisée : {address}")
        if not found:
            self.stdout.write("Aucune collectivité sans contrat en cours.")
