"""DESIGN §2 and the house layout: a shared (public-schema) app never imports or foreign-keys
a tenant app, whose tables do not exist in the public schema."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

ROOT = Path(__file__).resolve().parents[3]


def _app_label(entry: str) -> str:
    return entry.split(".apps.")[0].rsplit(".", 1)[-1]


TENANT_ONLY = {_app_label(a) for a in settings.TENANT_APPS} - {
    _app_label(a) for a in settings.SHARED_APPS
}
OUR_SHARED = [
    "portal",
    "catalogue",
    "contracts",
    "billing",
    "status",
    "trainings",
    "lifecycle",
    "support",
    "onboarding",
    "projections",
]
# The project's wiring lives in the `portal` package: the two URL confs and the API assemble
# every app's views and routers, and the demo loader fills every app. They import tenant apps
# by design; no model, service or task of a shared app does.
PROJECT_WIRING = {
    "portal/urls_tenants.py",
    "portal/urls_public.py",
    "portal/api.py",
    "portal/management/commands/load_demo.py",
}


def test_the_tenant_only_apps_are_known():
    assert {"accounts"} == TENANT_ONLY


@pytest.mark.parametrize("label", OUR_SHARED)
def test_shared_models_never_point_at_tenant_models(label):
    for model in apps.get_app_config(label).get_models():
        for field in model._meta.get_fields():
            target = getattr(field, "related_model", None)
            if target is not None and field.concrete:
                assert target._meta.app_label not in TENANT_ONLY, f"{model.__name__}.{field.name}"


@pytest.mark.parametrize("label", OUR_SHARED)
def test_shared_apps_never_import_tenant_apps(label):
    for path in (ROOT / label).rglob("*.py"):
        if str(path.relative_to(ROOT)) in PROJECT_WIRING:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in TENANT_ONLY, f"{path.relative_to(ROOT)}: {name}"
