"""Issue 18: schemathesis (pinned) generates requests for every operation of the JSON API
from its own OpenAPI description and checks that none answers a server error and that every
answer matches the schema it declares. Bounded: a few examples per operation, no shrinking
beyond Hypothesis' default deadline-free run; the requests go through Django's WSGI handler
in the test's transaction (nothing is kept)."""

from __future__ import annotations

import pytest
import schemathesis
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from portal import services
from portal.api import api

# A few examples per operation keeps the whole API under a minute on two cores; raise it
# locally with SCHEMATHESIS_EXAMPLES=200 to look harder.
EXAMPLES = int(__import__("os").environ.get("SCHEMATHESIS_EXAMPLES", "12"))

schema = schemathesis.openapi.from_dict(api.get_openapi_schema(path_prefix="/api/v1"))


class _InTestTransaction:
    """Django's WSGI handler without the closing of the database connection that ends each
    request (the test's transaction must outlive it), as Django's own test client does."""

    def __init__(self) -> None:
        self.handler = WSGIHandler()

    def __call__(self, environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            result = self.handler(environ, start_response)
            body = b"".join(result)
            result.close()
            return [body]
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


APP = _InTestTransaction()


@pytest.fixture
def bearer(staff_admin, tenant, other_tenant) -> dict[str, str]:
    """A syndicate administrator's token (the role that reaches every operation)."""
    _, raw = services.api_token_create(user=staff_admin, name="schemathesis")
    return {"Authorization": f"Bearer {raw}"}


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_operation_answers_a_server_error_or_breaks_its_schema(case, bearer):
    case.call_and_validate(
        app=APP,
        base_url=f"http://{settings.BASE_DOMAIN}",
        headers=bearer,
        checks=[not_a_server_error, response_schema_conformance],
    )
