"""URLs of the syndicate's back-office (BASE_DOMAIN, public schema)."""

from django.urls import include, path

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
    path("mes-collectivites/", backoffice.my_collectivites, name="my_collectivites"),
    path("securite/double-authentification/", backoffice.mfa_required, name="mfa_required"),
    path("changer/<int:pk>/", common.switch, name="switch_collectivite"),
    path("logo", common.logo, name="logo"),
    path("comptes/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
]
