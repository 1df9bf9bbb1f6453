"""Run the nightly reconciliation of the public projection now (after the first deployment
of the projection, to fill it; or after restoring a schema by hand)."""

from django.core.management.base import BaseCommand

from accounts.tasks import projections_reconcile


class Command(BaseCommand):
    help = "Répare la projection publique des comptes et demandes d'espace de chaque collectivité."

    def handle(self, *args, **options):
        result = projections_reconcile()
        self.stdout.write(
            f"{result['collectivites']} collectivité(s) : {result['inserted']} ligne(s) ajoutée(s), "
            f"{result['updated']} corrigée(s), {result['deleted']} supprimée(s), "
            f"{result['dangling']} référence(s) orpheline(s), {result['failed']} schéma(s) en échec "
            f"(rapport n° {result['report']})."
        )
