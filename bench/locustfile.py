"""Locust users of bench/load_test.py (run by it; not on its own). Each user holds a signed-in
session on one site and asks one page per second (constant throughput): N users = N
requests/s offered. LOAD_TARGET=bare asks the bare view behind the same middleware instead."""

from __future__ import annotations

import itertools
import json
import os

from locust import HttpUser, constant_throughput, task

SESSIONS = json.loads(open(os.environ["LOAD_SESSIONS"]).read())  # noqa: SIM115, PTH123
TARGET = os.environ.get("LOAD_TARGET", "pages")
_next = itertools.count()


class SignedIn(HttpUser):
    wait_time = constant_throughput(1)

    def on_start(self):
        me = SESSIONS[next(_next) % len(SESSIONS)]
        self.client.headers["Host"] = me["host"]
        self.client.cookies.set("portail_session", me["cookie"])
        self.pages = itertools.cycle(["/__bare__/"] if TARGET == "bare" else me["pages"])

    @task
    def page(self):
        path = next(self.pages)
        name = (
            "bare"
            if TARGET == "bare"
            else f"{'back-office' if self.client.headers['Host'].count('.') < 2 else 'site'} {path}"
        )
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}")
