"""How long creating one collectivité takes (schema, domain, invitation), cloned from the
template schema versus migrated from scratch.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portail_bench \
        .venv/bin/python bench/tenant_create.py [--count 20]

Uses its own database, dropped and created afresh at each run.
Prints the mean, median and p95 per creation for each method.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portail_bench")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")


def fresh_database() -> None:
    import psycopg

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1].split("?")[0]
    if not name.startswith("portail_bench"):
        sys.exit("Refus : la base du banc d'essai doit s'appeler portail_bench…")
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=20)
    args = parser.parse_args()
    fresh_database()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from stdnum import luhn

    from portal import services

    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    services.tenant_template_ensure()
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from portal.celery import app

    app.conf.task_always_eager = True

    def siret(n: int) -> str:
        siren8 = f"29{n:06d}"
        siren = siren8 + luhn.calc_check_digit(siren8)
        return siren + "0001" + luhn.calc_check_digit(siren + "0001")

    def run(label: str, clone: bool, offset: int) -> list[float]:
        settings.TENANT_CLONE_TEMPLATE = clone
        timings = []
        for i in range(args.count):
            slug = f"bench-{label}-{i}"
            started = time.perf_counter()
            services.collectivite_create(
                data=services.CollectiviteInput(
                    name=f"Banc {label} {i}",
                    slug=slug,
                    kind="commune",
                    siret=siret(offset + i),
                    population=500,
                ),
                admin_email=f"admin{i}@bench.test",
                created_by=None,
            )
            timings.append(time.perf_counter() - started)
        return timings

    results = {"clone": run("clone", True, 0), "migrate": run("migrate", False, 100_000)}
    for label, timings in results.items():
        ordered = sorted(timings)
        p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
        print(
            f"{label:8} n={len(timings):3}  mean {statistics.mean(timings) * 1000:7.1f} ms  "
            f"median {statistics.median(timings) * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms"
        )


if __name__ == "__main__":
    main()
