"""The accounts' side of the end of a membership (issue 15), registered with lifecycle
(lifecycle/tenant_data.py): what a purge removes from this schema (P5), the suspension and
its lifting (L2), and the accounts' part of the reversibility export. Runs in the
collectivité's schema; provisioning goes through the same tasks as every other change
(accounts/tasks.py), queued on commit."""

from __future__ import annotations

import csv
import io

from django.db import transaction
from django.utils import timezone

from accounts.models import ProvisioningEvent, QuotaRequest, ServiceAccount
from accounts.services import _queue, event

OPEN = (ServiceAccount.State.ACTIVE, ServiceAccount.State.CLOSING)
CLOSED_BY_RETENTION = "Fin de la conservation des données (un an après le dernier contrat)."


class AccountsData:
    name = "comptes"

    def inventory(self, collectivite) -> dict[str, int]:
        return {
            "comptes de service": ServiceAccount.objects.count(),
            "comptes encore présents dans les systèmes": ServiceAccount.objects.exclude(
                state=ServiceAccount.State.PURGED
            ).count(),
            "demandes d'espace": QuotaRequest.objects.count(),
            "journal de provisionnement (lignes)": ProvisioningEvent.objects.count(),
        }

    @transaction.atomic
    def purge(self, collectivite) -> tuple[dict[str, int], int]:
        """Rows of accounts already purged from every system go; the others are sent to the
        systems' purge first (A3's own operation) and go at a later run."""
        today = timezone.localdate()
        waiting = 0
        for account in ServiceAccount.objects.select_for_update().exclude(
            state=ServiceAccount.State.PURGED
        ):
            waiting += 1
            if account.state == ServiceAccount.State.CLOSED and not account.failure_reason:
                continue  # its purge is under way
            account.state = ServiceAccount.State.CLOSED
            account.closed_on = account.closed_on or today
            account.close_reason = account.close_reason or CLOSED_BY_RETENTION[:200]
            account.failure_reason = ""
            account.save(update_fields=["state", "closed_on", "close_reason", "failure_reason"])
            event(
                account,
                action="purge",
                outcome=ProvisioningEvent.Outcome.INFO,
                message=CLOSED_BY_RETENTION,
            )
            _queue("purge", account)
        purged = ServiceAccount.objects.filter(state=ServiceAccount.State.PURGED)
        quota_requests, _ = QuotaRequest.objects.filter(account__in=purged).delete()
        events, _ = ProvisioningEvent.objects.filter(account__in=purged).delete()
        accounts, _ = purged.delete()
        return (
            {
                "comptes de service": accounts,
                "demandes d'espace": quota_requests,
                "journal de provisionnement (lignes)": events,
            },
            waiting,
        )

    @transaction.atomic
    def suspend(self, collectivite, *, actor) -> int:
        return self._switch(
            "disable", "Suspension pour défaut de paiement : désactivation du compte.", actor
        )

    @transaction.atomic
    def resume(self, collectivite, *, actor) -> int:
        return self._switch("enable", "Paiement reçu : le compte est réactivé.", actor)

    def _switch(self, operation: str, message: str, actor) -> int:
        count = 0
        for account in ServiceAccount.objects.filter(state__in=OPEN):
            event(
                account,
                action=operation,
                outcome=ProvisioningEvent.Outcome.INFO,
                message=message,
                actor=actor,
            )
            _queue(operation, account)
            count += 1
        return count

    def export(self, collectivite) -> dict[str, bytes]:
        accounts = ServiceAccount.objects.select_related("offer").order_by("id")
        return {
            "comptes.csv": _csv(
                [
                    "id",
                    "service",
                    "offre",
                    "identifiant",
                    "prénom",
                    "nom",
                    "adresse du titulaire",
                    "adresse de messagerie",
                    "salle",
                    "quota (octets)",
                    "quota supplémentaire (Go)",
                    "espace utilisé (octets)",
                    "état",
                    "créé le",
                    "fermé le",
                ],
                [
                    [
                        a.pk,
                        a.get_kind_display(),
                        a.offer.name,
                        a.login,
                        a.given_name,
                        a.surname,
                        a.email,
                        a.mailbox,
                        a.room_name,
                        a.quota_bytes if a.quota_bytes is not None else "",
                        a.extra_quota_gb,
                        a.used_bytes if a.used_bytes is not None else "",
                        a.get_state_display(),
                        f"{timezone.localtime(a.created_at):%d/%m/%Y}",
                        f"{a.closed_on:%d/%m/%Y}" if a.closed_on else "",
                    ]
                    for a in accounts
                ],
            ),
            "demandes_espace.csv": _csv(
                [
                    "id",
                    "compte",
                    "Go demandés",
                    "motif",
                    "statut",
                    "demandée le",
                    "raison du refus",
                ],
                [
                    [
                        q.pk,
                        q.account_id,
                        q.extra_gb,
                        q.reason,
                        q.get_status_display(),
                        f"{timezone.localtime(q.requested_at):%d/%m/%Y}",
                        q.refusal_reason,
                    ]
                    for q in QuotaRequest.objects.order_by("id")
                ],
            ),
        }


def _csv(header: list[str], rows: list[list]) -> bytes:
    """UTF-8 with BOM and semicolons: what a French spreadsheet opens as is."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
