"""The ordering journey's fixtures and helpers (tests/contracts/integration/test_pages.py):
the frozen day 17/03/2026, the catalogue, people of each role, their clients."""

from tests.contracts.integration.test_pages import (  # noqa: F401
    _today,
    admin_site,
    agent_site,
    catalogue,
    finance_site,
    people,
    signatory_site,
)
