"""Billing (public schema): runs, invoices and credit notes with the syndicate's gapless
numbering (B4), payments by administrative mandate. Issued documents never change: a
correction is a credit note. Kept ten years whatever happens to the collectivité (P5)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NumberSequence(models.Model):
    """The last number given, per kind and calendar year: the row is locked while a number
    is taken inside the issuing transaction, so numbers are gapless even under concurrent
    runs (a PostgreSQL sequence would leave gaps on rollback)."""

    class Kind(models.TextChoices):
        INVOICE = "FAC", _("facture")
        CREDIT_NOTE = "AV", _("avoir")

    kind = models.CharField(max_length=4, choices=Kind.choices)
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="number_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}-{self.year} : {self.last_number}"


class BillingRun(models.Model):
    """One billing run: every contract year started on or before `as_of` and not invoiced
    yet, one invoice per collectivité (B1)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("en attente")
        RUNNING = "running", _("en cours")
        DONE = "done", _("terminée")
        FAILED = "failed", _("en échec")

    as_of = models.DateField(_("date de facturation"))
    dry_run = models.BooleanField(_("aperçu (rien n'est émis)"), default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written as each collectivité is done: a run whose heartbeat stops was left by a worker
    # that died, and the watchdog resumes it (issue 18).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    collectivites_total = models.PositiveIntegerField(default=0)
    collectivites_done = models.PositiveIntegerField(default=0)
    invoices_count = models.PositiveIntegerField(default=0)
    total_amount = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    failures = models.JSONField(default=list, blank=True)  # [{"collectivite": …, "reason": …}]
    preview = models.JSONField(default=list, blank=True)  # dry run: what would be invoiced

    class Meta:
        verbose_name = _("campagne de facturation")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Facturation au {self.as_of:%d/%m/%Y}" + (" (aperçu)" if self.dry_run else "")

    @property
    def progress_percent(self) -> int:
        if not self.collectivites_total:
            return 100 if self.status == self.Status.DONE else 0
        return round(100 * self.collectivites_done / self.collectivites_total)


class Invoice(models.Model):
    number = models.CharField(_("numéro"), max_length=20, unique=True)
    year = models.PositiveIntegerField()
    collectivite = models.ForeignKey(
        "portal.Collectivite", on_delete=models.PROTECT, related_name="invoices"
    )
    run = models.ForeignKey(
        BillingRun, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    issue_date = models.DateField(_("date d'émission"))
    due_date = models.DateField(_("échéance"))
    # B9: every engagement or purchase-order number of the lines, whole (each line has its own).
    po_number = models.TextField(_("bon de commande ou engagement"), blank=True)
    service_code = models.CharField(_("code service"), max_length=100, blank=True)
    buyer = models.JSONField(default=dict)  # the collectivité as it was on the issue date
    seller = models.JSONField(default=dict)  # the syndicate as it was on the issue date
    total_ht = models.DecimalField(max_digits=14, decimal_places=2)
    total_vat = models.DecimalField(max_digits=14, decimal_places=2)
    total_ttc = models.DecimalField(max_digits=14, decimal_places=2)
    pdf = models.FileField(upload_to="billing/invoices/%Y/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pdf_error = models.TextField(_("échec du rendu PDF"), blank=True)  # retried by its task
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("facture")
        ordering = ["-issue_date", "-number"]

    def __str__(self) -> str:
        return self.number


class InvoiceLine(models.Model):
    """One subscription-year (or the co-termed part of an addition, or a one-off delivery).
    `source` is unique: the same contract year is never invoiced twice, whatever runs."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    source = models.CharField(max_length=40, unique=True)  # "year:12", "change:3", "delivery:7"
    offer = models.ForeignKey("catalogue.Offer", on_delete=models.PROTECT, related_name="+")
    subscription = models.ForeignKey(
        "contracts.Subscription", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    label = models.CharField(max_length=250)
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)  # exclusive
    months = models.PositiveSmallIntegerField(null=True, blank=True)
    quantity = models.DecimalField(max_digits=10, decimal_places=2)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    free_quantity = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    vat_exemption = models.CharField(max_length=200, blank=True)
    # B9: the engagement or purchase-order number this line belongs to, whole; `po_reused`
    # when a renewal year had no number of its own and went with the previous one.
    po_number = models.TextField(_("bon de commande ou engagement"), blank=True)
    po_reused = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.label


class CreditNote(models.Model):
    number = models.CharField(_("numéro"), max_length=20, unique=True)
    year = models.PositiveIntegerField()
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    issue_date = models.DateField(_("date d'émission"))
    reason = models.CharField(_("motif"), max_length=300)
    total_ht = models.DecimalField(max_digits=14, decimal_places=2)
    total_vat = models.DecimalField(max_digits=14, decimal_places=2)
    total_ttc = models.DecimalField(max_digits=14, decimal_places=2)
    pdf = models.FileField(upload_to="billing/credit_notes/%Y/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pdf_error = models.TextField(_("échec du rendu PDF"), blank=True)  # retried by its task
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("avoir")
        ordering = ["-issue_date", "-number"]

    def __str__(self) -> str:
        return self.number


class CreditNoteLine(models.Model):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.PROTECT, related_name="lines")
    invoice_line = models.ForeignKey(InvoiceLine, on_delete=models.PROTECT, related_name="credits")
    label = models.CharField(max_length=250)
    months = models.PositiveSmallIntegerField(null=True, blank=True)
    period_start = models.DateField(null=True, blank=True)  # the months credited (B10)
    period_end = models.DateField(null=True, blank=True)  # exclusive
    amount = models.DecimalField(max_digits=12, decimal_places=2)  # positive: what is credited

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.label


class Payment(models.Model):
    """A payment by administrative mandate (B4): date, mandate reference, amount."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    paid_on = models.DateField(_("date du mandat"))
    mandate_reference = models.CharField(_("référence du mandat"), max_length=60)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["paid_on", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_positive"),
            # Issue 18: a mandate is recorded once per invoice, however often its file comes.
            models.UniqueConstraint(
                fields=["invoice", "mandate_reference"], name="payment_unique_mandate_per_invoice"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mandate_reference} ({self.amount} €)"


def export_upload_to(job: ExportJob, filename: str) -> str:
    """One folder per export job: a re-run replaces its files under the same names."""
    return f"billing/exports/{job.pk}/{filename}"


class ExportJob(models.Model):
    """A year's export for the finance software and the archive (B6): the invoices and credit
    notes as CSV and XLSX, and a ZIP of their PDFs, built in the background with progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("en attente")
        RUNNING = "running", _("en cours")
        DONE = "done", _("terminé")
        FAILED = "failed", _("en échec")

    year = models.PositiveIntegerField(_("année"))
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(_("avancement (%)"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    csv_file = models.FileField(upload_to=export_upload_to, blank=True)
    xlsx_file = models.FileField(upload_to=export_upload_to, blank=True)
    zip_file = models.FileField(upload_to=export_upload_to, blank=True)
    error = models.TextField(_("erreur"), blank=True)

    class Meta:
        verbose_name = _("export de factures")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="export_job_progress_max_100"
            ),
        ]

    def __str__(self) -> str:
        return f"Export des factures {self.year}"


class PaymentReminder(models.Model):
    """A reminder sent for an overdue invoice (15 days past due), once per invoice; kept apart
    from the invoice, which never changes once issued."""

    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="reminder")
    sent_on = models.DateField()
    recipients = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"Relance {self.invoice} du {self.sent_on:%d/%m/%Y}"


class Delivery(models.Model):
    """A one-off service delivered to a collectivité outside a quote line — an exceptional
    support intervention (T4), a billed training attendance (F1) — priced when it is recorded
    and invoiced once by the next billing run (B1, B7). `source` names what it comes from
    ("support:12", "training:registration:7") and is unique: recording the same origin twice
    yields the same delivery, whatever the retries. Its invoice line's source is
    `item:<pk>`."""

    collectivite = models.ForeignKey(
        "portal.Collectivite", on_delete=models.PROTECT, related_name="deliveries"
    )
    offer = models.ForeignKey("catalogue.Offer", on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=60, unique=True)
    label = models.CharField(_("libellé"), max_length=250)
    delivered_on = models.DateField(_("date de réalisation"))
    quantity = models.DecimalField(max_digits=10, decimal_places=2)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
    free_quantity = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    vat_exemption = models.CharField(max_length=200, blank=True)
    po_number = models.CharField(_("bon de commande ou engagement"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("prestation ponctuelle")
        ordering = ["delivered_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="delivery_quantity_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(unit_price__gte=0, amount__gte=0),
                name="delivery_amounts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.delivered_on:%d/%m/%Y})"


class EngagementNumber(models.Model):
    """B9: the engagement number a collectivité gives for one budget year (a calendar year),
    before that year's renewals are invoiced; given on its site by a signatory or a
    functional administrator; given again, it replaces the previous one."""

    collectivite = models.ForeignKey(
        "portal.Collectivite", on_delete=models.PROTECT, related_name="engagement_numbers"
    )
    budget_year = models.PositiveIntegerField(_("exercice budgétaire"))
    number = models.TextField(_("numéro d'engagement"))
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    given_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("numéro d'engagement")
        ordering = ["collectivite", "budget_year", "-given_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite", "budget_year"], name="engagement_number_one_per_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.budget_year} : {self.number}"


class EngagementRequest(models.Model):
    """The e-mail asking for a budget year's engagement number, a month before a renewal:
    once per collectivité and budget year (idempotent by the constraint)."""

    collectivite = models.ForeignKey(
        "portal.Collectivite", on_delete=models.PROTECT, related_name="engagement_requests"
    )
    budget_year = models.PositiveIntegerField()
    sent_on = models.DateField()
    recipients = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["collectivite", "budget_year"], name="engagement_request_once_per_year"
            ),
        ]

    def __str__(self) -> str:
        return f"Demande d'engagement {self.budget_year} ({self.sent_on:%d/%m/%Y})"


class PaymentImport(models.Model):
    """A CSV of mandates imported by finance (issue 18): recognised by its SHA-256 so that the
    same file is never recorded twice, kept whole so that nothing submitted is lost, and
    processed by a task with its progress, all its payments or none."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("en attente")
        RUNNING = "running", _("en cours")
        DONE = "done", _("importé")
        FAILED = "failed", _("refusé")

    file_name = models.CharField(_("fichier"), max_length=255)
    sha256 = models.CharField(max_length=64, unique=True)
    text = models.TextField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    lines = models.PositiveIntegerField(default=0)
    payments_count = models.PositiveIntegerField(default=0)
    error = models.TextField(_("erreur"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import de paiements")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"


class EstimateNotice(models.Model):
    """The autumn e-mail of a collectivité's budget estimate (issue 16): once per budget year,
    by this constraint, however often the beat job runs."""

    collectivite = models.ForeignKey(
        "portal.Collectivite", on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveIntegerField()  # the budget year estimated
    total_ttc = models.DecimalField(max_digits=12, decimal_places=2)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["collectivite", "year"], name="estimate_notice_once"),
        ]

    def __str__(self) -> str:
        return f"Estimation {self.year} — {self.collectivite}"
