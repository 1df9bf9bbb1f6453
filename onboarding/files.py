"""Reading an import file (CSV with ; or , separators, UTF-8 or Windows-1252; or XLSX, its
first sheet) into numbered rows, and writing the template of each kind of file."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from onboarding import domain

UNREADABLE = (
    "Fichier illisible : envoyez un fichier CSV (séparateur ; ou ,) ou XLSX, avec la ligne "
    "d'en-tête du modèle."
)
EMPTY = "Le fichier ne contient aucune ligne après l'en-tête."


@dataclass
class Sheet:
    rows: list[dict] = field(default_factory=list)  # {"line": n, column: text}
    errors: list[dict] = field(default_factory=list)  # {"line", "column", "message"}


def _cells(name: str, content: bytes) -> list[list[object]]:
    if name.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - any unreadable workbook gets one message
            raise ValueError(UNREADABLE) from exc
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes nearly anything
        raise ValueError(UNREADABLE)
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    return [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def read(kind: str, name: str, content: bytes) -> Sheet:
    """The rows of the file (line numbers as a spreadsheet shows them: the header is line 1)
    and the errors of its header."""
    sheet = Sheet()
    try:
        cells = _cells(name, content)
    except ValueError as exc:
        sheet.errors.append({"line": 0, "column": "", "message": str(exc)})
        return sheet
    if not any(any(domain.text_of(c) for c in row) for row in cells):
        sheet.errors.append({"line": 0, "column": "", "message": UNREADABLE})
        return sheet
    columns = {c.name: c for c in domain.COLUMNS[kind]}
    header = [domain.header_key(domain.text_of(c)) for c in cells[0]]
    for position, key in enumerate(header):
        if key and key not in columns:
            sheet.errors.append(
                {
                    "line": 1,
                    "column": domain.text_of(cells[0][position]),
                    "message": domain.HEADER_UNKNOWN.format(
                        name=domain.text_of(cells[0][position]), expected=", ".join(columns)
                    ),
                }
            )
    for column in columns.values():
        if column.required and column.name not in header:
            sheet.errors.append(
                {"line": 1, "column": column.name, "message": domain.HEADER_MISSING}
            )
    if sheet.errors:
        return sheet
    for number, row in enumerate(cells[1:], start=2):
        values = {
            key: domain.text_of(row[i] if i < len(row) else None)
            for i, key in enumerate(header)
            if key
        }
        if any(values.values()):
            sheet.rows.append({"line": number, **values})
    if not sheet.rows:
        sheet.errors.append({"line": 0, "column": "", "message": EMPTY})
    return sheet


def template_csv(kind: str) -> bytes:
    columns = domain.COLUMNS[kind]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([c.name for c in columns])
    writer.writerow([c.example for c in columns])
    return out.getvalue().encode("utf-8-sig")


def template_xlsx(kind: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = domain.KIND_LABELS[kind]
    columns = domain.COLUMNS[kind]
    sheet.append([c.name for c in columns])
    sheet.append([c.example for c in columns])
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        note = ("obligatoire" if column.required else "facultatif") + (
            f" : {column.help}" if column.help else ""
        )
        cell.comment = Comment(note, "Portail")
        sheet.column_dimensions[cell.column_letter].width = max(14, len(column.example) + 2)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
