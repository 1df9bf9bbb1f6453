"""Assistance on a collectivité's site (included under /assistance/ by portal.urls_tenants)."""

from django.urls import path

from support import views

urlpatterns = [
    path("", views.tickets_page, name="support_tickets"),
    path("nouvelle/", views.ticket_new, name="support_ticket_new"),
    path("incidents-en-cours/", views.incidents_panel, name="support_incidents_panel"),
    path("fiches/suggestions/", views.guide_suggestions, name="support_guide_suggestions"),
    path("fiches/<int:pk>/", views.guide_page, name="support_guide"),
    path("pieces/<int:pk>/", views.attachment_download, name="support_attachment"),
    path("<int:pk>/", views.ticket_page, name="support_ticket"),
    path("<int:pk>/repondre/", views.ticket_reply, name="support_reply"),
    path("<int:pk>/evaluer/", views.ticket_rate, name="support_rate"),
    path("<int:pk>/telemaintenance/<int:consent_pk>/", views.consent_give, name="support_consent"),
    path(
        "<int:pk>/devis/<int:estimate_pk>/",
        views.estimate_decide,
        name="support_estimate_decide",
    ),
]
