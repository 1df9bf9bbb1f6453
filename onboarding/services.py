"""The import of a syndicate's existing members: a dry run that lists every error by file,
line and column, then an all-or-nothing import (one transaction: collectivités and their
schemas, invitations of their people with their roles, running subscriptions with their
contract years up to today), recorded in the audit log.

Collectivités in the people and subscriptions files are named by SIRET: one of the
collectivités file, or one already on the portal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from onboarding import domain, files
from onboarding.models import ImportBatch
from portal import domain as portal_domain
from portal import events, members, services
from portal.models import Collectivite, Invitation, Membership, Role, User
from portal.outbox import outbox_send
from portal.tenancy import tenant_schema_create

NO_FILE = "Envoyez au moins un fichier."
DUPLICATE_SLUG = "identifiant déjà utilisé ligne {line}."
DUPLICATE_SIRET = "SIRET déjà utilisé ligne {line}."
NO_ADMIN = (
    "aucune personne du fichier des personnes n'a le rôle « administrateur fonctionnel » pour "
    "cette collectivité : il en faut un, invité à sa création."
)
UNKNOWN_COLLECTIVITE = "aucune collectivité de ce SIRET, ni sur le portail ni dans le fichier."
DUPLICATE_PERSON = "cette personne figure déjà ligne {line} pour la même collectivité."
ROLES_HELD = "cette personne a déjà ces rôles dans la collectivité."
ALREADY_INVITED = "une invitation est déjà en attente pour cette adresse."
UNKNOWN_OFFER = "aucune offre annuelle du catalogue n'a le code « {code} »."
DUPLICATE_SUBSCRIPTION = "cette offre figure déjà ligne {line} pour la même collectivité."
RUNNING_SUBSCRIPTION = "la collectivité a déjà un abonnement en cours à cette offre."
ACTIVATION_IN_FUTURE = "la date d'activation ne peut pas être dans le futur."
ENGAGEMENT_TOO_LONG = "60 caractères au plus."
NOT_CHECKED = "Cet import a déjà été lancé."
HAS_ERRORS = "Le fichier comporte des erreurs : corrigez-les puis envoyez-le de nouveau."

# The collectivité service's fields → the columns of the collectivités file.
FIELD_COLUMNS = {
    "name": "nom",
    "slug": "identifiant",
    "kind": "nature",
    "siret": "siret",
    "population": "population",
    "agent_count": "agents",
    "service_code": "code_service",
    "address": "adresse",
    "postcode": "code_postal",
    "city": "ville",
    "contact_email": "courriel",
    "mail_domain": "domaine_messagerie",
}


@dataclass
class Checked:
    errors: list[dict]
    collectivites: list[dict]  # {"line", "input": CollectiviteInput}
    people: list[dict]  # {"line", "siret", "email", "name", "roles"}
    subscriptions: list[dict]  # {"line", "siret", "offer", "quantity", "activated_on", ...}


def _error(errors: list, kind: str, line: int, column: str, message: str) -> None:
    errors.append({"file": kind, "line": line, "column": column, "message": message})


def _required(errors, kind, row, names) -> bool:
    ok = True
    for name in names:
        if not row.get(name):
            _error(errors, kind, row["line"], name, domain.REQUIRED)
            ok = False
    return ok


_INVALID = object()


def _cell(errors, kind: str, row: dict, column: str, parse):
    """`parse(row[column])`, or _INVALID with the error recorded at its line and column."""
    try:
        return parse(row.get(column, ""))
    except domain.CellError as exc:
        _error(errors, kind, row["line"], column, str(exc))
        return _INVALID


def _check_collectivites(rows: list[dict], errors: list) -> list[dict]:
    seen_slug: dict[str, int] = {}
    seen_siret: dict[str, int] = {}
    found = []
    for row in rows:
        line = row["line"]
        if not _required(errors, "collectivites", row, ("nom", "identifiant", "nature", "siret")):
            continue
        parsed = {
            "kind": _cell(errors, "collectivites", row, "nature", domain.kind),
            "population": _cell(errors, "collectivites", row, "population", domain.integer),
            "agent_count": _cell(errors, "collectivites", row, "agents", domain.integer),
            "hosted": _cell(errors, "collectivites", row, "hebergee", domain.boolean),
            "non_affiliated": _cell(errors, "collectivites", row, "non_affiliee", domain.boolean),
        }
        if any(value is _INVALID for value in parsed.values()):
            continue
        data = services.CollectiviteInput(
            name=row["nom"],
            slug=row["identifiant"].strip().lower(),
            siret=row["siret"],
            service_code=row.get("code_service", ""),
            address=row.get("adresse", ""),
            postcode=row.get("code_postal", ""),
            city=row.get("ville", ""),
            contact_email=row.get("courriel", ""),
            mail_domain=row.get("domaine_messagerie", ""),
            **parsed,
        )
        try:
            cleaned = services.collectivite_validate(data)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    _error(errors, "collectivites", line, FIELD_COLUMNS.get(field, ""), message)
            continue
        if cleaned["slug"] in seen_slug:
            message = DUPLICATE_SLUG.format(line=seen_slug[cleaned["slug"]])
            _error(errors, "collectivites", line, "identifiant", message)
            continue
        if cleaned["siret"] in seen_siret:
            message = DUPLICATE_SIRET.format(line=seen_siret[cleaned["siret"]])
            _error(errors, "collectivites", line, "siret", message)
            continue
        seen_slug[cleaned["slug"]] = seen_siret[cleaned["siret"]] = line
        found.append({"line": line, "input": data, "siret": cleaned["siret"]})
    return found


def _siret(text: str) -> str | None:
    try:
        return portal_domain.siret_clean(text)
    except portal_domain.DomainError:
        return None


def _check_people(rows, errors, new_sirets: set[str], existing: dict[str, Collectivite]):
    seen: dict[tuple[str, str], int] = {}
    found = []
    for row in rows:
        line = row["line"]
        if not _required(errors, "personnes", row, ("siret_collectivite", "courriel", "roles")):
            continue
        siret = _siret(row["siret_collectivite"])
        if siret is None or (siret not in new_sirets and siret not in existing):
            _error(errors, "personnes", line, "siret_collectivite", UNKNOWN_COLLECTIVITE)
            continue
        email = row["courriel"].strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            _error(errors, "personnes", line, "courriel", members.EMAIL_INVALID)
            continue
        try:
            roles = domain.roles(row["roles"])
        except domain.CellError as exc:
            _error(errors, "personnes", line, "roles", str(exc))
            continue
        if (siret, email) in seen:
            _error(
                errors,
                "personnes",
                line,
                "courriel",
                DUPLICATE_PERSON.format(line=seen[(siret, email)]),
            )
            continue
        seen[(siret, email)] = line
        collectivite = existing.get(siret)
        if collectivite is not None:
            held = set(
                Membership.objects.filter(collectivite=collectivite, user__email=email).values_list(
                    "role", flat=True
                )
            )
            roles = [r for r in roles if r not in held]
            if not roles:
                _error(errors, "personnes", line, "roles", ROLES_HELD)
                continue
            if members.pending_invitations(collectivite=collectivite).filter(email=email).exists():
                _error(errors, "personnes", line, "courriel", ALREADY_INVITED)
                continue
        found.append(
            {
                "line": line,
                "siret": siret,
                "email": email,
                "name": row.get("nom", ""),
                "roles": roles,
            }
        )
    return found


def _check_subscriptions(rows, errors, new_sirets, existing, *, today: date):
    from catalogue.models import Offer
    from contracts.models import Subscription

    offers = {o.code: o for o in Offer.objects.all() if o.is_yearly}
    seen: dict[tuple[str, str], int] = {}
    found = []
    for row in rows:
        line = row["line"]
        names = ("siret_collectivite", "offre", "quantite", "date_activation")
        if not _required(errors, "abonnements", row, names):
            continue
        siret = _siret(row["siret_collectivite"])
        if siret is None or (siret not in new_sirets and siret not in existing):
            _error(errors, "abonnements", line, "siret_collectivite", UNKNOWN_COLLECTIVITE)
            continue
        code = row["offre"].strip()
        if code not in offers:
            _error(errors, "abonnements", line, "offre", UNKNOWN_OFFER.format(code=code))
            continue
        problems = False
        try:
            quantity = domain.quantity(row["quantite"])
        except domain.CellError as exc:
            _error(errors, "abonnements", line, "quantite", str(exc))
            problems = True
        try:
            activated_on = domain.day(row["date_activation"])
            if activated_on > today:
                _error(errors, "abonnements", line, "date_activation", ACTIVATION_IN_FUTURE)
                problems = True
        except domain.CellError as exc:
            _error(errors, "abonnements", line, "date_activation", str(exc))
            problems = True
        engagement = row.get("numero_engagement", "").strip()
        if len(engagement) > 60:
            _error(errors, "abonnements", line, "numero_engagement", ENGAGEMENT_TOO_LONG)
            problems = True
        if problems:
            continue
        if (siret, code) in seen:
            _error(
                errors,
                "abonnements",
                line,
                "offre",
                DUPLICATE_SUBSCRIPTION.format(line=seen[(siret, code)]),
            )
            continue
        seen[(siret, code)] = line
        collectivite = existing.get(siret)
        if collectivite is not None and (
            Subscription.objects.filter(collectivite=collectivite, offer=offers[code])
            .exclude(status=Subscription.Status.ENDED)
            .exists()
        ):
            _error(errors, "abonnements", line, "offre", RUNNING_SUBSCRIPTION)
            continue
        found.append(
            {
                "line": line,
                "siret": siret,
                "offer": offers[code],
                "quantity": quantity,
                "activated_on": activated_on,
                "engagement": engagement,
            }
        )
    return found


def import_check(*, rows: dict[str, list[dict]], today: date) -> Checked:
    """Every error of the files, by file, line and column; nothing is written."""
    errors: list[dict] = []
    collectivites = _check_collectivites(rows.get("collectivites", []), errors)
    new_sirets = {c["siret"] for c in collectivites}
    referenced = {
        s
        for kind in ("personnes", "abonnements")
        for r in rows.get(kind, [])
        if (s := _siret(r.get("siret_collectivite", ""))) is not None
    }
    existing = {c.siret: c for c in Collectivite.objects.filter(siret__in=referenced)}
    people = _check_people(rows.get("personnes", []), errors, new_sirets, existing)
    admins = {p["siret"] for p in people if Role.FUNCTIONAL_ADMIN in p["roles"]}
    for c in collectivites:
        if c["siret"] not in admins:
            _error(errors, "collectivites", c["line"], "siret", NO_ADMIN)
    subscriptions = _check_subscriptions(
        rows.get("abonnements", []), errors, new_sirets, existing, today=today
    )
    order = {kind: n for n, kind in enumerate(domain.KINDS)}
    errors.sort(key=lambda e: (order[e["file"]], e["line"]))
    return Checked(errors, collectivites, people, subscriptions)


@transaction.atomic
def import_batch_create(
    *, uploads: dict[str, tuple[str, bytes]], created_by: User | None, today: date
) -> ImportBatch:
    """The dry run: read the files (kind → (name, content)), check them, keep what was read
    and every error. Nothing else is written."""
    if not uploads:
        raise ValidationError(NO_FILE)
    rows: dict[str, list[dict]] = {}
    errors: list[dict] = []
    for kind, (name, content) in uploads.items():
        sheet = files.read(kind, name, content)
        rows[kind] = sheet.rows
        errors += [{"file": kind, **e} for e in sheet.errors]
    if not errors:
        errors = import_check(rows=rows, today=today).errors
    return ImportBatch.objects.create(
        created_by=created_by if created_by and created_by.is_authenticated else None,
        filenames={kind: name for kind, (name, _) in uploads.items()},
        rows=rows,
        errors=errors,
    )


@transaction.atomic
def import_batch_queue(*, batch: ImportBatch) -> ImportBatch:
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportBatch.Status.CHECKED:
        raise ValidationError(NOT_CHECKED)
    if batch.errors:
        raise ValidationError(HAS_ERRORS)
    batch.status = ImportBatch.Status.QUEUED
    batch.save(update_fields=["status"])
    outbox_send("onboarding.tasks.import_batch_run", batch.pk)
    return batch


def import_batch_run(*, batch_id: int, today: date) -> ImportBatch:
    """The import itself, all or nothing, checked again against the portal as it is now.
    Idempotent: a batch runs once.

    A tenant schema takes some 180 locks to create: two hundred in one transaction would
    exhaust PostgreSQL's lock table (max_locks_per_transaction). So the new collectivités'
    schemas are made first, each in its own transaction (invisible: no collectivité points
    to them yet), then every row in one transaction; if anything fails, the schemas made are
    dropped and nothing remains."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status != ImportBatch.Status.QUEUED:
            return batch
        checked = import_check(rows=batch.rows, today=today)
        if checked.errors:
            return _failed(batch, checked.errors)
    services.tenant_template_ensure()
    made: list[str] = []
    try:
        for entry in checked.collectivites:
            schema = services.schema_name_for(entry["input"].slug.strip().lower())
            with transaction.atomic():
                tenant_schema_create(Collectivite(schema_name=schema))
            made.append(schema)
        with transaction.atomic():
            batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
            checked = import_check(rows=batch.rows, today=today)  # nothing changed meanwhile
            if checked.errors:
                raise ValidationError([e["message"] for e in checked.errors])
            result = _import(checked, actor=batch.created_by, today=today)
            batch.status = ImportBatch.Status.DONE
            batch.result = result
            batch.finished_at = timezone.now()
            batch.save(update_fields=["status", "result", "finished_at"])
            events.audit_record(
                action="import.done",
                obj=batch,
                actor=batch.created_by,
                summary=(
                    f"Import n° {batch.pk} : {result['collectivites']} collectivité(s), "
                    f"{result['personnes']} personne(s) invitée(s), {result['abonnements']} "
                    f"abonnement(s)."
                ),
                data={"files": batch.filenames, **result},
            )
    except Exception as exc:
        _schemas_drop(made)
        recheck = import_check(rows=batch.rows, today=today).errors
        errors = recheck or [
            {"file": "", "line": 0, "column": "", "message": m}
            for m in (exc.messages if isinstance(exc, ValidationError) else [IMPORT_FAILED])
        ]
        with transaction.atomic():
            _failed(ImportBatch.objects.select_for_update().get(pk=batch_id), errors)
        if not isinstance(exc, ValidationError):
            raise
    batch.refresh_from_db()
    return batch


IMPORT_FAILED = "L'import a échoué sur une erreur technique : rien n'a été importé."


def _failed(batch: ImportBatch, errors: list[dict]) -> ImportBatch:
    batch.status = ImportBatch.Status.FAILED
    batch.errors = errors
    batch.finished_at = timezone.now()
    batch.save(update_fields=["status", "errors", "finished_at"])
    return batch


def _schemas_drop(schemas: list[str]) -> None:
    from django.db import connection

    for schema in schemas:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _import(checked: Checked, *, actor: User | None, today: date) -> dict:
    people_by_siret: dict[str, list[dict]] = {}
    for person in checked.people:
        people_by_siret.setdefault(person["siret"], []).append(person)
    by_siret = {
        c.siret: c
        for c in Collectivite.objects.filter(
            siret__in={p["siret"] for p in checked.people}
            | {s["siret"] for s in checked.subscriptions}
        )
    }
    invited = 0
    for entry in checked.collectivites:
        people = people_by_siret.pop(entry["siret"], [])
        admin = next(p for p in people if Role.FUNCTIONAL_ADMIN in p["roles"])
        collectivite = services.collectivite_create(
            data=entry["input"],
            admin_email=admin["email"],
            admin_name=admin["name"],
            admin_roles=admin["roles"],
            created_by=actor,
            schema_ready=True,
        )
        by_siret[collectivite.siret] = collectivite
        invited += 1
        for person in people:
            if person is not admin:
                _invite(collectivite, person, actor)
                invited += 1
    for siret, people in people_by_siret.items():  # people of collectivités already here
        for person in people:
            _invite(by_siret[siret], person, actor)
            invited += 1
    for entry in checked.subscriptions:
        _subscription_import(by_siret[entry["siret"]], entry, actor=actor, today=today)
    return {
        "collectivites": len(checked.collectivites),
        "personnes": invited,
        "abonnements": len(checked.subscriptions),
    }


def _invite(collectivite: Collectivite, person: dict, actor: User | None) -> Invitation:
    return members.member_invite(
        collectivite=collectivite,
        email=person["email"],
        roles=person["roles"],
        full_name=person["name"],
        invited_by=actor,
    )


def _subscription_import(collectivite, entry: dict, *, actor, today: date) -> None:
    """A running subscription as it stands: its first contract year from the activation
    month (S1) and each tacit renewal since (S2), up to the year containing today."""
    from contracts import events as contract_events
    from contracts import rules
    from contracts.models import ContractYear, Subscription

    on: date = entry["activated_on"]
    subscription = Subscription.objects.create(
        collectivite=collectivite,
        offer=entry["offer"],
        quantity=Decimal(entry["quantity"]),
        activated_on=on,
        engagement_number=entry["engagement"],
    )
    start, end = rules.term_start(on), rules.first_anniversary(on)
    years = [ContractYear(subscription=subscription, start=start, end=end)]
    while end <= today:
        start, end = end, rules.add_months(end, 12)
        years.append(ContractYear(subscription=subscription, start=start, end=end))
    ContractYear.objects.bulk_create(years)
    contract_events.subscription_event(
        subscription=subscription,
        actor=actor,
        action="subscription.imported",
        summary=(
            f"Abonnement « {entry['offer'].name} » repris ({Decimal(entry['quantity']).normalize():f}), "
            f"activé le {on:%d/%m/%Y} : {len(years)} année(s) de contrat jusqu'au "
            f"{years[-1].end:%d/%m/%Y} (exclu)."
        ),
        data={"engagement": entry["engagement"]},
    )
