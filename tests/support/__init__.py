"""Test helpers shared by several apps' tests: fixtures registered as pytest plugins from
tests/conftest.py (``pytest_plugins``), and the functions that go with them."""
