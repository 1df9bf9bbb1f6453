"""Sessions bound to the site that opened them (P4).

Session cookies are host-only, but a cookie copied from collectivité A's site and replayed on
B's must still count for nothing: each session records the schema it was opened in, and a
session read in any other schema — or carrying no binding at all — is treated as absent
(anonymous), without touching the original. The check sits where the row is read, so the
synchronous and asynchronous paths (load, aload, exists…) both go through it.
"""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DbSessionStore
from django.db import connection

SCHEMA_KEY = "_portal_schema"


class SessionStore(DbSessionStore):
    def _bound_here(self, row) -> bool:
        if row is None:
            return False
        return self.decode(row.session_data).get(SCHEMA_KEY) == connection.schema_name

    def _get_session_from_db(self):
        row = super()._get_session_from_db()
        if row is not None and not self._bound_here(row):
            self._session_key = None  # another site's session: start afresh here
            return None
        return row

    async def _aget_session_from_db(self):
        row = await super()._aget_session_from_db()
        if row is not None and not self._bound_here(row):
            self._session_key = None
            return None
        return row

    def save(self, must_create: bool = False) -> None:
        self._get_session(no_load=must_create)[SCHEMA_KEY] = connection.schema_name
        super().save(must_create=must_create)

    async def asave(self, must_create: bool = False) -> None:
        (await self._aget_session(no_load=must_create))[SCHEMA_KEY] = connection.schema_name
        await super().asave(must_create=must_create)

    def delete(self, session_key: str | None = None) -> None:
        # Only ever delete a session of this site: an unread cookie may be another site's.
        if session_key is None:
            if self.session_key is None or self._get_session_from_db() is None:
                return
            session_key = self.session_key
        super().delete(session_key)
