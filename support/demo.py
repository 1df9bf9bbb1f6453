"""Demo data of the assistance (called by `load_demo`, idempotent): the seeds' channels and
calendars, a few practical guides, and one request of Val-de-Saire's agent answered by the
syndicate."""

from __future__ import annotations

from django.utils import timezone

from catalogue.models import Offer
from portal.models import Collectivite, User
from support import services
from support.models import Guide, SupportChannel, Ticket

GUIDES = [
    ("Configurer Thunderbird pour la messagerie", "messagerie-bluemind",
     "1. Ouvrez Thunderbird, menu Comptes.\n2. Adresse et mot de passe du portail.\n"
     "3. Serveurs IMAP et SMTP : détectés automatiquement."),
    ("Partager un dossier du stockage en ligne", "stockage-nextcloud",
     "Depuis Nextcloud, menu « Partager » du dossier ; un lien public peut avoir une date "
     "d'expiration et un mot de passe."),
    ("Préparer une séance de télémaintenance", None,
     "Restez devant votre poste : la séance s'ouvre après votre accord et se ferme à la fin "
     "de l'intervention (seed 002)."),
    ("Réinitialiser son mot de passe", None,
     "Sur la page de connexion du portail, « Mot de passe oublié »."),
]  # fmt: skip


def load() -> None:
    services.channels_load()
    admin = User.objects.filter(email="admin@numerique-demo.fr").first()
    SupportChannel.objects.filter(lead__isnull=True).update(lead=admin)
    for title, code, body in GUIDES:
        offer = Offer.objects.filter(code=code).first() if code else None
        Guide.objects.get_or_create(title=title, defaults={"body": body, "offer": offer})
    collectivite = Collectivite.objects.filter(slug="val-de-saire").first()
    agent = User.objects.filter(email="agent@val-de-saire.demo").first()
    if collectivite is None or agent is None or admin is None:
        return
    if Ticket.objects.filter(collectivite=collectivite).exists():
        return
    ticket = services.ticket_open(
        collectivite=collectivite,
        requester=agent,
        opened_by=agent,
        data=services.TicketInput(
            subject="Les courriels partent en indésirables",
            description="Nos courriels aux administrés arrivent dans leurs spams.",
            priority="normal",
            offer=Offer.objects.filter(code="messagerie-bluemind").first(),
        ),
        now=timezone.now(),
    )
    services.ticket_assign(ticket=ticket, assignee=admin, author=admin, now=timezone.now())
    services.ticket_reply(
        ticket=ticket,
        author=admin,
        body="Pouvez-vous nous transférer un courriel concerné, avec ses en-têtes ?",
        now=timezone.now(),
    )
