"""The billing API (issue 5 §10): invoices (list with filters, detail, PDF, Factur-X XML),
credit notes, payments, billing runs and exports — staff tokens read, finance writes and
gets the documents; French errors, money as strings, ISO dates, at frozen dates."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from billing import services
from billing.api import (
    AMOUNT_NOT_POSITIVE,
    FILE_NOT_READY,
    LINE_FULLY_CREDITED,
    LINE_NOT_IN_INVOICE,
    LINE_TWICE,
    PDF_PENDING,
    RUN_BEFORE_LAST_INVOICE,
    RUN_IN_FUTURE,
)
from billing.models import BillingRun, CreditNote, ExportJob, Invoice, Payment
from catalogue.models import Offer
from contracts import services as contracts
from portal import services as portal_services
from portal.api import FORBIDDEN, INVALID, NOT_FOUND, UNAUTHENTICATED
from tests.billing.integration.test_exports import HEADER, _approved, at, build_year
from tests.conftest import host_of
from tests.factories import UserFactory

PARIS = ZoneInfo("Europe/Paris")
TODAY = date(2026, 6, 20)


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
        with at(TODAY):
            return self.client.get(f"/api/v1{path}")

    def post(self, path: str, body: dict | None = None):
        with at(TODAY):
            return self.client.post(f"/api/v1{path}", body or {}, content_type="application/json")


def invalid(response, errors: dict) -> None:
    assert (response.status_code, response.json()) == (422, {"detail": INVALID, "errors": errors})


@pytest.fixture
def year(tenant, other_tenant, staff_finance):
    return build_year(tenant, other_tenant, staff_finance)


@pytest.fixture
def finance(staff_finance) -> Api:
    return Api(staff_finance)


# --- Access ----------------------------------------------------------------------------------

READS = ["/invoices", "/invoices/1", "/credit-notes", "/billing-runs", "/billing-runs/1"]
FINANCE_READS = ["/invoices/1/pdf", "/invoices/1/xml", "/exports/1", "/exports/1/csv"]
WRITES = [
    ("/invoices/1/credit-notes", {"reason": "Erreur", "lines": [{"line": 1}]}),
    (
        "/invoices/1/payments",
        {"paid_on": "2026-06-18", "mandate_reference": "M-1", "amount": "10.00"},
    ),
    ("/billing-runs", {"as_of": "2026-06-20", "dry_run": True}),
    ("/exports", {"year": 2026}),
]
ALL = [("get", p, None) for p in READS + FINANCE_READS] + [("post", p, b) for p, b in WRITES]


def _call(api: Api, method: str, path: str, body):
    return api.post(path, body) if method == "post" else api.get(path)


@pytest.mark.parametrize(("method", "path", "body"), ALL)
def test_without_token_is_401(db, method, path, body):
    response = _call(Api(), method, path, body)
    assert (response.status_code, response.json()) == (401, {"detail": UNAUTHENTICATED})


@pytest.mark.parametrize(("method", "path", "body"), ALL)
def test_without_staff_role_is_403(tenant, method, path, body):
    response = _call(Api(UserFactory()), method, path, body)
    assert (response.status_code, response.json()) == (403, {"detail": FORBIDDEN})


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("get", p, None) for p in FINANCE_READS] + [("post", p, b) for p, b in WRITES],
)
def test_documents_and_writes_need_finance(staff_admin, method, path, body):
    response = _call(Api(staff_admin), method, path, body)
    assert (response.status_code, response.json()) == (403, {"detail": FORBIDDEN})


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/invoices/999999", None),
        ("get", "/invoices/999999/pdf", None),
        ("get", "/invoices/999999/xml", None),
        ("get", "/billing-runs/999999", None),
        ("get", "/exports/999999", None),
        ("get", "/exports/999999/csv", None),
        ("post", *WRITES[0]),
        ("post", *WRITES[1]),
    ],
)
def test_unknown_objects_are_404(finance, method, path, body):
    path = path.replace("/1/", "/999999/")
    response = _call(finance, method, path, body)
    assert (response.status_code, response.json()) == (404, {"detail": NOT_FOUND})


def test_staff_reads_invoices_without_finance(year, staff_admin):
    response = Api(staff_admin).get("/invoices")
    assert (response.status_code, response.json()["count"]) == (200, 2)


def test_openapi_lists_the_endpoints_under_french_tags(db):
    schema = Client(HTTP_HOST=host_of(None)).get("/api/v1/openapi.json").json()
    tags = {
        path: sorted({tag for op in ops.values() for tag in op["tags"]})
        for path, ops in schema["paths"].items()
    }
    assert tags["/api/v1/invoices"] == ["factures"]
    assert tags["/api/v1/invoices/{invoice_id}/pdf"] == ["factures"]
    assert tags["/api/v1/invoices/{invoice_id}/credit-notes"] == ["avoirs"]
    assert tags["/api/v1/invoices/{invoice_id}/payments"] == ["paiements"]
    assert tags["/api/v1/billing-runs"] == ["facturation"]
    assert tags["/api/v1/exports/{export_id}"] == ["exports"]
    pdf = schema["paths"]["/api/v1/invoices/{invoice_id}/pdf"]["get"]["responses"]["200"]
    assert list(pdf["content"]) == ["application/pdf"]


# --- Invoices --------------------------------------------------------------------------------


def test_invoice_list_and_filters(year, tenant, finance):
    first = {
        "id": year.first.pk,
        "number": "FAC-2026-00001",
        "year": 2026,
        "collectivite": tenant.pk,
        "collectivite_name": "Commune de Test",
        "siret": tenant.siret,
        "service_code": "MAIRIE-01",
        "po_number": "BC-2026-118",
        "issue_date": "2026-04-01",
        "due_date": "2026-05-01",
        "run": None,
        "total_ht": "240.00",
        "total_vat": "0.00",
        "total_ttc": "240.00",
        "amount_paid": "0.00",
        "amount_credited": "48.00",
        "balance": "192.00",
        "status": "unpaid",
        "status_label": "non payée",
        "overdue": True,
        "pdf_available": False,
        "created_at": utc_iso(date(2026, 4, 1)),
    }
    listed = finance.get("/invoices").json()
    assert listed["count"] == 2
    assert [i["number"] for i in listed["items"]] == ["FAC-2026-00002", "FAC-2026-00001"]
    assert listed["items"][1] == first
    second = listed["items"][0]
    assert {k: second[k] for k in ("amount_paid", "balance", "status", "overdue")} == {
        "amount_paid": "200.00",
        "balance": "40.00",
        "status": "partly_paid",
        "overdue": False,  # due on 01/07/2026
    }

    def numbers(query: str) -> list[str]:
        response = finance.get(f"/invoices?{query}")
        assert response.status_code == 200, response.content
        return [i["number"] for i in response.json()["items"]]

    assert numbers("year=2026&limit=1") == ["FAC-2026-00002"]
    assert numbers("year=2025") == []
    assert numbers(f"collectivite={tenant.pk}") == ["FAC-2026-00001"]
    assert numbers("status=unpaid") == ["FAC-2026-00001"]
    assert numbers("status=partly_paid") == ["FAC-2026-00002"]
    assert numbers("status=paid") == []
    assert numbers("overdue=true") == ["FAC-2026-00001"]
    assert numbers("overdue=false") == ["FAC-2026-00002"]
    invalid(finance.get("/invoices?status=soldee"), {"status": "Valeur invalide."})
    invalid(finance.get("/invoices?year=deux"), {"year": "Saisissez un nombre entier positif."})


def test_invoice_detail(year, other_tenant, finance):
    [backup] = year.second.lines.order_by("id")
    detail = finance.get(f"/invoices/{year.second.pk}").json()
    assert detail["number"] == "FAC-2026-00002"
    assert detail["buyer"]["name"] == "Commune Autre"
    assert detail["seller"]["name"] == "Syndicat mixte Numérique Test"
    assert detail["lines"] == [
        {
            "id": backup.pk,
            "offer": "sauvegarde",
            "label": "Sauvegarde externalisée",
            "period_start": "2026-05-01",
            "period_end": "2027-05-01",
            "last_covered_day": "2027-04-30",
            "months": 12,
            "quantity": "2",
            "unit_price": "100.00",
            "free_quantity": "0",
            "amount": "200.00",
            "vat_rate": "0.2",
            "vat_exemption": "",
            "creditable": "200.00",
        },
    ]
    assert detail["vat"] == [
        {"rate": "0.2", "exemption": "", "base": "200.00", "amount": "40.00"},
    ]
    assert (detail["total_ht"], detail["total_vat"], detail["total_ttc"]) == (
        "200.00",
        "40.00",
        "240.00",
    )
    assert detail["credit_notes"] == []
    assert detail["payments"] == [
        {
            "id": year.payment.pk,
            "invoice": year.second.pk,
            "invoice_number": "FAC-2026-00002",
            "paid_on": "2026-06-18",
            "mandate_reference": "M-2026-0042",
            "amount": "200.00",
            "recorded_by": "finances@syndicat.test",
            "created_at": utc_iso(date(2026, 6, 18)),
            "invoice_balance": "40.00",
            "invoice_status": "partly_paid",
        }
    ]
    first = finance.get(f"/invoices/{year.first.pk}").json()
    assert first["credit_notes"] == [
        {
            "id": year.credit.pk,
            "number": "AV-2026-00001",
            "issue_date": "2026-06-15",
            "total_ttc": "48.00",
        }
    ]
    assert first["lines"][0]["creditable"] == "192.00"


def test_invoice_pdf_and_xml(year, finance, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # rendered by its task, not here
        pending = finance.get(f"/invoices/{year.second.pk}/pdf")
    assert (pending.status_code, pending.json()) == (
        409,
        {"detail": PDF_PENDING.format(number="FAC-2026-00002")},
    )
    response = finance.get(f"/invoices/{year.second.pk}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="FAC-2026-00002.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    data = response.content
    assert data.startswith(b"%PDF-")
    stored = Invoice.objects.get(pk=year.second.pk)
    assert stored.pdf  # rendered once, then served from storage
    again = finance.get(f"/invoices/{year.second.pk}/pdf")
    assert again.content == data

    xml = finance.get(f"/invoices/{year.second.pk}/xml")
    assert (xml.status_code, xml["Content-Type"]) == (200, "application/xml")
    assert b"CrossIndustryInvoice" in xml.content
    assert b"FAC-2026-00002" in xml.content


def test_a_document_that_cannot_be_built_is_409(year, finance, monkeypatch):
    from billing import documents

    def broken(invoice):
        raise documents.BillingDocumentError("Totaux incohérents.")

    monkeypatch.setattr(documents, "invoice_facturx_xml", broken)
    response = finance.get(f"/invoices/{year.first.pk}/xml")
    assert (response.status_code, response.json()) == (409, {"detail": "Totaux incohérents."})


# --- Credit notes ----------------------------------------------------------------------------


def test_credit_notes_issued_listed_and_refused(year, tenant, finance):
    backup = year.second.lines.get()
    response = finance.post(
        f"/invoices/{year.second.pk}/credit-notes",
        {"reason": "Une sauvegarde de trop", "lines": [{"line": backup.pk, "amount": "100.00"}]},
    )
    assert response.status_code == 201, response.content
    note = CreditNote.objects.get(number="AV-2026-00002")
    assert response.json() == {
        "id": note.pk,
        "number": "AV-2026-00002",
        "year": 2026,
        "invoice": year.second.pk,
        "invoice_number": "FAC-2026-00002",
        "collectivite": year.second.collectivite_id,
        "collectivite_name": "Commune Autre",
        "issue_date": "2026-06-20",
        "reason": "Une sauvegarde de trop",
        "total_ht": "100.00",
        "total_vat": "20.00",
        "total_ttc": "120.00",
        "issued_by": "finances@syndicat.test",
        "pdf_available": False,
        "created_at": utc_iso(TODAY),
        "lines": [
            {
                "id": note.lines.get().pk,
                "invoice_line": backup.pk,
                "label": "Sauvegarde externalisée",
                "months": None,
                "amount": "100.00",
            }
        ],
    }

    # No amount: all that is left on the line — the first invoice is cancelled.
    mail = year.first.lines.get()
    whole = finance.post(
        f"/invoices/{year.first.pk}/credit-notes",
        {"reason": "Commande annulée", "lines": [{"line": mail.pk}]},
    )
    assert (whole.status_code, whole.json()["total_ttc"]) == (201, "192.00")
    first = finance.get(f"/invoices/{year.first.pk}").json()
    assert (first["status"], first["status_label"], first["balance"]) == (
        "credited",
        "soldée par avoir",
        "0.00",
    )
    assert [i["number"] for i in finance.get("/invoices?status=credited").json()["items"]] == [
        "FAC-2026-00001"
    ]

    listed = finance.get("/credit-notes").json()
    assert [n["number"] for n in listed["items"]] == [
        "AV-2026-00003",
        "AV-2026-00002",
        "AV-2026-00001",
    ]
    by_invoice = finance.get(f"/credit-notes?invoice={year.second.pk}").json()
    assert [n["number"] for n in by_invoice["items"]] == ["AV-2026-00002"]
    by_collectivite = finance.get(f"/credit-notes?collectivite={tenant.pk}&year=2026").json()
    assert by_collectivite["count"] == 2

    url = f"/invoices/{year.second.pk}/credit-notes"
    invalid(
        finance.post(url, {"reason": " ", "lines": []}),
        {"reason": services.REASON_REQUIRED, "lines": services.NOTHING_TO_CREDIT},
    )
    invalid(
        finance.post(url, {"reason": "x", "lines": [{"line": mail.pk, "amount": "1"}]}),
        {"lines.0.line": LINE_NOT_IN_INVOICE},
    )
    invalid(
        finance.post(
            url,
            {
                "reason": "x",
                "lines": [{"line": backup.pk, "amount": "1"}, {"line": backup.pk}],
            },
        ),
        {"lines.1.line": LINE_TWICE},
    )
    invalid(
        finance.post(url, {"reason": "x", "lines": [{"line": backup.pk, "amount": "-5"}]}),
        {"lines.0.amount": AMOUNT_NOT_POSITIVE},
    )
    invalid(
        finance.post(url, {"reason": "x", "lines": [{"line": backup.pk, "amount": "1.234"}]}),
        {"lines.0.amount": "Valeur invalide."},
    )
    invalid(
        finance.post(url, {"reason": "x", "lines": [{"line": backup.pk, "amount": "100.01"}]}),
        {
            "__all__": services.CREDIT_TOO_LARGE.format(
                label="Sauvegarde externalisée", left="100,00\u00a0€"
            )
        },
    )
    invalid(
        finance.post(
            f"/invoices/{year.first.pk}/credit-notes",
            {"reason": "x", "lines": [{"line": mail.pk}]},
        ),
        {"lines.0.line": LINE_FULLY_CREDITED},
    )
    invalid(finance.post(url, {"lines": []}), {"reason": "Ce champ est obligatoire."})
    assert CreditNote.objects.count() == 3


# --- Payments --------------------------------------------------------------------------------


def test_payments_recorded_and_refused(year, finance):
    url = f"/invoices/{year.second.pk}/payments"
    invalid(
        finance.post(url, {"paid_on": "2026-06-19", "mandate_reference": "M-9", "amount": "40.01"}),
        {"amount": services.PAYMENT_TOO_LARGE.format(left="40,00\u00a0€")},
    )
    invalid(
        finance.post(url, {"paid_on": "2026-06-19", "mandate_reference": " ", "amount": "10"}),
        {"mandate_reference": services.MANDATE_REQUIRED},
    )
    invalid(
        finance.post(url, {"paid_on": "2026-06-19", "mandate_reference": "M-9", "amount": "0"}),
        {"amount": services.PAYMENT_NOT_POSITIVE},
    )
    invalid(
        finance.post(url, {"paid_on": "19/06/2026", "mandate_reference": "M-9", "amount": "10"}),
        {"paid_on": "Valeur invalide."},
    )
    invalid(
        finance.post(url, {"paid_on": "2026-06-19", "mandate_reference": "M-9"}),
        {"amount": "Ce champ est obligatoire."},
    )
    assert Payment.objects.count() == 1

    response = finance.post(
        url, {"paid_on": "2026-06-19", "mandate_reference": "M-2026-0050", "amount": "40.00"}
    )
    assert response.status_code == 201, response.content
    payment = Payment.objects.get(mandate_reference="M-2026-0050")
    assert response.json() == {
        "id": payment.pk,
        "invoice": year.second.pk,
        "invoice_number": "FAC-2026-00002",
        "paid_on": "2026-06-19",
        "mandate_reference": "M-2026-0050",
        "amount": "40.00",
        "recorded_by": "finances@syndicat.test",
        "created_at": utc_iso(TODAY),
        "invoice_balance": "0.00",
        "invoice_status": "paid",
    }
    detail = finance.get(f"/invoices/{year.second.pk}").json()
    assert (detail["status_label"], detail["amount_paid"]) == ("payée", "240.00")


# --- Billing runs ----------------------------------------------------------------------------


def test_billing_runs_preview_then_issue(
    year, tenant, finance, staff_finance, django_capture_on_commit_callbacks
):
    mail = Offer.objects.get(code="mail")
    with at(date(2026, 6, 10)):
        for line in _approved(tenant, "BC-2026-140", (mail, 2)):
            contracts.line_activate(line=line, activated_on=date(2026, 6, 10), activated_by=None)

    with at(TODAY), django_capture_on_commit_callbacks(execute=True):
        created = finance.post("/billing-runs", {"as_of": "2026-06-20", "dry_run": True})
    assert created.status_code == 201, created.content
    assert (created.json()["status"], created.json()["dry_run"]) == ("queued", True)
    run_id = created.json()["id"]
    preview = finance.get(f"/billing-runs/{run_id}").json()
    assert {k: preview[k] for k in ("status", "progress", "invoices_count", "preview")} == {
        "status": "done",
        "progress": 100,
        "invoices_count": 0,
        # 2 more mailboxes, co-termed: June to February, 9 months × 2 × 24 €
        "preview": [{"collectivite": "Commune de Test", "lines": 1, "total_ht": "36.00"}],
    }
    assert Invoice.objects.count() == 2

    with at(TODAY), django_capture_on_commit_callbacks(execute=True):
        created = finance.post("/billing-runs", {"dry_run": False})  # as of today
    run = BillingRun.objects.get(pk=created.json()["id"])
    detail = finance.get(f"/billing-runs/{run.pk}").json()
    new = Invoice.objects.get(number="FAC-2026-00003")
    assert detail == {
        "id": run.pk,
        "as_of": "2026-06-20",
        "dry_run": False,
        "status": "done",
        "status_label": "terminée",
        "progress": 100,
        "requested_by": "finances@syndicat.test",
        "created_at": utc_iso(TODAY),
        "started_at": utc_iso(TODAY),
        "finished_at": utc_iso(TODAY),
        "collectivites_total": 2,
        "collectivites_done": 2,
        "invoices_count": 1,
        "total_amount": "36.00",
        "failures_count": 0,
        "failures": [],
        "preview": [],
        "invoices": [
            {
                "id": new.pk,
                "number": "FAC-2026-00003",
                "collectivite_name": "Commune de Test",
                "total_ttc": "36.00",
            }
        ],
    }
    assert finance.get(f"/invoices/{new.pk}").json()["run"] == run.pk

    listed = finance.get("/billing-runs").json()
    assert [(r["id"], r["dry_run"]) for r in listed["items"]] == [
        (run.pk, False),
        (run_id, True),
    ]


def test_billing_runs_refuse_dates_out_of_order(year, finance):
    invalid(
        finance.post("/billing-runs", {"as_of": "2026-06-21"}),
        {"as_of": RUN_IN_FUTURE.format(today="20/06/2026")},
    )
    invalid(
        finance.post("/billing-runs", {"as_of": "2026-05-31"}),
        {"as_of": RUN_BEFORE_LAST_INVOICE.format(last="01/06/2026")},
    )
    invalid(
        finance.post("/billing-runs", {"as_of": "demain"}),
        {"as_of": "Valeur invalide."},
    )
    assert not BillingRun.objects.exists()
    # a preview may look anywhere
    assert finance.post("/billing-runs", {"as_of": "2027-03-01", "dry_run": True}).status_code == (
        201
    )


# --- Exports ---------------------------------------------------------------------------------


def test_export_built_then_downloaded(year, finance, django_capture_on_commit_callbacks):
    with at(TODAY), django_capture_on_commit_callbacks(execute=True):
        created = finance.post("/exports", {"year": 2026})
    assert created.status_code == 201, created.content
    body = created.json()
    assert {k: body[k] for k in ("year", "status", "progress", "files")} == {
        "year": 2026,
        "status": "queued",
        "progress": 0,
        "files": {"csv": None, "xlsx": None, "zip": None},
    }
    job = ExportJob.objects.get(pk=body["id"])
    assert finance.get(f"/exports/{job.pk}").json() == {
        "id": job.pk,
        "year": 2026,
        "status": "done",
        "status_label": "terminé",
        "progress": 100,
        "requested_by": "finances@syndicat.test",
        "created_at": utc_iso(TODAY),
        "finished_at": utc_iso(TODAY),
        "error": "",
        "files": {
            "csv": f"/api/v1/exports/{job.pk}/csv",
            "xlsx": f"/api/v1/exports/{job.pk}/xlsx",
            "zip": f"/api/v1/exports/{job.pk}/zip",
        },
    }

    csv_file = finance.get(f"/exports/{job.pk}/csv")
    assert csv_file.status_code == 200
    assert csv_file["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_file["Content-Disposition"] == 'attachment; filename="factures-2026.csv"'
    text = b"".join(csv_file.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0] == HEADER
    assert len(text.splitlines()) == 4

    archive = finance.get(f"/exports/{job.pk}/zip")
    assert archive["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(b"".join(archive.streaming_content))).namelist()
    assert names == ["FAC-2026-00001.pdf", "FAC-2026-00002.pdf", "AV-2026-00001.pdf"]
    xlsx = finance.get(f"/exports/{job.pk}/xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")

    unknown = finance.get(f"/exports/{job.pk}/pdf")
    assert (unknown.status_code, unknown.json()) == (404, {"detail": NOT_FOUND})


def test_export_files_wait_for_the_job(db, staff_finance, finance):
    job = ExportJob.objects.create(year=2026, requested_by=staff_finance)
    response = finance.get(f"/exports/{job.pk}/csv")
    assert (response.status_code, response.json()) == (404, {"detail": FILE_NOT_READY})
    assert finance.get(f"/exports/{job.pk}").json()["files"] == {
        "csv": None,
        "xlsx": None,
        "zip": None,
    }


def test_export_refuses_a_bad_year(db, finance):
    message = "Année invalide : indiquez une année entre 2000 et 2026."
    invalid(finance.post("/exports", {"year": 1999}), {"year": message})
    invalid(finance.post("/exports", {"year": 2027}), {"year": message})
    invalid(finance.post("/exports", {}), {"year": "Ce champ est obligatoire."})
    assert not ExportJob.objects.exists()
