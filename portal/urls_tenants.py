"""URLs of a collectivité's site (<slug>.BASE_DOMAIN, its own schema)."""

from django.urls import include, path

from portal.views import common, tenant

urlpatterns = [
    path("", tenant.home, name="home"),
    path("invitation/<str:token>/", tenant.invitation_accept, name="invitation_accept"),
    path("changer/<int:pk>/", common.switch, name="switch_collectivite"),
    path("connexion/relais/<str:token>/", common.handoff, name="handoff"),
    path("logo", common.logo, name="logo"),
    path("comptes/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
