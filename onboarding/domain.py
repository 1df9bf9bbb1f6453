"""The import files' columns and how a cell is read: pure functions, no Django.

Each kind of file (collectivités, people, subscriptions) has its columns, in the order of the
template; a header is matched without regard to case, accents, spaces or underscores. A cell
that cannot be read raises `CellError` with a constant French message.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation


class CellError(ValueError):
    pass


@dataclass(frozen=True)
class Column:
    name: str  # as in the template (French)
    required: bool
    example: str
    help: str = ""


KINDS = ("collectivites", "personnes", "abonnements")
KIND_LABELS = {
    "collectivites": "Collectivités",
    "personnes": "Personnes",
    "abonnements": "Abonnements",
}

COLUMNS: dict[str, tuple[Column, ...]] = {
    "collectivites": (
        Column("nom", True, "Commune de Saint-Exemple"),
        Column("identifiant", True, "saint-exemple", "adresse du site : lettres, chiffres, tirets"),
        Column("nature", True, "commune", "commune, epci, etablissement_public, budget_annexe"),
        Column("siret", True, "21500123400011"),
        Column("population", False, "1250"),
        Column("agents", False, "12"),
        Column("hebergee", False, "non", "oui ou non"),
        Column("non_affiliee", False, "non", "oui ou non"),
        Column("code_service", False, "MAIRIE"),
        Column("adresse", False, "1 place de la Mairie"),
        Column("code_postal", False, "50000"),
        Column("ville", False, "Saint-Exemple"),
        Column("courriel", False, "mairie@saint-exemple.fr"),
        Column("domaine_messagerie", False, "saint-exemple.fr"),
    ),
    "personnes": (
        Column("siret_collectivite", True, "21500123400011"),
        Column("courriel", True, "secretariat@saint-exemple.fr"),
        Column("nom", False, "Claire Martin"),
        Column(
            "roles",
            True,
            "administrateur fonctionnel; signataire",
            "agent, administrateur fonctionnel, signataire, référent visio (séparés par ;)",
        ),
    ),
    "abonnements": (
        Column("siret_collectivite", True, "21500123400011"),
        Column("offre", True, "messagerie-bluemind", "code de l'offre au catalogue"),
        Column("quantite", True, "12"),
        Column("date_activation", True, "17/03/2025", "JJ/MM/AAAA"),
        Column("numero_engagement", False, "ENG-2025-0042"),
    ),
}

HEADER_MISSING = "colonne obligatoire absente de l'en-tête."
HEADER_UNKNOWN = "colonne inconnue « {name} » (colonnes attendues : {expected})."
REQUIRED = "valeur obligatoire."
BAD_INTEGER = "« {value} » n'est pas un nombre entier positif."
BAD_DECIMAL = "« {value} » n'est pas une quantité positive (par exemple 12 ou 2,5)."
BAD_DATE = "« {value} » n'est pas une date JJ/MM/AAAA."
BAD_BOOLEAN = "« {value} » : attendu « oui » ou « non »."
BAD_ROLE = (
    "rôle inconnu « {value} » (agent, administrateur fonctionnel, signataire, référent visio)."
)
BAD_KIND = "nature inconnue « {value} » (commune, epci, etablissement_public, budget_annexe)."

ROLE_WORDS = {
    "agent": "agent",
    "administrateur fonctionnel": "functional_admin",
    "administratrice fonctionnelle": "functional_admin",
    "functional_admin": "functional_admin",
    "signataire": "signatory",
    "signatory": "signatory",
    "referent visio": "visio_referent",
    "referente visio": "visio_referent",
    "visio_referent": "visio_referent",
}
KIND_WORDS = {
    "commune": "commune",
    "epci": "epci",
    "etablissement public": "etablissement_public",
    "etablissement_public": "etablissement_public",
    "budget annexe": "budget_annexe",
    "budget_annexe": "budget_annexe",
}


def plain(text: str) -> str:
    """Lower case, no accents, single spaces: how headers and words are compared."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", stripped).strip().lower()


def header_key(text: str) -> str:
    return plain(text).replace(" ", "_").replace("-", "_").replace("'", "_")


def text_of(value: object) -> str:
    """A cell as text: numbers without a trailing '.0', dates as JJ/MM/AAAA."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def integer(text: str) -> int:
    cleaned = text.replace(" ", "").replace("\u202f", "").replace("\xa0", "")
    if not cleaned:
        return 0
    if not cleaned.isdigit():
        raise CellError(BAD_INTEGER.format(value=text))
    return int(cleaned)


def quantity(text: str) -> Decimal:
    cleaned = text.replace(" ", "").replace("\xa0", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise CellError(BAD_DECIMAL.format(value=text)) from exc
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        raise CellError(BAD_DECIMAL.format(value=text))
    return value


def day(text: str) -> date:
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text.strip())
    if not match:
        raise CellError(BAD_DATE.format(value=text))
    d, m, y = (int(g) for g in match.groups())
    try:
        return date(y, m, d)
    except ValueError as exc:
        raise CellError(BAD_DATE.format(value=text)) from exc


def boolean(text: str) -> bool:
    word = plain(text)
    if word in ("", "non", "n", "0", "faux"):
        return False
    if word in ("oui", "o", "1", "vrai"):
        return True
    raise CellError(BAD_BOOLEAN.format(value=text))


def roles(text: str) -> list[str]:
    found: list[str] = []
    for part in re.split(r"[;,]", text):
        word = plain(part)
        if not word:
            continue
        if word not in ROLE_WORDS:
            raise CellError(BAD_ROLE.format(value=part.strip()))
        if ROLE_WORDS[word] not in found:
            found.append(ROLE_WORDS[word])
    if not found:
        raise CellError(REQUIRED)
    return found


def kind(text: str) -> str:
    word = plain(text).replace("_", " ")
    if word not in KIND_WORDS:
        raise CellError(BAD_KIND.format(value=text))
    return KIND_WORDS[word]
