"""Load test with a light open-loop client (issue 17), beside bench/load_test.py (locust).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portail_hbench \
        .venv/bin/python bench/load_open_loop.py [--seconds 15] [--rates 20,50,100] [--workers 2]

The same signed-in sessions, pages and gunicorn as load_test.py, but requests are sent at
exact instants (`rate` a second, each from its own thread, whatever the answers: an open
loop) by the standard library's urllib, after every page was asked twice (both workers'
template caches warm). On two cores shared by the client, gunicorn and PostgreSQL, locust's
own CPU (Python, gevent, requests) weighed on its figures; this client costs far less, so
what is printed is the server's. Prints, per rate, the bare view's and the pages' p50 / p95 /
p99 and errors.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings_bench"

from bench import load_test  # noqa: E402 - after the settings


def ask(session: dict, path: str, out: list) -> None:
    request = urllib.request.Request(  # noqa: S310 (loopback)
        f"http://127.0.0.1:{load_test.PORT}{path}",
        headers={"Host": session["host"], "Cookie": f"portail_session={session['cookie']}"},
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            answer.read()
            ok = answer.status == 200
    except OSError:
        ok = False
    out.append(((time.perf_counter() - started) * 1000, ok))


def run(targets: list[tuple[dict, str]], rate: int, seconds: int) -> dict:
    cycle = itertools.cycle(targets)
    out: list[tuple[float, bool]] = []
    threads = []
    started = time.perf_counter()
    for i in range(rate * seconds):
        delay = started + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        session, path = next(cycle)
        thread = threading.Thread(target=ask, args=(session, path, out))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    times = sorted(t for t, _ in out)

    def at(fraction: float) -> float:
        return times[min(len(times) - 1, int(fraction * len(times)))]

    return {
        "requests": len(times),
        "rps": len(times) / elapsed,
        "errors": sum(1 for _, ok in out if not ok),
        "p50": at(0.50),
        "p95": at(0.95),
        "p99": at(0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rates", default="20,50,100")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sites", type=int, default=20)
    args = parser.parse_args()
    sessions = load_test.sessions(args.sites)
    from django.db import connections

    connections.close_all()
    pages = [(s, p) for s in sessions for p in s["pages"]]
    bare = [(s, "/__bare__/") for s in sessions]
    with load_test.serve(args.workers):
        for session, path in pages * 2:  # warm: each page once in each worker (or so)
            ask(session, path, [])
        for rate in (int(r) for r in args.rates.split(",")):
            for name, targets in (("bare", bare), ("pages", pages)):
                r = run(targets, rate, args.seconds)
                print(
                    f"{rate:>8} {name:7} {r['requests']:>8} {r['rps']:>6.1f} {r['errors']:>6} "
                    f"{r['p50']:>7.0f} {r['p95']:>7.0f} {r['p99']:>7.0f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
