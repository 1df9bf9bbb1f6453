"""Reversibility: a collectivité's whole data as one ZIP, asked for by its signatory or by the
syndicate, built by a Celery task with progress, downloadable for 30 days (issue 15, build 2;
the per-account export window of A3 is the holder's, this one is the collectivité's).

The ZIP holds, in French-spreadsheet CSV (UTF-8 with BOM, semicolons) and JSON:
- `collectivite.json` — its identity;
- `personnes.csv` — its people and their roles;
- `comptes.csv`, `demandes_espace.csv` — its service accounts and quotas (the tenant
  handlers, accounts/lifecycle.py);
- `contrats.csv`, `devis.csv`, `factures.csv`, `avoirs.csv`;
- `documents/` — the PDFs of its quotes, annexes and framework agreement, `factures/` and
  `avoirs/` — the PDFs of its invoices and credit notes, byte for byte as issued;
- `manifest.json` — every other file with its size and SHA-256 (the manifest's own hash is
  the ZIP's, shown on the page).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import zipfile
from collections.abc import Callable
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from billing.models import CreditNote, Invoice
from billing.selectors import invoice_balance
from contracts.models import Quote, QuoteDocument, Subscription
from lifecycle import events, tenant_data
from lifecycle.models import ReversibilityExport
from portal.models import Collectivite, Membership, User

logger = logging.getLogger(__name__)

AVAILABLE_DAYS = 30
ALREADY_RUNNING = "Un export de cette collectivité est déjà en préparation."
EXPIRED = "Cet export n'est plus disponible (30 jours) : demandez-en un nouveau."
FAILED = "L'export a échoué ({kind}) : réessayez ou contactez le syndicat."

Progress = Callable[[int], None]


@transaction.atomic
def export_request(*, collectivite: Collectivite, requested_by: User | None) -> ReversibilityExport:
    """A new export, built after the commit. One at a time per collectivité."""
    Collectivite.objects.select_for_update().filter(pk=collectivite.pk).first()
    if ReversibilityExport.objects.filter(
        collectivite=collectivite,
        status__in=(ReversibilityExport.Status.QUEUED, ReversibilityExport.Status.RUNNING),
    ).exists():
        raise ValidationError(ALREADY_RUNNING)
    export = ReversibilityExport.objects.create(
        collectivite=collectivite, requested_by=requested_by
    )
    events.reversibility_export_event(
        collectivite=collectivite, export=export, actor=requested_by, action="requested"
    )
    pk = export.pk
    transaction.on_commit(lambda: _send(pk))
    return export


def _send(pk: int) -> None:
    from lifecycle.tasks import reversibility_export_build

    reversibility_export_build.delay(pk)


def available(export: ReversibilityExport, *, now=None) -> bool:
    now = now or timezone.now()
    return bool(
        export.status == ReversibilityExport.Status.DONE
        and export.zip_file
        and export.expires_at
        and now < export.expires_at
    )


# --- The content ------------------------------------------------------------------------------


def _csv(header: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _d(value) -> str:
    return f"{value:%d/%m/%Y}" if value else ""


def _amount(value) -> str:
    return f"{value:.2f}".replace(".", ",")


def _identity(collectivite: Collectivite) -> bytes:
    data = {
        "nom": collectivite.name,
        "identifiant": collectivite.slug,
        "siret": collectivite.siret,
        "nature": collectivite.get_kind_display(),
        "population": collectivite.population,
        "agents": collectivite.agent_count,
        "strate": collectivite.get_strate_display(),
        "adresse": collectivite.address,
        "code_postal": collectivite.postcode,
        "commune": collectivite.city,
        "courriel_de_contact": collectivite.contact_email,
        "code_service": collectivite.service_code,
        "domaine_de_messagerie": collectivite.mail_domain,
    }
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def _people(collectivite: Collectivite) -> bytes:
    rows = [
        [m.user.full_name, m.user.email, m.get_role_display(), _d(m.created_at), _d(m.trained_on)]
        for m in Membership.objects.filter(collectivite=collectivite)
        .select_related("user")
        .order_by("user__email", "role")
    ]
    return _csv(["nom", "courriel", "rôle", "depuis le", "formation visio le"], rows)


def _contracts(collectivite: Collectivite) -> bytes:
    rows = [
        [
            s.pk,
            s.offer.name,
            str(s.quantity).replace(".", ","),
            _d(s.activated_on),
            _d(s.ends_on),
            s.get_status_display(),
        ]
        for s in Subscription.objects.filter(collectivite=collectivite)
        .select_related("offer")
        .order_by("activated_on", "id")
    ]
    return _csv(["id", "offre", "quantité", "activé le", "fin (exclue)", "état"], rows)


def _quotes(collectivite: Collectivite) -> bytes:
    rows = [
        [
            q.reference,
            q.version,
            q.title,
            q.get_status_display(),
            _d(q.issue_date),
            _d(q.valid_until),
            _amount(q.total_amount),
        ]
        for q in Quote.objects.filter(collectivite=collectivite).order_by("reference", "version")
    ]
    return _csv(
        ["référence", "version", "objet", "état", "émis le", "valable jusqu'au", "montant"], rows
    )


def _invoices(invoices: list[Invoice]) -> bytes:
    rows = [
        [
            i.number,
            _d(i.issue_date),
            _d(i.due_date),
            i.po_number,
            _amount(i.total_ht),
            _amount(i.total_vat),
            _amount(i.total_ttc),
            _amount(invoice_balance(i)),
            i.pdf_sha256,
        ]
        for i in invoices
    ]
    return _csv(
        [
            "numéro",
            "émise le",
            "échéance",
            "engagement",
            "total HT",
            "TVA",
            "total TTC",
            "reste dû",
            "SHA-256 du PDF",
        ],
        rows,
    )


def _credit_notes(notes: list[CreditNote]) -> bytes:
    rows = [
        [n.number, n.invoice.number, _d(n.issue_date), n.reason, _amount(n.total_ttc), n.pdf_sha256]
        for n in notes
    ]
    return _csv(["numéro", "facture", "émis le", "motif", "total TTC", "SHA-256 du PDF"], rows)


def _stored(file) -> bytes | None:
    if not file:
        return None
    try:
        with file.open("rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def export_files(collectivite: Collectivite, progress: Progress | None = None) -> dict[str, bytes]:
    """Every file of the ZIP but the manifest, name → content."""
    report = progress or (lambda percent: None)
    files: dict[str, bytes] = {
        "collectivite.json": _identity(collectivite),
        "personnes.csv": _people(collectivite),
    }
    with schema_context(collectivite.schema_name):
        for handler in tenant_data.handlers():
            files.update(handler.export(collectivite))
    report(10)
    invoices = list(Invoice.objects.filter(collectivite=collectivite).order_by("issue_date", "id"))
    notes = list(
        CreditNote.objects.filter(invoice__collectivite=collectivite)
        .select_related("invoice")
        .order_by("issue_date", "id")
    )
    files["contrats.csv"] = _contracts(collectivite)
    files["devis.csv"] = _quotes(collectivite)
    files["factures.csv"] = _invoices(invoices)
    files["avoirs.csv"] = _credit_notes(notes)
    report(20)
    documents = list(
        QuoteDocument.objects.filter(quote__collectivite=collectivite)
        .select_related("quote")
        .order_by("id")
    )
    pdfs: list[tuple[str, object]] = [
        (f"documents/{d.quote.reference}-v{d.quote.version}-{d.kind}-{d.pk}.pdf", d.file)
        for d in documents
    ]
    pdfs += [(f"factures/{i.number}.pdf", i.pdf) for i in invoices]
    pdfs += [(f"avoirs/{n.number}.pdf", n.pdf) for n in notes]
    for index, (name, file) in enumerate(pdfs, start=1):
        data = _stored(file)
        if data is not None:
            files[name] = data
        report(20 + 70 * index // len(pdfs))
    return files


def manifest(collectivite: Collectivite, files: dict[str, bytes], *, generated_at) -> bytes:
    data = {
        "collectivite": collectivite.name,
        "siret": collectivite.siret,
        "genere_le": generated_at.isoformat(),
        "fichiers": [
            {"nom": name, "octets": len(content), "sha256": hashlib.sha256(content).hexdigest()}
            for name, content in sorted(files.items())
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def export_zip(collectivite: Collectivite, progress: Progress | None = None, *, now=None) -> bytes:
    files = export_files(collectivite, progress)
    generated_at = now or timezone.now()
    day = timezone.localtime(generated_at)
    stamp = (day.year, day.month, day.day, day.hour, day.minute, day.second)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in [
            ("manifest.json", manifest(collectivite, files, generated_at=generated_at)),
            *sorted(files.items()),
        ]:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return out.getvalue()


# --- The task's work --------------------------------------------------------------------------


def export_build(export_id: int) -> ReversibilityExport:
    """Build the ZIP with progress; run again, it rebuilds and replaces the file."""
    export = ReversibilityExport.objects.select_related("collectivite").get(pk=export_id)
    rows = ReversibilityExport.objects.filter(pk=export.pk)
    rows.update(status=ReversibilityExport.Status.RUNNING, progress=0, error="")

    def progress(percent: int) -> None:
        rows.update(progress=max(0, min(99, percent)))

    try:
        data = export_zip(export.collectivite, progress)
        if export.zip_file:
            export.zip_file.delete(save=False)
        day = timezone.localdate()
        export.zip_file.save(
            f"export-{export.collectivite.slug}-{day:%Y%m%d}-{export.pk}.zip",
            ContentFile(data),
            save=False,
        )
    except Exception as exc:
        logger.exception("Export de réversibilité %s en échec", export.pk)
        rows.update(
            status=ReversibilityExport.Status.FAILED,
            error=FAILED.format(kind=type(exc).__name__),
            finished_at=timezone.now(),
        )
    else:
        now = timezone.now()
        rows.update(
            status=ReversibilityExport.Status.DONE,
            progress=100,
            finished_at=now,
            expires_at=now + timedelta(days=AVAILABLE_DAYS),
            zip_file=export.zip_file.name,
            zip_sha256=hashlib.sha256(data).hexdigest(),
        )
    export.refresh_from_db()
    return export


def export_downloaded(*, export: ReversibilityExport, actor: User) -> None:
    if not available(export):
        raise ValidationError(EXPIRED)
    events.reversibility_export_event(
        collectivite=export.collectivite, export=export, actor=actor, action="downloaded"
    )


def exports_expire(*, now=None) -> int:
    """The files of exports past their 30 days are deleted (the rows stay, as a record)."""
    now = now or timezone.now()
    expired = 0
    for export in ReversibilityExport.objects.filter(expires_at__lte=now).exclude(zip_file=""):
        export.zip_file.delete(save=False)
        ReversibilityExport.objects.filter(pk=export.pk).update(zip_file="")
        expired += 1
    return expired
