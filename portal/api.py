"""The JSON API, /api/v1/ on the back-office domain (django-ninja; OpenAPI at
/api/v1/openapi.json, interactive docs at /api/v1/docs, served from local static files).

Syndicate staff authenticate with a bearer token (`manage.py create_api_token`). Errors are
JSON with a French `detail`: 401 without a valid token, 403 without the role, 404 for an
unknown object, 422 for invalid input (with the field errors).
"""

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Field, NinjaAPI, Query, Schema, Status
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import paginate
from ninja.security import HttpBearer

from accounts.api import router as accounts_router
from billing.api import router as billing_router
from catalogue.api import router as catalogue_router
from contracts.api import router as contracts_router
from portal import selectors, services
from portal.access import is_syndicate_admin, is_syndicate_staff
from portal.api_common import FORBIDDEN as FORBIDDEN  # re-exported for the tests
from portal.api_common import (
    INVALID,
    NOT_FOUND,
    UNAUTHENTICATED,
    BoundedPagination,
    ErrorOut,
    _require,
)
from portal.models import Collectivite
from status.api import router as status_router


class StaffToken(HttpBearer):
    def authenticate(self, request, token: str):
        user = services.api_token_authenticate(token)
        if user is None:
            return None
        request.user = user
        return user


api = NinjaAPI(
    title="Portail du syndicat — API",
    version="1",
    description="API des services numériques mutualisés. Réservée au personnel du syndicat.",
    auth=StaffToken(),
    urls_namespace="api-v1",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request, exc):
    return api.create_response(request, {"detail": UNAUTHENTICATED}, status=401)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return api.create_response(request, {"detail": NOT_FOUND}, status=404)


@api.exception_handler(NinjaValidationError)
def on_invalid_schema(request, exc):
    # loc is (where, parameter, field…): name the field as the client sent it
    errors = {
        ".".join(str(p) for p in e.get("loc", [])[2:] or e.get("loc", [])[1:]) or "corps": _french(
            e
        )
        for e in exc.errors
    }
    return api.create_response(request, {"detail": INVALID, "errors": errors}, status=422)


@api.exception_handler(ValidationError)
def on_invalid(request, exc):
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    errors = {k: " ".join(v) for k, v in errors.items()}
    return api.create_response(request, {"detail": INVALID, "errors": errors}, status=422)


def _french(error: dict) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return "Ce champ est obligatoire."
    if kind.startswith("int") or kind.startswith("greater"):
        return "Saisissez un nombre entier positif."
    if kind.startswith("bool"):
        return "Saisissez vrai ou faux."
    return "Valeur invalide."


class CollectiviteOut(Schema):
    id: int
    name: str
    slug: str
    kind: str
    siret: str
    siren: str
    population: int
    agent_count: int
    hosted: bool
    non_affiliated: bool
    strate: str
    strate_label: str = Field(..., alias="get_strate_display")
    domain: str = Field(..., alias="primary_domain_name")
    service_code: str
    city: str
    is_active: bool


class CollectiviteIn(Schema):
    name: str
    slug: str
    kind: str
    siret: str
    population: int = Field(0, ge=0)
    agent_count: int = Field(0, ge=0)
    hosted: bool = False
    non_affiliated: bool = False
    service_code: str = ""
    address: str = ""
    postcode: str = ""
    city: str = ""
    contact_email: str = ""
    mail_domain: str = ""
    brand_colour: str = "#1d4f91"
    admin_email: str
    admin_name: str = ""


class CollectiviteFilters(Schema):
    q: str = ""
    strate: str = ""
    kind: str = ""
    population_min: int | None = None
    population_max: int | None = None


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)


@api.get(
    "/collectivites",
    response={200: list[CollectiviteOut], 401: ErrorOut, 403: ErrorOut},
    tags=["collectivités"],
    summary="Lister les collectivités",
)
@paginate(BoundedPagination)
def collectivite_list(request, filters: Query[CollectiviteFilters]):
    _require(request, is_syndicate_staff)
    return selectors.collectivite_list(
        search=filters.q,
        strate=filters.strate,
        kind=filters.kind,
        population_min=filters.population_min,
        population_max=filters.population_max,
    )


@api.get(
    "/collectivites/{collectivite_id}",
    response={200: CollectiviteOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    tags=["collectivités"],
    summary="Lire une collectivité",
)
def collectivite_read(request, collectivite_id: int):
    _require(request, is_syndicate_staff)
    try:
        return selectors.collectivite_get(pk=collectivite_id)
    except Collectivite.DoesNotExist as exc:
        raise Http404 from exc


@api.post(
    "/collectivites",
    response={201: CollectiviteOut, 401: ErrorOut, 403: ErrorOut, 422: dict},
    tags=["collectivités"],
    summary="Créer une collectivité (schéma, domaine, invitation de l'administrateur fonctionnel)",
)
def collectivite_create(request, payload: CollectiviteIn):
    _require(request, is_syndicate_admin)
    data = payload.dict()
    admin_email = data.pop("admin_email")
    admin_name = data.pop("admin_name")
    collectivite = services.collectivite_create(
        data=services.CollectiviteInput(**data),
        admin_email=admin_email,
        admin_name=admin_name,
        created_by=request.user,
    )
    return Status(201, selectors.collectivite_get(pk=collectivite.pk))


# Catalogue, tariff schedules and prices.
api.add_router("", catalogue_router)
# Requests, quotes, subscriptions and terminations.
api.add_router("", contracts_router)
api.add_router("", billing_router)  # invoices, credit notes, payments, runs, exports
api.add_router("", accounts_router)  # service accounts, usage, quota requests
api.add_router("", status_router)  # announcements, Alertmanager webhook
