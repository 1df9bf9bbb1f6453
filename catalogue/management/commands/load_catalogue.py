"""`manage.py load_catalogue`: the demo catalogue, built from the seeds, with EXAMPLE prices.

What the offers are, what they include and their special conditions come from the seeds
(000 Zimbra mail and 004 BigBlueButton visio of Somme Numérique; 001 BlueMind mail, Nextcloud
drive and 002 software assistance of Manche Numérique; 003 CDG 47's forfaits, strate table and
complementary services). The prices are invented examples: the schedules say so in their title
and notes and carry `is_example=True`.

Idempotent: families and offers are keyed on their code; an offer's annex is published only
when it has none; the 2026 schedule is created and published once (a later run only prices the
offers it does not price yet, never changing a price); the 2027 draft is made once, by copying
the 2026 schedule and raising its prices by 3 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from catalogue import services
from catalogue.domain import money
from catalogue.models import (
    BillingUnit,
    Offer,
    ServiceFamily,
    StrateInclusion,
    StratePrice,
    System,
    TariffLine,
    TariffSchedule,
)
from portal.domain import STRATE_LABELS, Strate

D = Decimal

FAMILIES = [
    (
        "messagerie",
        "Messagerie collaborative",
        "Messageries collaboratives hébergées par le syndicat : courriel, agendas et contacts "
        "partagés.",
    ),
    (
        "stockage",
        "Stockage et partage de fichiers",
        "Espaces en ligne pour stocker, synchroniser et partager des fichiers, avec édition "
        "collaborative des documents.",
    ),
    (
        "visio",
        "Visioconférence",
        "Salles de visioconférence et de présentation en ligne sur un logiciel libre hébergé "
        "par le syndicat.",
    ),
    (
        "assistance",
        "Assistance logiciels métiers",
        "Assistance par téléphone et télémaintenance sur les logiciels métiers et les outils de "
        "dématérialisation.",
    ),
    (
        "forfait-metiers",
        "Forfait Métiers",
        "Accès, assistance et maintenance des logiciels métiers, formation de groupe et veille "
        "réglementaire, au tarif de la strate de la collectivité.",
    ),
    (
        "forfait-technologie",
        "Forfait Technologie",
        "Sécurité du système d'information, e-administration, outils et conseil en équipement, "
        "avec des volumes inclus selon la strate de la collectivité.",
    ),
    (
        "prestations",
        "Prestations complémentaires",
        "Interventions, conseil, formation et fournitures en complément des forfaits, à "
        "l'heure, à la journée, au Go ou à l'unité.",
    ),
]

# --- Paragraphs shared by several annexes (seeds 000, 001, 002; DESIGN A3, A4, S1–S3) -------

ORDERING = (
    "Les commandes sont passées uniquement par écrit, après signature d'un devis, valable un "
    "mois à compter de sa date. La collectivité adresse au syndicat un bon de commande "
    "accompagné du devis signé, de la présente annexe signée et de la convention cadre signée "
    "si elle ne l'a pas remise lors d'une précédente prestation."
)
BILLING_YEARLY = (
    "Les prestations sont facturées selon les tarifs fixés par délibération du comité "
    "syndical. Une facture est adressée dans le mois suivant la mise à disposition du service, "
    "puis chaque année. Le montant est à régler dans les 30 jours à réception de la facture, "
    "en une seule fois, par mandat administratif."
)
TERM_SERVICE = (
    "Le service est souscrit pour une durée d'un an à compter du mois de son activation, "
    "renouvelable par tacite reconduction. La collectivité peut le résilier en respectant un "
    "préavis de deux mois, qui court à partir du 1er du mois suivant la réception de sa "
    "demande par le syndicat. Si la résiliation intervient avant la fin de la première année, "
    "l'abonnement reste dû jusqu'à la date anniversaire de la mise en service, le préavis "
    "étant respecté dans tous les cas."
)
QUOTA_REQUEST = (
    "Le titulaire et l'administrateur fonctionnel sont avertis lorsque le compte atteint 90 % "
    "puis 100 % de son quota ; le titulaire doit alors réduire la taille de son compte, en "
    "sauvegardant les éléments qu'il souhaite conserver avant de les supprimer. Une demande "
    "d'augmentation de l'espace disponible est adressée à l'administrateur fonctionnel, qui la "
    "transmet au syndicat ; le syndicat peut la refuser, en indiquant le motif."
)
MAIL_LIMITS = (
    "La taille d'un message ne peut dépasser 10 Mo et un message compte au plus 50 "
    "destinataires ; pour écrire à davantage de destinataires, l'utilisateur constitue un "
    "groupe et utilise cette fonctionnalité."
)
MAIL_CLOSURE = (
    "Le service d'un compte s'arrête par la suppression du compte par l'administrateur "
    "fonctionnel, par la fin de l'abonnement ou en l'absence de règlement de la contribution "
    "annuelle. Le compte fermé reste accessible 3 mois après sa fermeture, explicite ou "
    "implicite, puis devient inaccessible et ses données sont supprimées. Il appartient au "
    "titulaire de sauvegarder ses données (messages, carnet d'adresses, agendas, tâches, "
    "documents) avec les outils d'export de la messagerie ; il en est prévenu avant la "
    "fermeture. Un compte supprimé peut être restauré pendant 14 jours."
)
BACKUP_AND_SUPPORT = (
    "Les données des comptes de messagerie et d'hébergement sont sauvegardées chaque nuit, "
    "entre 23 h et 5 h ; toute donnée sauvegardée peut être récupérée jusqu'à 14 jours après "
    "sa suppression. Les services sont en ligne 24 heures sur 24, 7 jours sur 7. En cas "
    "d'indisponibilité, les utilisateurs contactent le support, dont les coordonnées figurent "
    "sur le portail d'authentification ; le syndicat s'engage sur un délai d'intervention de "
    "4 heures ouvrées."
)
ACCOUNT_CLOSURE = (
    "Un compte fermé, par l'administrateur fonctionnel ou à la fin de l'abonnement, reste "
    "accessible 3 mois pour l'export de ses données, puis il est désactivé et ses données "
    "sont supprimées ; son titulaire en est prévenu et sauvegarde ses fichiers au préalable. "
    "Un compte supprimé peut être restauré pendant 14 jours."
)
FORFAIT_CONDITIONS = (
    "Le forfait est proposé dans le cadre de la convention cadre d'accompagnement numérique, "
    "que la collectivité doit avoir signée. Son tarif dépend de la strate de la collectivité "
    "(population pour les communes, nombre d'agents pour les établissements publics et les "
    "budgets annexes), selon la grille tarifaire fixée par délibération du comité syndical."
)
COMPLEMENTARY = (
    "La collectivité peut solliciter cette prestation complémentaire en plus des services "
    "dont elle dispose dans le cadre de son forfait ; son contenu est identique à celui du même "
    "service compris dans les forfaits. La demande est faite par écrit, de préférence par "
    "l'outil de ticketing mis à la disposition des collectivités. La prestation est facturée "
    "selon le tarif fixé par délibération du comité syndical."
)
ON_DEMAND = (
    "En cas de nécessité, un technicien du syndicat intervient sur sollicitation de la "
    "collectivité, par l'outil de ticketing mis à sa disposition ; il évalue au préalable le "
    "temps nécessaire à la réalisation de la demande."
)

# --- The forfait Technologie's volumes by strate (seed 003, "Services compris dans les
# forfaits dont le volume est déterminé selon la strate"): security licences, backup GB,
# certificates. ---------------------------------------------------------------------------

STRATE_VOLUMES: dict[Strate, tuple[int, int, int]] = {
    Strate.UNDER_100: (1, 4, 1),
    Strate.HOSTED: (0, 4, 0),
    Strate.UNDER_250: (1, 6, 1),
    Strate.FROM_250: (1, 9, 1),
    Strate.FROM_500: (2, 12, 1),
    Strate.FROM_1000: (2, 15, 1),
    Strate.FROM_2000: (5, 18, 2),
    Strate.FROM_3500: (10, 21, 2),
    Strate.FROM_5000: (15, 24, 2),
    Strate.TOP: (15, 27, 2),
}
STRATE_ITEMS = [
    ("Logiciels de sécurité", "licences"),
    ("Sauvegarde externalisée", "Go"),
    ("Certificat électronique", "certificats"),
]
# Included whatever the strate (seed 003: "Un compte de 5 Go inclus", "Un compte de 1 Go
# inclus").
FIXED_ITEMS = [
    ("Messagerie professionnelle sécurisée", "compte de 5 Go", 1),
    ("Plateforme de stockage et partage de fichiers", "compte de 1 Go", 1),
]


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count < 2 else plural}"


def _strate_table() -> str:
    rows = [
        f"- {STRATE_LABELS[strate]} : "
        f"{_plural(licences, 'licence', 'licences')} de logiciel de sécurité, "
        f"{backup} Go de sauvegarde externalisée, "
        f"{_plural(certificates, 'certificat électronique', 'certificats électroniques')}."
        for strate, (licences, backup, certificates) in STRATE_VOLUMES.items()
    ]
    return "\n".join(rows)


@dataclass(frozen=True)
class OfferSpec:
    code: str
    family: str
    name: str
    summary: str
    description: str
    system: str
    billing_unit: str
    annex: str
    default_quota_gb: Decimal | None = None
    max_message_size_mb: int | None = None
    max_recipients: int | None = None
    recording_retention_days: int | None = None
    needs_supplier_order: bool = False
    requires: str | None = None
    requires_referent_training: bool = False
    requires_framework_agreement: bool = False


def _annex(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs)


OFFERS = [
    # --- Messagerie (seeds 000, 001; A1, A5) ---
    OfferSpec(
        code="messagerie-bluemind",
        family="messagerie",
        name="Messagerie collaborative BlueMind (2 Go)",
        summary="Courriel, agendas et contacts sur BlueMind, 2 Go par compte, hébergés par le "
        "syndicat.",
        description=(
            "BlueMind réunit le courrier électronique, les calendriers, les calendriers de "
            "ressources (salles, équipements) et un répertoire de contacts. La messagerie est "
            "hébergée sur les infrastructures du syndicat et accessible par un navigateur ; "
            "elle fonctionne aussi avec Thunderbird, Outlook et les applications de messagerie "
            "des smartphones Android ou Apple. Chaque compte dispose de 2 Go, extensibles par "
            "abonnement complémentaire ; une pièce jointe trop volumineuse est déposée dans "
            "Nextcloud et partagée par un lien."
        ),
        system=System.BLUEMIND,
        billing_unit=BillingUnit.ACCOUNT_YEAR,
        default_quota_gb=D("2"),
        max_message_size_mb=10,
        max_recipients=50,
        annex=_annex(
            "Objet. La messagerie collaborative BlueMind comprend le courrier électronique, "
            "les calendriers, les calendriers de ressources (salles, équipements) et un "
            "répertoire de contacts. Elle est installée sur les infrastructures du syndicat, "
            "hébergées dans ses centres de données, et accessible en ligne par un navigateur. "
            "Elle est réputée compatible avec les logiciels de messagerie tels que Thunderbird "
            "ou Outlook et avec les applications de messagerie des smartphones Android ou "
            "Apple ; le syndicat communique les informations nécessaires à leur paramétrage, "
            "mais seul l'accès par un navigateur à l'adresse du service est garanti.",
            "Quota et limites. L'espace de stockage réservé par défaut à chaque compte est de "
            "2 Go ; des abonnements complémentaires, par Go et par an, permettent de "
            "l'augmenter. " + QUOTA_REQUEST + " " + MAIL_LIMITS,
            "Services associés. La messagerie est interconnectée avec l'hébergement Nextcloud : "
            "depuis la messagerie, l'utilisateur partage un document stocké dans Nextcloud par "
            "un lien, et une pièce jointe trop volumineuse est automatiquement déposée dans "
            "Nextcloud et mise à disposition par un lien de partage. Un portail "
            "d'authentification unique, reposant sur un annuaire commun, donne accès à "
            "l'ensemble des services sans nouvelle authentification.",
            "Mise en service. Lors d'une première demande, la collectivité et le syndicat "
            "définissent le nom de domaine de la messagerie (le syndicat réserve un nom de "
            "domaine en « .fr » pour le compte de la collectivité, ou la collectivité lui "
            "transfère un nom de domaine existant, sous réserve d'une étude de faisabilité), le "
            "nombre d'utilisateurs, les services complémentaires de chaque utilisateur et, le "
            "cas échéant, la faisabilité de la récupération de l'historique de l'ancienne "
            "messagerie. " + ORDERING,
            "Sauvegarde et disponibilité. " + BACKUP_AND_SUPPORT,
            "Fermeture d'un compte. " + MAIL_CLOSURE,
            "Durée et facturation. " + BILLING_YEARLY + " " + TERM_SERVICE,
        ),
    ),
    OfferSpec(
        code="messagerie-zimbra",
        family="messagerie",
        name="Messagerie collaborative Zimbra (2 Go)",
        summary="Messagerie au nom de la collectivité avec agendas, contacts, porte-documents "
        "et messagerie instantanée, 2 Go par compte.",
        description=(
            "La messagerie collaborative Zimbra comprend une messagerie électronique au nom de "
            "la collectivité (par exemple courrier@nomdelacommune.fr), des agendas et des "
            "contacts partagés ou non, un porte-documents pour conserver, éditer et partager "
            "des documents, des listes de diffusion et de discussion et une messagerie "
            "instantanée. Elle est accessible depuis tout poste connecté à internet, par un "
            "navigateur ou par le logiciel Zimbra Desktop pour travailler hors connexion. "
            "Chaque compte dispose de 2 Go ; un message pèse au plus 10 Mo et compte au plus "
            "50 destinataires."
        ),
        system=System.ZIMBRA,
        billing_unit=BillingUnit.ACCOUNT_YEAR,
        default_quota_gb=D("2"),
        max_message_size_mb=10,
        max_recipients=50,
        annex=_annex(
            "Objet. La messagerie collaborative comprend une messagerie électronique au nom de "
            "la collectivité (par exemple courrier@nomdelacommune.fr), des agendas et des "
            "contacts qui peuvent être partagés ou non, un porte-documents permettant de "
            "conserver, éditer et partager des documents, des listes de diffusion et de "
            "discussion et une messagerie instantanée. Elle est accessible depuis tout poste "
            "connecté à internet (ordinateur, smartphone), par un navigateur ou par le logiciel "
            "Zimbra Desktop, à installer sur les postes des agents et élus qui souhaitent "
            "disposer de leurs messages hors connexion. Le client Outlook peut être conservé "
            "sur demande expresse au syndicat, facturée selon le coût d'achat.",
            "Quota et limites. La taille d'un compte est de 2 Go. "
            + QUOTA_REQUEST
            + " "
            + MAIL_LIMITS
            + " L'installation d'extensions (Zimlets), qui permettent notamment de relier la "
            "messagerie à des applications métiers, est soumise à l'accord et à "
            "l'intervention du syndicat et peut faire l'objet d'une prestation complémentaire "
            "facturée à la collectivité.",
            "Sécurité et disponibilité. Les comptes font l'objet d'un contrôle anti-virus et "
            "anti-spam dont les bases de référence sont tenues à jour par le syndicat. Par un "
            "mécanisme de redondance, le syndicat assure la sauvegarde et une disponibilité "
            "maximale du service, et met en œuvre les moyens techniques et humains nécessaires "
            "à sa continuité et à sa sécurité. Le syndicat et ses prestataires protègent "
            "l'accès aux données des comptes et n'y accèdent que pour le bon fonctionnement du "
            "service.",
            "Administration et assistance. L'administrateur fonctionnel désigné par la "
            "collectivité crée et supprime les comptes et assiste les utilisateurs dans la "
            "configuration de leurs comptes et smartphones ; le syndicat peut tenir ce rôle, "
            "contre facturation. Les administrateurs fonctionnels ont accès à la hotline du "
            "syndicat. La collectivité peut fournir des éléments graphiques (logo, code "
            "couleur) pour personnaliser la messagerie à ses couleurs ; elle accède à ses "
            "messages par une adresse à son nom (mail.nomdelacollectivite.fr) lorsque le "
            "syndicat gère son nom de domaine.",
            "Arrêt du service. " + MAIL_CLOSURE,
            "Durée et facturation. " + BILLING_YEARLY + " " + TERM_SERVICE,
        ),
    ),
    OfferSpec(
        code="messagerie-quota-supplementaire",
        family="messagerie",
        name="Espace de messagerie supplémentaire (BlueMind)",
        summary="Stockage ajouté au quota de 2 Go d'un compte BlueMind, par Go et par an.",
        description=(
            "Augmente l'espace d'un compte de messagerie BlueMind au-delà des 2 Go inclus. La "
            "demande est adressée au syndicat par l'administrateur fonctionnel ; le syndicat "
            "peut la refuser."
        ),
        system=System.BLUEMIND,
        billing_unit=BillingUnit.GB_YEAR,
        requires="messagerie-bluemind",
        annex=_annex(
            "Objet. Espace de stockage supplémentaire ajouté au quota de 2 Go d'un compte de "
            "messagerie BlueMind, souscrit par Go et par an. Il suppose un abonnement à la "
            "messagerie collaborative BlueMind.",
            "Demande. "
            + QUOTA_REQUEST
            + " Acceptée, la demande ajoute à l'abonnement de la collectivité l'espace "
            "supplémentaire accordé, facturé par Go et par an selon la grille tarifaire en "
            "vigueur.",
            "Durée et facturation. " + BILLING_YEARLY + " " + TERM_SERVICE,
        ),
    ),
    # --- Stockage (seed 001; A1) ---
    OfferSpec(
        code="stockage-nextcloud",
        family="stockage",
        name="Stockage en ligne Nextcloud (5 Go)",
        summary="Stockage, synchronisation et partage de fichiers avec édition collaborative "
        "en ligne, 5 Go par compte.",
        description=(
            "Nextcloud est un service libre de stockage de fichiers en ligne (« drive »). "
            "L'utilisateur y dépose ses fichiers, les synchronise avec son ordinateur pour y "
            "accéder hors connexion et les partage avec d'autres utilisateurs ou avec des "
            "tiers par un lien de partage. L'édition collaborative des documents en ligne "
            "(OnlyOffice) est incluse. Chaque compte dispose de 5 Go, extensibles par "
            "abonnement complémentaire."
        ),
        system=System.NEXTCLOUD,
        billing_unit=BillingUnit.ACCOUNT_YEAR,
        default_quota_gb=D("5"),
        annex=_annex(
            "Objet. Nextcloud est un produit libre d'hébergement et de stockage de données en "
            "ligne (« drive »). L'utilisateur accède aux fichiers qu'il a lui-même déposés et "
            "aux fichiers et espaces que d'autres utilisateurs partagent avec lui ; il partage "
            "fichiers et espaces avec d'autres utilisateurs de Nextcloud ou avec des tiers, par "
            "un lien de partage. Les fichiers et dossiers peuvent être synchronisés avec un "
            "ordinateur pour un accès hors connexion, et inversement, ce qui limite l'usage de "
            "la bande passante. L'édition collaborative de documents en ligne, avec "
            "l'application OnlyOffice, est incluse. Le service est installé sur les "
            "infrastructures du syndicat, hébergées dans ses centres de données, et accessible "
            "par un navigateur ; chaque utilisateur y trouve un dossier regroupant la "
            "documentation des services de messagerie et d'hébergement.",
            "Quota. L'espace de stockage réservé par défaut à chaque compte est de 5 Go ; des "
            "abonnements complémentaires, par Go et par an, permettent de l'augmenter. "
            + QUOTA_REQUEST,
            "Services associés. Nextcloud est interconnecté avec la messagerie BlueMind : "
            "l'utilisateur partage par un lien, depuis sa messagerie, un document stocké dans "
            "Nextcloud, et envoie un document par courriel depuis Nextcloud. Un portail "
            "d'authentification unique, reposant sur un annuaire commun, donne accès à "
            "l'ensemble des services sans nouvelle authentification.",
            "Sauvegarde et disponibilité. " + BACKUP_AND_SUPPORT,
            "Fermeture d'un compte. " + ACCOUNT_CLOSURE,
            "Commande, durée et facturation. "
            + ORDERING
            + " "
            + BILLING_YEARLY
            + " "
            + TERM_SERVICE,
        ),
    ),
    OfferSpec(
        code="stockage-quota-supplementaire",
        family="stockage",
        name="Espace de stockage supplémentaire (Nextcloud)",
        summary="Stockage ajouté aux 5 Go d'un compte Nextcloud, par Go et par an.",
        description=(
            "Augmente l'espace d'un compte Nextcloud au-delà des 5 Go inclus. La demande est "
            "adressée au syndicat par l'administrateur fonctionnel ; le syndicat peut la "
            "refuser."
        ),
        system=System.NEXTCLOUD,
        billing_unit=BillingUnit.GB_YEAR,
        requires="stockage-nextcloud",
        annex=_annex(
            "Objet. Espace de stockage supplémentaire ajouté au quota de 5 Go d'un compte "
            "Nextcloud, souscrit par Go et par an. Il suppose un abonnement au stockage en "
            "ligne Nextcloud.",
            "Demande. "
            + QUOTA_REQUEST
            + " Acceptée, la demande ajoute à l'abonnement de la collectivité l'espace "
            "supplémentaire accordé, facturé par Go et par an selon la grille tarifaire en "
            "vigueur.",
            "Durée et facturation. " + BILLING_YEARLY + " " + TERM_SERVICE,
        ),
    ),
    # --- Visio (seed 004; A6) ---
    OfferSpec(
        code="visio-bigbluebutton",
        family="visio",
        name="Salle de visioconférence BigBlueButton",
        summary="Une salle de visioconférence par compte ; le premier compte de la "
        "collectivité est gratuit.",
        description=(
            "BigBlueButton est un logiciel libre de visioconférence et de présentation en "
            "ligne, recommandé par la Direction interministérielle du numérique et hébergé dans "
            "le centre de données du syndicat. Chaque compte dispose d'une salle de réunion "
            "virtuelle ; le premier compte de chaque collectivité est gratuit. Le référent "
            "désigné par la collectivité suit une formation préalable obligatoire avant "
            "l'ouverture du premier compte. Les enregistrements sont conservés 7 jours."
        ),
        system=System.BIGBLUEBUTTON,
        billing_unit=BillingUnit.ACCOUNT_YEAR,
        recording_retention_days=7,
        requires_referent_training=True,
        annex=_annex(
            "Objet. Le syndicat met à la disposition des collectivités une plateforme de "
            "visioconférence et de présentation en ligne, BigBlueButton, logiciel libre "
            "recommandé par la Direction interministérielle du numérique dans le socle "
            "interministériel de logiciels libres, hébergée dans son centre de données. Le "
            "service est proposé tel quel, sans garantie de performance ni de disponibilité ; "
            "le syndicat fait ses meilleurs efforts pour en assurer le fonctionnement. La "
            "qualité d'une visioconférence dépend du navigateur (en essayer plusieurs), du "
            "réseau du syndicat, de la connexion internet de chaque participant (fibre, ADSL, "
            "4G…) et de la charge de la plateforme.",
            "Comptes et salles. La collectivité adresse au syndicat la liste des adresses "
            "électroniques des comptes à créer ; chaque compte bénéficie d'une salle de réunion "
            "virtuelle. Le premier compte de chaque collectivité est gratuit, les autres "
            "comptes sont facturés selon la grille tarifaire du syndicat.",
            "Référent et formation. La collectivité désigne un agent référent, que le syndicat "
            "contacte pour une formation préalable obligatoire : la collectivité ne peut "
            "utiliser l'outil qu'une fois cette formation suivie. Le référent est "
            "l'interlocuteur unique du syndicat pour ce service. D'autres agents peuvent être "
            "formés à distance, en groupe de plusieurs personnes, selon les tarifs de "
            "formation en vigueur. Un support à l'utilisation est offert du lundi au vendredi, "
            "de 8 h à 17 h.",
            "Règles d'utilisation. Il est conseillé de désactiver son micro lorsqu'il est "
            "inutile de prendre la parole et sa caméra lorsqu'il est inutile d'être vu, et "
            "fortement conseillé de faire des essais avant les premières conférences. Il est "
            "obligatoire d'informer les participants en cas d'enregistrement. Les utilisateurs "
            "s'engagent à ne pas tenir de propos contraires à la loi ni transmettre de contenus "
            "manifestement illégaux ; le syndicat peut fermer tout accès si le fonctionnement "
            "de la plateforme l'exige ou pour mettre fin à un manquement aux présentes "
            "conditions.",
            "Enregistrements. Chaque propriétaire de salle est seul responsable des "
            "enregistrements de sa salle, de leur conservation hors du système informatique du "
            "syndicat et de l'information des participants. Le syndicat n'accède jamais aux "
            "enregistrements. Ils sont conservés sept jours calendaires sur ses serveurs avant "
            "d'être automatiquement détruits ; le propriétaire de la salle, et lui seul, peut "
            "les sauvegarder, sous sa seule et entière responsabilité.",
            "Données personnelles. Les informations recueillies à l'ouverture d'un compte "
            "servent à l'établissement du contrat et à sa facturation ; elles sont conservées "
            "pendant toute la durée du contrat et un an après son terme. Les informations "
            "recueillies lors de l'utilisation du service, pour en vérifier le bon "
            "fonctionnement, prévoir ses évolutions et établir des statistiques, sont "
            "anonymisées dès leur collecte. Chacun peut accéder aux données le concernant, les "
            "rectifier, demander la limitation du traitement ou leur portabilité auprès du "
            "délégué à la protection des données du syndicat ; le droit d'opposition ne "
            "s'applique pas à l'exécution du contrat. Une réclamation peut être adressée à la "
            "CNIL.",
            "Durée et facturation. " + BILLING_YEARLY + " " + TERM_SERVICE,
        ),
    ),
    # --- Assistance (seed 002) ---
    OfferSpec(
        code="assistance-logiciels-metiers",
        family="assistance",
        name="Assistance logiciels métiers et dématérialisation",
        summary="Assistance par téléphone et télémaintenance sur les logiciels métiers et les "
        "outils de dématérialisation, aux jours et heures ouvrables.",
        description=(
            "Le syndicat aide la collectivité, par téléphone et par télémaintenance, à "
            "résoudre les difficultés d'utilisation et les anomalies de ses logiciels métiers "
            "et de ses outils de dématérialisation : diagnostic, résolution des problèmes dus à "
            "des erreurs de manipulation, restauration éventuelle des données, assistance à "
            "l'installation d'une version à jour. Un flux RSS signale les nouveautés et les "
            "interruptions de service. Hotline du lundi au jeudi de 8 h 30 à 12 h et de "
            "13 h 30 à 18 h, le vendredi jusqu'à 17 h."
        ),
        system=System.NONE,
        billing_unit=BillingUnit.COLLECTIVITE_YEAR,
        annex=_annex(
            "Objet. Le syndicat délivre, aux jours et heures ouvrables, une assistance "
            "technique téléphonique à l'utilisation de différents logiciels métiers et outils "
            "de dématérialisation. Il s'efforce de résoudre par téléphone et par "
            "télémaintenance les difficultés d'utilisation et les anomalies rencontrées, en "
            "fournissant les explications et les procédures à suivre. Le service comprend le "
            "diagnostic et la résolution des problèmes causés par des erreurs de manipulation "
            "et, le cas échéant, la restauration des données traitées et l'assistance "
            "téléphonique à la mise en place d'une version actualisée d'un progiciel. Il "
            "comprend aussi un notificateur (flux RSS) qui signale les nouveautés des "
            "logiciels et les interruptions de service, et des fiches pratiques qui complètent "
            "les documentations des éditeurs.",
            "Télémaintenance. La connexion à distance est ouverte après accord de "
            "l'utilisateur, puis fermée par lui à la fin de l'intervention ; l'intervention "
            "est faite en présence de l'utilisateur, ou d'un responsable de la collectivité, "
            "du début à la fin.",
            "Exclusions. Ne sont pas compris : les interventions sur site, y compris celles "
            "rendues nécessaires par la nature du dysfonctionnement signalé ; le développement "
            "de nouveaux programmes, la personnalisation ou la modification des progiciels ; la "
            "formation du personnel ; les mises à jour des postes de travail, du serveur et des "
            "autres périphériques, le paramétrage du photocopieur et des dossiers de "
            "numérisation, la réinstallation de l'application Xémélios et des certificats "
            "fournis par la DGFiP, que la collectivité demande à ses fournisseurs et "
            "interlocuteurs habituels.",
            "Engagements de la collectivité. La collectivité est responsable de ses données "
            "informatisées. Elle informe le syndicat de toute nouvelle acquisition de logiciels "
            "et de toute modification de ses matériels qui touche les postes de travail "
            "assistés, s'assure auprès du syndicat que son futur matériel est conforme aux "
            "prérequis techniques des éditeurs, et effectue dès réception les mises à jour de "
            "ses logiciels et matériels (anti-virus, mises à jour du système…). Lors d'un "
            "appel, elle tient à disposition les informations relatives à ses licences et les "
            "documentations de mise à jour.",
            "Horaires. L'assistance téléphonique est ouverte du lundi au jeudi de 8 h 30 à "
            "12 h 00 et de 13 h 30 à 18 h 00, le vendredi de 8 h 30 à 12 h 00 et de 13 h 30 à "
            "17 h 00.",
            "Commande, durée et facturation. Les commandes sont passées uniquement par écrit, "
            "après signature d'un devis, valable un mois à compter de sa date ; la collectivité "
            "adresse au syndicat un bon de commande accompagné du devis et de la présente "
            "annexe signés. Une facture est adressée au démarrage des prestations d'assistance "
            "annuelle, puis chaque année ; le montant est à régler dans les 30 jours à "
            "réception, en une seule fois, par mandat administratif. L'assistance est souscrite "
            "pour un an à compter de la première commande, renouvelable par tacite "
            "reconduction. Après cette période minimale d'un an, la collectivité peut la "
            "résilier en respectant un préavis de deux mois, qui court à partir du 1er du mois "
            "suivant la réception de sa demande par le syndicat.",
        ),
    ),
    # --- Forfaits (seed 003) ---
    OfferSpec(
        code="forfait-metiers",
        family="forfait-metiers",
        name="Forfait Métiers",
        summary="Accès, assistance et maintenance des logiciels métiers, formation de groupe et "
        "veille réglementaire ; tarif selon la strate.",
        description=(
            "Le forfait Métiers comprend l'accès aux logiciels métiers (comptabilité, budget, "
            "paye, état civil, élections…), l'assistance technique à leur utilisation "
            "courante, leur maintenance préventive et corrective en lien avec l'éditeur, "
            "l'installation et l'accompagnement sur site à la première mise en service dans la "
            "limite d'une journée, deux demi-journées de formation de groupe par an (selon "
            "l'éditeur des logiciels) et une lettre mensuelle de veille réglementaire et "
            "technologique."
        ),
        system=System.NONE,
        billing_unit=BillingUnit.COLLECTIVITE_YEAR,
        requires_framework_agreement=True,
        annex=_annex(
            "Objet. Le forfait Métiers comprend l'accès aux logiciels métiers, l'assistance sur "
            "ces logiciels et leur maintenance préventive et corrective en lien avec "
            "l'éditeur :\n"
            "- l'installation et l'accompagnement sur site à la première mise en service des "
            "logiciels professionnels, dans la limite d'une journée ;\n"
            "- l'assistance technique relative au fonctionnement des logiciels (comptabilité, "
            "budget, paye, état civil, élections, etc.), avec prise en main à distance "
            "lorsqu'elle est requise ;\n"
            "- la maintenance préventive et corrective, en lien avec l'éditeur de logiciels.",
            "Formation et veille. La collectivité participe chaque année à deux demi-journées "
            "de formation de groupe organisées à l'initiative du syndicat (préparation "
            "budgétaire, opérations de fin d'année, actualités…), en fonction de l'éditeur de "
            "ses logiciels. Une veille réglementaire et technologique est assurée par une "
            "lettre d'information mensuelle adressée aux collectivités adhérentes au forfait "
            "(10 envois par an).",
            "Limites. Le forfait inclut l'assistance dans l'utilisation quotidienne des "
            "logiciels. Il exclut l'assistance qui n'en relève pas, ou qui serait liée au "
            "non-respect des prérequis demandés par le syndicat, à une erreur d'utilisation "
            "ou à une mauvaise manipulation, même non intentionnelle, par un agent, un élu ou "
            "un prestataire de la collectivité. Sur demande écrite de la collectivité, de "
            "préférence par l'outil de ticketing, une assistance exceptionnelle peut être "
            "réalisée et facturée comme prestation complémentaire. Le forfait n'a pas vocation "
            "à couvrir les prestations qui relèvent normalement d'un prestataire informatique "
            "extérieur (installation hors forfait, dépannages, mises à jour de système "
            "d'exploitation, configuration…) ; " + ON_DEMAND,
            "Conditions. " + FORFAIT_CONDITIONS,
            "Durée et facturation. " + BILLING_YEARLY + " " + TERM_SERVICE,
        ),
    ),
    OfferSpec(
        code="forfait-technologie",
        family="forfait-technologie",
        name="Forfait Technologie",
        summary="Sécurité du système d'information, e-administration, outils et conseil en "
        "équipement ; volumes inclus et tarif selon la strate.",
        description=(
            "Le forfait Technologie comprend la sécurité du système d'information (audit tous "
            "les trois ans, licences de logiciel de sécurité, sauvegarde externalisée), "
            "l'e-administration (certificats électroniques, marchés publics, contrôle de "
            "légalité, saisine par voie électronique, convocation électronique), des outils "
            "(un compte de messagerie sécurisée de 5 Go, gestion de parc, envoi de fichiers "
            "lourds, un compte de stockage de 1 Go), la veille, le conseil en équipement et la "
            "dématérialisation comptable. Le nombre de licences, le volume de sauvegarde et "
            "le nombre de certificats dépendent de la strate."
        ),
        system=System.NONE,
        billing_unit=BillingUnit.COLLECTIVITE_YEAR,
        requires_framework_agreement=True,
        annex=_annex(
            "Objet. Le forfait Technologie, proposé dans le cadre de la convention cadre "
            "d'accompagnement numérique, comprend les missions suivantes.",
            "Sécurité du système d'information. Un audit sécurité tous les trois ans, sur "
            "demande, dans la limite d'une journée : état des lieux des moyens du système "
            "d'information, conseils et bonnes pratiques, suivi et assistance selon "
            "l'évolution de l'infrastructure. La fourniture de licences d'un logiciel de "
            "sécurité de type EPP pour postes de travail, serveurs et appareils nomades, leur "
            "installation, leur administration à distance et le suivi des alertes de sécurité "
            "par les agents du syndicat (la collectivité peut réaliser ces actions par "
            "délégation) ; en option, un logiciel de sécurité de type EDR (sa gestion n'est "
            "pas incluse) et une solution de type VPN. La fourniture d'une nouvelle solution de "
            "sécurité n'est pas incluse. Le stockage et la sauvegarde externalisée des bases de "
            "données métier et des documents bureautiques, sur une plateforme d'hébergement "
            "sécurisée dans un centre de données français, avec le paramétrage de la "
            "sauvegarde et un plan de sauvegarde établi dans le cadre du plan de reprise "
            "d'activité.",
            "E-administration. La fourniture et l'installation de certificats électroniques de "
            "niveau 3 (chiffrement, authentification et signature) ; la dématérialisation des "
            "marchés publics (plateforme mutualisée, profil acheteur, DCE en ligne, publicité "
            "au BOAMP et au JOUE, réponses électroniques des fournisseurs) ; la "
            "dématérialisation du contrôle de légalité (plateforme homologuée « ACTES », "
            "nomenclature des actes, archivage des transmissions, code d'intégration du "
            "registre au site internet de la collectivité) ; la saisine par voie électronique "
            "; la convocation électronique des élus. Chacun de ces services est accompagné à "
            "sa première mise en service, dans la limite d'une journée, et fait l'objet d'une "
            "assistance technique. Le parapheur électronique est en option et requiert un "
            "certificat électronique.",
            "Outils. Un compte de messagerie professionnelle sécurisée de 5 Go, hébergée en "
            "France, qui suppose que la collectivité soit propriétaire d'un nom de domaine ou "
            "utilise celui proposé par le syndicat (en option) ; la migration d'une messagerie "
            "existante n'est pas incluse. Le filtrage des courriels entrants (anti-spam) ; pour "
            "une collectivité disposant déjà d'un nom de domaine, une proposition tarifaire "
            "spécifique est faite après étude technique. Une plateforme de gestion de parc "
            "avec inventaire automatique, l'envoi de fichiers lourds et un compte de 1 Go sur "
            "la plateforme de stockage et de partage de fichiers.",
            "Veille, conseil et dématérialisation comptable. Une lettre d'information "
            "mensuelle de veille réglementaire et technologique (10 envois par an). Tous les "
            "trois ans, sur demande, une demi-journée d'audit de l'équipement (recueil des "
            "besoins, audit de l'existant) et une demi-journée de travail administratif "
            "(compte rendu avec préconisations techniques, cahier des charges technique, "
            "analyse technique des offres). Selon l'éditeur des logiciels métiers de la "
            "collectivité : la télétransmission des flux comptables au protocole PES V2 et la "
            "récupération automatique des flux pivots de Chorus Pro (plateforme homologuée, "
            "archivage, formation des utilisateurs, assistance technique), et l'assistance "
            "technique sur Hélios, Chorus Pro et les relations avec les services de l'État.",
            "Volumes selon la strate. Licences de logiciel de sécurité, volume de sauvegarde "
            "externalisée et certificats électroniques compris dans le forfait :\n"
            + _strate_table()
            + "\nAu-delà, licences, Go de sauvegarde et certificats supplémentaires sont des "
            "prestations complémentaires.",
            "Limites. Le forfait inclut l'assistance technique dans l'utilisation quotidienne "
            "des logiciels et outils mis à disposition par le syndicat ; l'assistance qui n'en "
            "relève pas, ou qui serait liée au non-respect des prérequis ou à une erreur de "
            "manipulation, est une prestation complémentaire facturée, sur demande écrite de "
            "la collectivité. " + ON_DEMAND,
            "Conditions. " + FORFAIT_CONDITIONS,
            "Durée et facturation. " + BILLING_YEARLY + " " + TERM_SERVICE,
        ),
    ),
    # --- Prestations complémentaires (seed 003, annexe 2) ---
    OfferSpec(
        code="assistance-technique-heure",
        family="prestations",
        name="Assistance technique exceptionnelle (à l'heure)",
        summary="Assistance dépassant l'utilisation quotidienne des logiciels, au tarif horaire.",
        description=(
            "Assistance technique exceptionnelle, au-delà de l'assistance dans l'utilisation "
            "quotidienne des logiciels comprise dans les forfaits : suites d'une erreur de "
            "manipulation, non-respect des prérequis, intervention d'un technicien à la "
            "demande. Facturée à l'heure."
        ),
        system=System.NONE,
        billing_unit=BillingUnit.HOUR,
        annex=_annex(
            "Objet. Assistance technique exceptionnelle, dépassant la gestion habituelle : "
            "celle qui ne relève pas de l'assistance dans l'utilisation quotidienne des "
            "logiciels et outils mis à disposition par le syndicat, ou qui est liée au "
            "non-respect des prérequis demandés, à une erreur d'utilisation ou à une mauvaise "
            "manipulation, même non intentionnelle, par un agent, un élu ou un prestataire de "
            "la collectivité. " + ON_DEMAND,
            "Conditions. " + COMPLEMENTARY + " Elle est facturée à l'heure.",
        ),
    ),
    OfferSpec(
        code="assistance-technique-jour",
        family="prestations",
        name="Assistance technique exceptionnelle (à la journée)",
        summary="Assistance dépassant l'utilisation quotidienne des logiciels, au tarif "
        "journalier.",
        description=(
            "Assistance technique exceptionnelle, au-delà de l'assistance dans l'utilisation "
            "quotidienne des logiciels comprise dans les forfaits, pour les interventions qui "
            "demandent une journée ou plus. Facturée à la journée."
        ),
        system=System.NONE,
        billing_unit=BillingUnit.DAY,
        annex=_annex(
            "Objet. Assistance technique exceptionnelle, dépassant la gestion habituelle : "
            "celle qui ne relève pas de l'assistance dans l'utilisation quotidienne des "
            "logiciels et outils mis à disposition par le syndicat, ou qui est liée au "
            "non-respect des prérequis demandés, à une erreur d'utilisation ou à une mauvaise "
            "manipulation, même non intentionnelle, par un agent, un élu ou un prestataire de "
            "la collectivité. " + ON_DEMAND,
            "Conditions. " + COMPLEMENTARY + " Elle est facturée à la journée.",
        ),
    ),
    OfferSpec(
        code="conseil-equipement-jour",
        family="prestations",
        name="Conseil en équipement",
        summary="Audit d'équipement, cahier des charges, comparatif de devis et accompagnement "
        "à l'achat, au tarif journalier.",
        description=(
            "Conseil en équipement informatique : audit de l'équipement sur site, réalisation "
            "d'un cahier des charges informatique, comparatif de devis et accompagnement à "
            "l'achat. Facturé à la journée."
        ),
        system=System.NONE,
        billing_unit=BillingUnit.DAY,
        annex=_annex(
            "Objet. Conseil en équipement informatique : recueil des besoins, audit de "
            "l'équipement sur site, réalisation d'un cahier des charges informatique, "
            "comparatif de devis et accompagnement à l'achat, au-delà de la demi-journée "
            "d'audit et de la demi-journée de travail administratif comprises tous les trois "
            "ans dans le forfait Technologie.",
            "Conditions. " + COMPLEMENTARY + " Elle est facturée à la journée.",
        ),
    ),
    OfferSpec(
        code="intervention-systeme-jour",
        family="prestations",
        name="Installation et intervention sur système informatique",
        summary="Installation des solutions du syndicat, configuration, intervention "
        "technique et maintenance, au tarif journalier.",
        description=(
            "Installation sur site ou à distance des solutions du syndicat, configuration d'un "
            "système informatique, intervention technique, prestation d'ingénierie, "
            "maintenance préventive et curative sur site et à distance. Facturée à la journée."
        ),
        system=System.NONE,
        billing_unit=BillingUnit.DAY,
        annex=_annex(
            "Objet. Installation sur site ou à distance des solutions du syndicat, "
            "configuration d'un système informatique, intervention technique sur un système "
            "informatique, prestation d'ingénierie, maintenance préventive et curative sur "
            "site et à distance. Ces prestations, qui relèvent normalement d'un prestataire "
            "informatique extérieur, ne sont pas couvertes par les forfaits. " + ON_DEMAND,
            "Conditions. " + COMPLEMENTARY + " Elle est facturée à la journée.",
        ),
    ),
    OfferSpec(
        code="audit-securite-jour",
        family="prestations",
        name="Audit sécurité",
        summary="Audit de la sécurité du système d'information, au tarif journalier.",
        description=(
            "Audit de la sécurité du système d'information en dehors de celui compris tous "
            "les trois ans dans le forfait Technologie : état des lieux, conseils et bonnes "
            "pratiques, suivi. Facturé à la journée."
        ),
        system=System.NONE,
        billing_unit=BillingUnit.DAY,
        annex=_annex(
            "Objet. Audit de la sécurité du système d'information, dans la mise en œuvre d'une "
            "politique de sécurité des données : état des lieux des moyens du système "
            "d'information, diffusion de conseils et de bonnes pratiques, suivi et assistance "
            "en matière de sécurité selon l'évolution de l'infrastructure. Le forfait "
            "Technologie en comprend un tous les trois ans, sur demande, dans la limite d'une "
            "journée ; au-delà, l'audit est une prestation complémentaire.",
            "Conditions. " + COMPLEMENTARY + " Elle est facturée à la journée.",
        ),
    ),
    OfferSpec(
        code="sauvegarde-supplementaire",
        family="prestations",
        name="Sauvegarde externalisée supplémentaire",
        summary="Volume de sauvegarde externalisée au-delà de celui de la strate, par Go et "
        "par an.",
        description=(
            "Volume de sauvegarde externalisée ajouté à celui que le forfait Technologie "
            "comprend pour la strate de la collectivité, sur une plateforme d'hébergement "
            "sécurisée dans un centre de données français. Facturé par Go et par an."
        ),
        system=System.NONE,
        billing_unit=BillingUnit.GB_YEAR,
        annex=_annex(
            "Objet. Volume de sauvegarde externalisée des bases de données métier et des "
            "documents bureautiques ajouté à celui que le forfait Technologie comprend pour la "
            "strate de la collectivité (de 4 à 27 Go) : accès à une plateforme d'hébergement "
            "sécurisée dans un centre de données français, paramétrage de la sauvegarde, plan "
            "de sauvegarde établi dans le cadre du plan de reprise d'activité.",
            "Conditions. " + COMPLEMENTARY + " Elle est facturée par Go supplémentaire et par an.",
            "Durée. " + TERM_SERVICE,
        ),
    ),
    OfferSpec(
        code="licence-securite-supplementaire",
        family="prestations",
        name="Licence de logiciel de sécurité supplémentaire",
        summary="Licence de logiciel de sécurité (EPP) au-delà de celles de la strate, à l'unité.",
        description=(
            "Licence d'un logiciel de sécurité de type EPP pour poste de travail, serveur ou "
            "appareil nomade, ajoutée à celles que le forfait Technologie comprend pour la "
            "strate de la collectivité, avec son installation, son administration à distance "
            "et le suivi des alertes."
        ),
        system=System.NONE,
        billing_unit=BillingUnit.UNIT,
        needs_supplier_order=True,  # example: licences bought from the market's supplier
        annex=_annex(
            "Objet. Licence supplémentaire d'un logiciel de sécurité de type EPP pour poste de "
            "travail, serveur ou appareil nomade, en plus des licences que le forfait "
            "Technologie comprend pour la strate de la collectivité (de 0 à 15) : acquisition "
            "groupée, installation, administration à distance et suivi des alertes de sécurité "
            "par les agents du syndicat (la collectivité peut réaliser ces actions par "
            "délégation).",
            "Conditions. " + COMPLEMENTARY + " Elle est facturée par licence supplémentaire.",
        ),
    ),
    OfferSpec(
        code="certificat-electronique-supplementaire",
        family="prestations",
        name="Certificat électronique supplémentaire",
        summary="Certificat électronique de niveau 3 au-delà de ceux de la strate, à l'unité.",
        description=(
            "Certificat électronique de niveau 3 (chiffrement, authentification et signature), "
            "pour le contrôle de légalité ou le parapheur électronique, ajouté à ceux que le "
            "forfait Technologie comprend pour la strate de la collectivité."
        ),
        system=System.NONE,
        billing_unit=BillingUnit.UNIT,
        needs_supplier_order=True,  # example: certificates come from the market's supplier
        annex=_annex(
            "Objet. Certificat électronique supplémentaire de niveau 3 (chiffrement, "
            "authentification et signature), en plus des certificats que le forfait "
            "Technologie comprend pour la strate de la collectivité (de 0 à 2) : fourniture, "
            "installation, accompagnement à la première mise en service dans la limite d'une "
            "journée et assistance technique. Un certificat électronique est requis pour "
            "utiliser le parapheur électronique.",
            "Conditions. " + COMPLEMENTARY + " Elle est facturée par certificat supplémentaire.",
        ),
    ),
    OfferSpec(
        code="formation-jour",
        family="prestations",
        name="Formation sur site ou à distance",
        summary="Formation, atelier pratique ou accompagnement à une évolution réglementaire, "
        "au tarif journalier.",
        description=(
            "Formations sur site, dans les locaux du syndicat ou à distance, adaptées aux "
            "besoins de la collectivité : formation à l'utilisation des logiciels, ateliers "
            "pratiques, accompagnement à une évolution réglementaire. Facturée à la journée."
        ),
        system=System.NONE,
        billing_unit=BillingUnit.DAY,
        annex=_annex(
            "Objet. Des formations sur site, dans les locaux du syndicat ou à distance, "
            "adaptées aux besoins de la collectivité, peuvent être proposées par le syndicat "
            "ou réalisées à la demande de la collectivité : formation sur site ou à distance, "
            "atelier pratique, formation obligatoire à l'utilisation des logiciels, formation "
            "et accompagnement à la suite d'une évolution réglementaire. La réalisation de la "
            "formation est à l'appréciation du syndicat. Les ateliers pratiques apportent des "
            "éléments théoriques et pratiques aux utilisateurs, notamment des logiciels "
            "métiers, en fonction des éditeurs.",
            "Inscription. L'inscription ne vaut pas convocation : une convocation est envoyée "
            "aux agents inscrits environ 15 jours avant la formation. Les modalités et "
            "conditions d'annulation sont précisées dans le règlement intérieur de "
            "l'organisme de formation du syndicat.",
            "Conditions. " + COMPLEMENTARY + " Elle est facturée à la journée.",
        ),
    ),
    OfferSpec(
        code="nom-de-domaine",
        family="prestations",
        name="Nom de domaine",
        summary="Réservation d'un nom de domaine pour la collectivité, notamment pour sa "
        "messagerie, à l'unité.",
        description=(
            "Le syndicat réserve pour la collectivité un nom de domaine, utilisable notamment "
            "pour sa messagerie électronique. Facturé par nom de domaine réservé."
        ),
        system=System.NONE,
        billing_unit=BillingUnit.UNIT,
        needs_supplier_order=True,  # example: reserved through a registrar
        annex=_annex(
            "Objet. Mise à disposition d'un nom de domaine, réservé par le syndicat pour le "
            "compte de la collectivité, utilisable notamment pour la messagerie électronique. "
            "Une messagerie hébergée par le syndicat suppose que la collectivité soit "
            "propriétaire d'un nom de domaine ou utilise celui proposé par le syndicat. La "
            "collectivité peut aussi transférer au syndicat un nom de domaine existant, sous "
            "réserve d'une étude de faisabilité ; le syndicat n'est pas responsable d'un nom de "
            "domaine géré par un tiers.",
            "Conditions. " + COMPLEMENTARY + " Elle est facturée par nom de domaine réservé.",
        ),
    ),
]

# --- Example prices (euros, excl. VAT). Invented for the demo: no syndicate voted them. ---

EXEMPTION = "TVA non applicable, article 256 B du CGI"

UNIT_PRICES: dict[str, Decimal] = {
    "messagerie-bluemind": D("24.00"),
    "messagerie-zimbra": D("20.00"),
    "messagerie-quota-supplementaire": D("3.00"),
    "stockage-nextcloud": D("30.00"),
    "stockage-quota-supplementaire": D("2.00"),
    "visio-bigbluebutton": D("60.00"),
    "assistance-logiciels-metiers": D("420.00"),
    "assistance-technique-heure": D("65.00"),
    "assistance-technique-jour": D("480.00"),
    "conseil-equipement-jour": D("480.00"),
    "intervention-systeme-jour": D("480.00"),
    "audit-securite-jour": D("550.00"),
    "sauvegarde-supplementaire": D("2.50"),
    "licence-securite-supplementaire": D("35.00"),
    "certificat-electronique-supplementaire": D("120.00"),
    "formation-jour": D("400.00"),
    "nom-de-domaine": D("15.00"),
}
FIRST_FREE = {"visio-bigbluebutton": 1}  # seed 004: the first account is free

# Forfaits: a price per strate, rising with the size of the collectivité; a hosted one shares
# the Métiers database and pays least.
STRATE_PRICES: dict[str, dict[Strate, Decimal]] = {
    "forfait-metiers": {
        Strate.UNDER_100: D("380.00"),
        Strate.HOSTED: D("190.00"),
        Strate.UNDER_250: D("520.00"),
        Strate.FROM_250: D("760.00"),
        Strate.FROM_500: D("1040.00"),
        Strate.FROM_1000: D("1480.00"),
        Strate.FROM_2000: D("2150.00"),
        Strate.FROM_3500: D("2900.00"),
        Strate.FROM_5000: D("3950.00"),
        Strate.TOP: D("5200.00"),
    },
    "forfait-technologie": {
        Strate.UNDER_100: D("290.00"),
        Strate.HOSTED: D("160.00"),
        Strate.UNDER_250: D("410.00"),
        Strate.FROM_250: D("590.00"),
        Strate.FROM_500: D("820.00"),
        Strate.FROM_1000: D("1150.00"),
        Strate.FROM_2000: D("1690.00"),
        Strate.FROM_3500: D("2350.00"),
        Strate.FROM_5000: D("3200.00"),
        Strate.TOP: D("4300.00"),
    },
}

EXAMPLE_NOTES = (
    "Tarifs d'exemple : ces montants sont fictifs et ne résultent d'aucune délibération réelle. "
    "Ils servent à la démonstration du portail. Le contenu des offres et leurs conditions "
    "particulières reprennent les conventions et annexes de Manche Numérique, de Somme "
    "Numérique et du CDG 47."
)
SCHEDULE_2026 = {
    "deliberation_number": "2025-42",
    "deliberation_date": date(2025, 12, 12),
    "effective_from": date(2026, 1, 1),
    "title": "Grille tarifaire 2026 (tarifs d'exemple)",
}
SCHEDULE_2027 = {
    "deliberation_number": "2026-51",
    "deliberation_date": date(2026, 12, 10),
    "effective_from": date(2027, 1, 1),
    "title": "Grille tarifaire 2027 (projet, tarifs d'exemple)",
}
DRAFT_NOTES = (
    "Projet : tarifs d'exemple de la grille 2026 augmentés d'environ 3 %. " + EXAMPLE_NOTES
)
RAISE_2027 = D("1.03")


HISTORY_NOTES = (
    "Grille d'une année passée, enregistrée comme délibération antérieure : tarifs d'exemple "
    "de la grille suivante diminués d'environ 3 %. " + EXAMPLE_NOTES
)


@transaction.atomic
def schedule_history_ensure(*, since: date, today: date) -> list[TariffSchedule]:
    """Published schedules back to `since` (the demo's first contract year): for each calendar
    year before the earliest published schedule, the schedule its comité syndical would have
    voted the December before, priced about 3 % below the next one. Recorded as past
    deliberations (refused, and nothing changes, if an issued document is priced on their
    days). Idempotent: nothing is made when a schedule already covers `since`."""
    made: list[TariffSchedule] = []
    while True:
        earliest = (
            TariffSchedule.objects.filter(status=TariffSchedule.Status.PUBLISHED)
            .order_by("effective_from")
            .first()
        )
        if earliest is None or earliest.effective_from <= since:
            return made
        year = earliest.effective_from.year - (1 if earliest.effective_from.month == 1 else 0)
        effective_from = date(year, 1, 1)
        draft = services.schedule_create_from_current(
            deliberation_number=f"{year - 1}-40",
            deliberation_date=date(year - 1, 12, 11),
            effective_from=effective_from,
            title=f"Grille tarifaire {year} (tarifs d'exemple)",
            created_by=None,
            today=earliest.effective_from,
        )
        draft.notes = HISTORY_NOTES
        draft.save(update_fields=["notes"])
        for line in draft.lines.prefetch_related("strate_prices"):
            services.schedule_line_update(
                line=line,
                unit_price=money(line.unit_price / RAISE_2027)
                if line.unit_price is not None
                else None,
                strate_prices={
                    sp.strate: money(sp.unit_price / RAISE_2027) for sp in line.strate_prices.all()
                },
                first_free_quantity=line.first_free_quantity,
                vat_rate=line.vat_rate,
                vat_exemption=line.vat_exemption,
            )
        made.append(services.schedule_publish(schedule=draft, published_by=None, today=today))


class Command(BaseCommand):
    help = (
        "Charge le catalogue de démonstration (familles, offres, annexes, grilles tarifaires "
        "d'exemple). Idempotent."
    )

    def handle(self, *args, **options) -> None:
        try:
            with transaction.atomic():
                offers_created = self._offers()
                annexes = self._annexes()
                published, lines_2026 = self._schedule_2026()
                draft_created = self._schedule_2027(published)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Catalogue chargé : {ServiceFamily.objects.count()} familles, "
                f"{Offer.objects.count()} offres (nouvelles : {offers_created}), "
                f"annexes publiées : {annexes}."
            )
        )
        self.stdout.write(
            f"Grille « {published.title} » publiée : {published.lines.count()} tarifs "
            f"(ajoutés : {lines_2026}). Projet de grille 2027 : "
            f"{'créé' if draft_created else 'déjà présent'}. Tous ces tarifs sont des "
            "tarifs d'exemple."
        )

    def _offers(self) -> int:
        families = {}
        for position, (code, name, description) in enumerate(FAMILIES, start=1):
            families[code], _ = ServiceFamily.objects.update_or_create(
                code=code,
                defaults={"name": name, "description": description, "position": position},
            )
        offers: dict[str, Offer] = {}
        created_count = 0
        for position, spec in enumerate(OFFERS, start=1):
            offers[spec.code], created = Offer.objects.update_or_create(
                code=spec.code,
                defaults={
                    "family": families[spec.family],
                    "name": spec.name,
                    "summary": spec.summary,
                    "description": spec.description,
                    "system": spec.system,
                    "billing_unit": spec.billing_unit,
                    "default_quota_gb": spec.default_quota_gb,
                    "max_message_size_mb": spec.max_message_size_mb,
                    "max_recipients": spec.max_recipients,
                    "recording_retention_days": spec.recording_retention_days,
                    "needs_supplier_order": spec.needs_supplier_order,
                    "requires_offer": offers[spec.requires] if spec.requires else None,
                    "requires_referent_training": spec.requires_referent_training,
                    "requires_framework_agreement": spec.requires_framework_agreement,
                    "orderable": True,
                    "position": position,
                },
            )
            created_count += created
        return created_count

    def _annexes(self) -> int:
        """Version 1 of each offer's annex; an offer that has one keeps it (a new text is a
        new version, published by the syndicate, never by this command)."""
        published = 0
        for spec in OFFERS:
            offer = Offer.objects.get(code=spec.code)
            if not offer.annex_versions.exists():
                services.annex_publish(
                    offer=offer,
                    title=f"Conditions particulières — {spec.name}",
                    text=spec.annex,
                    published_by=None,
                )
                published += 1
        return published

    def _schedule_2026(self) -> tuple[TariffSchedule, int]:
        schedule = TariffSchedule.objects.filter(
            deliberation_number=SCHEDULE_2026["deliberation_number"],
            effective_from=SCHEDULE_2026["effective_from"],
        ).first()
        if schedule is None:
            schedule = TariffSchedule.objects.create(
                **SCHEDULE_2026, notes=EXAMPLE_NOTES, is_example=True
            )
        added = self._price_missing_offers(schedule)
        if schedule.status == TariffSchedule.Status.DRAFT:
            # Published as the comité syndical would have, on the day of its deliberation.
            schedule = services.schedule_publish(
                schedule=schedule, published_by=None, today=schedule.deliberation_date
            )
        return schedule, added

    def _price_missing_offers(self, schedule: TariffSchedule) -> int:
        """Price the offers `schedule` does not price yet; never change an existing price."""
        added = 0
        for spec in OFFERS:
            offer = Offer.objects.get(code=spec.code)
            strate_prices = STRATE_PRICES.get(spec.code, {})
            line, created = TariffLine.objects.get_or_create(
                schedule=schedule,
                offer=offer,
                defaults={
                    "unit_price": None if strate_prices else UNIT_PRICES[spec.code],
                    "first_free_quantity": FIRST_FREE.get(spec.code, 0),
                    "vat_rate": None,
                    "vat_exemption": EXEMPTION,
                },
            )
            if created:
                added += 1
                StratePrice.objects.bulk_create(
                    StratePrice(line=line, strate=strate, unit_price=price)
                    for strate, price in strate_prices.items()
                )
        technologie = Offer.objects.get(code="forfait-technologie")
        for strate, volumes in STRATE_VOLUMES.items():
            items = [(item, unit, n) for (item, unit), n in zip(STRATE_ITEMS, volumes, strict=True)]
            for position, (item, unit, quantity) in enumerate(items + FIXED_ITEMS, start=1):
                StrateInclusion.objects.get_or_create(
                    schedule=schedule,
                    offer=technologie,
                    item=item,
                    strate=strate,
                    defaults={"unit": unit, "quantity": D(quantity), "position": position},
                )
        return added

    def _schedule_2027(self, published: TariffSchedule) -> bool:
        if TariffSchedule.objects.filter(effective_from=SCHEDULE_2027["effective_from"]).exists():
            return False
        draft = services.schedule_create_from_current(
            **SCHEDULE_2027, created_by=None, today=published.effective_from
        )
        draft.notes = DRAFT_NOTES
        draft.save(update_fields=["notes"])
        for line in draft.lines.prefetch_related("strate_prices"):
            services.schedule_line_update(
                line=line,
                unit_price=money(line.unit_price * RAISE_2027)
                if line.unit_price is not None
                else None,
                strate_prices={
                    sp.strate: money(sp.unit_price * RAISE_2027) for sp in line.strate_prices.all()
                },
                first_free_quantity=line.first_free_quantity,
                vat_rate=line.vat_rate,
                vat_exemption=line.vat_exemption,
            )
        return True
