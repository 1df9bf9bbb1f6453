"""What lifecycle needs from the data in a collectivité's own schema, as an interface that a
tenant app implements and registers (AppConfig.ready): a shared app never imports a tenant app
(DESIGN §2), yet the purge (P5), the suspension (L2) and the export reach the service accounts.

Every method runs with the collectivité's schema active (lifecycle enters it) and must be
idempotent: a nightly job or a task may call it again.
"""

from __future__ import annotations

from typing import Any, Protocol


class TenantData(Protocol):
    name: str  # the section of dry runs and exports: "comptes"

    def inventory(self, collectivite: Any) -> dict[str, int]:
        """What a purge would remove, as French labels → counts (the dry run)."""

    def purge(self, collectivite: Any) -> tuple[dict[str, int], int]:
        """Remove the personal data; (counts removed, rows still waiting for an outside
        system, which the next run removes)."""

    def suspend(self, collectivite: Any, *, actor: Any) -> int:
        """Disable every open account in every system (nothing deleted); how many."""

    def resume(self, collectivite: Any, *, actor: Any) -> int:
        """Enable again what `suspend` disabled; how many."""

    def export(self, collectivite: Any) -> dict[str, bytes]:
        """File name → content for the reversibility export (CSV / JSON)."""


_registered: list[TenantData] = []


def register(handler: TenantData) -> None:
    if all(existing.name != handler.name for existing in _registered):
        _registered.append(handler)


def handlers() -> list[TenantData]:
    return list(_registered)
