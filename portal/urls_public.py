"""URLs of the syndicate's back-office (BASE_DOMAIN, public schema)."""

from django.urls import include, path

from catalogue import views as catalogue_views
from portal.api import api
from portal.views import backoffice, common

urlpatterns = [
    path("", backoffice.home, name="home"),
    path("collectivites/", backoffice.collectivite_list, name="collectivite_list"),
    path("collectivites/nouvelle/", backoffice.collectivite_create, name="collectivite_create"),
    path("collectivites/<int:pk>/", backoffice.collectivite_detail, name="collectivite_detail"),
    path(
        "collectivites/<int:pk>/modifier/", backoffice.collectivite_edit, name="collectivite_edit"
    ),
    path("catalogue/", catalogue_views.backoffice_catalogue, name="catalogue_backoffice"),
    path(
        "catalogue/offres/nouvelle/",
        catalogue_views.backoffice_offer_edit,
        name="catalogue_backoffice_offer_create",
    ),
    path(
        "catalogue/offres/<slug:code>/",
        catalogue_views.backoffice_offer,
        name="catalogue_backoffice_offer",
    ),
    path(
        "catalogue/offres/<slug:code>/modifier/",
        catalogue_views.backoffice_offer_edit,
        name="catalogue_backoffice_offer_edit",
    ),
    path("tarifs/", catalogue_views.backoffice_schedules, name="catalogue_backoffice_schedules"),
    path(
        "tarifs/nouvelle/",
        catalogue_views.backoffice_schedule_create,
        name="catalogue_backoffice_schedule_create",
    ),
    path(
        "tarifs/<int:pk>/",
        catalogue_views.backoffice_schedule,
        name="catalogue_backoffice_schedule",
    ),
    path(
        "tarifs/<int:pk>/lignes/<int:line_id>/",
        catalogue_views.backoffice_schedule_line,
        name="catalogue_backoffice_schedule_line",
    ),
    path(
        "tarifs/<int:pk>/publier/",
        catalogue_views.backoffice_schedule_publish,
        name="catalogue_backoffice_schedule_publish",
    ),
    path(
        "tarifs/<int:pk>/apercu/",
        catalogue_views.backoffice_schedule_preview,
        name="catalogue_backoffice_schedule_preview",
    ),
    path("mes-collectivites/", backoffice.my_collectivites, name="my_collectivites"),
    path("securite/double-authentification/", backoffice.mfa_required, name="mfa_required"),
    path("changer/<int:pk>/", common.switch, name="switch_collectivite"),
    path("logo", common.logo, name="logo"),
    path("comptes/email/", common.email_management_closed, name="email_management_closed"),
    path("comptes/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
]
