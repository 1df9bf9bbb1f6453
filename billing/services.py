"""Writes of billing: numbers (B4), invoices (B1–B3), runs, credit notes (B2), payments.

An invoice is issued in one short transaction — lines, then its number taken last from the
locked counter row, so the counter is held for milliseconds and numbers stay gapless; its PDF
(with Factur-X) is rendered right after and can be rendered again at any time from the
issued rows, which never change."""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from billing import domain, selectors
from billing.models import (
    BillingRun,
    CreditNote,
    CreditNoteLine,
    Delivery,
    Invoice,
    InvoiceLine,
    NumberSequence,
    Payment,
)
from catalogue import domain as pricing
from catalogue.models import Offer
from portal.events import audit_record
from portal.models import Collectivite, User
from portal.outbox import outbox_send
from portal.selectors import syndicate_get
from portal.templatetags.portal_format import euros

NOTHING_TO_CREDIT = "Rien à créditer : choisissez au moins une ligne et un montant positif."
CREDIT_TOO_LARGE = "On ne peut créditer plus que ce qui reste sur la ligne « {label} » ({left})."
REASON_REQUIRED = "Indiquez le motif de l'avoir."
PAYMENT_NOT_POSITIVE = "Le montant du paiement doit être positif."
PAYMENT_TOO_LARGE = "Le paiement dépasse le reste dû ({left})."
MANDATE_REQUIRED = "Indiquez la référence du mandat administratif."
PAYMENT_DUPLICATE = "Le mandat {reference} est déjà enregistré sur {number} (paiement du {date})."
DELIVERY_INVOICED = (
    "Cette prestation est déjà facturée ({number}) : elle ne peut plus changer ; "
    "une correction passe par un avoir."
)


def number_take(kind: str, year: int) -> str:
    """The next number of `kind` for `year`, inside the caller's transaction (B4)."""
    NumberSequence.objects.get_or_create(kind=kind, year=year)
    sequence = NumberSequence.objects.select_for_update().get(kind=kind, year=year)
    sequence.last_number = F("last_number") + 1
    sequence.save(update_fields=["last_number"])
    sequence.refresh_from_db(fields=["last_number"])
    return domain.format_number(kind, year, sequence.last_number)


def _buyer(collectivite: Collectivite) -> dict:
    return {
        "name": collectivite.name,
        "siret": collectivite.siret,
        "address": collectivite.address,
        "postcode": collectivite.postcode,
        "city": collectivite.city,
        "service_code": collectivite.service_code,
    }


def _seller() -> dict:
    syndicate = syndicate_get()
    if syndicate is None:
        return {}
    return {
        "name": syndicate.name,
        "siret": syndicate.siret,
        "address": syndicate.address,
        "postcode": syndicate.postcode,
        "city": syndicate.city,
        "email": syndicate.email,
        "vat_number": syndicate.vat_number,
        "iban": syndicate.treasury_iban,
        "bic": syndicate.treasury_bic,
        "bank_name": syndicate.treasury_bank,
    }


def _totals(lines) -> tuple[Decimal, Decimal]:
    """(net total, VAT total) of invoice or due lines, as their documents compute them
    (`domain.vat_breakdown`: net per line, VAT per category and rate)."""
    totals = domain.totals(
        domain.vat_breakdown((line.amount, line.vat_rate, line.vat_exemption) for line in lines)
    )
    return totals.ht, totals.vat


SELLER_VAT_MISSING = (
    "Renseignez d'abord le numéro de TVA intracommunautaire du syndicat : il figure sur "
    "chaque facture soumise à la TVA."
)
SELLER_INCOMPLETE = (
    "Renseignez d'abord l'identité du syndicat (nom et SIRET) : elle figure sur chaque facture."
)


def seller_check() -> dict:
    from portal import domain as portal_domain

    seller = _seller()
    if not (seller.get("name") and seller.get("siret")):
        raise ValidationError(SELLER_INCOMPLETE)
    try:
        seller["vat_number"] = portal_domain.vat_number_clean(
            seller.get("vat_number", ""), siret=seller["siret"]
        )
    except portal_domain.DomainError as exc:
        raise ValidationError(str(exc)) from exc
    return seller


def invoice_issue(
    *,
    collectivite: Collectivite,
    as_of: date,
    issue_date: date,
    run: BillingRun | None = None,
    treatment: domain.VatTreatment | None = None,
) -> Invoice | None:
    """Invoice whatever the collectivité owes as of `as_of` and no invoice carries yet; None
    when nothing is due. B8: one invoice per VAT treatment — with `treatment`, only the items
    of that treatment; without, every treatment due is invoiced (`invoices_issue`) and the
    first invoice is returned. Idempotent: an item already invoiced (by a concurrent or
    resumed run) is never invoiced again — the unique `source` refuses it and nothing is
    issued."""
    if treatment is None:
        invoices = invoices_issue(
            collectivite=collectivite, as_of=as_of, issue_date=issue_date, run=run
        )
        return invoices[0] if invoices else None
    seller = seller_check()
    items = selectors.due_items(collectivite=collectivite, as_of=as_of)
    items = domain.split_by_vat_treatment(items, lambda item: item.vat_rate).get(treatment, [])
    return _invoice_create(
        collectivite=collectivite, items=items, issue_date=issue_date, run=run, seller=seller
    )


def invoices_issue(
    *, collectivite: Collectivite, as_of: date, issue_date: date, run: BillingRun | None = None
) -> list[Invoice]:
    """B8: what the collectivité owes as of `as_of`, one invoice per VAT treatment (outside
    the scope of VAT first, then taxed), in number order."""
    seller = seller_check()
    items = selectors.due_items(collectivite=collectivite, as_of=as_of)
    issued = []
    for group in domain.split_by_vat_treatment(items, lambda item: item.vat_rate).values():
        invoice = _invoice_create(
            collectivite=collectivite, items=group, issue_date=issue_date, run=run, seller=seller
        )
        if invoice is not None:
            issued.append(invoice)
    return issued


def _invoice_create(
    *,
    collectivite: Collectivite,
    items: list[selectors.DueItem],
    issue_date: date,
    run: BillingRun | None,
    seller: dict,
) -> Invoice | None:
    if not items:
        return None
    treatment = domain.vat_treatment(items[0].vat_rate)
    if not seller.get("vat_number") and treatment == domain.VatTreatment.TAXED:
        raise ValidationError(SELLER_VAT_MISSING)
    if treatment == domain.VatTreatment.OUTSIDE_SCOPE:
        seller = {**seller, "vat_number": ""}  # BR-O-02: no seller VAT number on an O invoice
    ht, vat = _totals(items)
    try:
        with transaction.atomic():
            invoice = Invoice.objects.create(
                number=f"tmp-{uuid.uuid4().hex[:16]}",  # the real number is taken last
                year=issue_date.year,
                collectivite=collectivite,
                run=run,
                issue_date=issue_date,
                due_date=domain.due_date(issue_date),
                po_number=domain.engagements_joined(item.po_number for item in items),
                service_code=collectivite.service_code,
                buyer=_buyer(collectivite),
                seller=seller,
                total_ht=ht,
                total_vat=vat,
                total_ttc=ht + vat,
            )
            InvoiceLine.objects.bulk_create(
                InvoiceLine(
                    invoice=invoice,
                    source=item.source,
                    offer_id=item.offer_id,
                    subscription_id=item.subscription_id,
                    label=item.label,
                    period_start=item.period_start,
                    period_end=item.period_end,
                    months=item.months,
                    quantity=item.quantity,
                    unit_price=item.unit_price,
                    free_quantity=item.free_quantity,
                    amount=item.amount,
                    vat_rate=item.vat_rate,
                    vat_exemption=item.vat_exemption,
                    po_number=item.po_number,
                    po_reused=item.po_reused,
                )
                for item in items
            )
            # Last, so that the counter row is locked only until the commit that follows.
            invoice.number = number_take(NumberSequence.Kind.INVOICE, issue_date.year)
            invoice.save(update_fields=["number"])
            audit_record(
                action="invoice.issued",
                obj=invoice,
                actor=None,
                collectivite=collectivite,
                summary=f"Facture {invoice.number} émise ({euros(invoice.total_ttc)} TTC).",
            )
    except IntegrityError:
        return None  # someone invoiced these items meanwhile: nothing to do here
    return invoice


def invoice_render(invoice: Invoice) -> Invoice:
    """Render (or re-render) the PDF with its Factur-X XML and store it; idempotent."""
    from billing.documents import invoice_pdf

    _document_store(invoice, invoice_pdf(invoice))
    return invoice


def credit_note_render(note: CreditNote) -> CreditNote:
    """Render (or re-render) a credit note's PDF with its Factur-X and store it."""
    from billing.documents import credit_note_pdf

    _document_store(note, credit_note_pdf(note))
    return note


def _document_store(document: Invoice | CreditNote, pdf: bytes) -> None:
    import hashlib

    from django.core.files.base import ContentFile

    if document.pdf:
        document.pdf.delete(save=False)  # a re-render replaces the file, never a second copy
    document.pdf.save(f"{document.number}.pdf", ContentFile(pdf), save=False)
    document.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    document.pdf_error = ""
    type(document).objects.filter(pk=document.pk).update(
        pdf=document.pdf.name, pdf_sha256=document.pdf_sha256, pdf_error=""
    )


def _render_attempt(document: Invoice | CreditNote, render, task, retry: bool) -> str:
    """Render `document`; on failure record the reason on it (finance sees it) and, with
    `retry`, queue its render task (which retries with a delay). Returns the error or ""."""
    try:
        render(document)
    except Exception as exc:  # noqa: BLE001 - recorded on the document, retried by its task
        error = f"{type(exc).__name__}: {exc}"[:500]
        type(document).objects.filter(pk=document.pk).update(pdf_error=error)
        if retry:
            transaction.on_commit(lambda: task.apply_async((document.pk,), countdown=60))
        return error
    return ""


def invoice_render_attempt(*, invoice: Invoice, retry: bool = False) -> str:
    from billing.tasks import invoice_render_task

    return _render_attempt(invoice, invoice_render, invoice_render_task, retry)


def credit_note_render_attempt(*, note: CreditNote, retry: bool = False) -> str:
    from billing.tasks import credit_note_render_task

    return _render_attempt(note, credit_note_render, credit_note_render_task, retry)


def invoice_render_queue(*, invoice: Invoice) -> None:
    """The invoice's PDF, rendered by a task once the caller's transaction commits."""
    outbox_send("billing.tasks.invoice_render_task", invoice.pk)


def credit_note_render_queue(*, note: CreditNote) -> None:
    outbox_send("billing.tasks.credit_note_render_task", note.pk)


# --- Runs ------------------------------------------------------------------------------------


# The run's date checks: one set of messages, the domain's (the pages and the API show them).
RUN_IN_FUTURE = domain.RUN_IN_FUTURE
RUN_BEFORE_LAST_INVOICE = domain.RUN_BEFORE_LAST_INVOICE
PAYMENT_DATE_ERROR = (
    "La date du mandat doit être comprise entre l'émission de la facture et aujourd'hui."
)


@transaction.atomic
def billing_run_start(
    *, as_of: date, dry_run: bool, requested_by: User | None, inline: bool = False
) -> BillingRun:
    """Start a run as of `as_of` (its date checks: `domain.run_date_error`), executed by the
    Celery tasks once committed — or, with `inline`, left for the caller to execute in its
    own process (`billing_run_execute_inline`: `manage.py billing_run --inline`)."""

    if not dry_run:
        last = Invoice.objects.order_by("-issue_date").values_list("issue_date", flat=True).first()
        error = domain.run_date_error(as_of=as_of, today=timezone.localdate(), last_issue=last)
        if error:
            raise ValidationError({"as_of": error})
    run = BillingRun.objects.create(as_of=as_of, dry_run=dry_run, requested_by=requested_by)
    if not inline:
        outbox_send("billing.tasks.billing_run_execute", run.pk)
    return run


def billing_run_execute_inline(run: BillingRun) -> BillingRun:
    """A run executed in this process, without a worker, as the tasks do (idempotent)."""
    ids = billing_run_prepare(run)
    run.refresh_from_db()
    if run.status == BillingRun.Status.FAILED:
        return run
    for collectivite_id in ids:
        billing_run_collectivite(run, collectivite_id)
    return billing_run_finish(run)


def billing_run_prepare(run: BillingRun) -> list[int]:
    """Mark the run started and list the collectivités to look at (none, and the run fails
    with the reason, when the syndicate's identity is missing)."""
    try:
        seller_check()
    except ValidationError as exc:
        BillingRun.objects.filter(pk=run.pk).update(
            status=BillingRun.Status.FAILED,
            started_at=timezone.now(),
            finished_at=timezone.now(),
            failures=[{"collectivite": "", "reason": exc.messages[0]}],
        )
        return []
    ids = list(selectors.collectivites_with_due_items(as_of=run.as_of).values_list("pk", flat=True))
    BillingRun.objects.filter(pk=run.pk).update(
        status=BillingRun.Status.RUNNING,
        started_at=run.started_at or timezone.now(),
        heartbeat_at=timezone.now(),
        collectivites_total=len(ids),
        collectivites_done=0,
        failures=[],
        preview=[],
    )
    return ids


def billing_run_collectivite(run: BillingRun, collectivite_id: int) -> None:
    """One collectivité of a run: issue (or, in a dry run, preview) its invoice and render
    it. A failure is recorded with its reason and does not stop the run."""
    collectivite = Collectivite.objects.get(pk=collectivite_id)
    try:
        if run.dry_run:
            items = selectors.due_items(collectivite=collectivite, as_of=run.as_of)
            # One preview entry per invoice the run would issue (B8: per VAT treatment).
            groups = domain.split_by_vat_treatment(items, lambda item: item.vat_rate)
            for treatment, group in groups.items():
                _append(
                    run,
                    "preview",
                    {
                        "collectivite": collectivite.name,
                        "lines": len(group),
                        "total_ht": str(_totals(group)[0]),
                        "vat": domain.VAT_TREATMENT_LABELS[treatment],
                    },
                )
        else:
            invoices = invoices_issue(
                collectivite=collectivite, as_of=run.as_of, issue_date=run.as_of, run=run
            )
            if invoices:
                # Rendered here, in the run's task (no second round trip through the broker
                # per invoice); issued either way: a failed render is recorded on the invoice
                # and in the run, and retried by `billing.tasks.invoice_render_task`.
                for invoice in invoices:
                    error = invoice_render_attempt(invoice=invoice, retry=True)
                    if error:
                        _append(
                            run,
                            "failures",
                            {"collectivite": collectivite.name, "reason": error[:300]},
                        )
                # One update of the run's row per collectivité (every worker writes it).
                BillingRun.objects.filter(pk=run.pk).update(
                    invoices_count=F("invoices_count") + len(invoices),
                    total_amount=F("total_amount") + sum(i.total_ttc for i in invoices),
                    collectivites_done=F("collectivites_done") + 1,
                    heartbeat_at=timezone.now(),
                )
                return
            if run.invoices.filter(collectivite=collectivite).exists():
                # Delivered twice (a batch queued before its worker died, and the resumed
                # run): invoiced already, and already counted.
                BillingRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
                return
    except Exception as exc:  # noqa: BLE001 - recorded for finance, the run goes on
        _append(run, "failures", {"collectivite": collectivite.name, "reason": str(exc)[:300]})
    BillingRun.objects.filter(pk=run.pk).update(
        collectivites_done=F("collectivites_done") + 1, heartbeat_at=timezone.now()
    )


# --- Runs and documents left by a worker that died (issue 18) ---------------------------------

# A worker renders one invoice in well under a second; a run silent this long is orphaned.
RUN_STALE_AFTER = timedelta(minutes=10)
# An invoice without its PDF this long after issue had its render lost: render it again.
PDF_MISSING_AFTER = timedelta(minutes=10)
DRY_RUN_INTERRUPTED = "Aperçu interrompu (le traitement s'est arrêté) : relancez-le."


def billing_runs_watchdog(*, now=None) -> dict[str, int]:
    """Finish what a dead worker left: a run whose heartbeat stopped is resumed on the
    collectivités still owing something (idempotent: what was invoiced is never invoiced
    again, numbers stay gapless) or finished when none is left; an interrupted dry run is
    closed with its reason; an invoice or credit note without its PDF is rendered again."""
    now = now or timezone.now()
    resumed = 0
    stale = BillingRun.objects.filter(status=BillingRun.Status.RUNNING).filter(
        Q(heartbeat_at__lt=now - RUN_STALE_AFTER)
        | Q(heartbeat_at__isnull=True, started_at__lt=now - RUN_STALE_AFTER)
    )
    for run in stale:
        if run.dry_run:
            BillingRun.objects.filter(pk=run.pk).update(
                status=BillingRun.Status.FAILED,
                finished_at=now,
                failures=[*run.failures, {"collectivite": "", "reason": DRY_RUN_INTERRUPTED}],
            )
            continue
        billing_run_resume(run, now=now)
        resumed += 1
    rendered = 0
    for invoice in Invoice.objects.filter(pdf="", created_at__lt=now - PDF_MISSING_AFTER):
        invoice_render_queue(invoice=invoice)
        rendered += 1
    for note in CreditNote.objects.filter(pdf="", created_at__lt=now - PDF_MISSING_AFTER):
        credit_note_render_queue(note=note)
        rendered += 1
    return {"runs": resumed, "documents": rendered}


@transaction.atomic
def billing_run_resume(run: BillingRun, *, now=None) -> BillingRun:
    """Send again, through the outbox, the collectivités of `run` that still owe something."""
    run = BillingRun.objects.select_for_update().get(pk=run.pk)
    if run.status != BillingRun.Status.RUNNING:
        return run
    # The coarse filter, then each collectivité checked: those invoiced before the worker died
    # have nothing left (a resume is rare: the precise check is worth its queries).
    remaining = [
        collectivite
        for collectivite in selectors.collectivites_with_due_items(as_of=run.as_of)
        if selectors.due_items(collectivite=collectivite, as_of=run.as_of)
    ]
    # The counters are taken again from what was stored: a worker killed between an invoice's
    # commit and the update of the run's row left them one short.
    issued = run.invoices.aggregate(count=Count("pk"), amount=Sum("total_ttc"))
    invoiced = dict(run.invoices.values_list("collectivite_id", "collectivite__name"))
    # Failures are recorded by name (what finance reads): those not invoiced since and not
    # about to be tried again.
    failed = {entry["collectivite"] for entry in run.failures if entry.get("collectivite")}
    failed -= set(invoiced.values()) | {collectivite.name for collectivite in remaining}
    run.invoices_count = issued["count"]
    run.total_amount = issued["amount"] or Decimal("0")
    run.collectivites_done = len(invoiced) + len(failed)
    run.collectivites_total = run.collectivites_done + len(remaining)
    run.heartbeat_at = now or timezone.now()
    run.save(
        update_fields=[
            "heartbeat_at",
            "collectivites_total",
            "collectivites_done",
            "invoices_count",
            "total_amount",
        ]
    )
    audit_record(
        action="billing_run.resumed",
        obj=run,
        actor=None,
        summary=f"Facturation au {run.as_of:%d/%m/%Y} reprise après l'arrêt de son traitement "
        f"({len(remaining)} collectivité(s) restante(s)).",
    )
    outbox_send(
        "billing.tasks.billing_run_continue",
        run.pk,
        [collectivite.pk for collectivite in remaining],
    )
    return run


def _append(run: BillingRun, field: str, entry: dict) -> None:
    with transaction.atomic():
        locked = BillingRun.objects.select_for_update().get(pk=run.pk)
        getattr(locked, field).append(entry)
        locked.save(update_fields=[field])


def billing_run_finish(run: BillingRun) -> BillingRun:
    """The end of a running run (once: the end of a resumed run and that of the run the dead
    worker had started may both come)."""
    finished = BillingRun.objects.filter(pk=run.pk, status=BillingRun.Status.RUNNING).update(
        status=BillingRun.Status.DONE, finished_at=timezone.now()
    )
    run.refresh_from_db()
    if finished and not run.dry_run:
        audit_record(
            action="billing_run.done",
            obj=run,
            actor=run.requested_by,
            summary=f"Facturation au {run.as_of:%d/%m/%Y} : {run.invoices_count} facture(s), "
            f"{euros(run.total_amount)} TTC, {len(run.failures)} échec(s).",
        )
    return run


# --- Credit notes ------------------------------------------------------------------------------


def creditable(line: InvoiceLine) -> Decimal:
    credited = line.credits.aggregate(total=Sum("amount"))["total"] or Decimal("0")
    return line.amount - credited


@transaction.atomic
def credit_note_issue(
    *,
    invoice: Invoice,
    amounts: dict[int, Decimal],
    reason: str,
    issued_by: User | None,
    issue_date: date,
    months: dict[int, int] | None = None,
    periods: dict[int, tuple[date, date]] | None = None,
) -> CreditNote:
    """A credit note for some lines of an invoice (B2, B4), never more than what each line
    still carries."""
    if not reason.strip():
        raise ValidationError({"reason": REASON_REQUIRED})
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    lines = {line.pk: line for line in invoice.lines.all()}
    chosen = {pk: domain.money(Decimal(v)) for pk, v in amounts.items() if v and Decimal(v) > 0}
    if not chosen or any(pk not in lines for pk in chosen):
        raise ValidationError(NOTHING_TO_CREDIT)
    for pk, amount in chosen.items():
        left = creditable(lines[pk])
        if amount > left:
            raise ValidationError(CREDIT_TOO_LARGE.format(label=lines[pk].label, left=euros(left)))
    credit_lines = [
        CreditNoteLine(
            invoice_line=lines[pk],
            label=lines[pk].label,
            months=(months or {}).get(pk),
            period_start=(periods or {}).get(pk, (None, None))[0],
            period_end=(periods or {}).get(pk, (None, None))[1],
            amount=amount,
        )
        for pk, amount in chosen.items()
    ]
    totals = domain.totals(
        domain.vat_breakdown(
            (cl.amount, lines[pk].vat_rate, lines[pk].vat_exemption)
            for pk, cl in zip(chosen, credit_lines, strict=True)
        )
    )
    ht, vat = totals.ht, totals.vat
    note = CreditNote.objects.create(
        number=number_take(NumberSequence.Kind.CREDIT_NOTE, issue_date.year),
        year=issue_date.year,
        invoice=invoice,
        issue_date=issue_date,
        reason=reason.strip(),
        total_ht=ht,
        total_vat=vat,
        total_ttc=ht + vat,
        issued_by=issued_by,
    )
    for cl in credit_lines:
        cl.credit_note = note
    CreditNoteLine.objects.bulk_create(credit_lines)
    credit_note_render_queue(note=note)
    audit_record(
        action="credit_note.issued",
        obj=invoice,
        actor=issued_by,
        collectivite=invoice.collectivite,
        summary=f"Avoir {note.number} sur {invoice.number} ({euros(note.total_ttc)} TTC) : "
        f"{note.reason}",
    )
    return note


def credit_for_termination(*, termination, today: date) -> list[CreditNote]:
    """B2, B10: every way a paid-for period ends early credits the whole months not used —
    a termination after the first year, a reduction (S4 + B2: the units removed), the
    co-termed additions of a terminated subscription, and the years invoiced before a late
    termination was recorded (credited whole). One credit note per invoice concerned, each
    line referring to the invoice line it corrects."""
    sub = termination.subscription
    lines = list(
        InvoiceLine.objects.filter(subscription=sub, months__isnull=False)
        .filter(period_end__gt=termination.effective_end)
        .select_related("invoice")
        .order_by("period_start", "id")
    )
    periods = [
        domain.InvoicedPeriod(
            key=line.pk,
            period_start=line.period_start,
            period_end=line.period_end,
            months=line.months,
            billable=line.quantity - line.free_quantity,
            unit_price=line.unit_price,
            amount=line.amount,
            left=creditable(line),
        )
        for line in lines
        if line.period_start and line.period_end
    ]
    credits = domain.early_end_credits(
        periods, effective_end=termination.effective_end, quantity=termination.quantity
    )
    by_line = {line.pk: line for line in lines}
    by_invoice: dict[int, list[domain.Credit]] = {}
    for credit in credits:
        by_invoice.setdefault(by_line[credit.key].invoice_id, []).append(credit)
    if termination.quantity is None:
        what = f"Résiliation reçue le {termination.received_on:%d/%m/%Y}"
    else:
        what = (
            f"Réduction de {termination.quantity.normalize():f} reçue le "
            f"{termination.received_on:%d/%m/%Y}"
        )
    notes = []
    for group in by_invoice.values():
        invoice = by_line[group[0].key].invoice
        months = sum(c.months for c in group)
        notes.append(
            credit_note_issue(
                invoice=invoice,
                amounts={c.key: c.amount for c in group},
                months={c.key: c.months for c in group},
                periods={c.key: (c.period_start, by_line[c.key].period_end) for c in group},
                reason=f"{what} : fin au {termination.effective_end - timedelta(days=1):%d/%m/%Y}"
                f", {months} mois non utilisés",
                issued_by=None,
                issue_date=today,
            )
        )
    return notes


# --- Payments ------------------------------------------------------------------------------------


@transaction.atomic
def payment_record(
    *,
    invoice: Invoice,
    paid_on: date,
    mandate_reference: str,
    amount: Decimal,
    recorded_by: User | None,
) -> Payment:
    """A payment by administrative mandate, whole or partial (B4)."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if not invoice.issue_date <= paid_on <= timezone.localdate():
        raise ValidationError({"paid_on": PAYMENT_DATE_ERROR})
    if not mandate_reference.strip():
        raise ValidationError({"mandate_reference": MANDATE_REQUIRED})
    amount = domain.money(Decimal(amount))
    if amount <= 0:
        raise ValidationError({"amount": PAYMENT_NOT_POSITIVE})
    earlier = invoice.payments.filter(mandate_reference=mandate_reference.strip()).first()
    if earlier is not None:
        raise ValidationError(
            {
                "mandate_reference": PAYMENT_DUPLICATE.format(
                    reference=earlier.mandate_reference,
                    number=invoice.number,
                    date=f"{earlier.paid_on:%d/%m/%Y}",
                )
            }
        )
    left = selectors.invoice_balance(invoice)
    if amount > left:
        raise ValidationError({"amount": PAYMENT_TOO_LARGE.format(left=euros(left))})
    payment = Payment.objects.create(
        invoice=invoice,
        paid_on=paid_on,
        mandate_reference=mandate_reference.strip(),
        amount=amount,
        recorded_by=recorded_by,
    )
    audit_record(
        action="payment.recorded",
        obj=invoice,
        actor=recorded_by,
        collectivite=invoice.collectivite,
        summary=f"Paiement de {euros(amount)} reçu le {paid_on:%d/%m/%Y} (mandat "
        f"{payment.mandate_reference}) sur {invoice.number}.",
    )
    # L2 (issue 15): a settled invoice ends its non-payment procedure, accounts re-enabled.
    from lifecycle.services.suspension import settlement_record

    settlement_record(invoice=invoice, actor=recorded_by)
    return payment


# --- Reminders and payment imports ------------------------------------------------------------

REMINDER_DELAY_DAYS = 15
IMPORT_HEADER_ERROR = (
    "Le fichier doit commencer par la ligne d'en-tête « facture;date;mandat;montant » "
    "(séparateur point-virgule)."
)
IMPORT_LINE_ERROR = "Ligne {line} : {message}"
IMPORT_UNKNOWN_INVOICE = "facture {number} inconnue."
IMPORT_BAD_DATE = "date « {value} » illisible (attendu JJ/MM/AAAA)."
IMPORT_BAD_AMOUNT = "montant « {value} » illisible (attendu 1234,50)."
# An amount as finance software writes it: up to 12 digits, a comma or point, two decimals.
AMOUNT_PATTERN = re.compile(r"\d{1,12}(?:[,.]\d{1,2})?")


def overdue_reminders_run(*, today: date) -> int:
    """E-mail the collectivité's signatories and functional administrators once an invoice is
    15 days past due and still unpaid; once per invoice (idempotent)."""
    from datetime import timedelta

    from billing.models import PaymentReminder
    from portal import notifications
    from portal.models import Role
    from portal.services import site_url

    sent = 0
    due_before = today - timedelta(days=REMINDER_DELAY_DAYS)
    for invoice in Invoice.objects.filter(
        due_date__lte=due_before, reminder__isnull=True
    ).select_related("collectivite"):
        balance = selectors.invoice_balance(invoice)
        if balance <= 0:
            continue
        recipients = notifications.addresses_of_role(
            invoice.collectivite, Role.SIGNATORY, Role.FUNCTIONAL_ADMIN
        )
        with transaction.atomic():
            _, created = PaymentReminder.objects.get_or_create(
                invoice=invoice, defaults={"sent_on": today, "recipients": recipients}
            )
            if not created:
                continue
            notifications.notify(
                template="invoice_overdue",
                to=recipients,
                context={
                    "collectivite": invoice.collectivite.name,
                    "number": invoice.number,
                    "due_date": f"{invoice.due_date:%d/%m/%Y}",
                    "balance": euros(balance),
                    "url": site_url(invoice.collectivite.primary_domain_name, "/factures/"),
                },
            )
            audit_record(
                action="invoice.reminded",
                obj=invoice,
                actor=None,
                collectivite=invoice.collectivite,
                summary=f"Relance de {invoice.number} ({euros(balance)} restant dû).",
            )
            sent += 1
    return sent


IMPORT_NOT_UTF8 = "Le fichier doit être un CSV encodé en UTF-8."
IMPORT_EMPTY = "Choisissez le fichier CSV des mandats."
IMPORT_TOO_LARGE = "Le fichier dépasse {limit} Mo : découpez-le en plusieurs fichiers."
IMPORT_ALREADY_DONE = (
    "Ce fichier a déjà été importé le {date} ({count} paiement(s)) : il n'est pas enregistré "
    "une seconde fois."
)
IMPORT_ALREADY_RUNNING = "Ce fichier est déjà en cours d'import depuis le {date}."
IMPORT_MAX_BYTES = 5 * 1024 * 1024
IMPORT_PROGRESS_EVERY = 100


def payments_import_start(*, file_name: str, data: bytes, requested_by: User | None):
    """Record an uploaded CSV of mandates and queue its import (a task: a large file never
    holds a request). The same file — same SHA-256 — is refused once imported or while its
    import runs, with the date; a file refused for a bad line can be sent again once fixed
    (a fixed file is another file) or as it is."""
    import hashlib

    from billing.models import PaymentImport
    from portal.outbox import outbox_send

    if not data:
        raise ValidationError({"file": IMPORT_EMPTY})
    if len(data) > IMPORT_MAX_BYTES:
        raise ValidationError({"file": IMPORT_TOO_LARGE.format(limit=IMPORT_MAX_BYTES // 2**20)})
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError({"file": IMPORT_NOT_UTF8}) from exc
    digest = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        job = PaymentImport.objects.select_for_update().filter(sha256=digest).first()
        if job is not None and job.status == PaymentImport.Status.DONE:
            when = timezone.localtime(job.finished_at or job.created_at)
            raise ValidationError(
                {
                    "file": IMPORT_ALREADY_DONE.format(
                        date=f"{when:%d/%m/%Y à %H:%M}", count=job.payments_count
                    )
                }
            )
        if job is not None and job.status != PaymentImport.Status.FAILED:
            when = timezone.localtime(job.created_at)
            raise ValidationError(
                {"file": IMPORT_ALREADY_RUNNING.format(date=f"{when:%d/%m/%Y à %H:%M}")}
            )
        if job is None:
            job = PaymentImport(sha256=digest)
        job.file_name = (file_name or "mandats.csv")[:255]
        job.text, job.status, job.error = text, PaymentImport.Status.QUEUED, ""
        job.requested_by, job.finished_at, job.payments_count = requested_by, None, 0
        job.save()
        outbox_send("billing.tasks.payments_import_task", job.pk)
    return job


def payments_import_progress(job) -> int:
    """Percent of the lines recorded so far (kept in the cache while the import runs: its
    transaction is not visible until it commits)."""
    from django.core.cache import cache

    from billing.models import PaymentImport

    if job.status in (PaymentImport.Status.DONE, PaymentImport.Status.FAILED):
        return 100
    return int(cache.get(f"billing:payment-import:{job.pk}:progress", 0))


def payments_import_run(job_id: int):
    """Import the recorded file: every payment or none (the first bad line is reported);
    idempotent — a job already done or failed is left as it is."""
    from django.core.cache import cache

    from billing.models import PaymentImport

    job = PaymentImport.objects.get(pk=job_id)
    if job.status in (PaymentImport.Status.DONE, PaymentImport.Status.FAILED):
        return job
    PaymentImport.objects.filter(pk=job.pk).update(status=PaymentImport.Status.RUNNING)
    key = f"billing:payment-import:{job.pk}:progress"

    def progress(done: int, total: int) -> None:
        if done % IMPORT_PROGRESS_EVERY == 0 or done == total:
            cache.set(key, int(done * 100 // max(total, 1)), timeout=3600)

    try:
        recorded = payments_import(text=job.text, recorded_by=job.requested_by, progress=progress)
    except ValidationError as exc:
        job.status, job.error = PaymentImport.Status.FAILED, " ".join(exc.messages)
    else:
        job.status, job.payments_count = PaymentImport.Status.DONE, len(recorded)
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "error", "payments_count", "finished_at"])
    cache.delete(key)
    return job


@transaction.atomic
def payments_import(*, text: str, recorded_by: User | None, progress=None) -> list[Payment]:
    """Record the payments of a CSV (« facture;date;mandat;montant », French dates and
    amounts) — all of them, or none: the first bad line is reported and nothing is kept.
    `progress(done, total)` is told after each line."""
    import csv
    from datetime import datetime

    rows = list(csv.reader(text.lstrip("\ufeff").splitlines(), delimiter=";"))
    if not rows or [c.strip().lower() for c in rows[0][:4]] != [
        "facture",
        "date",
        "mandat",
        "montant",
    ]:
        raise ValidationError(IMPORT_HEADER_ERROR)
    payments = []
    total = len(rows) - 1
    for number, row in enumerate(rows[1:], start=2):
        if progress is not None:
            progress(number - 1, total)
        if not any(cell.strip() for cell in row):
            continue
        try:
            invoice_number, raw_date, mandate, raw_amount = (cell.strip() for cell in row[:4])
        except ValueError as exc:
            raise ValidationError(
                IMPORT_LINE_ERROR.format(line=number, message=IMPORT_HEADER_ERROR)
            ) from exc
        invoice = Invoice.objects.filter(number=invoice_number).first()
        if invoice is None:
            raise ValidationError(
                IMPORT_LINE_ERROR.format(
                    line=number, message=IMPORT_UNKNOWN_INVOICE.format(number=invoice_number)
                )
            )
        try:
            paid_on = datetime.strptime(raw_date, "%d/%m/%Y").date()  # noqa: DTZ007 (a date)
        except ValueError as exc:
            raise ValidationError(
                IMPORT_LINE_ERROR.format(
                    line=number, message=IMPORT_BAD_DATE.format(value=raw_date)
                )
            ) from exc
        compact = raw_amount.replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
        if not AMOUNT_PATTERN.fullmatch(compact):  # no NaN, Infinity, exponent, sign
            raise ValidationError(
                IMPORT_LINE_ERROR.format(
                    line=number, message=IMPORT_BAD_AMOUNT.format(value=raw_amount[:40])
                )
            )
        amount = Decimal(compact.replace(",", "."))
        try:
            payments.append(
                payment_record(
                    invoice=invoice,
                    paid_on=paid_on,
                    mandate_reference=mandate,
                    amount=amount,
                    recorded_by=recorded_by,
                )
            )
        except ValidationError as exc:
            raise ValidationError(
                IMPORT_LINE_ERROR.format(line=number, message=" ".join(exc.messages))
            ) from exc
    return payments


@transaction.atomic
def delivery_record(
    *,
    collectivite: Collectivite,
    offer: Offer,
    quantity: Decimal,
    delivered_on: date,
    source: str,
    label: str = "",
    po_number: str = "",
    unit_price: Decimal | None = None,
) -> Delivery:
    """Record a one-off service delivered to `collectivite`, for the next billing run.

    Priced at `unit_price` when one was accepted (an estimate signed by the collectivité,
    T4), else at the schedule in force on `delivered_on` (B3, B7); VAT always from that
    schedule. Idempotent on `source`: recording the same origin again updates the delivery
    while it is not invoiced, and refuses once it is (raises PricingError when unpriced,
    ValidationError when already invoiced)."""
    [line] = pricing.price(
        schedules=selectors.schedules_on(delivered_on),
        offer=offer.code,
        quantity=quantity,
        strate=collectivite.strate,
        on=delivered_on,
        offer_name=offer.name,
    )
    price = line.unit_price if unit_price is None else unit_price
    fields = {
        "collectivite": collectivite,
        "offer": offer,
        "label": label or offer.name,
        "delivered_on": delivered_on,
        "quantity": line.quantity,
        "unit_price": price,
        "free_quantity": line.free_quantity,
        "amount": pricing.money(price * (line.quantity - line.free_quantity)),
        "vat_rate": line.vat_rate,
        "vat_exemption": line.vat_exemption,
        "po_number": po_number,
    }
    delivery = Delivery.objects.select_for_update().filter(source=source).first()
    if delivery is None:
        return Delivery.objects.create(source=source, **fields)
    invoiced = InvoiceLine.objects.filter(source=f"item:{delivery.pk}").first()
    if invoiced is not None:
        raise ValidationError(DELIVERY_INVOICED.format(number=invoiced.invoice.number))
    for name, value in fields.items():
        setattr(delivery, name, value)
    delivery.save()
    return delivery
