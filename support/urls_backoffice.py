"""Assistance in the back-office (included under /assistance/ by portal.urls_public)."""

from django.urls import path

from support import views

urlpatterns = [
    path("", views.queue_page, name="support_queue"),
    path("nouvelle/", views.backoffice_ticket_new, name="support_backoffice_ticket_new"),
    path("rapport/", views.report_page, name="support_report"),
    path("rapport.csv", views.report_csv, name="support_report_csv"),
    path("fiches/", views.guides_page, name="support_guides"),
    path("fiches/nouvelle/", views.guide_edit, name="support_guide_create"),
    path("fiches/<int:pk>/modifier/", views.guide_edit, name="support_guide_edit"),
    path(
        "fiches/suggestions/", views.backoffice_guide_suggestions, name="support_guide_suggestions"
    ),
    path("fiches/<int:pk>/", views.backoffice_guide_page, name="support_guide"),
    path("pieces/<int:pk>/", views.backoffice_attachment, name="support_backoffice_attachment"),
    path("<int:pk>/", views.backoffice_ticket, name="support_backoffice_ticket"),
    path(
        "<int:pk>/temps/<int:estimate_pk>/",
        views.backoffice_time_record,
        name="support_backoffice_time",
    ),
    path(
        "<int:pk>/<slug:action>/",
        views.backoffice_ticket_action,
        name="support_backoffice_action",
    ),
]
