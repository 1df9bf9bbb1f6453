"""Signals of the service status, for apps that react without status knowing them.

`incident_closed` is sent inside the closing transaction (status.services.incident_close),
with `announcement`, `closed_by` (a User or None: Alertmanager) and `note` (the closing
message, plain text, may be empty). The support app answers its linked requests from it."""

from django.dispatch import Signal

incident_closed = Signal()
