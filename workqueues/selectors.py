"""What waits for each person: one function per role returning small dataclasses, each queue
with its count and its items oldest first. Every function runs a fixed number of queries
whatever the number of rows (tests/workqueues checks it at two data sizes).

Cross-collectivité queues (quota requests, provisioning failures) go through the named
selectors of `accounts.selectors` only: their implementation reads a public-schema projection
(the Scale issue), never every tenant schema from here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import selectors as account_selectors
from accounts.models import QuotaRequest, ServiceAccount
from billing import selectors as billing_selectors
from billing.models import BillingRun, ExportJob, Invoice
from contracts import rules
from contracts import selectors as contract_selectors
from contracts.models import Quote, QuoteLine, ServiceRequest, Subscription
from portal.grammar import of_name
from portal.models import Collectivite, Membership, Role, User
from portal.selectors import first_rows_and_count
from portal.templatetags.portal_format import euros

# Items listed per queue on a home page; the count and the "see all" link give the rest.
ITEMS_SHOWN = 5
# Renewals appear this long before the last day to give notice (S3: two months' notice).
RENEWAL_WINDOW_DAYS = 92
ANSWERS_SHOWN_DAYS = 30
RUN_FAILURES_DAYS = 92
EXPORTS_READY_DAYS = 30


@dataclass(frozen=True)
class QueueItem:
    label: str
    url: str
    detail: str = ""
    urgent: bool = False


@dataclass(frozen=True)
class Queue:
    """One kind of work: how many wait, the oldest first, and where to see them all."""

    key: str
    title: str
    count: int
    items: tuple[QueueItem, ...]
    more_url: str = ""
    empty: str = ""

    @property
    def hidden(self) -> int:
        return max(0, self.count - len(self.items))


@dataclass(frozen=True)
class Gauge:
    label: str
    used: int
    subscribed: int

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.used / self.subscribed)) if self.subscribed else 100


@dataclass(frozen=True)
class WorkQueues:
    """A home page's work, and the badges of the navigation (the same counts)."""

    queues: tuple[Queue, ...]
    gauges: tuple[Gauge, ...] = ()
    badges: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(q.count for q in self.queues)

    def get(self, key: str) -> Queue | None:
        return next((q for q in self.queues if q.key == key), None)


def _queue(key, title, items: list[QueueItem], more_url="", empty="", count=None) -> Queue:
    """`count` when only the first items were read (`_head`), else all of them are here."""
    return Queue(
        key,
        title,
        len(items) if count is None else count,
        tuple(items[:ITEMS_SHOWN]),
        more_url,
        empty,
    )


def _head(queryset) -> tuple[list, int]:
    """The rows a home page shows of a syndicate-wide queue, and how many wait: one query
    that reads `ITEMS_SHOWN` rows whatever the number of collectivités."""
    return first_rows_and_count(queryset, ITEMS_SHOWN)


def _d(day: date | datetime) -> str:
    return f"{day:%d/%m/%Y}"


# --- A collectivité's site ------------------------------------------------------------------


def days_left_text(valid_until: date, today: date) -> str:
    days = (valid_until - today).days
    if days <= 0:
        return _("à signer aujourd'hui au plus tard (dernier jour)")
    return ngettext(
        "à signer au plus tard le %(date)s : plus que %(n)d jour",
        "à signer au plus tard le %(date)s : plus que %(n)d jours",
        days,
    ) % {"date": _d(valid_until), "n": days}


def signatory_queues(*, collectivite: Collectivite, today: date) -> list[Queue]:
    quotes = list(
        Quote.objects.filter(
            collectivite=collectivite, status=Quote.Status.SENT, valid_until__gte=today
        ).order_by("valid_until", "id")
    )
    to_sign = [
        QueueItem(
            _("Devis %(ref)s — %(title)s") % {"ref": q.reference, "title": q.title},
            reverse("quote_detail", args=[q.pk]),
            days_left_text(q.valid_until, today),
            urgent=(q.valid_until - today).days <= 7,
        )
        for q in quotes
    ]
    agreement = contract_selectors.framework_to_sign(collectivite=collectivite, on=today)
    framework = []
    if agreement is not None:
        framework.append(
            QueueItem(
                _("Convention cadre « %(title)s »") % {"title": agreement.title},
                reverse("quote_detail", args=[quotes[0].pk]) if quotes else reverse("requests"),
                _("à signer avec votre prochain devis : elle est présentée à la signature")
                if quotes
                else _("à signer avec votre premier devis"),
            )
        )
    return [
        _queue(
            "quotes_to_sign",
            _("Devis à signer"),
            to_sign,
            reverse("requests"),
            _("Aucun devis n'attend votre signature."),
        ),
        _queue("framework_to_sign", _("Convention cadre à signer"), framework),
        _queue(
            "renewals",
            _("Reconductions à venir"),
            renewal_items(collectivite=collectivite, today=today),
            reverse("contracts"),
            _("Aucune reconduction dans les trois prochains mois."),
        ),
    ]


def renewal_items(*, collectivite: Collectivite, today: date) -> list[QueueItem]:
    """Running subscriptions whose last day to give notice comes within the window (S2, S3)."""
    rows = []
    for sub in Subscription.objects.filter(
        collectivite=collectivite, status=Subscription.Status.ACTIVE, ends_on__isnull=True
    ).select_related("offer"):
        deadline, anniversary = rules.notice_deadline(sub.activated_on, today)
        if (deadline - today).days <= RENEWAL_WINDOW_DAYS:
            rows.append((deadline, anniversary, sub))
    rows.sort(key=lambda r: (r[0], r[2].pk))
    return [
        QueueItem(
            sub.offer.name,
            reverse("contracts") + f"#abonnement-{sub.pk}",
            _(
                "reconduit pour un an le %(renewal)s ; pour l'arrêter, résiliez au plus tard "
                "le %(deadline)s"
            )
            % {"renewal": _d(anniversary), "deadline": _d(deadline)},
            urgent=(deadline - today).days <= 15,
        )
        for deadline, anniversary, sub in rows
    ]


def functional_admin_queues(
    *, collectivite: Collectivite, today: date, now: datetime
) -> tuple[list[Queue], list[Gauge]]:
    attention = [
        QueueItem(
            f"{a.display_name} — {a.offer.name}",
            reverse("account_detail", args=[a.pk]),
            (
                _("création en échec : %(reason)s") % {"reason": a.failure_reason}
                if a.state == ServiceAccount.State.FAILED
                else _("en cours de création depuis le %(date)s") % {"date": _d(a.created_at)}
            ),
            urgent=a.state == ServiceAccount.State.FAILED,
        )
        for a in account_selectors.accounts_needing_attention()
    ]
    full = [
        QueueItem(
            f"{a.display_name} — {a.offer.name}",
            reverse("account_detail", args=[a.pk]),
            _("%(percent)d %% de l'espace utilisé")
            % {"percent": min(100, round(100 * a.used_bytes / a.quota_bytes))},
            urgent=a.used_bytes >= a.quota_bytes,
        )
        for a in account_selectors.accounts_nearly_full()
    ]
    quota = [
        QueueItem(
            _("+%(gb)d Go pour %(name)s") % {"gb": r.extra_gb, "name": r.account.display_name},
            reverse("account_detail", args=[r.account_id]),
            _quota_answer(r),
            urgent=r.status == QuotaRequest.Status.REFUSED,
        )
        for r in account_selectors.quota_requests_with_answers(
            answered_since=now - timedelta(days=ANSWERS_SHOWN_DAYS)
        )
    ]
    gauges = [
        Gauge(g.offer_name, g.used, g.subscribed)
        for g in account_selectors.seat_gauges(collectivite=collectivite, today=today)
    ]
    return [
        _queue(
            "accounts_attention",
            _("Comptes en création ou en échec"),
            attention,
            reverse("accounts"),
            _("Aucun compte en attente ni en échec."),
        ),
        _queue(
            "accounts_full",
            _("Comptes pleins à plus de 90 %"),
            full,
            reverse("accounts"),
            _("Aucun compte n'approche de son quota."),
        ),
        _queue(
            "quota_requests",
            _("Demandes d'espace et réponses du syndicat"),
            quota,
            reverse("accounts"),
            _("Aucune demande d'espace en cours."),
        ),
    ], gauges


def _quota_answer(request: QuotaRequest) -> str:
    if request.status == QuotaRequest.Status.PENDING:
        return _("demandée le %(date)s, en attente du syndicat") % {
            "date": _d(request.requested_at)
        }
    if request.status == QuotaRequest.Status.APPROVED:
        return _("accordée le %(date)s") % {"date": _d(request.decided_at)}
    return _("refusée le %(date)s : %(reason)s") % {
        "date": _d(request.decided_at),
        "reason": request.refusal_reason,
    }


def request_standing(service_request: ServiceRequest, quotes: list[Quote], today: date) -> str:
    """Where a request stands, in the collectivité's words."""
    if not quotes:
        return _("transmise le %(date)s : le syndicat prépare le devis") % {
            "date": _d(service_request.submitted_at)
        }
    quote = quotes[0]
    return _("devis %(ref)s %(state)s") % {
        "ref": quote.reference,
        "state": rules.quote_state_words(quote.status, quote.valid_until, today),
    }


def _settled_long_ago(quote: Quote, today: date) -> bool:
    """A request whose quote was settled more than a month ago no longer waits for anyone."""
    if quote.status not in rules.QUOTE_SETTLED_STATES:
        return False
    settled = quote.decided_at or quote.expired_at
    return settled is None or (today - settled.date()).days > ANSWERS_SHOWN_DAYS


def agent_queues(*, collectivite: Collectivite, user: User, today: date) -> list[Queue]:
    sent_quotes = Prefetch(
        "quotes",
        queryset=Quote.objects.exclude(status=Quote.Status.DRAFT).order_by("-id"),
        to_attr="sent_quotes",
    )
    requests = (
        ServiceRequest.objects.filter(collectivite=collectivite)
        .filter(Q(submitted_by=user) | Q(created_by=user))
        .exclude(status=ServiceRequest.Status.DRAFT)
        .prefetch_related(sent_quotes)
        .order_by("submitted_at", "id")
    )
    items = []
    for r in requests:
        latest = r.sent_quotes[0] if r.sent_quotes else None
        if latest is not None and _settled_long_ago(latest, today):
            continue
        items.append(
            QueueItem(
                _("Demande n° %(pk)d") % {"pk": r.pk},
                reverse("quote_detail", args=[latest.pk]) if latest else reverse("requests"),
                request_standing(r, r.sent_quotes, today),
            )
        )
    draft = (
        ServiceRequest.objects.filter(collectivite=collectivite, status=ServiceRequest.Status.DRAFT)
        .annotate(n=Count("lines"))
        .filter(n__gt=0)
        .first()
    )
    if draft is not None:
        items.append(
            QueueItem(
                _("Demande en cours de rédaction"),
                reverse("request_draft"),
                ngettext(
                    "%(n)d service, pas encore transmise au syndicat",
                    "%(n)d services, pas encore transmise au syndicat",
                    draft.n,
                )
                % {"n": draft.n},
            )
        )
    return [
        _queue(
            "my_requests",
            _("Vos demandes et où elles en sont"),
            items,
            reverse("requests"),
            _("Aucune demande en cours."),
        )
    ]


def tenant_work(
    *, collectivite: Collectivite, user: User, roles: set[str], today: date, now: datetime
) -> WorkQueues:
    queues: list[Queue] = []
    gauges: list[Gauge] = []
    if Role.SIGNATORY in roles:
        queues += signatory_queues(collectivite=collectivite, today=today)
    if Role.FUNCTIONAL_ADMIN in roles:
        admin, gauges = functional_admin_queues(collectivite=collectivite, today=today, now=now)
        queues += admin
    queues += agent_queues(collectivite=collectivite, user=user, today=today)
    counts = {q.key: q.count for q in queues}
    badges = {
        "requests": counts.get("quotes_to_sign", 0) + counts.get("framework_to_sign", 0),
        "contracts": counts.get("renewals", 0),
    }
    if Role.FUNCTIONAL_ADMIN in roles:  # the only ones whose navigation shows "Comptes"
        badges["accounts"] = (
            counts.get("accounts_attention", 0)
            + counts.get("accounts_full", 0)
            + counts.get("quota_requests", 0)
        )
    return WorkQueues(tuple(queues), tuple(gauges), badges)


# --- The back-office ------------------------------------------------------------------------


def syndicate_admin_queues(*, today: date) -> list[Queue]:
    rows, requests_count = _head(
        ServiceRequest.objects.filter(status=ServiceRequest.Status.SUBMITTED)
        .select_related("collectivite")
        .order_by("submitted_at", "id")
    )
    requests = [
        QueueItem(
            _("Demande n° %(pk)d %(of)s") % {"pk": r.pk, "of": of_name(r.collectivite.name)},
            reverse("backoffice_request", args=[r.pk]),
            _("transmise le %(date)s") % {"date": _d(r.submitted_at)},
        )
        for r in rows
    ]
    rows, accepted_count = _head(
        Quote.objects.filter(status=Quote.Status.ACCEPTED)
        .select_related("collectivite", "acceptance")
        .order_by("acceptance__signed_at", "id")
    )
    accepted = [
        QueueItem(
            _("Devis %(ref)s %(of)s") % {"ref": q.reference, "of": of_name(q.collectivite.name)},
            reverse("quote_backoffice", args=[q.pk]),
            _("signé le %(date)s, à approuver") % {"date": _d(q.acceptance.signed_at)}
            if hasattr(q, "acceptance")
            else _("signé, à approuver"),
        )
        for q in rows
    ]
    lines_left = (
        QuoteLine.objects.filter(quote=OuterRef("pk"), activated_on__isnull=True)
        .values("quote")
        .annotate(n=Count("pk"))
        .values("n")
    )
    orders = list(
        Quote.objects.filter(status=Quote.Status.APPROVED)
        .annotate(to_activate=Coalesce(Subquery(lines_left), 0))
        .filter(to_activate__gt=0)
        .annotate(lines_in_all=Window(Sum("to_activate")))  # every order's, before the LIMIT
        .select_related("collectivite")
        .order_by("decided_at", "id")[:ITEMS_SHOWN]
    )
    lines = [
        QueueItem(
            _("Commande %(ref)s %(of)s") % {"ref": q.reference, "of": of_name(q.collectivite.name)},
            reverse("quote_backoffice", args=[q.pk]) + "#lignes-titre",
            ngettext("%(n)d ligne à activer", "%(n)d lignes à activer (en une fois)", q.to_activate)
            % {"n": q.to_activate},
        )
        for q in orders
    ]
    lines_queue = _queue(
        "lines_to_activate",
        _("Lignes à activer"),
        lines,
        reverse("work_queue") + "?status=approved",
        _("Aucune ligne à activer."),
        orders[0].lines_in_all if orders else 0,  # lines, not orders
    )
    pending, quota_count = account_selectors.quota_requests_pending_head(limit=ITEMS_SHOWN)
    quota = [
        QueueItem(
            _("+%(gb)d Go pour %(holder)s %(of)s")
            % {"gb": r.extra_gb, "holder": r.holder, "of": of_name(r.collectivite_name)},
            reverse("quota_queue"),
            _("demandée le %(date)s") % {"date": _d(r.requested_at)},
        )
        for r in pending
    ]
    failed, failures_count = account_selectors.provisioning_failures_head(limit=ITEMS_SHOWN)
    failures = [
        QueueItem(
            _("%(holder)s (%(login)s) %(of)s")
            % {"holder": f.holder, "login": f.login, "of": of_name(f.collectivite.name)},
            reverse("collectivite_accounts", args=[f.collectivite_id]),
            f.failure_reason or _("échec sans motif enregistré"),
            urgent=True,
        )
        for f in failed
    ]
    rows, referents_count = _head(
        Membership.objects.filter(
            role=Role.VISIO_REFERENT, trained_on__isnull=True, collectivite__is_active=True
        )
        .select_related("user", "collectivite")
        .order_by("created_at", "id")
    )
    referents = [
        QueueItem(
            _("%(name)s, référent visio %(of)s")
            % {"name": m.user, "of": of_name(m.collectivite.name)},
            reverse("collectivite_accounts", args=[m.collectivite_id]) + "#formation-titre",
            _("désigné le %(date)s, formation obligatoire non suivie") % {"date": _d(m.created_at)},
        )
        for m in rows
    ]
    return [
        _queue(
            "requests_to_quote",
            _("Demandes à chiffrer"),
            requests,
            reverse("work_queue") + "?status=submitted",
            _("Aucune demande à chiffrer."),
            requests_count,
        ),
        _queue(
            "quotes_to_approve",
            _("Devis acceptés à approuver"),
            accepted,
            reverse("work_queue") + "?status=accepted",
            _("Aucun devis à approuver."),
            accepted_count,
        ),
        lines_queue,
        _queue(
            "quota_requests",
            _("Demandes d'espace"),
            quota,
            reverse("quota_queue"),
            _("Aucune demande d'espace en attente."),
            quota_count,
        ),
        _queue(
            "provisioning_failures",
            _("Échecs de création de comptes"),
            failures,
            "",
            _("Aucun échec de création de compte."),
            failures_count,
        ),
        _queue(
            "referents_training",
            _("Référents visio en attente de formation"),
            referents,
            "",
            _("Aucun référent en attente de formation."),
            referents_count,
        ),
        *_assistance_and_membership_queues(),
    ]


def _assistance_and_membership_queues() -> list[Queue]:
    """What the apps merged after the first queues add to the syndicate's day: support
    requests nobody has taken (issue 12), notices to take into account (L3, issue 15) and
    training sessions flagged as too small (F2, issue 14). One query each."""
    from lifecycle import selectors as lifecycle_selectors
    from support.models import Priority, Ticket
    from support.models import Status as TicketStatus
    from trainings.models import Session

    rows, tickets_count = _head(
        Ticket.objects.filter(status=TicketStatus.NEW, assignee__isnull=True)
        .select_related("collectivite")
        .order_by("opened_at", "id")
    )
    tickets = [
        QueueItem(
            _("%(number)s %(subject)s %(of)s")
            % {"number": t.number, "subject": t.subject, "of": of_name(t.collectivite.name)},
            reverse("support_backoffice_ticket", args=[t.pk]),
            _("ouverte le %(date)s") % {"date": _d(t.opened_at)},
            urgent=t.priority == Priority.BLOCKING,
        )
        for t in rows
    ]
    rows, notices_count = _head(lifecycle_selectors.notices_pending().order_by("created_at", "id"))
    notices = [
        QueueItem(
            n.summary,
            reverse("lifecycle_notices"),
            _("le %(date)s") % {"date": _d(n.created_at)},
        )
        for n in rows
    ]
    rows, sessions_count = _head(
        Session.objects.filter(undersized_flagged_on__isnull=False, status=Session.Status.PLANNED)
        .select_related("training")
        .order_by("starts_at", "id")
    )
    sessions = [
        QueueItem(
            str(s),
            reverse("trainings_backoffice_session", args=[s.pk]),
            _("signalée le %(date)s : moins d'inscrits que le minimum")
            % {"date": _d(s.undersized_flagged_on)},
            urgent=True,
        )
        for s in rows
    ]
    return [
        _queue(
            "support_new",
            _("Demandes d'assistance à prendre"),
            tickets,
            reverse("support_queue"),
            _("Aucune demande d'assistance en attente."),
            tickets_count,
        ),
        _queue(
            "notices",
            _("Avis des collectivités à prendre en compte"),
            notices,
            reverse("lifecycle_notices"),
            _("Aucun avis en attente."),
            notices_count,
        ),
        _queue(
            "sessions_undersized",
            _("Sessions de formation trop peu remplies"),
            sessions,
            reverse("trainings_backoffice"),
            _("Aucune session sous le minimum."),
            sessions_count,
        ),
    ]


def finance_queues(*, today: date, now: datetime) -> list[Queue]:
    rows, runs_count = _head(
        BillingRun.objects.filter(
            dry_run=False, created_at__gte=now - timedelta(days=RUN_FAILURES_DAYS)
        )
        .filter(Q(status=BillingRun.Status.FAILED) | ~Q(failures=[]))
        .order_by("created_at", "id")
    )
    runs = [
        QueueItem(
            str(run),
            reverse("billing_run", args=[run.pk]),
            (
                ngettext(
                    "%(n)d collectivité en échec", "%(n)d collectivités en échec", len(run.failures)
                )
                % {"n": len(run.failures)}
                if run.failures
                else _("campagne en échec")
            ),
            urgent=True,
        )
        for run in rows
    ]
    unpaid, overdue_count, to_record_count = _unpaid_heads(today)
    overdue = [
        QueueItem(
            _("Facture %(number)s %(of)s")
            % {"number": i.number, "of": of_name(i.collectivite.name)},
            reverse("invoice_backoffice", args=[i.pk]),
            ngettext(
                "échue depuis %(n)d jour, reste dû %(amount)s",
                "échue depuis %(n)d jours, reste dû %(amount)s",
                (today - i.due_date).days,
            )
            % {"n": (today - i.due_date).days, "amount": euros(i.balance)},
            urgent=True,
        )
        for i in unpaid
        if i.late
    ]
    to_record = [
        QueueItem(
            _("Facture %(number)s %(of)s")
            % {"number": i.number, "of": of_name(i.collectivite.name)},
            reverse("invoice_backoffice", args=[i.pk]) + "#paiement-form-titre",
            _("échéance le %(date)s, reste dû %(amount)s")
            % {"date": _d(i.due_date), "amount": euros(i.balance)},
        )
        for i in unpaid
        if not i.late
    ]
    rows, exports_count = _head(
        ExportJob.objects.filter(
            status=ExportJob.Status.DONE,
            finished_at__gte=now - timedelta(days=EXPORTS_READY_DAYS),
        ).order_by("finished_at", "id")
    )
    exports = [
        QueueItem(
            str(job),
            reverse("billing_export", args=[job.pk]),
            _("prêt depuis le %(date)s") % {"date": _d(job.finished_at)},
        )
        for job in rows
    ]
    rows, suspensions_count = _head(_suspensions_to_decide())
    return [
        _queue(
            "runs_failed",
            _("Campagnes de facturation avec des échecs"),
            runs,
            reverse("billing_runs"),
            _("Aucune campagne en échec."),
            runs_count,
        ),
        _queue(
            "invoices_overdue",
            _("Factures échues non payées"),
            overdue,
            reverse("invoices_unpaid"),
            _("Aucune facture échue."),
            overdue_count,
        ),
        _queue(
            "payments_to_record",
            _("Paiements à enregistrer"),
            to_record,
            reverse("invoices_unpaid"),
            _("Aucune facture en attente de paiement."),
            to_record_count,
        ),
        _queue(
            "exports_ready",
            _("Exports prêts"),
            exports,
            reverse("billing_exports"),
            _("Aucun export récent."),
            exports_count,
        ),
        _queue(
            "suspensions_to_decide",
            _("Suspensions pour impayé à décider"),
            [
                QueueItem(
                    _("%(name)s — facture %(number)s")
                    % {"name": s.collectivite.name, "number": s.invoice.number},
                    reverse("lifecycle_suspensions"),
                    _("proposée le %(date)s") % {"date": _d(s.proposed_on)},
                    urgent=True,
                )
                for s in rows
            ],
            reverse("lifecycle_suspensions"),
            _("Aucune suspension à décider."),
            suspensions_count,
        ),
    ]


def _unpaid_heads(today: date) -> tuple[list[Invoice], int, int]:
    """The first unpaid invoices already due and the first not yet due (each marked `late`
    or not), with how many of each there are — one query reading at most twice
    `ITEMS_SHOWN` rows however many invoices are unpaid (a numbering within each part)."""
    late = Case(
        When(due_date__lt=today, then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    rows = list(
        billing_selectors.invoices_with_balance(Invoice.objects.select_related("collectivite"))
        .filter(balance__gt=0)
        .annotate(
            late=late,
            rank=Window(RowNumber(), partition_by=[late], order_by=[F("due_date"), F("number")]),
            in_part=Window(Count("pk"), partition_by=[late]),
        )
        .filter(rank__lte=ITEMS_SHOWN)
        .order_by("due_date", "number")
    )
    late_rows = [r for r in rows if r.late]
    due_rows = [r for r in rows if not r.late]
    return (
        rows,
        late_rows[0].in_part if late_rows else 0,
        due_rows[0].in_part if due_rows else 0,
    )


def _suspensions_to_decide():
    from lifecycle import selectors as lifecycle_selectors  # L2, issue 15

    return lifecycle_selectors.suspensions_to_decide()


def backoffice_work(*, admin: bool, finance: bool, today: date, now: datetime) -> WorkQueues:
    queues: list[Queue] = []
    if admin:
        queues += syndicate_admin_queues(today=today)
    if finance:
        queues += finance_queues(today=today, now=now)
    counts = {q.key: q.count for q in queues}
    badges = {
        "work_queue": counts.get("requests_to_quote", 0)
        + counts.get("quotes_to_approve", 0)
        + counts.get("lines_to_activate", 0),
        "quota_queue": counts.get("quota_requests", 0),
        "invoices": counts.get("invoices_overdue", 0) + counts.get("payments_to_record", 0),
        "billing": counts.get("runs_failed", 0) + counts.get("exports_ready", 0),
        "support": counts.get("support_new", 0),
    }
    return WorkQueues(tuple(queues), (), badges)
