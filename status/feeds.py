"""RSS 2.0 and Atom feeds of the announcements (django.contrib.syndication): all of them, per
service, and per collectivité through its private token address (its services only).

Item guids are stable tag URIs that never change with the title or the host name
(`tag:<BASE_DOMAIN>,2026:annonce-<id>`); the framework writes RFC 822 dates in RSS and
RFC 3339 in Atom and escapes the French text."""

from __future__ import annotations

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed

from portal.tenancy import is_public_request
from status import selectors, services
from status.models import Service

FEED_SIZE = 50
GUID_YEAR = 2026  # part of every guid: never change it


class _AnnouncementFeed(Feed):
    feed_type = Rss201rev2Feed
    language = "fr"
    description = "Incidents, maintenances programmées et nouveautés des services numériques."

    def title(self, obj) -> str:
        return "État des services — annonces"

    def link(self, obj) -> str:
        return "/etat-des-services/"

    def items(self, obj):
        return selectors.announcements_visible(**self.scope(obj))[:FEED_SIZE]

    def scope(self, obj) -> dict:
        return {}

    def item_title(self, item) -> str:
        prefix = item.get_kind_display()
        if item.kind == item.Kind.INCIDENT:
            prefix = f"{prefix} ({'terminé' if item.ends_at else 'en cours'})"
        return f"{prefix} : {item.title}"

    def item_description(self, item) -> str:
        return render_to_string("status/partials/feed_item.html", {"a": item})

    def item_link(self, item) -> str:
        return f"/etat-des-services/#annonce-{item.pk}"

    def item_guid(self, item) -> str:
        return f"tag:{settings.BASE_DOMAIN},{GUID_YEAR}:annonce-{item.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_categories(self, item):
        return [item.get_kind_display(), *(s.name for s in item.services.all())]


class AllAnnouncementsRss(_AnnouncementFeed):
    def get_object(self, request, *args, **kwargs):
        # On a collectivité's site, the unscoped feeds exist on the back-office only.
        if not is_public_request(request):
            raise Http404
        return None


class AllAnnouncementsAtom(AllAnnouncementsRss):
    feed_type = Atom1Feed
    subtitle = _AnnouncementFeed.description


class ServiceRss(_AnnouncementFeed):
    def get_object(self, request, slug: str):
        if not is_public_request(request):
            raise Http404
        return get_object_or_404(Service, slug=slug)

    def title(self, obj) -> str:
        return f"État des services — {obj.name}"

    def scope(self, obj) -> dict:
        return {"service": obj}


class ServiceAtom(ServiceRss):
    feed_type = Atom1Feed
    subtitle = _AnnouncementFeed.description


class CollectiviteRss(_AnnouncementFeed):
    """The private feed of the collectivité whose site this is: the token must be its current
    one (a renewed token refuses the old one), otherwise 404."""

    def get_object(self, request, token: str):
        if is_public_request(request):
            raise Http404
        found = selectors.feed_token_collectivite(
            key_hash=services.feed_token_hash(token), collectivite=request.tenant
        )
        if found is None:
            raise Http404
        return request.tenant

    def title(self, obj) -> str:
        return f"État des services — {obj.name}"

    def scope(self, obj) -> dict:
        return {"collectivite": obj}


class CollectiviteAtom(CollectiviteRss):
    feed_type = Atom1Feed
    subtitle = _AnnouncementFeed.description
