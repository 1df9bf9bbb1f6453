"""Which connectors an account goes through, configured from the environment (settings).

Every account has its person entry in the shared directory (seed 001 §4: single sign-on on a
common directory), then its account in the offer's own system (catalogue `Offer.system`).
"""

from __future__ import annotations

from django.conf import settings

from accounts.connectors.base import Connector, PermanentError

NOT_CONFIGURED = "Le système « {name} » n'est pas configuré sur ce portail ({setting})."


def _missing(name: str, *settings_names: str) -> None:
    empty = [item for item in settings_names if not getattr(settings, item, "")]
    if empty:
        raise PermanentError(NOT_CONFIGURED.format(name=name, setting=", ".join(empty)))


def directory() -> Connector:
    from accounts.connectors.directory import DirectoryConnector

    _missing("annuaire", "DIRECTORY_URL", "DIRECTORY_BASE_DN")
    return DirectoryConnector(
        url=settings.DIRECTORY_URL,
        bind_dn=settings.DIRECTORY_BIND_DN,
        password=settings.DIRECTORY_BIND_PASSWORD,
        base_dn=settings.DIRECTORY_BASE_DN,
        timeout=settings.CONNECTOR_TIMEOUT,
    )


def system(system_code: str) -> Connector | None:
    """The connector of a catalogue system (`catalogue.models.System`), None for "none"."""
    timeout = settings.CONNECTOR_TIMEOUT
    if system_code == "bluemind":
        from accounts.connectors.bluemind import BlueMindConnector

        _missing("BlueMind", "BLUEMIND_URL", "BLUEMIND_API_KEY")
        return BlueMindConnector(
            url=settings.BLUEMIND_URL, api_key=settings.BLUEMIND_API_KEY, timeout=timeout
        )
    if system_code == "zimbra":
        from accounts.connectors.zimbra import ZimbraConnector

        _missing("Zimbra", "ZIMBRA_URL", "ZIMBRA_ADMIN_USER", "ZIMBRA_ADMIN_PASSWORD")
        return ZimbraConnector(
            url=settings.ZIMBRA_URL,
            admin_user=settings.ZIMBRA_ADMIN_USER,
            admin_password=settings.ZIMBRA_ADMIN_PASSWORD,
            timeout=timeout,
        )
    if system_code == "nextcloud":
        from accounts.connectors.nextcloud import NextcloudConnector

        _missing("Nextcloud", "NEXTCLOUD_URL", "NEXTCLOUD_USER", "NEXTCLOUD_PASSWORD")
        return NextcloudConnector(
            url=settings.NEXTCLOUD_URL,
            user=settings.NEXTCLOUD_USER,
            password=settings.NEXTCLOUD_PASSWORD,
            timeout=timeout,
        )
    if system_code == "bigbluebutton":
        from accounts.connectors.bigbluebutton import BigBlueButtonConnector

        _missing("BigBlueButton", "BIGBLUEBUTTON_URL", "BIGBLUEBUTTON_SECRET")
        return BigBlueButtonConnector(
            url=settings.BIGBLUEBUTTON_URL, secret=settings.BIGBLUEBUTTON_SECRET, timeout=timeout
        )
    if system_code == "none":
        return None
    raise PermanentError(f"Aucun connecteur pour le système « {system_code} ».")


def connectors_for(system_code: str) -> list[Connector]:
    """The directory first (the person must exist before the services that read it), then
    the service's own system."""
    found = [directory()]
    own = system(system_code)
    if own is not None:
        found.append(own)
    return found
