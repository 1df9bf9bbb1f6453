"""Sessions bound to the site that opened them (P4).

Session cookies are host-only, but a cookie copied from collectivité A's site and replayed on
B's must still count for nothing: each session records the schema it was opened in, and a
session loaded in any other schema is treated as absent (anonymous), without touching the
original.
"""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DbSessionStore
from django.db import connection

SCHEMA_KEY = "_portal_schema"


class SessionStore(DbSessionStore):
    def load(self):
        data = super().load()
        bound_to = data.get(SCHEMA_KEY)
        if bound_to is not None and bound_to != connection.schema_name:
            # Not this site's session: start afresh here, leave the other one alone.
            self._session_key = None
            return {}
        return data

    def save(self, must_create: bool = False) -> None:
        self._get_session(no_load=must_create)[SCHEMA_KEY] = connection.schema_name
        super().save(must_create=must_create)
