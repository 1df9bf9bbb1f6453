"""The end of a membership needs what billing and accounts tests have: the syndicate (issuer
of the invoices), the test catalogue with a drive offer, subscriptions, the schema entered,
and the provisioning run as the worker would (tasks eager, e-mails sent on commit)."""

from __future__ import annotations

import pytest

from tests.accounts.conftest import catalogue, functional_admin, in_schema, subscribe  # noqa: F401
from tests.billing.conftest import syndicate  # noqa: F401


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run what a service queues on commit (tasks, e-mails) as the worker would."""

    def call(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return call
