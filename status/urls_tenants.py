"""Status URLs of a collectivité's site (included by portal.urls_tenants)."""

from django.urls import path

from status import feeds, views

urlpatterns = [
    path("etat-des-services/", views.status_page, name="status_page"),
    path("etat-des-services/flux/", views.feed_address, name="status_feed_address"),
    path(
        "etat-des-services/flux/<str:token>/rss/",
        feeds.CollectiviteRss(),
        name="status_collectivite_feed_rss",
    ),
    path(
        "etat-des-services/flux/<str:token>/atom/",
        feeds.CollectiviteAtom(),
        name="status_collectivite_feed_atom",
    ),
    path(
        "etat-des-services/incidents/<int:pk>/suivre/",
        views.incident_follow,
        name="status_incident_follow",
    ),
    path("mes-notifications/", views.my_notifications, name="my_notifications"),
]
