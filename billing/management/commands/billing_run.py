"""Start a billing run as the back-office does (B1) and print its summary:
`manage.py billing_run [--as-of JJ/MM/AAAA|AAAA-MM-JJ] [--dry-run] [--inline]`. Without
`--inline` the Celery workers run it (the command returns once it is queued); with it, this
process runs it to the end — for scripts, cron-based deployments and checks."""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing import services
from billing.models import BillingRun
from portal.templatetags.portal_format import euros

DATE_INVALID = "Date invalide : « {value} » (attendu JJ/MM/AAAA ou AAAA-MM-JJ)."


def parse_date(value: str) -> date:
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, pattern).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise CommandError(DATE_INVALID.format(value=value))


def summary(run: BillingRun) -> list[str]:
    """What an operator reads of a run, in French."""
    lines = [f"{run} — {run.get_status_display()}"]
    if run.dry_run:
        total = sum((float(p["total_ht"]) for p in run.preview), 0.0)
        lines.append(f"Aperçu : {len(run.preview)} facture(s) à émettre, rien n'est émis.")
        lines += [
            f"  {p['collectivite']} : {p['lines']} ligne(s), {p['total_ht']} € HT"
            for p in run.preview
        ]
        lines.append(f"Total HT prévu : {total:.2f} €")
    else:
        lines.append(
            f"{run.invoices_count} facture(s) émise(s), {euros(run.total_amount)} TTC, "
            f"{run.collectivites_done}/{run.collectivites_total} collectivité(s) traitée(s)."
        )
    lines += [f"Échec — {f['collectivite'] or 'campagne'} : {f['reason']}" for f in run.failures]
    return lines


class Command(BaseCommand):
    help = (
        "Lance une campagne de facturation (comme le back-office) et affiche son bilan ; "
        "--inline l'exécute dans ce processus, sans worker."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", help="Date de facturation (par défaut : aujourd'hui).")
        parser.add_argument("--dry-run", action="store_true", help="Aperçu : rien n'est émis.")
        parser.add_argument(
            "--inline", action="store_true", help="Exécuter ici, sans worker Celery."
        )

    def handle(self, *args, **options):
        as_of = parse_date(options["as_of"]) if options["as_of"] else timezone.localdate()
        try:
            run = services.billing_run_start(
                as_of=as_of,
                dry_run=options["dry_run"],
                requested_by=None,
                inline=options["inline"],
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if not options["inline"]:
            self.stdout.write(
                f"Campagne n° {run.pk} ({run}) confiée aux workers : suivez-la dans le "
                "back-office (Facturation)."
            )
            return
        run = services.billing_run_execute_inline(run)
        for line in summary(run):
            self.stdout.write(line)
        if run.status == BillingRun.Status.FAILED:
            raise CommandError("La campagne a échoué.")
