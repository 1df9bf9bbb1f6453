"""B6 in the back-office: finance prepares a year's export, watches it, downloads the files."""

from __future__ import annotations

from datetime import date

import time_machine
from django.test import Client

from billing.models import ExportJob
from tests.conftest import host_of, page_text, sign_in


def test_finance_exports_a_year(staff_finance, django_capture_on_commit_callbacks):
    site = sign_in(Client(HTTP_HOST=host_of(None)), staff_finance)
    with (
        time_machine.travel(date(2026, 11, 23), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = site.post("/facturation/exports/", {"year": "2026"})
    job = ExportJob.objects.get()
    assert response["Location"] == f"/facturation/exports/{job.pk}/"
    page = page_text(site.get(f"/facturation/exports/{job.pk}/"))
    assert '<progress class="progress" max="100" value="100"' in page
    assert "hx-trigger" not in page  # done: no more polling
    csv = site.get(f"/facturation/exports/{job.pk}/csv/")
    assert csv["Content-Disposition"] == 'attachment; filename="factures-2026.csv"'
    assert b"".join(csv.streaming_content).startswith("\ufeff".encode())


def test_only_finance_exports(staff_admin):
    site = sign_in(Client(HTTP_HOST=host_of(None)), staff_admin)
    assert site.get("/facturation/exports/").status_code == 200
    assert site.post("/facturation/exports/", {"year": "2026"}).status_code == 404
    assert not ExportJob.objects.exists()


def test_bad_year_is_refused_in_french(staff_finance):
    site = sign_in(Client(HTTP_HOST=host_of(None)), staff_finance)
    page = page_text(site.post("/facturation/exports/", {"year": "2099"}))
    assert 'role="alert"' in page
    assert not ExportJob.objects.exists()
