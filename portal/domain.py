"""Pure rules of the portal core: strates (C1), SIREN/SIRET (C1), passwords (P1), colours (C2).

No Django import and no clock here: callers pass every input, tests are tables.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength, ValidationError
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret


class DomainError(ValueError):
    """A rule refused its input; the message is French and meant for the person."""


# --- Collectivités and strates (C1, seed 003) ----------------------------------------------


class Kind(StrEnum):
    COMMUNE = "commune"
    EPCI = "epci"
    PUBLIC_BODY = "etablissement_public"
    ANNEX_BUDGET = "budget_annexe"


KIND_LABELS = {
    Kind.COMMUNE: "Commune",
    Kind.EPCI: "EPCI",
    Kind.PUBLIC_BODY: "Établissement public",
    Kind.ANNEX_BUDGET: "Budget annexe",
}


class Strate(StrEnum):
    """The rows of CDG 47's strate table (seed 003), in the table's order."""

    UNDER_100 = "moins-100"
    HOSTED = "hebergee"
    UNDER_250 = "moins-250"
    FROM_250 = "250-499"
    FROM_500 = "500-999"
    FROM_1000 = "1000-1999"
    FROM_2000 = "2000-3499"
    FROM_3500 = "3500-4999"
    FROM_5000 = "5000-plus"
    TOP = "non-affiliee-10000-plus"


STRATE_LABELS = {
    Strate.UNDER_100: "Communes de moins de 100 habitants",
    Strate.HOSTED: "Collectivités hébergées (même base de données Métiers)",
    Strate.UNDER_250: "Communes de moins de 250 habitants, établissements publics et "
    "budgets annexes de moins de 4 agents",
    Strate.FROM_250: "Communes de 250 à 499 habitants, établissements publics et "
    "budgets annexes de 4 à 7 agents",
    Strate.FROM_500: "Communes de 500 à 999 habitants, établissements publics et "
    "budgets annexes de 8 à 9 agents",
    Strate.FROM_1000: "Communes de 1 000 à 1 999 habitants, établissements publics et "
    "budgets annexes de 10 à 19 agents",
    Strate.FROM_2000: "Communes de 2 000 à 3 499 habitants, établissements publics et "
    "budgets annexes de 20 à 29 agents",
    Strate.FROM_3500: "Communes de 3 500 à 4 999 habitants, établissements publics et "
    "budgets annexes de 30 à 59 agents",
    Strate.FROM_5000: "Communes de 5 000 habitants et plus, établissements publics et "
    "budgets annexes de 60 agents et plus",
    Strate.TOP: "Collectivités non affiliées, communes de 10 000 habitants et plus, "
    "établissements publics et budgets annexes de 120 agents et plus",
}

# (exclusive upper bound, strate): the first bound above the figure decides.
_COMMUNE_BANDS: tuple[tuple[int, Strate], ...] = (
    (100, Strate.UNDER_100),
    (250, Strate.UNDER_250),
    (500, Strate.FROM_250),
    (1_000, Strate.FROM_500),
    (2_000, Strate.FROM_1000),
    (3_500, Strate.FROM_2000),
    (5_000, Strate.FROM_3500),
    (10_000, Strate.FROM_5000),
)
_AGENT_BANDS: tuple[tuple[int, Strate], ...] = (
    (4, Strate.UNDER_250),
    (8, Strate.FROM_250),
    (10, Strate.FROM_500),
    (20, Strate.FROM_1000),
    (30, Strate.FROM_2000),
    (60, Strate.FROM_3500),
    (120, Strate.FROM_5000),
)


def strate_for(
    *, kind: Kind, population: int, agent_count: int, hosted: bool, non_affiliated: bool
) -> Strate:
    """The strate of a collectivité (C1).

    Communes are placed by population; établissements publics, EPCI (which are établissements
    publics) and budgets annexes by agent count. A hosted collectivité takes the hosted row
    before anything else (the seed lists it as its own row, whatever the size); a non-affiliated
    one, a commune of 10 000 inhabitants or more, or a body of 120 agents or more takes the top
    row.
    """
    if population < 0 or agent_count < 0:
        raise DomainError("La population et le nombre d'agents ne peuvent pas être négatifs.")
    if hosted:
        return Strate.HOSTED
    if non_affiliated:
        return Strate.TOP
    figure, bands = (
        (population, _COMMUNE_BANDS) if kind == Kind.COMMUNE else (agent_count, _AGENT_BANDS)
    )
    for upper_bound, strate in bands:
        if figure < upper_bound:
            return strate
    return Strate.TOP


# --- SIREN / SIRET (C1) -------------------------------------------------------------------

SIREN_LENGTH_ERROR = "Le SIREN doit comporter exactement 9 chiffres."
SIRET_LENGTH_ERROR = "Le SIRET doit comporter exactement 14 chiffres."
SIREN_FORMAT_ERROR = "Le SIREN ne doit contenir que des chiffres."
SIRET_FORMAT_ERROR = "Le SIRET ne doit contenir que des chiffres."
SIREN_CHECKSUM_ERROR = "Ce SIREN n'est pas valide : la clé de contrôle (Luhn) ne correspond pas."
SIRET_CHECKSUM_ERROR = "Ce SIRET n'est pas valide : la clé de contrôle (Luhn) ne correspond pas."


def _check_number(
    value: str, validate: Callable[[str], str], length: int, errors: tuple[str, str, str]
) -> str:
    compact = re.sub(r"[\s.\-]", "", value or "")
    length_error, format_error, checksum_error = errors
    if compact and not compact.isdigit():
        raise DomainError(format_error)
    if len(compact) != length:
        raise DomainError(length_error)
    try:
        return str(validate(compact))
    except InvalidChecksum as exc:
        raise DomainError(checksum_error) from exc
    except (InvalidLength, InvalidFormat, ValidationError) as exc:  # pragma: no cover - guarded
        raise DomainError(format_error) from exc


def siren_clean(value: str) -> str:
    """The 9 digits of a valid SIREN (spaces allowed in input), or DomainError."""
    return _check_number(
        value,
        stdnum_siren.validate,
        9,
        (SIREN_LENGTH_ERROR, SIREN_FORMAT_ERROR, SIREN_CHECKSUM_ERROR),
    )


def siret_clean(value: str) -> str:
    """The 14 digits of a valid SIRET (Luhn, with La Poste's exception), or DomainError."""
    return _check_number(
        value,
        stdnum_siret.validate,
        14,
        (SIRET_LENGTH_ERROR, SIRET_FORMAT_ERROR, SIRET_CHECKSUM_ERROR),
    )


VAT_NUMBER_FORMAT_ERROR = (
    "Le numéro de TVA intracommunautaire doit s'écrire FR, une clé de 2 caractères puis le "
    "SIREN (9 chiffres), par exemple FR40303265045."
)
VAT_NUMBER_KEY_ERROR = (
    "Ce numéro de TVA intracommunautaire n'est pas valide : la clé ne correspond pas au SIREN."
)
VAT_NUMBER_SIREN_ERROR = (
    "Ce numéro de TVA intracommunautaire ne correspond pas au SIREN du syndicat ({siren})."
)


def vat_number_clean(value: str, *, siret: str) -> str:
    """B8: the syndicate's French VAT number, `FR` + key + SIREN: the key checked (for a
    numeric key, (12 + 3 × (SIREN mod 97)) mod 97) and the SIREN the syndicate's own (the
    first 9 digits of its SIRET). Spaces allowed in input; "" stays "" (no VAT activity)."""
    from stdnum.fr import tva

    compact = re.sub(r"[\s.\-]", "", value or "").upper()
    if not compact:
        return ""
    if not re.fullmatch(r"FR[0-9A-HJ-NP-Z]{2}[0-9]{9}", compact):
        raise DomainError(VAT_NUMBER_FORMAT_ERROR)
    try:
        tva.validate(compact)
    except ValidationError as exc:
        raise DomainError(VAT_NUMBER_KEY_ERROR) from exc
    siren = re.sub(r"\D", "", siret or "")[:9]
    if siren and compact[4:] != siren:
        raise DomainError(VAT_NUMBER_SIREN_ERROR.format(siren=siren))
    return compact


def siret_display(siret: str) -> str:
    """`21500238800016` → `215 002 388 00016`, as French documents print it."""
    return f"{siret[0:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}" if len(siret) == 14 else siret


# --- Passwords (P1: CNIL recommendation 2022-100) -----------------------------------------

PASSWORD_MAX_LENGTH = 128
PASSWORD_MIN_ENTROPY_BITS = 80
PASSWORD_SEED_MIN_LENGTH = 12
PASSWORD_MIN_DISTINCT = 4
PASSWORD_TOO_WEAK = (
    "Ce mot de passe est trop faible. Choisissez au moins 12 caractères mêlant majuscules, "  # noqa: S105
    "minuscules, chiffres et caractères spéciaux, ou une phrase de passe plus longue "
    "(par exemple quatre ou cinq mots séparés par des espaces)."
)
PASSWORD_TOO_LONG = "Le mot de passe ne peut pas dépasser 128 caractères."  # noqa: S105

# Alphabet sizes per class of character; anything not ASCII letter or digit (spaces, accents,
# punctuation) counts as "special" with the 33 printable ASCII symbols and space.
_CLASS_SIZES = {"lower": 26, "upper": 26, "digit": 10, "special": 33}


@dataclass(frozen=True)
class PasswordAssessment:
    accepted: bool
    entropy_bits: float
    classes: frozenset[str]
    reason: str = ""


def _char_class(char: str) -> str:
    if char in string.ascii_lowercase:
        return "lower"
    if char in string.ascii_uppercase:
        return "upper"
    if char in string.digits:
        return "digit"
    return "special"


def password_assess(password: str) -> PasswordAssessment:
    """Accept a password meeting the seed's rule or reaching 80 bits of entropy (P1).

    Entropy is length × log2(size of the alphabet the classes used span), as the CNIL
    computes it. Common passwords are refused elsewhere (Django's list), not here.
    """
    classes = frozenset(_char_class(c) for c in password)
    alphabet = sum(_CLASS_SIZES[c] for c in classes)
    entropy = len(password) * math.log2(alphabet) if alphabet else 0.0
    if len(password) > PASSWORD_MAX_LENGTH:
        return PasswordAssessment(False, entropy, classes, PASSWORD_TOO_LONG)
    seed_rule = len(password) >= PASSWORD_SEED_MIN_LENGTH and len(classes) == 4
    # The entropy formula assumes characters drawn at random: a password of three or fewer
    # distinct characters ("aaaaaaaaaaaaaaaaaaaa", "abababab…") has almost none.
    if len(set(password)) < PASSWORD_MIN_DISTINCT:
        return PasswordAssessment(False, entropy, classes, PASSWORD_TOO_WEAK)
    if seed_rule or entropy >= PASSWORD_MIN_ENTROPY_BITS:
        return PasswordAssessment(True, entropy, classes)
    return PasswordAssessment(False, entropy, classes, PASSWORD_TOO_WEAK)


# --- Branding colours (C2, RGAA contrast) -------------------------------------------------

COLOUR_FORMAT_ERROR = "La couleur doit être au format hexadécimal #RRVVBB, par exemple #1d4f91."
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def colour_clean(value: str) -> str:
    value = (value or "").strip()
    if not _HEX_COLOUR.match(value):
        raise DomainError(COLOUR_FORMAT_ERROR)
    return value.lower()


def _relative_luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """WCAG contrast ratio between two #rrggbb colours (1 to 21)."""
    lighter, darker = sorted(
        (_relative_luminance(first), _relative_luminance(second)), reverse=True
    )
    return (lighter + 0.05) / (darker + 0.05)


def readable_text_colour(background: str) -> str:
    """Black or white, whichever reads best on `background` (always ≥ 4.5:1, RGAA AA)."""
    black, white = "#000000", "#ffffff"
    return (
        white if contrast_ratio(background, white) >= contrast_ratio(background, black) else black
    )
