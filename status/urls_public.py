"""Status URLs of the back-office (included by portal.urls_public)."""

from django.urls import path

from status import feeds, views

urlpatterns = [
    path("etat-des-services/", views.status_page, name="status_page"),
    path("etat-des-services/flux/rss/", feeds.AllAnnouncementsRss(), name="status_feed_rss"),
    path("etat-des-services/flux/atom/", feeds.AllAnnouncementsAtom(), name="status_feed_atom"),
    path(
        "etat-des-services/flux/services/<slug:slug>/rss/",
        feeds.ServiceRss(),
        name="status_service_feed_rss",
    ),
    path(
        "etat-des-services/flux/services/<slug:slug>/atom/",
        feeds.ServiceAtom(),
        name="status_service_feed_atom",
    ),
    path("annonces/", views.announcements, name="status_announcements"),
    path("annonces/<int:pk>/", views.announcement_detail, name="status_announcement"),
    path(
        "annonces/<int:pk>/mise-a-jour/",
        views.announcement_update,
        name="status_announcement_update",
    ),
    path("annonces/<int:pk>/clore/", views.announcement_close, name="status_announcement_close"),
]
