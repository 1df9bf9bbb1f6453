"""Create or migrate the template schema new collectivités are copied from. Run after the
migrations at each deployment (docker-compose's `migrate` service, `make run`); creating a
collectivité also checks it, so forgetting only makes the first creation slower."""

from django.core.management.base import BaseCommand

from portal.tenancy import tenant_template_ensure


class Command(BaseCommand):
    help = "Crée ou met à jour le schéma modèle des collectivités."

    def handle(self, *args, **options):
        tenant_template_ensure()
        self.stdout.write("Schéma modèle des collectivités à jour.")
