"""Reads of the portal core, each with the joins that keep a page at a constant query count."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Window

from portal.models import (
    AuditEvent,
    Collectivite,
    Domain,
    Invitation,
    Membership,
    Syndicate,
    User,
)


def first_rows_and_count(queryset: QuerySet, limit: int) -> tuple[list, int]:
    """The first `limit` rows of `queryset` and how many rows it has, in one query (a count
    over the whole result as a window, computed before the LIMIT): a home page lists five
    items of a queue and says how many wait, whatever the number of collectivités."""
    rows = list(queryset.annotate(rows_in_all=Window(Count("pk")))[:limit])
    return rows, (rows[0].rows_in_all if rows else 0)


def syndicate_get() -> Syndicate | None:
    return Syndicate.objects.filter(pk=1).first()


def collectivite_list(
    *,
    search: str = "",
    strate: str = "",
    kind: str = "",
    population_min: int | None = None,
    population_max: int | None = None,
) -> QuerySet[Collectivite]:
    qs = Collectivite.objects.prefetch_related("domains").order_by("name")
    if search:
        digits = search.replace(" ", "")
        qs = qs.filter(
            Q(name__icontains=search)
            | Q(city__icontains=search)
            | Q(slug__icontains=search)
            | Q(siret__startswith=digits)
        )
    if strate:
        qs = qs.filter(strate=strate)
    if kind:
        qs = qs.filter(kind=kind)
    if population_min is not None:
        qs = qs.filter(population__gte=population_min)
    if population_max is not None:
        qs = qs.filter(population__lte=population_max)
    return qs


def collectivite_get(*, pk: int) -> Collectivite:
    return Collectivite.objects.prefetch_related("domains").get(pk=pk)


def collectivites_of_user(*, user: User) -> list[Collectivite]:
    if not user.is_authenticated:
        return []
    cached = getattr(user, "_collectivites", None)
    if cached is None:
        # One query: the primary domain as a subquery rather than a prefetch (every page
        # shows this list in its header).
        primary = Domain.objects.filter(tenant=OuterRef("pk"), is_primary=True).values("domain")
        cached = list(
            Collectivite.objects.filter(
                pk__in=Membership.objects.filter(user=user).values("collectivite"),
                is_active=True,
            )
            .annotate(primary_domain=Subquery(primary[:1]))
            .order_by("name")
        )
        user._collectivites = cached
    return cached


def memberships_of_collectivite(*, collectivite: Collectivite) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(collectivite=collectivite)
        .select_related("user")
        .order_by("user__full_name", "user__email", "role")
    )


def pending_invitations(*, collectivite: Collectivite) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        collectivite=collectivite, accepted_at__isnull=True, revoked_at__isnull=True
    ).order_by("-created_at")


def audit_events_for(*, object_type: str, object_id: int | str) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        object_type=object_type, object_id=str(object_id)
    ).select_related("actor")
