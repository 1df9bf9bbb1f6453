"""The .ics attached to convocations (RFC 5545, icalendar): the session as one event in
Europe/Paris wall-clock time, with its VTIMEZONE; a cancellation is the same event (same UID)
with METHOD:CANCEL and STATUS:CANCELLED, so calendars remove it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress

from trainings.models import Session

PARIS = ZoneInfo("Europe/Paris")
PRODID = "-//Portail des services numériques//Formations//FR"


def session_ics(
    session: Session, *, uid: str, attendee: str, cancelled: bool, stamp: datetime
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", session.starts_at.astimezone(PARIS))
    event.add("dtend", session.ends_at.astimezone(PARIS))
    event.add("summary", f"Formation : {session.training.title}")
    if session.place:
        event.add("location", session.place)
    elif session.link:
        event.add("location", session.link)
    if session.link:
        event.add("url", session.link)
    description = session.training.description or session.training.title
    event.add("description", description)
    event.add("attendee", vCalAddress(f"mailto:{attendee}"))
    event.add("sequence", 1 if cancelled else 0)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
