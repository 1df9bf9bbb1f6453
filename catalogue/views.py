"""Catalogue pages: what a collectivité sees on its site, and the back-office's catalogue and
tariff schedules."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from catalogue import selectors, services
from catalogue.forms import AnnexForm, OfferForm, ScheduleCreateForm, TariffLineForm
from catalogue.models import Offer, TariffSchedule
from contracts import selectors as contract_selectors
from portal.access import is_syndicate_admin, member_required, staff_required
from portal.events import audit_record
from portal.models import Collectivite
from portal.selectors import audit_events_for

# --- A collectivité's site -----------------------------------------------------------------


def _schedule_today():
    row = selectors.schedule_in_force(on=timezone.localdate())
    return row, (selectors.schedule_as_domain(row) if row else None)


@member_required()
def tenant_catalogue(request):
    collectivite = request.tenant
    _, schedule = _schedule_today()
    holdings = contract_selectors.holdings_by_offer(collectivite=collectivite)
    families = selectors.families_with_offers()
    for family in families:
        for offer in family.offers.all():
            offer.price = selectors.price_summary(
                offer=offer,
                collectivite=collectivite,
                schedule=schedule,
                held=holdings.get(offer.pk, 0),
            )
    return render(request, "catalogue/tenant_catalogue.html", {"families": families})


def _offer_or_404(code: str, *, orderable_only: bool = True) -> Offer:
    try:
        return selectors.offer_get(code=code, orderable_only=orderable_only)
    except Offer.DoesNotExist as exc:
        raise Http404 from exc


@member_required()
def tenant_offer(request, code: str):
    collectivite = request.tenant
    offer = _offer_or_404(code)
    schedule_row, schedule = _schedule_today()
    held = contract_selectors.quantity_held(collectivite=collectivite, offer=offer)
    return render(
        request,
        "catalogue/tenant_offer.html",
        {
            "offer": offer,
            "price": selectors.price_summary(
                offer=offer, collectivite=collectivite, schedule=schedule, held=held
            ),
            "held": held,
            "schedule": schedule_row,
            "inclusions": selectors.inclusions_for(
                offer=offer, strate=collectivite.strate, schedule=schedule_row
            ),
            "annex": selectors.annex_current(offer=offer),
        },
    )


# --- Back-office: catalogue --------------------------------------------------------------------


@staff_required()
def backoffice_catalogue(request):
    return render(
        request,
        "catalogue/backoffice_catalogue.html",
        {"families": selectors.families_with_offers(orderable_only=False)},
    )


@staff_required()
@require_http_methods(["GET", "POST"])
def backoffice_offer(request, code: str):
    offer = _offer_or_404(code, orderable_only=False)
    form = AnnexForm(
        request.POST or None, initial={"title": f"Conditions particulières — {offer.name}"}
    )
    if request.method == "POST":
        if not is_syndicate_admin(request.user):
            raise Http404
        if form.is_valid():
            try:
                annex = services.annex_publish(
                    offer=offer,
                    title=form.cleaned_data["title"],
                    text=form.cleaned_data["text"],
                    published_by=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    f"Version {annex.version} de l'annexe publiée : elle s'applique aux devis émis "
                    "à partir de maintenant.",
                )
                return redirect("catalogue_backoffice_offer", code=offer.code)
    return render(
        request,
        "catalogue/backoffice_offer.html",
        {
            "offer": offer,
            "annexes": offer.annex_versions.select_related("published_by"),
            "form": form,
            "can_edit": is_syndicate_admin(request.user),
            "events": audit_events_for(object_type="catalogue.offer", object_id=offer.pk)[:30],
        },
    )


@staff_required(is_syndicate_admin)
@require_http_methods(["GET", "POST"])
def backoffice_offer_edit(request, code: str | None = None):
    offer = _offer_or_404(code, orderable_only=False) if code else None
    form = OfferForm(request.POST or None, instance=offer)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            audit_record(
                action="offer.created" if offer is None else "offer.updated",
                obj=saved,
                actor=request.user,
                summary=f"Offre « {saved.name} » {'créée' if offer is None else 'modifiée'} "
                f"({', '.join(form.changed_data) or 'aucun changement'}).",
            )
        messages.success(request, "L'offre est enregistrée.")
        return redirect("catalogue_backoffice_offer", code=saved.code)
    return render(request, "catalogue/backoffice_offer_form.html", {"form": form, "offer": offer})


# --- Back-office: tariff schedules ---------------------------------------------------------------


def _schedule_or_404(pk: int) -> TariffSchedule:
    try:
        return selectors.schedule_detail(pk=pk)
    except TariffSchedule.DoesNotExist as exc:
        raise Http404 from exc


@staff_required()
def backoffice_schedules(request):
    today = timezone.localdate()
    return render(
        request,
        "catalogue/backoffice_schedules.html",
        {
            "schedules": TariffSchedule.objects.all(),
            "in_force": selectors.schedule_in_force(on=today),
            "can_edit": is_syndicate_admin(request.user),
        },
    )


@staff_required(is_syndicate_admin)
@require_http_methods(["GET", "POST"])
def backoffice_schedule_create(request):
    form = ScheduleCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            draft = services.schedule_create_from_current(
                **form.cleaned_data, created_by=request.user, today=timezone.localdate()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                "Projet de grille créé à partir de la grille en vigueur : ajustez ses prix.",
            )
            return redirect("catalogue_backoffice_schedule", pk=draft.pk)
    return render(request, "catalogue/backoffice_schedule_form.html", {"form": form})


@staff_required()
def backoffice_schedule(request, pk: int):
    schedule = _schedule_or_404(pk)
    today = timezone.localdate()
    is_draft = schedule.status == TariffSchedule.Status.DRAFT
    return render(
        request,
        "catalogue/backoffice_schedule.html",
        {
            "schedule": schedule,
            "is_draft": is_draft,
            "problems": services.schedule_problems(schedule, today=today) if is_draft else [],
            "can_edit": is_syndicate_admin(request.user),
            "inclusions": schedule.inclusions.select_related("offer").order_by(
                "offer__name", "position", "item", "strate"
            ),
            "events": audit_events_for(
                object_type="catalogue.tariffschedule", object_id=schedule.pk
            ),
        },
    )


@staff_required(is_syndicate_admin)
@require_http_methods(["GET", "POST"])
def backoffice_schedule_line(request, pk: int, line_id: int):
    schedule = _schedule_or_404(pk)
    line = next((li for li in schedule.lines.all() if li.pk == line_id), None)
    if line is None:
        raise Http404
    if schedule.status != TariffSchedule.Status.DRAFT:
        messages.error(request, services.SCHEDULE_NOT_DRAFT)
        return redirect("catalogue_backoffice_schedule", pk=schedule.pk)
    form = TariffLineForm(request.POST or None, line=line)
    if request.method == "POST" and form.is_valid():
        try:
            services.schedule_line_update(
                line=line,
                unit_price=form.cleaned_data["unit_price"],
                strate_prices=form.strate_prices(),
                first_free_quantity=form.cleaned_data["first_free_quantity"],
                vat_rate=form.cleaned_data["vat_rate"],
                vat_exemption=form.cleaned_data["vat_exemption"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Tarif de « {line.offer.name} » enregistré.")
            return redirect("catalogue_backoffice_schedule", pk=schedule.pk)
    return render(
        request,
        "catalogue/backoffice_schedule_line.html",
        {"schedule": schedule, "line": line, "form": form},
    )


@staff_required(is_syndicate_admin)
@require_POST
def backoffice_schedule_publish(request, pk: int):
    schedule = _schedule_or_404(pk)
    try:
        services.schedule_publish(
            schedule=schedule, published_by=request.user, today=timezone.localdate()
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            f"Grille publiée : elle s'applique à partir du {schedule.effective_from:%d/%m/%Y}.",
        )
    return redirect("catalogue_backoffice_schedule", pk=schedule.pk)


PREVIEW_PAGE_SIZE = 50


@staff_required()
def backoffice_schedule_preview(request, pk: int):
    schedule = _schedule_or_404(pk)
    today = timezone.localdate()
    # Paginated (issue 19): priced for one page of collectivités at a time.
    page = Paginator(Collectivite.objects.order_by("name", "pk"), PREVIEW_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = selectors.schedule_preview(draft=schedule, today=today, collectivites=page)
    return render(
        request,
        "catalogue/backoffice_schedule_preview.html",
        {
            "schedule": schedule,
            "rows": rows,
            "page": page,
            "in_force": selectors.schedule_in_force(on=today),
            "today": today,
        },
    )
