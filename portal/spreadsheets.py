"""Cells of the CSV and XLSX files the portal writes (issue 18: formula injection).

A text that a person typed — a purchase-order number, a name, a reason — may begin with a
character that a spreadsheet reads as the start of a formula. In CSV such a cell is prefixed
with an apostrophe (OWASP's rule for CSV injection), so that the spreadsheet shows the text;
in XLSX every text is written as a string cell, never a formula. Numbers and dates are written
by the callers in their own format and are never passed here."""

from __future__ import annotations

# OWASP, "CSV Injection": what a spreadsheet may take for the start of a formula or command.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    """`value` as a CSV cell that no spreadsheet evaluates."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def xlsx_text(cell, value: str) -> None:
    """Write `value` into an openpyxl cell as a string, whatever it begins with (openpyxl
    takes any string beginning with "=" for a formula)."""
    cell.value = value
    cell.data_type = "s"
    cell.number_format = "@"
