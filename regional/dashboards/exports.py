"""Progress and council-report exports: the XLSX workbook and CSV.

XLSX is built by the one helper every workbook of the platform goes through
(:mod:`regional.workbooks`: widths, a frozen filterable header, real numbers and
dates, A4 print set-up); its pieces are re-exported here for the dashboards. CSV:
UTF-8 with a byte-order mark and CRLF, as Excel in Japan expects. Text cells get
the same formula-injection guard (``regional.workbooks.neutralise``).
"""

from __future__ import annotations

import csv
import io

from flask import Response

from regional.downloads import CSV_UTF8, XLSX
from regional.workbooks import Col, Sheet, Table, neutralise, sheet_name, to_xlsx

CSV_MIMETYPE = CSV_UTF8
XLSX_MIMETYPE = XLSX

__all__ = [
    "CSV_MIMETYPE",
    "XLSX_MIMETYPE",
    "Col",
    "Sheet",
    "Table",
    "attachment",
    "sheet_name",
    "to_csv",
    "to_xlsx",
]


def _csv_text(value: object, kind: str) -> object:
    if value is None or value == "":
        return ""
    if kind == "rate":
        return f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]
    if kind == "date":
        return value.isoformat()[:10]  # type: ignore[union-attr]
    if kind == "datetime":
        return value.strftime("%Y-%m-%d %H:%M")  # type: ignore[union-attr]
    if kind == "int":
        return int(value)  # type: ignore[arg-type]
    return neutralise(str(value))


def to_csv(sheet: Sheet) -> bytes:
    """One table as CSV with a byte-order mark and CRLF lines (a CSV file holds one table)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(c.title) for c in sheet.columns])
    for row in sheet.rows:
        writer.writerow([_csv_text(v, c.kind) for c, v in zip(sheet.columns, row, strict=True)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def attachment(data: bytes, fmt: str, stem: str) -> Response:
    """A download named ``<stem>.<fmt>`` (xlsx or csv), never shown in the browser."""
    from regional.downloads import file_response

    return file_response(data, XLSX_MIMETYPE if fmt == "xlsx" else CSV_MIMETYPE, f"{stem}.{fmt}")
