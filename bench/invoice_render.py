"""CPU time of rendering one invoice PDF (WeasyPrint + Factur-X), phase by phase.

    .venv/bin/python bench/invoice_render.py [--renders 50] [--logo] [--fonttools] [--out F.pdf]

Uses its own database `portail_bench_render` (dropped and created afresh; never the
application's), with the catalogue, the syndicate and one collectivité of 5 subscriptions
invoiced by `billing.services.invoice_issue`, as in `bench/billing_run.py`. `--logo` gives
the syndicate a 600 × 200 px PNG logo (the billing-run benchmark has none). `--fonttools`
makes WeasyPrint cut the embedded fonts with fontTools, as it does on a machine without the
HarfBuzz-Subset library (Debian's libharfbuzz-subset0: in the Docker image, and pulled in by
Chromium for the browser tests, but not installed by `make install`).

Renders the invoice `--renders` times after 3 warm-up renders and prints the mean and p95
of `time.process_time()` per render — CPU time of this process, so that other work on the
machine's cores does not count — for: the whole `invoice_pdf()`, the WeasyPrint part
(`render_pdf`), the Factur-X embedding, and the CII XML (built and checked). The phases are
timed inside the real call by wrapping the module functions. Checks that every render gave
the same bytes. Record results in bench/README.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_URL = os.environ.setdefault(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portail_bench_render"
)
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/9")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
os.environ.setdefault("DEBUG", "false")
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="portail-bench-render-"))  # removed at the end
os.environ["MEDIA_ROOT"] = str(MEDIA_ROOT)
AS_OF = date(2026, 4, 1)
WARM_UP = 3


def fresh_database() -> None:
    import psycopg

    name = DB_URL.rsplit("/", 1)[1].split("?")[0]
    if not name.startswith("portail_bench"):
        sys.exit("Refus : la base du banc d'essai doit s'appeler portail_bench…")
    with psycopg.connect(DB_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def logo_png() -> bytes:
    """A plain 600 × 200 px logo, the size people upload (the PDF shows it 45 × 15 mm)."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (600, 200), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, 190, 190), fill="#1d4f91")
    draw.ellipse((230, 40, 350, 160), fill="#e0a030")
    draw.rectangle((380, 70, 590, 130), fill="#4a4a4a")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def populate(*, with_logo: bool):
    """One collectivité with 5 subscriptions, invoiced: the invoice to render."""
    from django.core.files.base import ContentFile
    from django.core.management import call_command
    from stdnum import luhn

    from billing import services
    from catalogue.models import Offer
    from contracts import rules
    from contracts.models import ContractYear, Subscription
    from portal.domain import Kind, strate_for
    from portal.models import Collectivite, Syndicate

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    with open(os.devnull, "w") as quiet:
        call_command("load_catalogue", stdout=quiet)
    syndicate, _ = Syndicate.objects.update_or_create(
        pk=1,
        defaults={
            "name": "Syndicat du banc d'essai",
            "short_name": "Banc",
            "siret": "25500012300016",
            "address": "1 rue du Banc",
            "postcode": "50000",
            "city": "Saint-Lô",
            "email": "finances@banc.test",
            "treasury_iban": "FR7630001007941234567890185",
            "treasury_bic": "BDFEFRPPCCT",
            "treasury_bank": "Banque de France — SGC de Saint-Lô",
        },
    )
    if with_logo:
        syndicate.logo.save("logo.png", ContentFile(logo_png()), save=True)
    siren = "21050000" + luhn.calc_check_digit("21050000")
    collectivite = Collectivite(
        schema_name="c_banc_rendu",
        name="Commune du banc de rendu",
        slug="banc-rendu",
        kind="commune",
        siret=siren + "0001" + luhn.calc_check_digit(siren + "0001"),
        population=1200,
        service_code="MAIRIE",
        address="Place de la mairie",
        postcode="50000",
        city="Banc",
        strate=strate_for(
            kind=Kind.COMMUNE,
            population=1200,
            agent_count=0,
            hosted=False,
            non_affiliated=False,
        ).value,
    )
    collectivite.auto_create_schema = False  # billing lives in the public schema
    collectivite.save()
    offers = list(
        Offer.objects.filter(
            billing_unit__in=["account_year", "gb_year", "collectivite_year"]
        ).order_by("code")
    )
    for k in range(5):
        subscription = Subscription.objects.create(
            collectivite=collectivite,
            offer=offers[k % len(offers)],
            quantity=Decimal(1 + 3 * k),
            activated_on=date(2026, 3, 1 + k),
        )
        ContractYear.objects.create(
            subscription=subscription,
            start=date(2026, 3, 1),
            end=rules.first_anniversary(subscription.activated_on),
        )
    return services.invoice_issue(collectivite=collectivite, as_of=AS_OF, issue_date=AS_OF)


def timed(samples: dict[str, list[float]], name: str, function):
    def wrapper(*args, **kwargs):
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            samples[name].append(time.process_time() - started)

    return wrapper


def summary(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"moyenne {statistics.mean(values) * 1000:6.1f} ms, p95 {p95 * 1000:6.1f} ms"


def main() -> None:
    try:
        run()
    finally:
        shutil.rmtree(MEDIA_ROOT, ignore_errors=True)


def run() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--renders", type=int, default=50)
    parser.add_argument("--logo", action="store_true", help="give the syndicate a PNG logo")
    parser.add_argument("--out", type=Path, help="write the last PDF there")
    parser.add_argument(
        "--fonttools",
        action="store_true",
        help="subset fonts with fontTools, as WeasyPrint does without libharfbuzz-subset0",
    )
    args = parser.parse_args()
    fresh_database()
    import django

    django.setup()
    from billing import documents

    if args.fonttools:
        from weasyprint.pdf import fonts

        fonts.harfbuzz_subset = None  # as if the library were missing
    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # "Using fontTools…", per font

    invoice = populate(with_logo=args.logo)
    print(f"facture {invoice.number} : {invoice.lines.count()} lignes, {invoice.total_ttc} € TTC")

    samples: dict[str, list[float]] = defaultdict(list)
    documents.render_pdf = timed(samples, "WeasyPrint (render_pdf)", documents.render_pdf)
    documents._embed_facturx = timed(samples, "Factur-X (intégration)", documents._embed_facturx)
    documents._cii_xml = timed(samples, "XML CII (construit, vérifié)", documents._cii_xml)

    outputs = set()
    for _ in range(WARM_UP):
        outputs.add(documents.invoice_pdf(invoice))
    samples.clear()
    for _ in range(args.renders):
        started = time.process_time()
        pdf = documents.invoice_pdf(invoice)
        samples["facture complète (invoice_pdf)"].append(time.process_time() - started)
        outputs.add(pdf)

    print(f"{args.renders} rendus, temps CPU du processus (time.process_time) par rendu :")
    for name in (
        "facture complète (invoice_pdf)",
        "WeasyPrint (render_pdf)",
        "Factur-X (intégration)",
        "XML CII (construit, vérifié)",
    ):
        print(f"  {name:32} {summary(samples[name])}")
    print(
        f"taille : {len(pdf)} octets ; rendus identiques : {'oui' if len(outputs) == 1 else 'NON'}"
    )
    if args.out:
        args.out.write_bytes(pdf)
        print(f"écrit : {args.out}")


if __name__ == "__main__":
    main()
