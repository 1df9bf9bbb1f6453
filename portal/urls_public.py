"""URLs of the syndicate's back-office (BASE_DOMAIN, public schema)."""

from django.urls import include, path

from accounts import views as account_views
from billing import estimate_views
from billing import views as billing_views
from catalogue import views as catalogue_views
from contracts import views as contract_views
from lifecycle import views as lifecycle_views
from onboarding import views as onboarding_views
from portal.api import api
from portal.views import backoffice, common, members, pages
from trainings import views as training_views
from workqueues import views as work_views

urlpatterns = [
    path("assistance/", include("support.urls_backoffice")),
    path("", work_views.backoffice_home, name="home"),
    path("a-faire/compteurs/", work_views.badges, name="work_badges"),
    path("collectivites/", backoffice.collectivite_list, name="collectivite_list"),
    path("collectivites/nouvelle/", backoffice.collectivite_create, name="collectivite_create"),
    path("collectivites/recherche/", backoffice.collectivite_search, name="collectivite_search"),
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
    path(
        "collectivites/<int:pk>/contrats/",
        contract_views.collectivite_contracts,
        name="collectivite_contracts",
    ),
    path(
        "collectivites/<int:pk>/contrats/<int:subscription_pk>/resiliation/",
        contract_views.collectivite_termination_record,
        name="collectivite_termination_record",
    ),
    path(
        "collectivites/<int:pk>/contrats/resiliations/<int:termination_pk>/accuse/",
        contract_views.collectivite_termination_receipt,
        name="collectivite_termination_receipt",
    ),
    path(
        "collectivites/<int:pk>/comptes/",
        account_views.collectivite_accounts,
        name="collectivite_accounts",
    ),
    path(
        "collectivites/<int:pk>/demandes-de-quota/<int:request_pk>/accorder/",
        account_views.quota_approve,
        name="quota_approve",
    ),
    path(
        "collectivites/<int:pk>/demandes-de-quota/<int:request_pk>/refuser/",
        account_views.quota_refuse,
        name="quota_refuse",
    ),
    path("demandes-de-quota/", account_views.quota_queue, name="quota_queue"),
    path("commandes/", contract_views.work_queue, name="work_queue"),
    path("demandes/<int:pk>/", contract_views.backoffice_request, name="backoffice_request"),
    path(
        "demandes/<int:pk>/devis/",
        contract_views.backoffice_request_quote,
        name="backoffice_request_quote",
    ),
    path("devis/nouveau/", contract_views.quote_backoffice_create, name="quote_backoffice_create"),
    path("devis/<int:pk>/", contract_views.quote_backoffice, name="quote_backoffice"),
    path(
        "devis/<int:pk>/lignes/",
        contract_views.quote_backoffice_line_set,
        name="quote_backoffice_line_set",
    ),
    path(
        "devis/<int:pk>/lignes/<int:line_id>/retirer/",
        contract_views.quote_backoffice_line_remove,
        name="quote_backoffice_line_remove",
    ),
    path(
        "devis/<int:pk>/lignes/<int:line_id>/activer/",
        contract_views.quote_backoffice_line_activate,
        name="quote_backoffice_line_activate",
    ),
    path(
        "devis/<int:pk>/envoyer/",
        contract_views.quote_backoffice_send,
        name="quote_backoffice_send",
    ),
    path(
        "devis/<int:pk>/nouvelle-version/",
        contract_views.quote_backoffice_revise,
        name="quote_backoffice_revise",
    ),
    path(
        "devis/<int:pk>/approuver/",
        contract_views.quote_backoffice_approve,
        name="quote_backoffice_approve",
    ),
    path(
        "devis/<int:pk>/refuser/",
        contract_views.quote_backoffice_refuse,
        name="quote_backoffice_refuse",
    ),
    path(
        "devis/<int:pk>/objet/",
        contract_views.quote_backoffice_title,
        name="quote_backoffice_title",
    ),
    path(
        "devis/<int:pk>/activer-tout/",
        contract_views.quote_backoffice_activate_all,
        name="quote_backoffice_activate_all",
    ),
    path(
        "devis/<int:pk>/documents/<int:doc_pk>/",
        contract_views.quote_backoffice_document,
        name="quote_backoffice_document",
    ),
    path("facturation/", billing_views.billing_runs, name="billing_runs"),
    path("facturation/budget/", estimate_views.spending_backoffice, name="billing_spending"),
    path("tarifs/<int:pk>/impact/", estimate_views.draft_impact, name="billing_draft_impact"),
    path("facturation/exports/", billing_views.exports, name="billing_exports"),
    path(
        "factures/paiements/import/", billing_views.payments_import, name="billing_payments_import"
    ),
    path(
        "factures/paiements/import/<int:pk>/",
        billing_views.payments_import_detail,
        name="billing_payments_import_detail",
    ),
    path("facturation/exports/<int:pk>/", billing_views.export_detail, name="billing_export"),
    path(
        "facturation/exports/<int:pk>/<slug:kind>/",
        billing_views.export_download,
        name="billing_export_download",
    ),
    path("facturation/lancer/", billing_views.billing_run_start, name="billing_run_start"),
    path("facturation/<int:pk>/", billing_views.billing_run, name="billing_run"),
    path(
        "facturation/<int:pk>/progression/",
        billing_views.billing_run_progress,
        name="billing_run_progress",
    ),
    path("factures/", billing_views.invoices_backoffice, name="invoices_backoffice"),
    path("factures/impayees/", billing_views.invoices_unpaid, name="invoices_unpaid"),
    path("factures/<int:pk>/", billing_views.invoice_backoffice, name="invoice_backoffice"),
    path(
        "factures/<int:pk>/pdf/",
        billing_views.invoice_backoffice_pdf,
        name="invoice_backoffice_pdf",
    ),
    path(
        "factures/<int:pk>/xml/",
        billing_views.invoice_backoffice_xml,
        name="invoice_backoffice_xml",
    ),
    path(
        "factures/<int:pk>/paiements/",
        billing_views.invoice_payment_record,
        name="invoice_payment_record",
    ),
    path(
        "factures/<int:pk>/avoirs/",
        billing_views.invoice_credit_note_issue,
        name="invoice_credit_note_issue",
    ),
    path("avoirs/", billing_views.credit_notes_backoffice, name="credit_notes_backoffice"),
    path(
        "avoirs/<int:pk>/pdf/",
        billing_views.credit_note_backoffice_pdf,
        name="credit_note_backoffice_pdf",
    ),
    path("formations/", training_views.backoffice_calendar, name="trainings_backoffice"),
    path(
        "formations/catalogue/",
        training_views.backoffice_catalogue,
        name="trainings_backoffice_catalogue",
    ),
    path(
        "formations/catalogue/<int:pk>/",
        training_views.backoffice_catalogue,
        name="trainings_backoffice_training",
    ),
    path(
        "formations/sessions/nouvelle/",
        training_views.backoffice_session_edit,
        name="trainings_backoffice_session_create",
    ),
    path(
        "formations/sessions/<int:pk>/",
        training_views.backoffice_session,
        name="trainings_backoffice_session",
    ),
    path(
        "formations/sessions/<int:pk>/modifier/",
        training_views.backoffice_session_edit,
        name="trainings_backoffice_session_edit",
    ),
    path(
        "formations/sessions/<int:pk>/presences/",
        training_views.backoffice_session_attendance,
        name="trainings_backoffice_session_attendance",
    ),
    path(
        "formations/sessions/<int:pk>/annuler/",
        training_views.backoffice_session_cancel,
        name="trainings_backoffice_session_cancel",
    ),
    path(
        "formations/sessions/<int:pk>/emargement.pdf",
        training_views.backoffice_session_sheet,
        name="trainings_backoffice_session_sheet",
    ),
    # The end of a membership (issue 15): notices, suspensions, retention, reversibility.
    path("fin-adhesion/avis/", lifecycle_views.notice_list, name="lifecycle_notices"),
    path(
        "fin-adhesion/avis/<int:pk>/pris-en-compte/",
        lifecycle_views.notice_acknowledge,
        name="lifecycle_notice_acknowledge",
    ),
    path(
        "fin-adhesion/suspensions/", lifecycle_views.suspension_list, name="lifecycle_suspensions"
    ),
    path(
        "fin-adhesion/suspensions/<int:pk>/confirmer/",
        lifecycle_views.suspension_confirm,
        name="lifecycle_suspension_confirm",
    ),
    path(
        "fin-adhesion/suspensions/<int:pk>/ecarter/",
        lifecycle_views.suspension_decline,
        name="lifecycle_suspension_decline",
    ),
    path("fin-adhesion/conservation/", lifecycle_views.retention_list, name="lifecycle_retention"),
    path(
        "fin-adhesion/conservation/<int:pk>/",
        lifecycle_views.retention_detail,
        name="lifecycle_retention_detail",
    ),
    path("fin-adhesion/exports/", lifecycle_views.export_list, name="lifecycle_exports"),
    path("fin-adhesion/exports/<int:pk>/", lifecycle_views.export_detail, name="lifecycle_export"),
    path(
        "fin-adhesion/exports/<int:pk>/zip/",
        lifecycle_views.export_download,
        name="lifecycle_export_download",
    ),
    path("mes-collectivites/", backoffice.my_collectivites, name="my_collectivites"),
    path("collectivites/<int:pk>/membres/", members.backoffice_members, name="backoffice_members"),
    path(
        "collectivites/<int:pk>/membres/<int:user_id>/",
        members.backoffice_member_change,
        name="backoffice_member_change",
    ),
    path(
        "collectivites/<int:pk>/membres/invitations/<int:invitation_id>/",
        members.backoffice_invitation_action,
        name="backoffice_invitation_action",
    ),
    path("personnel/", members.staff_page, name="staff"),
    path("reprise/", onboarding_views.import_page, name="import"),
    path("reprise/<int:pk>/", onboarding_views.import_batch, name="import_batch"),
    path("reprise/<int:pk>/importer/", onboarding_views.import_batch_run, name="import_batch_run"),
    path(
        "reprise/modeles/<slug:kind>.<slug:extension>",
        onboarding_views.import_template,
        name="import_template",
    ),
    path("personnel/<int:user_id>/", members.staff_change, name="staff_change"),
    path(
        "personnel/invitations/<int:invitation_id>/",
        members.staff_invitation_action,
        name="staff_invitation_action",
    ),
    path(
        "personnel/invitation/<str:token>/",
        members.staff_invitation_accept,
        name="staff_invitation_accept",
    ),
    path("securite/double-authentification/", backoffice.mfa_required, name="mfa_required"),
    path("changer/<int:pk>/", common.switch, name="switch_collectivite"),
    path("logo", common.logo, name="logo"),
    path("mentions-legales/", pages.legal_notice, name="legal_notice"),
    path("donnees-personnelles/", pages.personal_data, name="personal_data"),
    path("accessibilite/", pages.accessibility, name="accessibility"),
    path("plan-du-site/", pages.site_map, name="site_map"),
    path("profil/", pages.profile, name="profile"),
    path("favicon.ico", common.favicon, name="favicon"),
    path("comptes/email/", common.email_management_closed, name="email_management_closed"),
    path("comptes/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("", include("status.urls_public")),  # status page, announcements, feeds
]
