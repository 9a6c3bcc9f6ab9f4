"""The completion certificate (修了証) as a PDF, with the Japanese font embedded.

The font is IPAmj明朝 (Debian's ``fonts-ipamj-mincho``, installed by
``scripts/ensure-system``): a TrueType font made for names as registered in
Japan, so it has 𠮷 (U+20BB7), 髙 and the other characters outside JIS X 0208.
reportlab embeds a subset of it. Noto Sans CJK covers them too, but Debian
ships it only as CFF-based OpenType collections, which reportlab cannot embed.
The path can be changed with ``CERTIFICATE_FONT`` (any TrueType-outline font).

reportlab writes the ToUnicode map (what text extraction and screen readers
read) with one four-digit hex number per character, which is wrong for
characters beyond the Basic Multilingual Plane: 𠮷 would extract as nothing.
:func:`_to_unicode_cmap` writes UTF-16 (a surrogate pair) instead.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfgen import canvas

from regional.fiscal import era_date_en, era_date_ja

FONT_NAME = "CertificateMincho"
DEFAULT_FONT = "/usr/share/fonts/truetype/ipamj/ipamjm.ttf"


class FontMissing(RuntimeError):
    """The certificate font is not installed (run scripts/ensure-system)."""


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """reportlab's ToUnicode CMap, with each character as UTF-16BE hex (pairs beyond the BMP)."""
    entries = [
        f"<{i:02X}> <{chr(code).encode('utf-16-be').hex().upper()}>"
        for i, code in enumerate(subset)
    ]
    return "\n".join(
        [
            "/CIDInit /ProcSet findresource begin",
            "12 dict begin",
            "begincmap",
            "/CIDSystemInfo",
            f"<< /Registry ({fontname})",
            f"/Ordering ({fontname})",
            "/Supplement 0",
            ">> def",
            f"/CMapName /{fontname} def",
            "/CMapType 2 def",
            "1 begincodespacerange",
            f"<00> <{len(subset) - 1:02X}>",
            "endcodespacerange",
            f"{len(subset)} beginbfchar",
            *entries,
            "endbfchar",
            "endcmap",
            "CMapName currentdict /CMap defineresource pop",
            "end",
            "end",
        ]
    )


ttfonts.makeToUnicodeCMap = _to_unicode_cmap


def register_font(path: str | None) -> str:
    """Register the certificate font once per process; its name for ``setFont``."""
    if FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return FONT_NAME
    font_file = Path(path or DEFAULT_FONT)
    if not font_file.is_file():
        raise FontMissing(f"certificate font not found: {font_file}")
    pdfmetrics.registerFont(ttfonts.TTFont(FONT_NAME, str(font_file)))
    return FONT_NAME


@dataclass(frozen=True)
class CertificateText:
    name: str
    program_code: str
    program_title_ja: str
    program_title_en: str
    hours: Decimal
    completed_on: date
    issued_on: date
    issuer_ja: str
    issuer_en: str
    code: str
    verify_url: str


def display_code(code: str) -> str:
    """``ABCD-EFGH-JKLM-NPQR``: easier to read out and to type."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def _hours(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def render(text: CertificateText, font_path: str | None = None) -> bytes:
    """One A4 landscape page: the certificate, its verification code and QR code."""
    font = register_font(font_path)
    buf = io.BytesIO()
    width, height = landscape(A4)
    c = canvas.Canvas(buf, pagesize=(width, height), pageCompression=1)
    c.setTitle(f"修了証 {text.name} {text.program_title_ja}")
    c.setAuthor(text.issuer_ja)
    c.setSubject("Certificate of completion")
    ink, accent = HexColor("#1a1a1a"), HexColor("#1d4e89")

    c.setStrokeColor(accent)
    c.setLineWidth(3)
    c.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    c.setLineWidth(0.8)
    c.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)

    c.setFillColor(accent)
    c.setFont(font, 40)
    c.drawCentredString(width / 2, height - 48 * mm, "修 了 証")
    c.setFont(font, 12)
    c.drawCentredString(width / 2, height - 57 * mm, "Certificate of Completion")

    c.setFillColor(ink)
    c.setFont(font, 28)
    c.drawCentredString(width / 2, height - 80 * mm, f"{text.name}　様")
    c.setLineWidth(0.5)
    c.line(width / 2 - 80 * mm, height - 83 * mm, width / 2 + 80 * mm, height - 83 * mm)

    c.setFont(font, 13)
    c.drawCentredString(
        width / 2, height - 97 * mm, "あなたは下記の研修を修了したことをここに証します。"
    )
    rows = [
        ("研修名", f"{text.program_title_ja}（{text.program_code}）"),
        ("", text.program_title_en),
        ("研修時間", f"{_hours(text.hours)}時間 / {_hours(text.hours)} hours"),
        ("修了日", era_date_ja(text.completed_on)),
        ("", era_date_en(text.completed_on)),
    ]
    y = height - 112 * mm
    for label, value in rows:
        c.setFont(font, 12)
        c.drawString(60 * mm, y, label)
        c.setFont(font, 13 if label else 10)
        c.drawString(90 * mm, y, value)
        y -= 8 * mm

    c.setFont(font, 12)
    c.drawString(60 * mm, 40 * mm, era_date_ja(text.issued_on))
    c.setFont(font, 18)
    c.drawString(60 * mm, 29 * mm, text.issuer_ja)
    c.setFont(font, 10)
    c.drawString(60 * mm, 23 * mm, text.issuer_en)

    size = 34 * mm
    qr = QrCodeWidget(text.verify_url, barLevel="M")
    x0, y0, x1, y1 = qr.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(qr)
    qr_x = width - 22 * mm - size
    renderPDF.draw(drawing, c, qr_x, 26 * mm)
    c.setFont(font, 9)
    c.drawRightString(width - 22 * mm, 22 * mm, f"検証コード {display_code(text.code)}")
    c.setFont(font, 7)
    c.drawRightString(width - 22 * mm, 18 * mm, text.verify_url)

    c.showPage()
    c.save()
    return buf.getvalue()
