"""People: global users, their roles in collectivités, invitations, API tokens.

A person may work for several collectivités (DESIGN §1): users are global, and a membership
gives them one role in one collectivité.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

STAFF_ADMIN_GROUP = "Administrateurs du syndicat"
STAFF_FINANCE_GROUP = "Finances du syndicat"
STAFF_GROUPS = (STAFF_ADMIN_GROUP, STAFF_FINANCE_GROUP)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("L'adresse électronique est obligatoire.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_superuser", True)
        extra.setdefault("is_staff", True)
        return self._create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person, signing in with their e-mail address."""

    email = models.EmailField(_("adresse électronique"), unique=True)
    full_name = models.CharField(_("nom complet"), max_length=150, blank=True)
    is_active = models.BooleanField(_("actif"), default=True)
    is_staff = models.BooleanField(_("accès à l'administration technique"), default=False)
    date_joined = models.DateTimeField(_("inscrit le"), auto_now_add=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    FUNCTIONAL_ADMIN = "functional_admin", _("Administrateur fonctionnel")
    SIGNATORY = "signatory", _("Signataire")
    VISIO_REFERENT = "visio_referent", _("Référent visio")


class Membership(models.Model):
    """One role of one person in one collectivité."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    collectivite = models.ForeignKey(
        "portal.Collectivite", on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("rôle"), max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    # A6 / seed 004: the visio referent's mandatory training, recorded by the syndicate.
    trained_on = models.DateField(_("formation suivie le"), null=True, blank=True)
    trained_recorded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("appartenance")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "collectivite", "role"], name="membership_unique_role"
            ),
        ]
        indexes = [models.Index(fields=["collectivite", "role"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} ({self.collectivite})"


class Invitation(models.Model):
    """An e-mailed invitation to take a role in a collectivité; the token is stored hashed."""

    email = models.EmailField(_("adresse électronique"))
    collectivite = models.ForeignKey(
        "portal.Collectivite", on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(_("rôle"), max_length=32, choices=Role.choices)
    full_name = models.CharField(_("nom complet"), max_length=150, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # More roles given by the same invitation (a maire who is also functional administrator).
    additional_roles = ArrayField(
        models.CharField(max_length=32, choices=Role.choices), default=list, blank=True
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("invitation")

    def __str__(self) -> str:
        return f"{self.email} → {self.collectivite} ({self.roles_display})"

    @property
    def roles(self) -> list[str]:
        return [self.role, *(r for r in self.additional_roles if r != self.role)]

    @property
    def roles_display(self) -> str:
        return ", ".join(str(Role(r).label) for r in self.roles)


class StaffInvitation(models.Model):
    """An e-mailed invitation to join the syndicate's staff (administrators, finance); the
    token is stored hashed. The second factor is asked at first sign-in (P1)."""

    email = models.EmailField(_("adresse électronique"))
    full_name = models.CharField(_("nom complet"), max_length=150, blank=True)
    groups = ArrayField(models.CharField(max_length=80))
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation du personnel")

    def __str__(self) -> str:
        return f"{self.email} → {', '.join(self.groups)}"


class LoginHandoff(models.Model):
    """A single-use, short-lived pass that carries a signed-in person to another collectivité's
    site: sessions are host-only (P4), so switching collectivité needs this hand-off."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    collectivite = models.ForeignKey(
        "portal.Collectivite", on_delete=models.CASCADE, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user} → {self.collectivite}"


class ApiToken(models.Model):
    """A bearer token of a syndicate staff member for the JSON API; stored hashed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("nom"), max_length=100)
    prefix = models.CharField(max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("jeton d'API")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
