"""Small files of every accepted kind, and hostile ones, made on the spot."""

from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook
from PIL import Image
from reportlab.pdfgen import canvas

from tests import fixtures_pdf


def pdf() -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    c.drawString(72, 720, "Study notes")
    c.save()
    return buf.getvalue()


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buf, "PNG")
    return buf.getvalue()


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buf, "JPEG")
    return buf.getvalue()


def xlsx() -> bytes:
    buf = io.BytesIO()
    wb = Workbook()
    wb.active["A1"] = "演習"
    wb.save(buf)
    return buf.getvalue()


def ooxml(main_part: str, extra: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(main_part, "<document/>")
        for name, body in (extra or {}).items():
            z.writestr(name, body)
    return buf.getvalue()


def docx() -> bytes:
    return ooxml("word/document.xml")


def text() -> bytes:
    return "基本情報技術者試験 学習メモ\n午前問題を毎日10問。\n".encode()


# -- hostile ------------------------------------------------------------------------

#: Well-formed PDFs (a viewer opens them) that run JavaScript on opening; see fixtures_pdf.
PDF_JS = fixtures_pdf.open_action_js()
#: The same action with its names spelt through #xx escapes.
PDF_JS_ESCAPED = fixtures_pdf.open_action_js_escaped()


def pdf_js_in_object_stream() -> bytes:
    return fixtures_pdf.packed_js(["/FlateDecode"])


SVG_SCRIPT = (
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
)
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200


def png_with_html() -> bytes:
    return png() + b"<html><script>alert(1)</script></html>"


def jpeg_with_html_comment() -> bytes:
    body = jpeg()
    comment = b"<script>alert(1)</script>"
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return body[:2] + segment + body[2:]


def pdf_zip_polyglot() -> bytes:
    return pdf() + docx()


def docx_with_macros() -> bytes:
    return ooxml("word/document.xml", {"word/vbaProject.bin": b"\x00macro"})


def zip_bomb() -> bytes:
    return ooxml("word/document.xml", {"word/media/big.bin": b"\x00" * (20 * 1024 * 1024)})
