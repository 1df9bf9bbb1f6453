"""The contracts API (issue 4 §10): requests, quotes (create, send, revise, accept, approve,
refuse), line activation, subscriptions with their computed dates, termination — staff
tokens read, administrators write, only a signatory of the collectivité accepts; French
errors, money as strings, ISO dates, at frozen dates."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.test import Client

from contracts import services, tasks
from contracts.api import ACCEPT_SIGNATORY_ONLY
from contracts.models import (
    FrameworkAgreement,
    Quote,
    QuoteDocument,
    ServiceRequest,
    Subscription,
)
from contracts.services.quotes import (
    CANNOT_REVISE,
    FRAMEWORK_REQUIRED,
    PO_REQUIRED,
    QUOTE_EMPTY,
    QUOTE_EXPIRED,
    QUOTE_NOT_ACCEPTED,
    QUOTE_NOT_AWAITING_SIGNATURE,
    QUOTE_NOT_DRAFT,
    QUOTE_TITLE_REQUIRED,
    REFUSAL_REASON_REQUIRED,
    REQUEST_NOT_SUBMITTED,
    SUPPLIER_ORDER_REQUIRED,
)
from contracts.services.requests import QUANTITY_ERROR
from contracts.services.subscriptions import (
    ACTIVATION_BEFORE_APPROVAL,
    LINE_ALREADY_ACTIVE,
    RECEIVED_BEFORE_ACTIVATION,
    RECEIVED_IN_FUTURE,
    REDUCTION_TOO_LARGE,
    SUBSCRIPTION_ENDED,
)
from portal import services as portal_services
from portal.api import FORBIDDEN, INVALID, NOT_FOUND, UNAUTHENTICATED
from portal.models import AuditEvent, Role
from tests.conftest import host_of
from tests.factories import UserFactory
from tests.factories.catalogue import EXEMPT, build_catalogue

PARIS = ZoneInfo("Europe/Paris")
SIGNATORY_EMAIL = "maire@commune-test.fr"
FRAMEWORK_TITLE = "Convention cadre des services mutualisés"


def at(day: date, hour: int = 10):
    """Frozen at `day`, `hour` o'clock in Paris (the portal's time zone)."""
    return time_machine.travel(datetime.combine(day, time(hour), tzinfo=PARIS), tick=False)


def utc_iso(day: date, hour: int = 10) -> str:
    """How the API writes the moment `day` at `hour` o'clock in Paris."""
    moment = datetime.combine(day, time(hour), tzinfo=PARIS).astimezone(ZoneInfo("UTC"))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Api:
    """A JSON client on the back-office with `user`'s bearer token (none: anonymous)."""

    def __init__(self, user=None) -> None:
        headers = {}
        if user is not None:
            _, raw = portal_services.api_token_create(user=user, name="tests")
            headers["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
        self.client = Client(HTTP_HOST=host_of(None), **headers)

    def get(self, path: str):
        return self.client.get(f"/api/v1{path}")

    def post(self, path: str, body: dict | None = None):
        return self.client.post(f"/api/v1{path}", body or {}, content_type="application/json")

    def delete(self, path: str):
        return self.client.delete(f"/api/v1{path}")


def invalid(response, errors: dict) -> None:
    assert (response.status_code, response.json()) == (422, {"detail": INVALID, "errors": errors})


# --- Fixtures -------------------------------------------------------------------------------


@pytest.fixture
def catalogue(db):
    return build_catalogue()


@pytest.fixture
def signatory(tenant, make_member):
    return make_member(tenant, Role.SIGNATORY, email=SIGNATORY_EMAIL)


@pytest.fixture
def framework(db):
    return FrameworkAgreement.objects.create(
        version=1, title=FRAMEWORK_TITLE, text="Article 1.", effective_from=date(2026, 1, 1)
    )


@pytest.fixture
def admin(staff_admin) -> Api:
    return Api(staff_admin)


def submitted_request(collectivite, catalogue, user, day: date) -> ServiceRequest:
    with at(day, hour=9):
        services.request_add_offer(
            collectivite=collectivite, offer=catalogue.mail, quantity="5", user=user
        )
        services.request_needs_update(
            collectivite=collectivite,
            user=user,
            domain_choice="reserve",
            domain_name="mairie-test.fr",
            users_count=5,
            migration_study=True,
            notes="Reprise des boîtes actuelles.",
        )
        return services.request_submit(collectivite=collectivite, user=user)


def approved_quote(collectivite, catalogue, staff, signatory, day: date, **quantities) -> Quote:
    """A quote sent, accepted and approved on `day` through the services."""
    with at(day, hour=9):
        quote = services.quote_create(
            collectivite=collectivite, title="Services", created_by=staff, today=day
        )
        for code, quantity in quantities.items():
            offer = getattr(catalogue, code)
            services.quote_line_set(quote=quote, offer=offer, quantity=quantity)
        services.quote_send(quote=quote, sent_by=staff, today=day)
        services.quote_accept(
            quote=quote,
            signatory=signatory,
            po_number="BC-1",
            accept_framework=True,
            ip_address=None,
            today=day,
        )
        return services.quote_approve(quote=quote, approved_by=staff)


def mail_subscription(tenant, catalogue, staff, signatory, admin: Api) -> Subscription:
    """5 mailboxes activated on 2026-03-17 through the API."""
    quote = approved_quote(tenant, catalogue, staff, signatory, date(2026, 3, 2), mail="5")
    line = quote.lines.get()
    with at(date(2026, 3, 17)):
        assert admin.post(
            f"/quote-lines/{line.pk}/activate", {"activated_on": "2026-03-17"}
        ).status_code == (200)
    return Subscription.objects.get(collectivite=tenant, offer=catalogue.mail)


# --- Access ---------------------------------------------------------------------------------

READS = [
    "/requests",
    "/requests/1",
    "/quotes",
    "/quotes/1",
    "/subscriptions",
    "/subscriptions/1",
]
WRITES = [
    ("post", "/quotes", {"collectivite": 1, "title": "Devis"}),
    ("post", "/quotes/1/lines", {"offer": "mail", "quantity": 1}),
    ("delete", "/quotes/1/lines/1", None),
    ("post", "/quotes/1/send", {}),
    ("post", "/quotes/1/revise", {}),
    ("post", "/quotes/1/approve", {}),
    ("post", "/quotes/1/refuse", {"reason": "Budget"}),
    ("post", "/quote-lines/1/activate", {"activated_on": "2026-03-17"}),
    ("post", "/subscriptions/1/terminate", {"received_on": "2026-03-17"}),
]
ACCEPT = ("post", "/quotes/1/accept", {"po_number": "BC-1"})


def _call(api: Api, method: str, path: str, body):
    if method == "post":
        return api.post(path, body)
    return getattr(api, method)(path)


@pytest.mark.parametrize(("method", "path", "body"), [("get", p, None) for p in READS] + WRITES)
def test_without_token_is_401(db, method, path, body):
    response = _call(Api(), method, path, body)
    assert (response.status_code, response.json()) == (401, {"detail": UNAUTHENTICATED})


def test_accept_without_token_is_401(db):
    response = _call(Api(), *ACCEPT)
    assert (response.status_code, response.json()) == (401, {"detail": UNAUTHENTICATED})


@pytest.mark.parametrize(("method", "path", "body"), [("get", p, None) for p in READS] + WRITES)
def test_without_staff_role_is_403(tenant, method, path, body):
    response = _call(Api(UserFactory()), method, path, body)
    assert (response.status_code, response.json()) == (403, {"detail": FORBIDDEN})


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_writes_need_an_administrator(staff_finance, method, path, body):
    response = _call(Api(staff_finance), method, path, body)
    assert (response.status_code, response.json()) == (403, {"detail": FORBIDDEN})


@pytest.mark.parametrize("path", ["/requests/999999", "/quotes/999999", "/subscriptions/999999"])
def test_unknown_object_is_404(staff_finance, path):
    response = Api(staff_finance).get(path)
    assert (response.status_code, response.json()) == (404, {"detail": NOT_FOUND})


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/quotes/999999/send", {}),
        ("/quotes/999999/revise", {}),
        ("/quotes/999999/approve", {}),
        ("/quotes/999999/refuse", {"reason": "Budget"}),
        ("/quotes/999999/lines", {"offer": "mail", "quantity": 1}),
        ("/quotes/999999/accept", {"po_number": "BC-1"}),
        ("/quote-lines/999999/activate", {"activated_on": "2026-03-17"}),
        ("/subscriptions/999999/terminate", {"received_on": "2026-03-17"}),
    ],
)
def test_writes_on_unknown_objects_are_404(admin, path, body):
    response = admin.post(path, body)
    assert (response.status_code, response.json()) == (404, {"detail": NOT_FOUND})


def test_openapi_lists_the_endpoints_under_french_tags(db):
    schema = Client(HTTP_HOST=host_of(None)).get("/api/v1/openapi.json").json()
    tags = {
        path: sorted({tag for op in ops.values() for tag in op["tags"]})
        for path, ops in schema["paths"].items()
    }
    assert tags["/api/v1/requests"] == ["demandes"]
    assert tags["/api/v1/requests/{request_id}"] == ["demandes"]
    for path in (
        "/api/v1/quotes",
        "/api/v1/quotes/{quote_id}",
        "/api/v1/quotes/{quote_id}/send",
        "/api/v1/quotes/{quote_id}/revise",
        "/api/v1/quotes/{quote_id}/accept",
        "/api/v1/quotes/{quote_id}/approve",
        "/api/v1/quotes/{quote_id}/refuse",
    ):
        assert tags[path] == ["devis"]
    for path in (
        "/api/v1/subscriptions",
        "/api/v1/subscriptions/{subscription_id}",
        "/api/v1/subscriptions/{subscription_id}/terminate",
        "/api/v1/quote-lines/{line_id}/activate",
    ):
        assert tags[path] == ["abonnements"]
    assert schema["paths"]["/api/v1/quotes"]["post"]["summary"].startswith("Créer un devis")


# --- The whole process ----------------------------------------------------------------------


def test_whole_lifecycle_through_the_api(
    catalogue,
    tenant,
    agent,
    signatory,
    framework,
    staff_admin,
    admin,
    django_capture_on_commit_callbacks,
):
    catalogue.mail.needs_supplier_order = True
    catalogue.mail.save()
    request = submitted_request(tenant, catalogue, agent, date(2026, 3, 2))

    # The request, as the syndicate reads it.
    with at(date(2026, 3, 2)):
        listed = admin.get("/requests?status=submitted").json()
    expected_request = {
        "id": request.pk,
        "collectivite": tenant.pk,
        "collectivite_name": "Commune de Test",
        "status": "submitted",
        "status_label": "transmise",
        "domain_choice": "reserve",
        "domain_name": "mairie-test.fr",
        "users_count": 5,
        "migration_study": True,
        "notes": "Reprise des boîtes actuelles.",
        "created_at": utc_iso(date(2026, 3, 2), 9),
        "submitted_at": utc_iso(date(2026, 3, 2), 9),
        "submitted_by": agent.email,
        "lines": [
            {
                "id": request.lines.get().pk,
                "offer": "mail",
                "offer_name": "Messagerie BlueMind 2 Go",
                "quantity": "5",
                "note": "",
            }
        ],
        "quotes": [],
    }
    assert listed == {"count": 1, "items": [expected_request]}
    assert admin.get(f"/requests/{request.pk}").json() == expected_request

    # A quote from the request, with two more lines.
    with at(date(2026, 3, 2)):
        created = admin.post(
            "/quotes",
            {
                "collectivite": tenant.pk,
                "request": request.pk,
                "lines": [
                    {"offer": "visio", "quantity": 2},
                    {"offer": "quota-mail", "quantity": "2.5"},
                ],
            },
        )
    assert created.status_code == 201
    draft = created.json()
    quote_id = draft["id"]
    reference = f"DEV-2026-{quote_id:05d}"
    assert {k: draft[k] for k in ("reference", "version", "status", "title", "request")} == {
        "reference": reference,
        "version": 1,
        "status": "draft",
        "title": f"Demande n° {request.pk}",
        "request": request.pk,
    }
    assert [(line["offer"], line["quantity"], line["amount"]) for line in draft["lines"]] == [
        ("mail", "5", "0.00"),
        ("visio", "2", "0.00"),
        ("quota-mail", "2.5", "0.00"),
    ]
    assert (draft["issue_date"], draft["valid_until"], draft["documents"]) == (None, None, [])
    request_now = admin.get(f"/requests/{request.pk}").json()
    assert (request_now["status"], request_now["quotes"]) == ("quoted", [quote_id])

    # Sent: priced at the issue date, frozen, documents, signatories told.
    with at(date(2026, 3, 2)), django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/quotes/{quote_id}/send")
    assert response.status_code == 200
    sent = response.json()
    assert {
        k: sent[k]
        for k in ("status", "status_label", "issue_date", "valid_until", "total", "sent_at")
    } == {
        "status": "sent",
        "status_label": "envoyé",
        "issue_date": "2026-03-02",
        "valid_until": "2026-04-02",
        "total": "187.50",
        "sent_at": utc_iso(date(2026, 3, 2)),
    }
    assert sent["schedule"] == catalogue.schedule.pk
    mail_line, visio_line, quota_line = sent["lines"]
    assert mail_line == {
        "id": mail_line["id"],
        "quote": quote_id,
        "offer": "mail",
        "offer_name": "Messagerie BlueMind 2 Go",
        "label": "Messagerie BlueMind 2 Go",
        "quantity": "5",
        "unit_price": "24.00",
        "free_quantity": "0",
        "amount": "120.00",
        "vat_rate": None,
        "vat_exemption": EXEMPT,
        "annex": {"version": 1, "title": "Conditions messagerie"},
        "activated_on": None,
        "subscription": None,
    }
    assert (
        visio_line["unit_price"],
        visio_line["free_quantity"],
        visio_line["amount"],
        visio_line["annex"],
    ) == ("60.00", "1", "60.00", None)
    assert (quota_line["unit_price"], quota_line["quantity"], quota_line["amount"]) == (
        "3.00",
        "2.5",
        "7.50",
    )
    assert sent["totals"] == {
        "total_ht": "187.50",
        "vat": [],
        "total_vat": "0.00",
        "total_ttc": "187.50",
    }
    documents = {d.title: d for d in QuoteDocument.objects.filter(quote_id=quote_id)}
    assert [(d["kind"], d["title"]) for d in sent["documents"]] == [
        ("quote", f"Devis n° {reference}, version 1"),
        ("annex", "Conditions messagerie (version 1)"),
        ("framework", f"{FRAMEWORK_TITLE} (version 1)"),
    ]
    for document in sent["documents"]:
        assert document["sha256"] == documents[document["title"]].sha256
        assert len(document["sha256"]) == 64
    [message] = mail.outbox
    assert message.to == [SIGNATORY_EMAIL]
    assert message.subject == f"Devis {reference} à signer — Commune de Test"
    assert "d'un montant de 187,50 € HT" in message.body
    assert "jusqu'au 02/04/2026 inclus" in message.body

    # Accepted by the signatory, with the purchase order and the framework agreement.
    signatory_api = Api(signatory)
    accept = f"/quotes/{quote_id}/accept"
    with at(date(2026, 3, 10)):
        by_staff = admin.post(accept, {"po_number": "BC-2026-031", "accept_framework": True})
        assert (by_staff.status_code, by_staff.json()) == (
            403,
            {"detail": ACCEPT_SIGNATORY_ONLY},
        )
        invalid(
            signatory_api.post(accept, {"po_number": "BC-2026-031"}),
            {"accept_framework": FRAMEWORK_REQUIRED},
        )
        invalid(
            signatory_api.post(accept, {"po_number": "  ", "accept_framework": True}),
            {"po_number": PO_REQUIRED},
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = signatory_api.post(
                accept, {"po_number": "BC-2026-031", "accept_framework": True}
            )
        assert response.status_code == 200
        invalid(
            signatory_api.post(accept, {"po_number": "BC-2026-032", "accept_framework": True}),
            {"__all__": QUOTE_NOT_AWAITING_SIGNATURE},
        )
    accepted = response.json()
    assert accepted["status"] == "accepted"
    assert accepted["acceptance"] == {
        "signed_by": SIGNATORY_EMAIL,
        "signed_by_name": str(signatory),
        "signed_at": utc_iso(date(2026, 3, 10)),
        "ip_address": "127.0.0.1",
        "po_number": "BC-2026-031",
        "documents": {title: document.sha256 for title, document in documents.items()},
        "framework_agreement_version": 1,
    }
    assert mail.outbox[1].to == ["admin@syndicat.test"]
    assert mail.outbox[1].subject == f"Devis {reference} accepté par Commune de Test"

    # Approved, with the supplier order the mail offer needs.
    approve = f"/quotes/{quote_id}/approve"
    with at(date(2026, 3, 12)):
        invalid(admin.post(approve, {}), {"__all__": SUPPLIER_ORDER_REQUIRED})
        with django_capture_on_commit_callbacks(execute=True):
            response = admin.post(
                approve,
                {
                    "supplier_orders": [
                        {
                            "supplier": "BlueMind SAS",
                            "reference": "CMD-4471",
                            "ordered_on": "2026-03-12",
                        }
                    ]
                },
            )
    assert response.status_code == 200
    approved = response.json()
    assert {k: approved[k] for k in ("status", "decided_at", "decided_by")} == {
        "status": "approved",
        "decided_at": utc_iso(date(2026, 3, 12)),
        "decided_by": "admin@syndicat.test",
    }
    assert approved["supplier_orders"] == [
        {"supplier": "BlueMind SAS", "reference": "CMD-4471", "ordered_on": "2026-03-12"}
    ]
    assert mail.outbox[2].subject == f"Votre commande {reference} est approuvée"

    # Each line activated on its date.
    lines = {line["offer"]: line["id"] for line in approved["lines"]}
    with at(date(2026, 3, 17)):
        invalid(
            admin.post(f"/quote-lines/{lines['mail']}/activate", {"activated_on": "2026-03-11"}),
            {"activated_on": ACTIVATION_BEFORE_APPROVAL},
        )
        response = admin.post(
            f"/quote-lines/{lines['mail']}/activate", {"activated_on": "2026-03-17"}
        )
        assert response.status_code == 200
        activated = response.json()
        invalid(
            admin.post(f"/quote-lines/{lines['mail']}/activate", {"activated_on": "2026-03-17"}),
            {"__all__": LINE_ALREADY_ACTIVE},
        )
        for offer in ("visio", "quota-mail"):
            assert (
                admin.post(
                    f"/quote-lines/{lines[offer]}/activate", {"activated_on": "2026-03-18"}
                ).status_code
                == 200
            )
    subscription = Subscription.objects.get(offer=catalogue.mail)
    assert (activated["activated_on"], activated["subscription"]) == (
        "2026-03-17",
        subscription.pk,
    )

    # The subscriptions and their dates (S1, S3).
    with at(date(2026, 3, 20)):
        listed = admin.get(f"/subscriptions?collectivite={tenant.pk}").json()
    assert listed["count"] == 3
    assert [(s["offer"], s["quantity"], s["activated_on"]) for s in listed["items"]] == [
        ("mail", "5", "2026-03-17"),
        ("quota-mail", "2.5", "2026-03-18"),
        ("visio", "2", "2026-03-18"),
    ]
    assert listed["items"][0] == {
        "id": subscription.pk,
        "collectivite": tenant.pk,
        "collectivite_name": "Commune de Test",
        "offer": "mail",
        "offer_name": "Messagerie BlueMind 2 Go",
        "quantity": "5",
        "status": "active",
        "status_label": "en cours",
        "activated_on": "2026-03-17",
        "term_start": "2026-03-01",
        "first_anniversary": "2027-03-01",
        "current_year": {"start": "2026-03-01", "end": "2027-03-01"},
        "next_renewal": "2027-03-01",
        "notice_deadline": "2026-12-31",
        "notice_deadline_anniversary": "2027-03-01",
        "ends_on": None,
        "last_covered_day": None,
        "pending_changes": [],
    }

    # Past the notice deadline of the first anniversary: the next one is what notice reaches.
    with at(date(2027, 1, 10)):
        body = admin.get(f"/subscriptions/{subscription.pk}").json()
    assert (body["next_renewal"], body["notice_deadline"], body["notice_deadline_anniversary"]) == (
        "2027-03-01",
        "2027-12-31",
        "2028-03-01",
    )

    # Tacit renewal by the nightly job (S2).
    with at(date(2027, 3, 1), hour=2), django_capture_on_commit_callbacks(execute=True):
        assert tasks.renew_subscriptions.delay().get() == 3
    with at(date(2027, 3, 2)):
        body = admin.get(f"/subscriptions/{subscription.pk}").json()
    assert body["years"] == [
        {"start": "2026-03-01", "end": "2027-03-01"},
        {"start": "2027-03-01", "end": "2028-03-01"},
    ]
    assert (body["current_year"], body["next_renewal"], body["notice_deadline"]) == (
        {"start": "2027-03-01", "end": "2028-03-01"},
        "2028-03-01",
        "2027-12-31",
    )

    # Termination recorded by the syndicate: the effective end at once (S3).
    with at(date(2027, 6, 30)), django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            f"/subscriptions/{subscription.pk}/terminate", {"received_on": "2027-06-30"}
        )
    assert response.status_code == 201
    termination = response.json()
    assert termination == {
        "id": termination["id"],
        "subscription": subscription.pk,
        "quantity": None,
        "received_on": "2027-06-30",
        "effective_end": "2027-09-01",
        "last_covered_day": "2027-08-31",
        "recorded_by": "admin@syndicat.test",
        "requested_by": None,
        "created_at": utc_iso(date(2027, 6, 30)),
    }
    message = mail.outbox[-1]
    assert (message.to, message.subject) == (
        [SIGNATORY_EMAIL],
        "Résiliation enregistrée : Messagerie BlueMind 2 Go",
    )
    assert "reçue le 30/06/2027" in message.body
    assert "L'abonnement reste dû jusqu'au 31/08/2027 inclus." in message.body
    with at(date(2027, 7, 1)):
        body = admin.get(f"/subscriptions/{subscription.pk}").json()
        invalid(
            admin.post(
                f"/subscriptions/{subscription.pk}/terminate", {"received_on": "2027-07-01"}
            ),
            {"__all__": SUBSCRIPTION_ENDED.format(date="31/08/2027")},
        )
    assert {
        k: body[k]
        for k in (
            "status",
            "next_renewal",
            "notice_deadline",
            "notice_deadline_anniversary",
            "ends_on",
            "last_covered_day",
        )
    } == {
        "status": "terminating",
        "next_renewal": None,
        "notice_deadline": None,
        "notice_deadline_anniversary": None,
        "ends_on": "2027-09-01",
        "last_covered_day": "2027-08-31",
    }
    assert body["terminations"] == [termination]

    # Ended on its effective end.
    with at(date(2027, 9, 1), hour=2):
        tasks.renew_subscriptions.delay().get()
    with at(date(2027, 9, 1)):
        ended = admin.get("/subscriptions?status=ended").json()
    assert [(s["id"], s["status"], s["current_year"]) for s in ended["items"]] == [
        (subscription.pk, "ended", None)
    ]

    # Every step on record, with who did it.
    quote_events = AuditEvent.objects.filter(
        object_type="contracts.quote", object_id=str(quote_id)
    ).order_by("id")
    assert [(e.action, e.actor_label) for e in quote_events] == [
        ("quote.created", "Nadia Roussel"),
        ("quote.sent", "Nadia Roussel"),
        ("quote.accepted", str(signatory)),
        ("quote.approved", "Nadia Roussel"),
    ]
    assert quote_events[2].ip_address == "127.0.0.1"
    subscription_events = AuditEvent.objects.filter(
        object_type="contracts.subscription", object_id=str(subscription.pk)
    ).order_by("id")
    assert [(e.action, e.actor_label) for e in subscription_events] == [
        ("subscription.activated", "Nadia Roussel"),
        ("subscription.renewed", "système"),
        ("subscription.terminated", "Nadia Roussel"),
    ]
    assert subscription_events[2].summary == (
        "Résiliation de « Messagerie BlueMind 2 Go » reçue le 30/06/2027 : dû jusqu'au "
        "31/08/2027 inclus."
    )


# --- Requests -------------------------------------------------------------------------------


def test_request_filters(catalogue, tenant, other_tenant, agent, make_member, staff_finance):
    ours = submitted_request(tenant, catalogue, agent, date(2026, 3, 2))
    theirs = submitted_request(
        other_tenant, catalogue, make_member(other_tenant, Role.AGENT), date(2026, 3, 3)
    )
    with at(date(2026, 3, 4)):
        services.request_add_offer(
            collectivite=tenant, offer=catalogue.visio, quantity="1", user=agent
        )
    draft = ServiceRequest.objects.get(collectivite=tenant, status="draft")
    api = Api(staff_finance)  # reads: any staff

    def ids(query: str) -> list[int]:
        return [row["id"] for row in api.get(f"/requests{query}").json()["items"]]

    assert ids("") == [draft.pk, theirs.pk, ours.pk]  # the newest first
    assert ids(f"?collectivite={tenant.pk}") == [draft.pk, ours.pk]
    assert ids(f"?collectivite={tenant.pk}&status=submitted") == [ours.pk]
    assert ids("?status=quoted") == []
    assert api.get("/requests?limit=1&offset=1").json() == {
        "count": 3,
        "items": [api.get(f"/requests/{theirs.pk}").json()],
    }
    invalid(api.get("/requests?status=perdue"), {"status": "Valeur invalide."})


# --- Quotes ---------------------------------------------------------------------------------


def test_create_quote_from_scratch(catalogue, tenant, admin):
    with at(date(2026, 4, 1)):
        response = admin.post(
            "/quotes",
            {
                "collectivite": tenant.pk,
                "title": "  Forfait et visio  ",
                "lines": [
                    {"offer": "forfait-techno", "quantity": 1},
                    {"offer": "visio", "quantity": 3},
                ],
            },
        )
    assert response.status_code == 201
    body = response.json()
    assert {k: v for k, v in body.items() if k not in ("lines", "id")} == {
        "reference": f"DEV-2026-{body['id']:05d}",
        "version": 1,
        "collectivite": tenant.pk,
        "collectivite_name": "Commune de Test",
        "request": None,
        "status": "draft",
        "status_label": "brouillon",
        "title": "Forfait et visio",
        "issue_date": None,
        "valid_until": None,
        "total": "0.00",
        "previous": None,
        "created_at": utc_iso(date(2026, 4, 1)),
        "sent_at": None,
        "decided_at": None,
        "notes": "",
        "schedule": None,
        "next_version": None,
        "decided_by": None,
        "refusal_reason": "",
        "expired_at": None,
        "totals": {"total_ht": "0.00", "vat": [], "total_vat": "0.00", "total_ttc": "0.00"},
        "documents": [],
        "acceptance": None,
        "supplier_orders": [],
    }
    assert [(line["offer"], line["quantity"]) for line in body["lines"]] == [
        ("forfait-techno", "1"),
        ("visio", "3"),
    ]
    event = AuditEvent.objects.get(action="quote.created", object_id=str(body["id"]))
    assert event.actor_label == "Nadia Roussel"


def test_create_quote_from_a_request_with_its_own_title(catalogue, tenant, agent, admin):
    request = submitted_request(tenant, catalogue, agent, date(2026, 3, 2))
    with at(date(2026, 3, 3)):
        response = admin.post(
            "/quotes",
            {
                "collectivite": tenant.pk,
                "request": request.pk,
                "title": "Messagerie de la mairie",
                "lines": [{"offer": "mail", "quantity": 6}],  # replaces the request's 5
            },
        )
    assert response.status_code == 201
    body = response.json()
    assert (body["title"], body["request"]) == ("Messagerie de la mairie", request.pk)
    assert [(line["offer"], line["quantity"]) for line in body["lines"]] == [("mail", "6")]


def test_create_quote_refused_changes_nothing(
    catalogue, tenant, other_tenant, agent, make_member, admin
):
    ours = submitted_request(tenant, catalogue, agent, date(2026, 3, 2))
    other_agent = make_member(other_tenant, Role.AGENT)
    with at(date(2026, 3, 3)):
        services.request_add_offer(
            collectivite=other_tenant, offer=catalogue.mail, quantity="1", user=other_agent
        )
    draft = ServiceRequest.objects.get(collectivite=other_tenant, status="draft")
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    with at(date(2026, 3, 4)):
        invalid(admin.post("/quotes", {"collectivite": tenant.pk}), {"title": QUOTE_TITLE_REQUIRED})
        invalid(
            admin.post("/quotes", {"collectivite": 999999, "title": "Devis"}),
            {"collectivite": "Collectivité inconnue."},
        )
        invalid(
            admin.post(
                "/quotes",
                {
                    "collectivite": tenant.pk,
                    "title": "Devis",
                    "lines": [{"offer": "mail", "quantity": 1}, {"offer": "fax", "quantity": 1}],
                },
            ),
            {"lines.1.offer": "Offre inconnue : « fax »."},
        )
        invalid(
            admin.post(
                "/quotes",
                {
                    "collectivite": tenant.pk,
                    "title": "Devis",
                    "lines": [{"offer": "mail", "quantity": 2}, {"offer": "visio", "quantity": 0}],
                },
            ),
            {"lines.1.quantity": QUANTITY_ERROR},
        )
        invalid(
            admin.post(
                "/quotes",
                {
                    "collectivite": tenant.pk,
                    "title": "Devis",
                    "lines": [{"offer": "mail", "quantity": "beaucoup"}],
                },
            ),
            {"lines.0.quantity": "Valeur invalide."},
        )
        invalid(
            admin.post("/quotes", {"title": "Devis"}), {"collectivite": "Ce champ est obligatoire."}
        )
        invalid(
            admin.post("/quotes", {"collectivite": other_tenant.pk, "request": ours.pk}),
            {"request": "Cette demande est celle d'une autre collectivité."},
        )
        invalid(
            admin.post("/quotes", {"collectivite": tenant.pk, "request": 999999}),
            {"request": "Demande inconnue."},
        )
        invalid(
            admin.post("/quotes", {"collectivite": other_tenant.pk, "request": draft.pk}),
            {"__all__": REQUEST_NOT_SUBMITTED},
        )
        # a bad line after a good request: the request is not consumed either
        invalid(
            admin.post(
                "/quotes",
                {
                    "collectivite": tenant.pk,
                    "request": ours.pk,
                    "lines": [{"offer": "visio", "quantity": -1}],
                },
            ),
            {"lines.0.quantity": QUANTITY_ERROR},
        )
    assert Quote.objects.count() == 0
    ours.refresh_from_db()
    assert ours.status == ServiceRequest.Status.SUBMITTED
    # (audit events are append-only: other tests' committed ones may exist, so look at ours)
    assert not AuditEvent.objects.filter(
        action="quote.created", collectivite=tenant, id__gt=before
    ).exists()


def test_send_errors(catalogue, tenant, admin):
    with at(date(2026, 4, 1)):
        empty = admin.post("/quotes", {"collectivite": tenant.pk, "title": "Vide"}).json()
        invalid(admin.post(f"/quotes/{empty['id']}/send"), {"__all__": QUOTE_EMPTY})
    with at(date(2025, 12, 1)):  # before the first tariff schedule
        early = admin.post(
            "/quotes",
            {
                "collectivite": tenant.pk,
                "title": "Trop tôt",
                "lines": [{"offer": "mail", "quantity": 1}],
            },
        ).json()
        invalid(
            admin.post(f"/quotes/{early['id']}/send"),
            {"__all__": "Aucune grille tarifaire n'est en vigueur au 01/12/2025."},
        )
    assert Quote.objects.get(pk=early["id"]).status == Quote.Status.DRAFT
    assert not QuoteDocument.objects.exists()


def test_revise_edit_and_supersede(catalogue, tenant, signatory, admin):
    with at(date(2026, 4, 1)):
        first = admin.post(
            "/quotes",
            {
                "collectivite": tenant.pk,
                "title": "Visio",
                "lines": [{"offer": "visio", "quantity": 3}],
            },
        ).json()
        admin.post(f"/quotes/{first['id']}/send")
        invalid(
            admin.post(f"/quotes/{first['id']}/lines", {"offer": "visio", "quantity": 4}),
            {"__all__": QUOTE_NOT_DRAFT},
        )
        invalid(admin.post(f"/quotes/{first['id']}/send"), {"__all__": QUOTE_NOT_DRAFT})

    with at(date(2026, 4, 8)):
        response = admin.post(f"/quotes/{first['id']}/revise")
        assert response.status_code == 201
        second = response.json()
        invalid(admin.post(f"/quotes/{first['id']}/revise"), {"__all__": CANNOT_REVISE})
    assert {k: second[k] for k in ("reference", "version", "status", "previous", "title")} == {
        "reference": first["reference"],
        "version": 2,
        "status": "draft",
        "previous": first["id"],
        "title": "Visio",
    }
    assert [(line["offer"], line["quantity"]) for line in second["lines"]] == [("visio", "3")]
    assert admin.get(f"/quotes/{first['id']}").json()["next_version"] == second["id"]

    with at(date(2026, 4, 8)):
        edited = admin.post(
            f"/quotes/{second['id']}/lines", {"offer": "forfait-techno", "quantity": 1}
        ).json()
        visio_line = edited["lines"][0]["id"]
        assert (
            admin.delete(f"/quotes/{second['id']}/lines/{first['lines'][0]['id']}").status_code
            == 404
        )  # a line of another quote
        edited = admin.delete(f"/quotes/{second['id']}/lines/{visio_line}").json()
        assert [line["offer"] for line in edited["lines"]] == ["forfait-techno"]
        invalid(
            admin.post(f"/quotes/{second['id']}/lines", {"offer": "fax", "quantity": 1}),
            {"offer": "Offre inconnue : « fax »."},
        )
        sent = admin.post(f"/quotes/{second['id']}/send").json()
    # the forfait at the strate of the collectivité (2000-3499), on the issue date
    assert (sent["status"], sent["total"], sent["issue_date"], sent["valid_until"]) == (
        "sent",
        "700.00",
        "2026-04-08",
        "2026-05-08",
    )
    api = Api(signatory)
    with at(date(2026, 4, 9)):
        invalid(
            api.post(f"/quotes/{first['id']}/accept", {"po_number": "BC-7"}),
            {"__all__": QUOTE_NOT_AWAITING_SIGNATURE},
        )
        superseded = admin.get("/quotes?status=superseded").json()
        assert [q["id"] for q in superseded["items"]] == [first["id"]]
        everything = admin.get(f"/quotes?collectivite={tenant.pk}").json()
        assert [(q["id"], q["version"]) for q in everything["items"]] == [
            (second["id"], 2),
            (first["id"], 1),
        ]
        assert admin.get("/quotes?status=nulle").status_code == 422


def test_accept_is_for_a_signatory_of_the_quote_collectivite_only(
    catalogue, tenant, other_tenant, signatory, agent, make_member, admin
):
    with at(date(2026, 4, 1)):
        quote = admin.post(
            "/quotes",
            {
                "collectivite": tenant.pk,
                "title": "Messagerie",
                "lines": [{"offer": "mail", "quantity": 2}],
            },
        ).json()
        admin.post(f"/quotes/{quote['id']}/send")
    other_signatory = make_member(other_tenant, Role.SIGNATORY)
    accept = f"/quotes/{quote['id']}/accept"
    with at(date(2026, 4, 2)):
        for user in (other_signatory, agent):  # not revealed to them
            response = Api(user).post(accept, {"po_number": "BC-1"})
            assert (response.status_code, response.json()) == (404, {"detail": NOT_FOUND})
        response = admin.post(accept, {"po_number": "BC-1"})
        assert (response.status_code, response.json()) == (403, {"detail": ACCEPT_SIGNATORY_ONLY})
        invalid(Api(signatory).post(accept, {}), {"po_number": "Ce champ est obligatoire."})
    assert Quote.objects.get(pk=quote["id"]).status == Quote.Status.SENT


def test_expired_quote_cannot_be_accepted(catalogue, tenant, signatory, admin):
    quotes = []
    with at(date(2026, 1, 31)):
        for title in ("Premier", "Second"):
            quote = admin.post(
                "/quotes",
                {
                    "collectivite": tenant.pk,
                    "title": title,
                    "lines": [{"offer": "mail", "quantity": 1}],
                },
            ).json()
            quotes.append(admin.post(f"/quotes/{quote['id']}/send").json())
    assert [q["valid_until"] for q in quotes] == ["2026-02-28", "2026-02-28"]
    api = Api(signatory)
    with at(date(2026, 2, 28), hour=23):  # the last day, late
        response = api.post(f"/quotes/{quotes[0]['id']}/accept", {"po_number": "BC-1"})
        assert (response.status_code, response.json()["status"]) == (200, "accepted")
    with at(date(2026, 3, 1), hour=0):
        invalid(
            api.post(f"/quotes/{quotes[1]['id']}/accept", {"po_number": "BC-2"}),
            {"__all__": QUOTE_EXPIRED.format(date="28/02/2026")},
        )
    assert Quote.objects.get(pk=quotes[1]["id"]).status == Quote.Status.SENT


def test_refuse_with_a_reason(
    catalogue, tenant, signatory, admin, django_capture_on_commit_callbacks
):
    with at(date(2026, 4, 1)):
        quote = admin.post(
            "/quotes",
            {
                "collectivite": tenant.pk,
                "title": "Messagerie",
                "lines": [{"offer": "mail", "quantity": 2}],
            },
        ).json()
        admin.post(f"/quotes/{quote['id']}/send")
        invalid(
            admin.post(f"/quotes/{quote['id']}/refuse", {"reason": "Budget"}),
            {"__all__": QUOTE_NOT_ACCEPTED},
        )
        invalid(admin.post(f"/quotes/{quote['id']}/approve", {}), {"__all__": QUOTE_NOT_ACCEPTED})
        Api(signatory).post(f"/quotes/{quote['id']}/accept", {"po_number": "BC-9"})
    with at(date(2026, 4, 3)):
        invalid(
            admin.post(f"/quotes/{quote['id']}/refuse", {"reason": "   "}),
            {"reason": REFUSAL_REASON_REQUIRED},
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = admin.post(
                f"/quotes/{quote['id']}/refuse", {"reason": "Hors du périmètre du marché."}
            )
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("status", "refusal_reason", "decided_at", "decided_by")} == {
        "status": "refused",
        "refusal_reason": "Hors du périmètre du marché.",
        "decided_at": utc_iso(date(2026, 4, 3)),
        "decided_by": "admin@syndicat.test",
    }
    [message] = mail.outbox
    assert (message.to, message.subject) == (
        [SIGNATORY_EMAIL],
        f"Devis {body['reference']} : commande refusée",
    )
    assert "Motif : Hors du périmètre du marché." in message.body


# --- Subscriptions --------------------------------------------------------------------------


def test_terminate_errors_and_a_reduction(catalogue, tenant, signatory, staff_admin, admin):
    subscription = mail_subscription(tenant, catalogue, staff_admin, signatory, admin)
    path = f"/subscriptions/{subscription.pk}/terminate"
    with at(date(2027, 1, 15)):
        invalid(
            admin.post(path, {"received_on": "2027-01-16"}), {"received_on": RECEIVED_IN_FUTURE}
        )
        invalid(
            admin.post(path, {"received_on": "2026-03-16"}),
            {"received_on": RECEIVED_BEFORE_ACTIVATION},
        )
        invalid(
            admin.post(path, {"received_on": "2027-01-15", "quantity": 0}),
            {"quantity": QUANTITY_ERROR},
        )
        invalid(
            admin.post(path, {"received_on": "2027-01-15", "quantity": 5}),
            {"quantity": REDUCTION_TOO_LARGE.format(quantity=Decimal("5"))},
        )
        invalid(
            admin.post(path, {"received_on": "15/01/2027"}), {"received_on": "Valeur invalide."}
        )
        response = admin.post(path, {"received_on": "2027-01-15", "quantity": 2})
        assert response.status_code == 201
        body = admin.get(f"/subscriptions/{subscription.pk}").json()
    assert {k: response.json()[k] for k in ("quantity", "effective_end", "last_covered_day")} == {
        "quantity": "2",
        "effective_end": "2027-04-01",
        "last_covered_day": "2027-03-31",
    }
    assert (body["status"], body["quantity"], body["ends_on"], body["next_renewal"]) == (
        "active",
        "5",
        None,
        "2027-03-01",
    )
    assert body["pending_changes"] == [{"delta": "-2", "effective_on": "2027-04-01"}]

    with at(date(2027, 4, 1), hour=2):
        tasks.renew_subscriptions.delay().get()
    with at(date(2027, 4, 1)):
        body = admin.get(f"/subscriptions/{subscription.pk}").json()
    assert (body["quantity"], body["pending_changes"]) == ("3", [])


@pytest.mark.parametrize(
    ("received", "effective_end", "last_day"),
    [
        ("2026-04-02", "2027-03-01", "2027-02-28"),
        ("2026-12-20", "2027-03-01", "2027-02-28"),
        ("2027-01-15", "2027-04-01", "2027-03-31"),
        ("2027-06-30", "2027-09-01", "2027-08-31"),
    ],
)
def test_termination_answers_the_effective_end_of_design_s3(
    catalogue, tenant, signatory, staff_admin, admin, received, effective_end, last_day
):
    subscription = mail_subscription(tenant, catalogue, staff_admin, signatory, admin)
    with at(date(2027, 7, 1)):
        response = admin.post(
            f"/subscriptions/{subscription.pk}/terminate", {"received_on": received}
        )
    assert response.status_code == 201
    assert (response.json()["effective_end"], response.json()["last_covered_day"]) == (
        effective_end,
        last_day,
    )


def test_subscription_filters(
    catalogue, tenant, other_tenant, signatory, make_member, staff_admin, admin, staff_finance
):
    ours = mail_subscription(tenant, catalogue, staff_admin, signatory, admin)
    theirs_signatory = make_member(other_tenant, Role.SIGNATORY)
    quote = approved_quote(
        other_tenant, catalogue, staff_admin, theirs_signatory, date(2026, 3, 2), visio="1"
    )
    with at(date(2026, 3, 20)):
        admin.post(f"/quote-lines/{quote.lines.get().pk}/activate", {"activated_on": "2026-03-20"})
        admin.post(f"/subscriptions/{ours.pk}/terminate", {"received_on": "2026-03-20"})
    theirs = Subscription.objects.get(collectivite=other_tenant)
    api = Api(staff_finance)
    with at(date(2026, 3, 21)):

        def ids(query: str) -> list[int]:
            return [s["id"] for s in api.get(f"/subscriptions{query}").json()["items"]]

        assert ids("") == [theirs.pk, ours.pk]  # Commune Autre, Commune de Test
        assert ids(f"?collectivite={tenant.pk}") == [ours.pk]
        assert ids("?status=terminating") == [ours.pk]
        assert ids("?status=active") == [theirs.pk]
        invalid(api.get("/subscriptions?status=suspendu"), {"status": "Valeur invalide."})
        body = api.get(f"/subscriptions/{theirs.pk}").json()
    # visio: the first account is free, but the contract dates are the same rules
    assert (body["term_start"], body["first_anniversary"], body["notice_deadline"]) == (
        "2026-03-01",
        "2027-03-01",
        "2026-12-31",
    )
