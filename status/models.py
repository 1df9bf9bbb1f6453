"""Services as people see them, the announcements the syndicate writes about them, and what
the notifier remembers (public schema, see apps.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from status.domain import STATE_LABELS, ServiceState


class Service(models.Model):
    """A service whose status is published ("Messagerie", "Stockage en ligne"…). A collectivité
    uses it when it holds a running subscription to one of its offers."""

    slug = models.SlugField(_("identifiant"), max_length=60, unique=True)
    name = models.CharField(_("nom"), max_length=120)
    description = models.CharField(_("description"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("ordre"), default=0)
    offers = models.ManyToManyField(
        "catalogue.Offer", blank=True, related_name="+", verbose_name=_("offres concernées")
    )

    class Meta:
        verbose_name = _("service")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class AlertRoute(models.Model):
    """Which service an Alertmanager alert concerns: an alert whose label `label` equals
    `value` (e.g. service=bluemind) opens its incident on `service`. Data, not code."""

    label = models.CharField(_("étiquette"), max_length=100, default="service")
    value = models.CharField(_("valeur"), max_length=200)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="alert_routes")

    class Meta:
        verbose_name = _("routage d'alerte")
        constraints = [
            models.UniqueConstraint(fields=["label", "value"], name="one_route_per_label_value")
        ]

    def __str__(self) -> str:
        return f"{self.label}={self.value} → {self.service}"


class Announcement(models.Model):
    class Kind(models.TextChoices):
        INCIDENT = "incident", _("Incident")
        MAINTENANCE = "maintenance", _("Maintenance programmée")
        NEWS = "news", _("Nouveauté")

    class Severity(models.TextChoices):
        DEGRADED = ServiceState.DEGRADED.value, _("Perturbation")
        INTERRUPTED = ServiceState.INTERRUPTED.value, _("Interruption")

    kind = models.CharField(_("type"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("texte"), blank=True)  # sanitized HTML (status.richtext)
    severity = models.CharField(_("gravité"), max_length=12, choices=Severity.choices, blank=True)
    services = models.ManyToManyField(
        Service, blank=True, related_name="announcements", verbose_name=_("services concernés")
    )
    # Incident: its start and end; maintenance: its window; news: publication (no end).
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"), null=True, blank=True)
    published_at = models.DateTimeField(_("publiée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("mise à jour le"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Opened by Alertmanager: the alert's fingerprint and its startsAt.
    alert_fingerprint = models.CharField(max_length=64, blank=True)
    alert_starts_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("annonce")
        ordering = ["-starts_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gte=models.F("starts_at")),
                name="announcement_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(kind="incident") | ~Q(severity=""),
                name="incident_has_severity",
            ),
            # The same alert twice makes one incident: one open incident per fingerprint, and
            # one incident per firing (fingerprint, startsAt) even once it is closed.
            models.UniqueConstraint(
                fields=["alert_fingerprint"],
                condition=Q(ends_at__isnull=True) & ~Q(alert_fingerprint=""),
                name="one_open_incident_per_alert",
            ),
            models.UniqueConstraint(
                fields=["alert_fingerprint", "alert_starts_at"],
                condition=~Q(alert_fingerprint=""),
                name="one_incident_per_alert_firing",
            ),
        ]
        indexes = [models.Index(fields=["kind", "ends_at"], name="announcement_kind_end")]

    def __str__(self) -> str:
        return self.title

    @property
    def state(self) -> ServiceState:
        if self.kind == self.Kind.MAINTENANCE:
            return ServiceState.MAINTENANCE
        return ServiceState(self.severity) if self.severity else ServiceState.OPERATIONAL

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


class AnnouncementUpdate(models.Model):
    """A message added to an announcement while it runs ("Le service est rétabli pour…")."""

    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="updates")
    body = models.TextField(_("texte"))  # sanitized HTML
    posted_at = models.DateTimeField(_("publiée le"), auto_now_add=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("mise à jour d'annonce")
        ordering = ["posted_at", "pk"]

    def __str__(self) -> str:
        return f"{self.announcement} — {self.posted_at:%d/%m/%Y %H:%M}"


class NotificationSent(models.Model):
    """One e-mail about one moment of an announcement to one person: the row is the proof it
    was sent, and its uniqueness makes the notifier send it once (retries, duplicate tasks)."""

    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="notifications"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=40)  # start, update:<id>, end, reminder
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["announcement", "user", "event"], name="one_status_email_per_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.announcement_id} {self.event} → {self.user_id}"


class NotificationPreference(models.Model):
    """A person's choice about status e-mails (Mes notifications); no row means yes."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="status_preference"
    )
    status_emails = models.BooleanField(
        _("Recevoir par courriel les incidents et maintenances des services"), default=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {'oui' if self.status_emails else 'non'}"


class FeedToken(models.Model):
    """The private feed address of a collectivité; only the SHA-256 of its token is kept."""

    collectivite = models.OneToOneField(
        "portal.Collectivite", on_delete=models.CASCADE, related_name="status_feed_token"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.collectivite_id}"


class IncidentFollower(models.Model):
    """A person who chose to follow an incident instead of opening a support request
    (issue 13 item 5): they get its update and end e-mails like the functional
    administrators, unless they opted out of status e-mails (NotificationPreference)."""

    announcement = models.ForeignKey(
        Announcement, on_delete=models.CASCADE, related_name="followers"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    collectivite = models.ForeignKey(
        "portal.Collectivite", on_delete=models.CASCADE, related_name="+"
    )
    followed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("abonné à un incident")
        constraints = [
            models.UniqueConstraint(
                fields=["announcement", "user"], name="one_follow_per_incident_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.announcement_id} ← {self.user_id}"
