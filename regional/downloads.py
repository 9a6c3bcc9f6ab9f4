"""Files the platform sends (exports, rosters, records): one way to build the answer.

The type is given whole, as ``content_type``: Werkzeug appends ``; charset=utf-8`` to
any ``text/*`` *mimetype*, even one that names its charset already, so a CSV built
with ``mimetype="text/csv; charset=utf-8"`` said its charset twice (and a Shift_JIS
roster said ``charset=shift_jis; charset=utf-8``, two different ones).
"""

from __future__ import annotations

from flask import Response

#: CSV files are written in UTF-8 with a byte-order mark (Excel reads them so).
CSV_UTF8 = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_response(body: bytes, content_type: str, filename: str) -> Response:
    """``body`` as an attachment named ``filename`` (ASCII), typed exactly ``content_type``."""
    return Response(
        body,
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
