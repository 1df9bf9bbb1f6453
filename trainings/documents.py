"""The attendance sheet (feuille d'émargement) of a session, as a PDF. The PDF engine is
imported here only, by its public name (it is moving to a neutral module)."""

from __future__ import annotations

from django.utils import timezone

from contracts.documents import render_pdf
from portal.selectors import syndicate_get
from trainings import selectors
from trainings.models import Session


def attendance_sheet_pdf(session: Session) -> bytes:
    start, end = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
    registrations = [
        r for r in selectors.session_registrations(session) if r.status == "registered"
    ]
    return render_pdf(
        "pdf/attendance_sheet.html",
        {
            "pdf_title": f"Feuille d'émargement — {session.training.title}",
            "pdf_date": start.date(),
            "syndicate": syndicate_get(),
            "session": session,
            "start": start,
            "end": end,
            "registrations": sorted(
                registrations, key=lambda r: (r.collectivite.name, r.full_name)
            ),
        },
    )
