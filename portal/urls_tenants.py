"""URLs of a collectivité's site (<slug>.BASE_DOMAIN, its own schema)."""

from django.urls import include, path

from accounts import views as account_views
from billing import estimate_views
from billing import views as billing_views
from catalogue import views as catalogue_views
from contracts import views as contract_views
from documents import views as document_views
from lifecycle import views as lifecycle_views
from portal.views import common, members, pages, tenant
from trainings import views as training_views
from workqueues import views as work_views

urlpatterns = [
    path("", work_views.tenant_home, name="home"),
    path("a-faire/compteurs/", work_views.badges, name="work_badges"),
    path("documents/", document_views.documents, name="documents"),
    path("catalogue/", catalogue_views.tenant_catalogue, name="catalogue"),
    path("catalogue/<slug:code>/", catalogue_views.tenant_offer, name="catalogue_offer"),
    path("demandes/brouillon/", contract_views.request_draft, name="request_draft"),
    path("demandes/brouillon/ajouter/<slug:code>/", contract_views.request_add, name="request_add"),
    path(
        "demandes/brouillon/lignes/<int:line_id>/",
        contract_views.request_line_update,
        name="request_line_update",
    ),
    path(
        "demandes/brouillon/lignes/<int:line_id>/retirer/",
        contract_views.request_line_remove,
        name="request_line_remove",
    ),
    path("demandes/", contract_views.requests_page, name="requests"),
    path("demandes/brouillon/besoins/", contract_views.request_needs, name="request_needs"),
    path("demandes/brouillon/transmettre/", contract_views.request_submit, name="request_submit"),
    path("devis/<int:pk>/", contract_views.quote_detail, name="quote_detail"),
    path("devis/<int:pk>/accepter/", contract_views.quote_accept, name="quote_accept"),
    path(
        "devis/<int:pk>/redemander/",
        contract_views.quote_request_again,
        name="quote_request_again",
    ),
    path(
        "devis/<int:pk>/documents/<int:doc_pk>/",
        contract_views.quote_document,
        name="quote_document",
    ),
    path("contrats/", contract_views.contracts_page, name="contracts"),
    path(
        "contrats/<int:pk>/resilier/",
        contract_views.subscription_terminate,
        name="subscription_terminate",
    ),
    path(
        "contrats/resiliations/<int:pk>/",
        contract_views.termination_detail,
        name="termination_detail",
    ),
    path(
        "contrats/resiliations/<int:pk>/accuse/",
        contract_views.termination_receipt,
        name="termination_receipt",
    ),
    path("comptes-de-service/", account_views.accounts_page, name="accounts"),
    path("comptes-de-service/creer/", account_views.account_create, name="account_create"),
    path("comptes-de-service/<int:pk>/", account_views.account_detail, name="account_detail"),
    path("comptes-de-service/<int:pk>/fermer/", account_views.account_close, name="account_close"),
    path(
        "comptes-de-service/<int:pk>/restaurer/",
        account_views.account_restore,
        name="account_restore",
    ),
    path(
        "comptes-de-service/<int:pk>/relancer/", account_views.account_retry, name="account_retry"
    ),
    path(
        "comptes-de-service/<int:pk>/quota/",
        account_views.quota_request_create,
        name="quota_request_create",
    ),
    path("mes-comptes/", account_views.my_accounts, name="my_accounts"),
    path("assistance/", include("support.urls_tenant")),
    path("factures/", billing_views.invoices, name="invoices"),
    path(
        "factures/engagement/", billing_views.engagement_number_give, name="engagement_number_give"
    ),
    path("budget/", estimate_views.estimate_page, name="estimate"),
    path("budget/estimation.pdf", estimate_views.estimate_document, name="estimate_pdf"),
    path("factures/<int:pk>/pdf/", billing_views.invoice_pdf, name="invoice_pdf"),
    path("avoirs/<int:pk>/pdf/", billing_views.credit_note_pdf, name="credit_note_pdf"),
    path("formations/", training_views.tenant_trainings, name="tenant_trainings"),
    path(
        "formations/sessions/<int:pk>/",
        training_views.tenant_session,
        name="tenant_training_session",
    ),
    path(
        "formations/inscriptions/<int:pk>/annuler/",
        training_views.tenant_registration_cancel,
        name="tenant_training_registration_cancel",
    ),
    # Issue 15: the signatory's reversibility export.
    path("reversibilite/", lifecycle_views.tenant_exports, name="reversibility_exports"),
    path(
        "reversibilite/<int:pk>/", lifecycle_views.tenant_export_detail, name="reversibility_export"
    ),
    path(
        "reversibilite/<int:pk>/zip/",
        lifecycle_views.tenant_export_download,
        name="reversibility_export_download",
    ),
    path("invitation/<str:token>/", tenant.invitation_accept, name="invitation_accept"),
    path("membres/", members.members_page, name="members"),
    path("membres/<int:user_id>/", members.member_change, name="member_change"),
    path(
        "membres/invitations/<int:invitation_id>/",
        members.invitation_action,
        name="invitation_action",
    ),
    path("changer/<int:pk>/", common.switch, name="switch_collectivite"),
    path("connexion/relais/<str:token>/", common.handoff, name="handoff"),
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
    path("", include("status.urls_tenants")),  # status page, private feed, notifications
]
