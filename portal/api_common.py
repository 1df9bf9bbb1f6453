"""What every router of the JSON API shares: the French error messages, the error schema and
the role check. Kept apart from `portal.api` so that routers of other apps (catalogue.api) can
use them while `portal.api` imports those routers (no import cycle)."""

from __future__ import annotations

from ninja import Schema
from ninja.errors import HttpError

UNAUTHENTICATED = (
    "Authentification requise : fournissez un jeton valide (en-tête Authorization: Bearer …)."
)
FORBIDDEN = "Votre rôle ne permet pas cette opération."
SECOND_FACTOR_MISSING = (
    "Votre compte n'a pas de second facteur : configurez-le dans l'espace du syndicat avant "
    "d'utiliser l'API."
)
NOT_FOUND = "Objet introuvable."
INVALID = "Données invalides."


class ErrorOut(Schema):
    detail: str


def _require(request, policy) -> None:
    from portal.access import has_second_factor, is_syndicate_staff

    if not policy(request.user):
        raise HttpError(403, FORBIDDEN)
    # P1: the staff's second factor is owed on the API too (a token is no way around it)
    if is_syndicate_staff(request.user) and not has_second_factor(request.user):
        raise HttpError(403, SECOND_FACTOR_MISSING)
