"""P5 / L1: a collectivité's personal data is purged one year after its last contract's
effective end, the syndicate told 30 days before (dates: lifecycle/rules.py).

What goes: in its schema, what the registered tenant handlers hold (service accounts, quota
requests, provisioning events: accounts/lifecycle.py); in the public schema, its memberships,
invitations and sign-in hand-offs, the "account closed" notices that name its people, the
files of its reversibility exports, and the people whose only membership it was — they are
pseudonymized (name and address replaced, deactivated, second factors and addresses removed),
not deleted, because the contracts they signed and the invoices they paid refer to them.

What stays (ten years, P5): invoices and credit notes with the buyer's identity as issued and
their PDFs, quotes, signatures and contracts, payments; the audit log, which is append-only
(its events name the actors of contractual events: that record is the syndicate's legal
obligation). A collectivité with a running contract is never purged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from contracts.models import Subscription
from lifecycle import events, rules, tenant_data
from lifecycle.models import RetentionCase, ReversibilityExport, SyndicateNotice
from lifecycle.rules import RetentionDecision, RetentionStep
from lifecycle.services import notices
from portal.models import Collectivite, Invitation, Membership, User
from portal.models.people import LoginHandoff

PSEUDONYM_NAME = "Personne supprimée n° {pk}"
PSEUDONYM_EMAIL = "supprime-{pk}@personne-supprimee.invalid"


def _ends(collectivite: Collectivite) -> list[date | None]:
    return list(
        Subscription.objects.filter(collectivite=collectivite).values_list("ends_on", flat=True)
    )


def _current_case(collectivite: Collectivite) -> RetentionCase | None:
    return (
        RetentionCase.objects.filter(collectivite=collectivite)
        .exclude(status=RetentionCase.Status.CANCELLED)
        .order_by("-ended_on")
        .first()
    )


def retention_decision(*, collectivite: Collectivite, today: date) -> RetentionDecision:
    case = _current_case(collectivite)
    ends = _ends(collectivite)
    same = case is not None and case.ended_on == rules.last_contract_end(ends)
    return rules.retention_decision(
        ends=ends,
        today=today,
        noticed_on=case.noticed_on if same and case else None,
        purged=bool(same and case and case.status == RetentionCase.Status.PURGED),
    )


# --- The dry run ------------------------------------------------------------------------------


@dataclass
class RetentionPreview:
    collectivite: Collectivite
    decision: RetentionDecision
    sections: list[tuple[str, str, int]] = field(default_factory=list)  # (where, what, count)
    people: list[str] = field(default_factory=list)  # pseudonymized: address now

    @property
    def total(self) -> int:
        return sum(count for _, _, count in self.sections)


def _only_members(collectivite: Collectivite):
    """The people whose only membership is in `collectivite`, syndicate staff excepted."""
    here = Membership.objects.filter(collectivite=collectivite).values("user")
    elsewhere = Membership.objects.exclude(collectivite=collectivite).values("user")
    return (
        User.objects.filter(pk__in=here, is_staff=False, is_superuser=False, groups__isnull=True)
        .exclude(pk__in=elsewhere)
        .order_by("email")
    )


def retention_preview(*, collectivite: Collectivite, today: date) -> RetentionPreview:
    """What a purge would remove today, and when it is due: nothing is changed."""
    preview = RetentionPreview(
        collectivite=collectivite,
        decision=retention_decision(collectivite=collectivite, today=today),
    )
    with schema_context(collectivite.schema_name):
        for handler in tenant_data.handlers():
            for label, count in handler.inventory(collectivite).items():
                preview.sections.append((handler.name, label, count))
    people = _only_members(collectivite)
    preview.people = list(people.values_list("email", flat=True))
    preview.sections += [
        ("personnes", "appartenances (rôles)", collectivite.memberships.count()),
        ("personnes", "personnes pseudonymisées (seule appartenance)", len(preview.people)),
        ("personnes", "invitations", Invitation.objects.filter(collectivite=collectivite).count()),
        (
            "syndicat",
            "avis de fermeture de compte",
            SyndicateNotice.objects.filter(
                collectivite=collectivite, kind=SyndicateNotice.Kind.ACCOUNT_CLOSED
            ).count(),
        ),
        (
            "syndicat",
            "fichiers d'export de réversibilité",
            ReversibilityExport.objects.filter(collectivite=collectivite)
            .exclude(zip_file="")
            .count(),
        ),
    ]
    return preview


# --- The purge --------------------------------------------------------------------------------


def _pseudonymize(user: User) -> None:
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    EmailAddress.objects.filter(user=user).delete()
    Authenticator.objects.filter(user=user).delete()
    user.full_name = PSEUDONYM_NAME.format(pk=user.pk)
    user.email = PSEUDONYM_EMAIL.format(pk=user.pk)
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["full_name", "email", "is_active", "password"])


def _public_purge(collectivite: Collectivite) -> dict[str, int]:
    people = list(_only_members(collectivite))
    for user in people:
        _pseudonymize(user)
    memberships, _ = Membership.objects.filter(collectivite=collectivite).delete()
    invitations, _ = Invitation.objects.filter(collectivite=collectivite).delete()
    LoginHandoff.objects.filter(collectivite=collectivite).delete()
    closed_notices, _ = SyndicateNotice.objects.filter(
        collectivite=collectivite, kind=SyndicateNotice.Kind.ACCOUNT_CLOSED
    ).delete()
    files = 0
    for export in ReversibilityExport.objects.filter(collectivite=collectivite).exclude(
        zip_file=""
    ):
        export.zip_file.delete(save=False)
        export.save(update_fields=["zip_file"])
        files += 1
    return {
        "appartenances (rôles)": memberships,
        "personnes pseudonymisées (seule appartenance)": len(people),
        "invitations": invitations,
        "avis de fermeture de compte": closed_notices,
        "fichiers d'export de réversibilité": files,
    }


@transaction.atomic
def retention_purge(*, case: RetentionCase, actor: User | None = None) -> RetentionCase:
    """Purge now (the nightly job, on the due day). Refused — nothing changes — when a
    contract runs again; completed over several runs when accounts still wait for an outside
    system's purge."""
    case = RetentionCase.objects.select_for_update().select_related("collectivite").get(pk=case.pk)
    collectivite = case.collectivite
    if case.status == RetentionCase.Status.PURGED:
        return case
    if rules.last_contract_end(_ends(collectivite)) is None:
        raise ValueError("a collectivité with a running contract is never purged")
    counts: dict[str, int] = dict(case.summary.get("counts", {}))
    waiting = 0
    with schema_context(collectivite.schema_name):
        for handler in tenant_data.handlers():
            removed, left = handler.purge(collectivite)
            waiting += left
            for label, count in removed.items():
                counts[label] = counts.get(label, 0) + count
    for label, count in _public_purge(collectivite).items():
        counts[label] = counts.get(label, 0) + count
    case.summary = {"counts": counts, "waiting": waiting}
    if waiting:
        case.status = RetentionCase.Status.PURGING
        case.save(update_fields=["status", "summary"])
        return case
    case.status, case.purged_at = RetentionCase.Status.PURGED, timezone.now()
    case.save(update_fields=["status", "summary", "purged_at"])
    events.personal_data_purged_event(case=case, counts=counts, actor=actor)
    return case


def _notice(case: RetentionCase, decision: RetentionDecision, today: date) -> None:
    case.status, case.noticed_on = RetentionCase.Status.NOTICED, today
    case.save(update_fields=["status", "noticed_on"])
    assert decision.purge_on is not None  # noqa: S101 - set whenever the step is NOTICE
    notices.notice_record(
        kind=SyndicateNotice.Kind.RETENTION,
        collectivite=case.collectivite,
        summary=(
            f"Les données personnelles de {case.collectivite.name} seront purgées le "
            f"{decision.purge_on:%d/%m/%Y} : dernier contrat terminé le "
            f"{decision.ended_on:%d/%m/%Y}. Proposez-lui son export de réversibilité."
        ),
        reference=f"retention:{case.pk}",
        template="syndicate_retention_notice",
        context={
            "purge_on": f"{decision.purge_on:%d/%m/%Y}",
            "ended_on": f"{decision.ended_on:%d/%m/%Y}",
            "preview_url": f"{settings.BASE_DOMAIN}/fin-adhesion/conservation/",
        },
    )
    events.retention_noticed_event(case=case, purge_on=decision.purge_on)


@transaction.atomic
def retention_step(*, collectivite: Collectivite, today: date) -> str:
    """The nightly job for one collectivité: open, notice, purge or cancel its case."""
    Collectivite.objects.select_for_update().filter(pk=collectivite.pk).first()
    decision = retention_decision(collectivite=collectivite, today=today)
    case = _current_case(collectivite)
    if (
        case is not None
        and case.status != RetentionCase.Status.PURGED
        and (decision.step is RetentionStep.KEEP or case.ended_on != decision.ended_on)
    ):
        case.status = RetentionCase.Status.CANCELLED
        case.save(update_fields=["status"])
        events.retention_cancelled_event(case=case)
        case = None
    if decision.step in (RetentionStep.KEEP, RetentionStep.DONE) or decision.ended_on is None:
        return decision.step.value
    if case is None or case.ended_on != decision.ended_on:
        case, _ = RetentionCase.objects.get_or_create(
            collectivite=collectivite, ended_on=decision.ended_on
        )
        if case.status == RetentionCase.Status.CANCELLED:  # ended again on the same day
            case.status, case.noticed_on = RetentionCase.Status.WAITING, None
            case.save(update_fields=["status", "noticed_on"])
    if decision.step is RetentionStep.NOTICE:
        _notice(case, decision, today)
    elif decision.step is RetentionStep.PURGE or case.status == RetentionCase.Status.PURGING:
        retention_purge(case=case)
    return decision.step.value


def retention_run(*, today: date) -> dict[str, int]:
    """Every collectivité that ever had a contract; counts of the steps taken."""
    done: dict[str, int] = {}
    for collectivite in Collectivite.objects.filter(subscriptions__isnull=False).distinct():
        step = retention_step(collectivite=collectivite, today=today)
        done[step] = done.get(step, 0) + 1
    return done
