"""Scale (issues 17 and 19): N collectivités on one database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portail_hbench \
        .venv/bin/python bench/tenants_scale.py --count 3000 [--reuse] [--keep]

In its own database (name must start with `portail_` and end with `bench`), created afresh
unless `--reuse` finds it already holding the collectivités:
1. creates N collectivités through the product's path (`services.collectivite_create`:
   template check, schema copy, domain, audit event, invitation), timing each one, and prints
   the time per creation by decile;
2. at 10 collectivités and at N: the sign-in (`POST /comptes/login/` on a collectivité's
   site), the bare `UPDATE portal_user SET last_login` on a warm and on a new connection, the
   back-office pages and a few tenant pages (median of `--repeat` requests, bytes), each beside
   the bare view behind the same middleware measured in the same run;
3. at N: `migrate_tenants` as a no-op, then with one new trivial migration for every schema.
Prints a table; copy it into bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings_bench"
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portail_hbench")

PASSWORD = "Banc-Essai-2026!x"  # noqa: S105 (bench users in a throw-away database)
BACKOFFICE_PAGES = [
    "/",
    "/demandes-de-quota/",
    "/collectivites/",
    "/commandes/",
    "/facturation/",
    "/tarifs/",
    "/catalogue/",
]
TENANT_PAGES = ["/", "/catalogue/", "/comptes-de-service/", "/contrats/", "/factures/"]


def database_name() -> str:
    return os.environ["DATABASE_URL"].rsplit("/", 1)[1].split("?")[0]


def admin_url() -> str:
    return os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"


def fresh_database(reuse: bool) -> bool:
    """True when the database was (re)created."""
    import psycopg

    name = database_name()
    if not (name.startswith("portail_") and name.endswith("bench")):
        sys.exit("Refus : la base du banc d'essai doit s'appeler portail_…bench")
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if reuse and exists:
            return False
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return True


def siret(n: int) -> str:
    from stdnum import luhn

    siren8 = f"3{n:07d}"
    siren = siren8 + luhn.calc_check_digit(siren8)
    return siren + "0001" + luhn.calc_check_digit(siren + "0001")


RETRIES: list[str] = []


def create(first: int, last: int, timings: list[float]) -> None:
    """Creates collectivités first..last-1, printing the median of every 100. The server is
    shared: when another session fills PostgreSQL's lock table ("out of shared memory"), the
    creation (all or nothing) is tried again after a pause, and counted."""
    from django.db import OperationalError

    from portal import services

    for i in range(first, last):
        for attempt in range(6):
            started = time.perf_counter()
            try:
                services.collectivite_create(
                    data=services.CollectiviteInput(
                        name=f"Commune Banc {i:05d}",
                        slug=f"banc-{i:05d}",
                        kind="commune",
                        siret=siret(i),
                        population=500 + i,
                    ),
                    admin_email=f"admin{i}@banc.test",
                    created_by=None,
                )
                break
            except OperationalError as exc:
                if attempt == 5 or "shared memory" not in str(exc):
                    raise
                RETRIES.append(f"{i}: {str(exc).splitlines()[0]}")
                time.sleep(5)
        timings.append(time.perf_counter() - started)
        if (i + 1) % 100 == 0:
            recent = statistics.median(timings[-100:]) * 1000
            print(f"  {i + 1} collectivités, median of the last 100: {recent:.0f} ms", flush=True)


def people():
    """A staff member (administrator and finance, with a second factor) and a functional
    administrator of the first collectivité."""
    from allauth.mfa.models import Authenticator

    from portal import services
    from portal.models import Collectivite, Membership, Role, User

    staff = User.objects.filter(email="staff@banc.test").first()
    if staff is None:
        staff = services.staff_user_create(
            email="staff@banc.test",
            full_name="Banc Personnel",
            password=PASSWORD,
            groups=["Administrateurs du syndicat", "Finances du syndicat"],
        )
        Authenticator.objects.create(user=staff, type=Authenticator.Type.TOTP, data={"secret": "x"})
    first = Collectivite.objects.order_by("pk").first()
    member = User.objects.filter(email="membre@banc.test").first()
    if member is None:
        member = User.objects.create_user(
            email="membre@banc.test", password=PASSWORD, full_name="Banc Membre"
        )
        Membership.objects.create(user=member, collectivite=first, role=Role.FUNCTIONAL_ADMIN)
    return staff, member, first


def median_ms(fn, repeat: int) -> tuple[float, int]:
    fn()  # warm-up
    times, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        size = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, size


def get(client, path: str):
    def fn() -> int:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return len(response.content)

    return fn


def measure_pages(repeat: int) -> dict[str, tuple[float, int]]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import schema_context

    connection.set_schema_to_public()  # sessions are bound to the schema they are made in
    staff, member, first = people()
    results: dict[str, tuple[float, int]] = {}
    backoffice = Client(HTTP_HOST=settings.BASE_DOMAIN)
    backoffice.force_login(staff)
    results["back-office /__bare__/"] = median_ms(get(backoffice, "/__bare__/"), repeat)
    for path in BACKOFFICE_PAGES:
        results[f"back-office {path}"] = median_ms(get(backoffice, path), repeat)
    site = Client(HTTP_HOST=first.primary_domain_name)
    with schema_context(first.schema_name):
        site.force_login(member)
    connection.set_schema_to_public()
    results["site /__bare__/"] = median_ms(get(site, "/__bare__/"), repeat)
    for path in TENANT_PAGES:
        results[f"site {path}"] = median_ms(get(site, path), repeat)
    results["site sign-in POST"] = median_ms(sign_in(first), repeat)
    return results


def sign_in(first):
    from django.test import Client

    def fn() -> int:
        client = Client(HTTP_HOST=first.primary_domain_name)
        response = client.post(
            "/comptes/login/", {"login": "membre@banc.test", "password": PASSWORD}
        )
        assert response.status_code == 302, response.status_code
        return 0

    return fn


def measure_user_update(repeat: int) -> dict[str, float]:
    """The sign-in's `UPDATE portal_user SET last_login`, on a warm connection and as the
    first statement of a new one (the triggers a foreign key from each schema would put on
    portal_user are loaded per connection)."""
    import psycopg

    _, member, _ = people()
    url = os.environ["DATABASE_URL"]
    sql = "UPDATE portal_user SET last_login = now() WHERE id = %s"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql, [member.pk])
        warm = []
        for _ in range(repeat):
            started = time.perf_counter()
            conn.execute(sql, [member.pk])
            warm.append(time.perf_counter() - started)
    cold = []
    for _ in range(max(3, repeat // 4)):
        with psycopg.connect(url, autocommit=True) as conn:
            started = time.perf_counter()
            conn.execute(sql, [member.pk])
            cold.append(time.perf_counter() - started)
    with psycopg.connect(url) as conn:
        triggers = conn.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'portal_user'::regclass"
        ).fetchone()[0]
    return {
        "UPDATE portal_user, warm connection": statistics.median(warm) * 1000,
        "UPDATE portal_user, first statement": statistics.median(cold) * 1000,
        "triggers on portal_user": triggers,
    }


TRIVIAL = """from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("accounts", "{last}")]
    operations = [
        migrations.RunSQL(
            "COMMENT ON TABLE accounts_serviceaccount IS 'banc'",
            "COMMENT ON TABLE accounts_serviceaccount IS NULL",
        )
    ]
"""


def measure_migrations() -> dict[str, float]:
    """`migrate_tenants` as a no-op, then with one new trivial migration of `accounts`. The
    new migration lives in a temporary copy of accounts/migrations (BENCH_ACCOUNTS_MIGRATIONS,
    read by bench/settings_bench.py), never in the source tree that tests may be reading."""
    import shutil
    import tempfile

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings_bench"}
    command = [sys.executable, str(ROOT / "manage.py"), "migrate_tenants"]
    results = {}
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, cwd=ROOT)  # noqa: S603
    results["migrate_tenants, no-op"] = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="bench-migrations-") as tmp:
        package = Path(tmp) / "bench_accounts_migrations"
        shutil.copytree(ROOT / "accounts" / "migrations", package)
        last = sorted(p.stem for p in package.glob("0[0-9]*.py"))[-1]
        (package / f"9999_bench_trivial_{int(time.time())}.py").write_text(
            TRIVIAL.format(last=last)
        )
        env["BENCH_ACCOUNTS_MIGRATIONS"] = tmp
        started = time.perf_counter()
        subprocess.run(command, check=True, env=env, cwd=ROOT)  # noqa: S603
        results["migrate_tenants, one new migration"] = time.perf_counter() - started
    return results


def deciles(timings: list[float]) -> list[float]:
    size = max(1, len(timings) // 10)
    return [statistics.median(timings[i : i + size]) * 1000 for i in range(0, len(timings), size)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--keep", action="store_true", help="ne pas supprimer la base")
    parser.add_argument("--skip-migrate", action="store_true")
    args = parser.parse_args()
    created = fresh_database(args.reuse)

    import django

    django.setup()
    from django.core.management import call_command

    from portal.models import Collectivite
    from portal.tenancy import tenant_template_ensure

    if created:
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
        call_command("load_catalogue", verbosity=0)
    tenant_template_ensure()
    timings: list[float] = []
    have = Collectivite.objects.count()
    small = None
    if have < 10:
        create(have, 10, timings)
        have = 10
    if created:
        small = (measure_pages(args.repeat), measure_user_update(args.repeat * 4))
    create(have, args.count, timings)
    large = (measure_pages(args.repeat), measure_user_update(args.repeat * 4))
    n = Collectivite.objects.count()

    print(f"\n== {n} collectivités; load average {os.getloadavg()[0]:.2f}")
    if timings:
        print(
            f"creation: {len(timings)} created, median {statistics.median(timings) * 1000:.0f} ms"
        )
        print("creation median by decile (ms): " + " ".join(f"{t:.0f}" for t in deciles(timings)))
        print(f"creations tried again after 'out of shared memory' (other sessions): {RETRIES}")
    print(f"\n{'measure':45} {'at 10':>16} {'at ' + str(n):>16}")
    keys = list(large[0]) + list(large[1])
    for key in keys:
        at_n = large[0].get(key, large[1].get(key))
        at_10 = (small[0].get(key, small[1].get(key)) if small else None) if small else None

        def fmt(value):
            if value is None:
                return "—"
            if isinstance(value, tuple):
                return f"{value[0]:.1f} ms {value[1] / 1024:.0f} KB"
            if isinstance(value, int):
                return str(value)
            return f"{value:.2f} ms"

        print(f"{key:45} {fmt(at_10):>16} {fmt(at_n):>16}")
    if not args.skip_migrate:
        from django.db import connections

        connections.close_all()
        for key, seconds in measure_migrations().items():
            print(f"{key:45} {seconds:>14.1f} s  at {n}")
    if not args.keep:
        from django.db import connections

        connections.close_all()
        import psycopg

        with psycopg.connect(admin_url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database_name()}" WITH (FORCE)')


if __name__ == "__main__":
    main()
