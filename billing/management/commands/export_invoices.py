"""Export a year's invoices and credit notes to a folder (B6): `factures-<year>.csv`,
`factures-<year>.xlsx` and `factures-<year>.zip` (the PDFs), as the back-office export."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from billing import exports
from portal.templatetags.portal_format import euros


def _count(number: int, singular: str, plural: str, none: str) -> str:
    if number == 0:
        return none
    return f"{number} {singular if number == 1 else plural}"


class Command(BaseCommand):
    help = (
        "Exporte les factures et avoirs d'une année : CSV et XLSX pour le logiciel financier, "
        "ZIP des PDF pour l'archive."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="Année (ex. 2026).")
        parser.add_argument(
            "--out", required=True, help="Dossier où écrire les fichiers (créé au besoin)."
        )

    def handle(self, *args, **options):
        year = options["year"]
        try:
            exports.year_check(year)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        out = Path(options["out"])
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"Impossible de créer le dossier {out} : {exc.strerror}.") from exc

        def progress(percent: int) -> None:
            if options["verbosity"] >= 2:
                self.stderr.write(f"Avancement : {percent} %")

        try:
            data = exports.export_year(year=year, progress=progress)
        except exports.ExportError as exc:
            raise CommandError(str(exc)) from exc
        paths = []
        for name, content in zip(exports.file_names(year).values(), data, strict=True):
            path = out / name
            path.write_bytes(content)
            paths.append(path)

        totals = exports.summary(year)
        invoices = _count(totals.invoices, "facture", "factures", "aucune facture")
        notes = _count(totals.credit_notes, "avoir", "avoirs", "aucun avoir")
        lines = [f"Export des factures {year} : {invoices}, {notes}."]
        if totals.invoices or totals.credit_notes:
            lines.append(
                f"Total facturé : {euros(totals.invoiced_ttc)} TTC ; total des avoirs : "
                f"{euros(totals.credited_ttc)} TTC."
            )
        pdfs = totals.invoices + totals.credit_notes
        lines.append(f"Fichiers écrits dans {out} :")
        lines += [f"  {paths[0].name} (tableur CSV, séparateur « ; »)"]
        lines += [f"  {paths[1].name} (classeur Excel)"]
        lines += [f"  {paths[2].name} ({_count(pdfs, 'PDF', 'PDF', 'aucun PDF')})"]
        self.stdout.write("\n".join(lines))
