"""Writes of contracts, by topic: requests, quotes, subscriptions (STYLE: a services module
past ~400 lines becomes a package)."""

from contracts.services.quotes import *  # noqa: F403
from contracts.services.requests import *  # noqa: F403
from contracts.services.subscriptions import *  # noqa: F403
