"""Announcement texts are French rich text written by the syndicate's staff and shown on
pages, in feeds and in e-mails: they are sanitized with nh3 when written, so that what is
stored is safe to render as it is."""

from __future__ import annotations

import html
import re

import nh3

ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "u", "ul", "ol", "li", "a", "code", "h3"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitize(text: str) -> str:
    """Safe HTML from what staff typed; plain text with line breaks becomes paragraphs."""
    text = (text or "").strip()
    if text and not re.search(r"<[a-zA-Z/!]", text):
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
        text = "".join("<p>" + html.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs)
    return nh3.clean(
        text,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    ).strip()


def plain(text: str) -> str:
    """The text of sanitized HTML, for e-mails: paragraphs and line breaks kept."""
    text = re.sub(r"(?i)<br\s*/?>", "\n", text or "")
    text = re.sub(r"(?i)</(p|li|h3)>", "\n\n", text)
    text = re.sub(r"(?i)<li>", "- ", text)
    text = nh3.clean(text, tags=set())
    return re.sub(r"\n{3,}", "\n\n", html.unescape(text)).strip()
