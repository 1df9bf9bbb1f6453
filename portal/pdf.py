"""The PDF engine (WeasyPrint) that every document of the portal goes through — the
contracts' (quotes, annexes, the framework agreement, termination receipts) and billing's
(invoices, credit notes): `render_pdf`, the letterhead's `syndicate_context`, `percent`.

Rendering never touches the network: the URL fetcher only opens `file:` URLs under the
project's static folder (print stylesheets) and the syndicate's branding folder (logo), and a
refused URL stops the render instead of leaving a silently incomplete document; the print font
is cut from the system's DejaVu Sans. The PDF dates come from the documents themselves (a
quote's issue date…), so rendering the same object twice gives the same bytes.

A billing run renders a thousand invoices through `render_pdf`: what does not change between
documents (parsed stylesheets, the print font, the decoded logo) is prepared once per process.

PDF/A: `render_pdf(..., pdf_variant="pdf/a-3b")` renders with WeasyPrint's PDF/A-3B variant
(an sRGB OutputIntent, the trailer `/ID`, XMP metadata); billing attaches its Factur-X XML
afterwards (`billing.documents`).
"""

from __future__ import annotations

import atexit
import gc
import hashlib
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from portal.domain import siret_display
from portal.selectors import syndicate_get

CENT = Decimal("0.01")
STATIC_DIR = Path(settings.BASE_DIR) / "static"

_font_config = None
_font_config_lock = threading.Lock()
# WeasyPrint (Pango, fontconfig) gives no thread-safety guarantee on a shared font
# configuration: renders in one process take turns (one thread per process in production).
_render_lock = threading.Lock()

# Print stylesheets, under static/css/, parsed once per process (again when a file changes)
# rather than at every render.
PDF_STYLESHEETS = ("pdf.css",)
_stylesheets_parsed: dict[str, tuple[int, Any]] = {}
# WeasyPrint's image cache, shared by the renders: the logo is read and decoded once per
# process (WeasyPrint still compresses it into each PDF). Keyed by URL, and the logo's URL
# carries a digest of its content (`_syndicate_context`): a new logo is a new entry. Emptied
# past a few entries.
_image_cache: dict[str, Any] = {}
IMAGE_CACHE_ENTRIES = 32

# The print font, "DejaVu Sans Latin" in static/css/pdf.css: DejaVu Sans (Debian's
# fonts-dejavu-core, installed with the application) cut down, once per process, to the
# characters of French documents, with its kerning and ligatures for them. Each PDF embeds the
# part of the font its text uses. Where WeasyPrint cuts that part with fontTools (a machine
# without the HarfBuzz-Subset library), cutting it out of the whole font (6 000 glyphs, large
# layout tables) took ~120 ms per face and per document, out of this one ~20 ms; with
# HarfBuzz-Subset (the Docker image) it is ~1 ms either way. Characters outside the set are
# drawn from the system's sans-serif. Without the DejaVu files, or if cutting them fails,
# "DejaVu Sans Latin" is missing and all the text is in the system's sans-serif, as before.
PRINT_FONT_FAMILY = "DejaVu Sans Latin"
PRINT_FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
PRINT_FONT_FILES = {"normal": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf"}
PRINT_FONT_RANGES = (
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x017F),  # Latin-1 Supplement, Latin Extended-A (œ, Œ, Ÿ…)
    (0x02BC, 0x02BC),  # modifier apostrophe
    (0x02C6, 0x02DD),  # spacing accents
    (0x2000, 0x206F),  # General Punctuation: spaces (U+202F), dashes, quotes, …, ‰
    (0x20AC, 0x20AC),  # €
    (0x2116, 0x2116),  # №
    (0x2122, 0x2122),  # ™
    (0x2190, 0x2193),  # arrows
    (0x2212, 0x2212),  # minus sign
)
_print_font_rules: list[Any] = []  # its parsed `@font-face` rules, once built


class PdfRenderError(RuntimeError):
    """A PDF could not be rendered (a resource was refused or could not be read)."""


def _font_configuration():
    """The process's FontConfiguration, created on first use and shared by every render."""
    global _font_config
    if _font_config is None:
        with _font_config_lock:
            if _font_config is None:
                from weasyprint.text.fonts import FontConfiguration

                _font_config = FontConfiguration()
                atexit.register(_font_configuration_release)
    return _font_config


def _font_configuration_release() -> None:
    """At exit, while the modules are still loaded, so that WeasyPrint can remove the
    configuration's temporary folder (the "DejaVu Sans Latin" files)."""
    global _font_config
    _font_config = None


def _fetch_roots() -> tuple[Path, ...]:
    # MEDIA_ROOT is read at call time: tests point it at a temporary folder.
    return (STATIC_DIR.resolve(), (Path(settings.MEDIA_ROOT) / "branding" / "public").resolve())


def _url_fetcher():
    from weasyprint.urls import URLFetcher

    class LocalFileFetcher(URLFetcher):
        """Opens `file:` URLs under the allowed folders; refuses everything else."""

        def __init__(self, roots: tuple[Path, ...]) -> None:
            super().__init__(
                allowed_protocols=("file",), allow_redirects=False, fail_on_errors=True
            )
            self._roots = roots

        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
                raise ValueError(f"Ressource refusée (seuls les fichiers locaux) : {url}")
            resolved = Path(unquote(parts.path)).resolve()
            if not any(resolved.is_relative_to(root) for root in self._roots):
                raise ValueError(f"Fichier hors des dossiers autorisés : {url}")
            return super().fetch(url, headers)

    return LocalFileFetcher(_fetch_roots())


def _print_font(path: Path) -> bytes:
    """`path` (a TrueType font) cut down to `PRINT_FONT_RANGES`; the same bytes every time."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.layout_features = ["*"]  # kerning, ligatures… of the characters kept
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.hinting = False  # screen hinting: WeasyPrint leaves it out of PDFs anyway
    options.drop_tables += ["FFTM"]  # FontForge's timestamps
    subsetter = subset.Subsetter(options)
    subsetter.populate(
        unicodes=[c for low, high in PRINT_FONT_RANGES for c in range(low, high + 1)]
    )
    font = TTFont(path, recalcTimestamp=False)
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


def _print_font_stylesheet():
    """The `@font-face` rules of "DejaVu Sans Latin", or None without the DejaVu files."""
    from weasyprint import CSS
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    paths = {weight: PRINT_FONT_DIR / name for weight, name in PRINT_FONT_FILES.items()}
    if not all(path.is_file() for path in paths.values()):
        return None

    class PrintFontFetcher(URLFetcher):
        """Answers `print-font:<weight>` with the cut-down font; refuses everything else. A
        failure leaves the face out (WeasyPrint logs it), it does not stop the render."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols=(), fail_on_errors=False)

        def fetch(self, url, headers=None):
            weight = url.removeprefix("print-font:")
            if weight not in paths:
                raise ValueError(f"Ressource refusée : {url}")
            return URLFetcherResponse(url, body=_print_font(paths[weight]))

    rules = "\n".join(
        f'@font-face {{ font-family: "{PRINT_FONT_FAMILY}"; font-weight: {weight}; '
        f'src: url("print-font:{weight}"); }}'
        for weight in paths
    )
    return CSS(string=rules, url_fetcher=PrintFontFetcher(), font_config=_font_configuration())


def _stylesheets(names: tuple[str, ...]) -> list[Any]:
    """The print font's rules, then the parsed `weasyprint.CSS` of each of `names`. Called
    with `_render_lock` held: they belong to the shared font configuration."""
    from weasyprint import CSS

    if not _print_font_rules:
        _print_font_rules.append(_print_font_stylesheet())
    sheets = [sheet for sheet in _print_font_rules if sheet is not None]
    for name in names:
        path = STATIC_DIR / "css" / name
        version = path.stat().st_mtime_ns
        cached = _stylesheets_parsed.get(name)
        if cached is None or cached[0] != version:
            sheet = CSS(
                filename=str(path), url_fetcher=_url_fetcher(), font_config=_font_configuration()
            )
            cached = _stylesheets_parsed[name] = (version, sheet)
        sheets.append(cached[1])
    return sheets


@contextmanager
def _pinned_font_clock(moment: date | datetime | None) -> Iterator[None]:
    """Where WeasyPrint cuts the embedded fonts with fontTools, fontTools stamps "now" as the
    font's modification date: pinned to the document's date (or 1970) so that the same
    document gives the same bytes. A module global of fontTools, hence under `_render_lock`;
    a renamed function fails loudly (AttributeError)."""
    from fontTools.misc import timeTools
    from fontTools.ttLib.tables import _h_e_a_d as head_table

    if moment is None:
        seconds = 0
    elif isinstance(moment, datetime):
        seconds = int(moment.timestamp())
    else:
        seconds = int(datetime.combine(moment, time(), tzinfo=UTC).timestamp())
    original = head_table.timestampNow
    head_table.timestampNow = lambda: timeTools.timestampSinceEpoch(seconds)
    try:
        yield
    finally:
        head_table.timestampNow = original


@contextmanager
def _collection_deferred() -> Iterator[None]:
    """Python's cyclic garbage collector paused while WeasyPrint renders: the objects of its
    box trees made the collector run dozens of times a document, ~20 % of the render. What
    the render leaves is collected afterwards, at the next automatic collection."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def render_pdf(
    template_name: str,
    context: dict[str, Any],
    *,
    stylesheets: tuple[str, ...] = PDF_STYLESHEETS,
    pdf_variant: str | None = None,
) -> bytes:
    """Render a template of `templates/pdf/` to PDF bytes, in French, styled by `stylesheets`
    (files of `static/css/`, in cascade order; the templates link none).

    `context["pdf_date"]` (a date or datetime) becomes the PDF's creation and modification
    dates (`pdf/base.html` writes them as `dcterms.*` meta): with it, the same document
    renders to the same bytes. `pdf_variant` is WeasyPrint's (e.g. "pdf/a-3b")."""
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError

    context = dict(context)
    context["pdf_date_iso"] = _w3c_date(context.get("pdf_date"))
    with translation.override("fr"):
        html = render_to_string(template_name, context)
    fetcher = _url_fetcher()
    # FatalURLFetchingError derives from BaseException: turn it into an ordinary error so
    # that views, tasks and `except Exception` blocks handle it like any other failure.
    try:
        with _render_lock, _pinned_font_clock(context.get("pdf_date")), _collection_deferred():
            if len(_image_cache) > IMAGE_CACHE_ENTRIES:
                _image_cache.clear()
            document = HTML(string=html, base_url=str(STATIC_DIR) + "/", url_fetcher=fetcher)
            return document.write_pdf(
                font_config=_font_configuration(),
                stylesheets=_stylesheets(stylesheets),
                cache=_image_cache,
                **({"pdf_variant": pdf_variant} if pdf_variant else {}),
            )
    except FatalURLFetchingError as error:
        raise PdfRenderError(str(error)) from error.__cause__


def _w3c_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = value.astimezone(UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


# --- Shared context ---------------------------------------------------------------------


def syndicate_context() -> dict[str, Any]:
    syndicate = syndicate_get()
    logo_uri = ""
    if syndicate is not None and syndicate.logo:
        try:
            logo_path = Path(syndicate.logo.path)
        except (NotImplementedError, ValueError):
            logo_path = None
        if logo_path is not None and logo_path.is_file():
            # The digest names this logo in the renderer's image cache (`_image_cache`).
            digest = hashlib.sha256(logo_path.read_bytes()).hexdigest()[:16]
            logo_uri = f"{logo_path.resolve().as_uri()}?v={digest}"
    return {
        "syndicate": syndicate,
        "syndicate_siret": siret_display(syndicate.siret) if syndicate else "",
        "syndicate_logo_uri": logo_uri,
    }


def percent(rate: Decimal) -> str:
    """0.2 → `20 %` (no-break space), 0.055 → `5,5 %`."""
    text = f"{(rate * 100).normalize():f}"
    return text.replace(".", ",") + "\u00a0%"
