"""Issue an API token to a syndicate staff member; the clear token is printed once."""

from django.core.management.base import BaseCommand, CommandError

from portal import services
from portal.access import has_second_factor, is_syndicate_staff
from portal.models import User


class Command(BaseCommand):
    help = "Crée un jeton d'API pour un membre du personnel du syndicat."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", default="jeton")

    def handle(self, *args, **options):
        user = User.objects.filter(email=options["email"].lower()).first()
        if user is None:
            raise CommandError("Aucun utilisateur avec cette adresse.")
        if not is_syndicate_staff(user):
            raise CommandError("Seul le personnel du syndicat peut recevoir un jeton d'API.")
        if not has_second_factor(user):
            raise CommandError(
                "Ce compte n'a pas encore de second facteur : il doit le configurer à sa "
                "première connexion avant de recevoir un jeton."
            )
        _, raw = services.api_token_create(user=user, name=options["name"])
        self.stdout.write(raw)
