"""Demo data: the syndicate, three collectivités of different strates, one person per role.

Idempotent: running it again changes nothing and prints the logins again. The catalogue and
other issues add their own demo data from here.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from catalogue.management.commands.load_catalogue import schedule_history_ensure
from catalogue.models import Offer
from contracts.models import Subscription
from portal import services
from portal.models import Collectivite, Role, Syndicate, User
from portal.models.people import STAFF_ADMIN_GROUP, STAFF_FINANCE_GROUP

DEMO_PASSWORD = "Demo-Portail-2026!"  # noqa: S105 (printed for the demo on purpose)
# The demo staff's authenticator secret, printed so that it can be typed into any TOTP app;
# `manage.py demo_totp_code` prints the current code for those who have none.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105

SYNDICATE = {
    "name": "Syndicat mixte Numérique Démo",
    "short_name": "Numérique Démo",
    "siret": "25500012300016",
    "address": "1 rue de la Mutualisation",
    "postcode": "50000",
    "city": "Saint-Lô",
    "email": "contact@numerique-demo.fr",
    "brand_colour": "#1d4f91",
    "publication_director": "Le président du syndicat",
    "dpo_name": "ADICO",
    "dpo_address": "5 rue Jean Monnet, 60000 Beauvais",
    "dpo_email": "contact@adico.fr",
}

COLLECTIVITES = [
    {
        "name": "Commune de Brévands-sur-Vire",
        "slug": "brevands",
        "kind": "commune",
        "siret": "21500123400011",
        "population": 180,
        "agent_count": 2,
        "city": "Brévands-sur-Vire",
        "postcode": "50500",
        "service_code": "MAIRIE",
        "brand_colour": "#2e6b30",
        "admin": ("secretaire@brevands.demo", "Claire Lemonnier"),
    },
    {
        "name": "Commune de Val-de-Saire",
        "slug": "val-de-saire",
        "kind": "commune",
        "siret": "21500456700011",
        "population": 3000,
        "agent_count": 24,
        "city": "Val-de-Saire",
        "postcode": "50760",
        "service_code": "FINANCES",
        "brand_colour": "#8a1c3b",
        "admin": ("admin@val-de-saire.demo", "Julien Hamel"),
    },
    {
        "name": "Communauté de communes du Bocage",
        "slug": "cc-bocage",
        "kind": "epci",
        "siret": "24500789000011",
        "population": 25000,
        "agent_count": 80,
        "city": "Saint-Sauveur",
        "postcode": "50250",
        "service_code": "DGS",
        "brand_colour": "#005a70",
        "admin": ("admin@cc-bocage.demo", "Sophie Marie"),
    },
]

# (email, name, collectivité slug, role): one person per role, and a secrétaire de mairie
# who serves two communes.
PEOPLE = [
    ("agent@val-de-saire.demo", "Paul Lecoq", "val-de-saire", Role.AGENT),
    ("maire@val-de-saire.demo", "Anne Duval", "val-de-saire", Role.SIGNATORY),
    ("referent@val-de-saire.demo", "Marc Leroux", "val-de-saire", Role.VISIO_REFERENT),
    ("secretaire@brevands.demo", "Claire Lemonnier", "val-de-saire", Role.AGENT),
    ("president@cc-bocage.demo", "Henri Lefranc", "cc-bocage", Role.SIGNATORY),
]
# (offer, given name, surname, holder's address, login): Val-de-Saire's service accounts.
DEMO_ACCOUNTS = [
    ("messagerie-bluemind", "Julien", "Hamel", "admin@val-de-saire.demo", "julien.hamel"),
    ("messagerie-bluemind", "Paul", "Lecoq", "agent@val-de-saire.demo", "paul.lecoq"),
    ("messagerie-bluemind", "Anne", "Duval", "maire@val-de-saire.demo", "anne.duval"),
    ("stockage-nextcloud", "Paul", "Lecoq", "agent@val-de-saire.demo", "paul.lecoq"),
    ("visio-bigbluebutton", "Marc", "Leroux", "referent@val-de-saire.demo", "marc.leroux"),
]
# (collectivité slug, offer code, quantity, months before this month, day of the month): what
# the demo collectivités hold. Dates are computed from the day the demo is loaded, so that
# every journey of the README works whatever that day is: some subscriptions are in their first
# year, others renewed once (every contract year uninvoiced, for finance's first run).
SUBSCRIPTIONS = [
    ("val-de-saire", "messagerie-bluemind", 12, 20, 17),
    ("val-de-saire", "stockage-nextcloud", 8, 20, 17),
    ("val-de-saire", "visio-bigbluebutton", 3, 14, 8),
    ("val-de-saire", "assistance-logiciels-metiers", 1, 23, 6),
    ("val-de-saire", "forfait-technologie", 1, 11, 5),
    ("brevands", "messagerie-bluemind", 2, 18, 2),
    ("brevands", "forfait-metiers", 1, 22, 3),
    ("cc-bocage", "messagerie-bluemind", 40, 19, 14),
    ("cc-bocage", "messagerie-quota-supplementaire", 20, 14, 1),
    ("cc-bocage", "forfait-technologie", 1, 11, 5),
    ("cc-bocage", "forfait-metiers", 1, 23, 6),
]


def demo_date(today: date, months_before: int, day: int) -> date:
    """The `day` (1 to 28) of the month `months_before` months before today's."""
    from contracts import rules

    return rules.add_months(today.replace(day=1), -months_before).replace(day=day)


STAFF = [
    ("admin@numerique-demo.fr", "Nadia Roussel", [STAFF_ADMIN_GROUP]),
    ("finances@numerique-demo.fr", "Yves Morel", [STAFF_FINANCE_GROUP]),
]


FRAMEWORK_TEXT = """Objet. La présente convention fixe le cadre dans lequel le syndicat met ses services
numériques mutualisés à la disposition de la collectivité membre. Chaque service fait l'objet
d'un devis et d'une annexe de conditions particulières, qui complètent la convention.

Commandes. Les commandes sont passées par écrit : la collectivité accepte le devis et ses
annexes sur le portail et indique le numéro de bon de commande ou d'engagement. Le devis est
valable un mois à compter de sa date. Le syndicat approuve la commande puis met le service à
disposition ; il passe, s'il y a lieu, commande au fournisseur du marché concerné.

Durée. Chaque abonnement est conclu pour un an à compter du mois de son activation et se
renouvelle par tacite reconduction. Après la première année, la collectivité peut le résilier
en respectant un préavis de deux mois, qui court à partir du 1er du mois suivant la réception
de sa demande par le syndicat ; une résiliation pendant la première année laisse l'abonnement
dû jusqu'à sa date anniversaire.

Tarifs et paiement. Les prestations sont facturées selon les tarifs fixés par délibération du
comité syndical. La facture est adressée dans le mois suivant la mise à disposition puis chaque
année ; elle est payable dans les 30 jours, par mandat administratif.

Données personnelles. Les données des comptes sont conservées pendant la durée du contrat et
un an au-delà.

(Texte de démonstration.)"""


def _siret(value: str) -> str:
    """Demo SIRETs: the given digits with valid SIREN and SIRET keys (C1)."""
    from stdnum import luhn

    siren8, nic4 = value[:8], value[9:13]
    siren = siren8 + luhn.calc_check_digit(siren8)
    return siren + nic4 + luhn.calc_check_digit(siren + nic4)


class Command(BaseCommand):
    help = "Charge les données de démonstration (idempotent) et affiche les identifiants."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Charger même hors développement (DEBUG faux) : jamais en production.",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Données de démonstration refusées hors développement (DEBUG) : elles créent "
                "des comptes au mot de passe connu. Utilisez --force pour une base jetable."
            )
        call_command("load_catalogue", stdout=self.stdout)
        with transaction.atomic():
            siret = _siret(SYNDICATE["siret"])
            vat_key = (12 + 3 * (int(siret[:9]) % 97)) % 97  # B8: FR + key + SIREN
            Syndicate.objects.update_or_create(
                pk=1,
                defaults={**SYNDICATE, "siret": siret, "vat_number": f"FR{vat_key:02d}{siret[:9]}"},
            )
            for email, name, groups in STAFF:
                staff = services.staff_user_create(
                    email=email, full_name=name, password=DEMO_PASSWORD, groups=groups
                )
                if not Authenticator.objects.filter(
                    user=staff, type=Authenticator.Type.TOTP
                ).exists():
                    TOTP.activate(staff, DEMO_TOTP_SECRET)
        for spec in COLLECTIVITES:
            self._collectivite(spec)
        for email, name, slug, role in PEOPLE:
            user = self._person(email, name)
            services.membership_grant(
                user=user,
                collectivite=Collectivite.objects.get(slug=slug),
                role=role,
                granted_by=None,
            )
        self._subscriptions()
        call_command("load_status", "--demo", stdout=self.stdout)  # status page, announcements
        self._framework_agreement()
        self._quote_to_sign()
        self._accounts()
        from trainings.demo import demo_trainings_load  # a training and its sessions

        demo_trainings_load()
        from support import demo as support_demo  # assistance: channels, guides, a request

        support_demo.load()
        self._print_logins()

    def _quote_to_sign(self) -> None:
        """A quote waiting for Val-de-Saire's signatory, so that the whole journey can be
        tried: sign it as maire@val-de-saire.demo, approve it as the syndicate."""
        from django.utils import timezone

        from catalogue.models import Offer
        from contracts import services as contract_services
        from contracts.models import Quote

        collectivite = Collectivite.objects.get(slug="val-de-saire")
        if Quote.objects.filter(collectivite=collectivite).exists():
            return
        today = timezone.localdate()
        quote = contract_services.quote_create(
            collectivite=collectivite,
            title="Extension de la messagerie et salles de visioconférence",
            created_by=None,
            today=today,
        )
        for code, quantity in (("messagerie-bluemind", 3), ("visio-bigbluebutton", 2)):
            offer = Offer.objects.filter(code=code).first()
            if offer is not None:
                contract_services.quote_line_set(quote=quote, offer=offer, quantity=quantity)
        contract_services.quote_send(quote=quote, sent_by=None, today=today)

    def _accounts(self) -> None:
        """Service accounts of Val-de-Saire (mailboxes, drive, a visio room after the
        referent's training), queued for provisioning: the worker creates them in the
        directory and the services as soon as it starts."""
        from django.utils import timezone
        from django_tenants.utils import schema_context

        from accounts import services as account_services
        from accounts.models import ServiceAccount
        from portal.models import Membership

        collectivite = Collectivite.objects.get(slug="val-de-saire")
        referent = Membership.objects.filter(
            collectivite=collectivite, role=Role.VISIO_REFERENT, trained_on__isnull=True
        ).first()
        if referent is not None:
            referent.trained_on = demo_date(timezone.localdate(), 15, 15)
            referent.save(update_fields=["trained_on"])
        admin = User.objects.get(email="admin@val-de-saire.demo")
        with schema_context(collectivite.schema_name):
            if ServiceAccount.objects.exists():
                return
            for offer, given, surname, email, login in DEMO_ACCOUNTS:
                account_services.account_create(
                    collectivite=collectivite,
                    data=account_services.AccountData(
                        offer_code=offer,
                        given_name=given,
                        surname=surname,
                        email=email,
                        login=login,
                    ),
                    created_by=admin,
                    today=timezone.localdate(),
                )

    def _framework_agreement(self) -> None:
        from django.utils import timezone

        from contracts.models import FrameworkAgreement

        FrameworkAgreement.objects.get_or_create(
            version=1,
            defaults={
                "title": "Convention cadre d'adhésion aux services numériques mutualisés",
                # in force since before the first demo subscription
                "effective_from": demo_date(timezone.localdate(), 24, 1).replace(month=1),
                "text": FRAMEWORK_TEXT,
            },
        )

    @transaction.atomic
    def _subscriptions(self) -> None:
        """Subscriptions activated up to 23 months ago, with their first contract year; the
        daily renewal job creates the years since."""
        from django.utils import timezone

        from contracts import rules
        from contracts.models import ContractYear
        from contracts.services import renewals_run

        today = timezone.localdate()
        for slug, offer_code, quantity, months_before, day in SUBSCRIPTIONS:
            activated_on = demo_date(today, months_before, day)
            subscription, _ = Subscription.objects.get_or_create(
                collectivite=Collectivite.objects.get(slug=slug),
                offer=Offer.objects.get(code=offer_code),
                defaults={"quantity": Decimal(quantity), "activated_on": activated_on},
            )
            if not subscription.years.exists():
                ContractYear.objects.create(
                    subscription=subscription,
                    start=rules.term_start(subscription.activated_on),
                    end=rules.first_anniversary(subscription.activated_on),
                )
        renewals_run(today=today)
        # The tariff history behind these years: one schedule per calendar year since the
        # first (recorded as past deliberations; nothing is issued yet on a fresh demo).
        first = ContractYear.objects.order_by("start").values_list("start", flat=True).first()
        if first is not None:
            schedule_history_ensure(since=first, today=today)

    def _person(self, email: str, name: str) -> User:
        user, created = User.objects.get_or_create(email=email, defaults={"full_name": name})
        if created or not user.has_usable_password():
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user

    def _collectivite(self, spec: dict) -> None:
        spec = dict(spec)
        admin_email, admin_name = spec.pop("admin")
        collectivite = Collectivite.objects.filter(slug=spec["slug"]).first()
        if collectivite is None:
            collectivite = services.collectivite_create(
                data=services.CollectiviteInput(**{**spec, "siret": _siret(spec["siret"])}),
                admin_email=admin_email,
                admin_name=admin_name,
                created_by=None,
            )
        admin = self._person(admin_email, admin_name)
        services.membership_grant(
            user=admin, collectivite=collectivite, role=Role.FUNCTIONAL_ADMIN, granted_by=None
        )

    def _print_logins(self) -> None:
        write = self.stdout.write
        write("")
        write(self.style.SUCCESS("Données de démonstration prêtes."))
        write(f"Mot de passe de tous les comptes de démonstration : {DEMO_PASSWORD}")
        write(f"Espace du syndicat : {services.backoffice_url()}")
        for email, _, groups in STAFF:
            write(f"  {email:32} {', '.join(groups)}")
        write(
            f"  Double authentification du personnel : secret TOTP {DEMO_TOTP_SECRET} "
            "(à saisir dans une application d'authentification), ou le code courant avec "
            "« .venv/bin/python manage.py demo_totp_code »."
        )
        for collectivite in Collectivite.objects.prefetch_related("domains", "memberships__user"):
            write(
                f"{collectivite.name} (strate {collectivite.strate}) : "
                f"{services.site_url(collectivite.primary_domain_name)}"
            )
            for m in collectivite.memberships.all().order_by("user__email", "role"):
                write(f"  {m.user.email:32} {m.get_role_display()}")
