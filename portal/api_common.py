"""What every router of the JSON API shares: the French error messages, the error schema and
the role check. Kept apart from `portal.api` so that routers of other apps (catalogue.api) can
use them while `portal.api` imports those routers (no import cycle)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from ninja import Field, Schema
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination

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


# --- Shared by the routers: how values are written, pages, error schemas ---------------------


class InvalidOut(Schema):
    detail: str
    errors: dict[str, str] = {}


ERRORS = {401: ErrorOut, 403: ErrorOut}
WRITE_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: InvalidOut}


def money_out(value: Decimal | None) -> str | None:
    """Money as a string with two decimals ("1234.50"), rounded half-up."""
    if value is None:
        return None
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"


def number_out(value: Decimal | None) -> str | None:
    """A quantity or a rate: no exponent, no trailing zeros ("5", "2.5", "0.055")."""
    if value is None:
        return None
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def last_day(end_exclusive: dt.date | None) -> dt.date | None:
    """The last covered day of an exclusive end (DESIGN §4)."""
    return None if end_exclusive is None else end_exclusive - dt.timedelta(days=1)


def email_of(user) -> str | None:
    return None if user is None else user.email


class Page:
    """A queryset seen through its serialiser: the paginator slices and counts it, and only
    the rows of the page are serialised."""

    def __init__(self, queryset, serialise) -> None:
        self._queryset, self._serialise = queryset, serialise

    def __getitem__(self, page: slice) -> list[dict]:
        return [self._serialise(row) for row in self._queryset[page]]

    def __len__(self) -> int:
        return self._queryset.count()


# Issue 18: every page of a list is bounded where it enters — `limit` to what a client needs,
# `offset` far below what the database's integers hold (a larger one is a 422, not a 500).
PAGE_DEFAULT_LIMIT = 50  # NINJA_PAGINATION_PER_PAGE
PAGE_MAX_LIMIT = 200
PAGE_MAX_OFFSET = 10**9


class BoundedPagination(LimitOffsetPagination):
    """LimitOffsetPagination with both parameters bounded."""

    class Input(Schema):
        limit: int = Field(PAGE_DEFAULT_LIMIT, ge=1, le=PAGE_MAX_LIMIT)
        offset: int = Field(0, ge=0, le=PAGE_MAX_OFFSET)

    def __init__(self, **kwargs) -> None:
        super().__init__(max_limit=PAGE_MAX_LIMIT, **kwargs)
