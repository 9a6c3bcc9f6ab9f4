"""PDF files built byte by byte: well-formed (a viewer opens them), some of them hostile.

A hostile file is only a fair test when a viewer would read it: each one here has a
correct cross-reference table (or stream), so a refusal is the check's doing and not
a parse failure. Objects may be packed into an object stream encoded by any of the
standard filters, alone or chained.
"""

from __future__ import annotations

import base64
import binascii
import io
import zlib

from PIL import Image
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

# -- encoders: each is the inverse of the PDF filter of the same name ---------------------


def _ascii_hex(data: bytes) -> bytes:
    return binascii.hexlify(data) + b">"


def _ascii85(data: bytes) -> bytes:
    return base64.a85encode(data) + b"~>"


def _run_length(data: bytes) -> bytes:
    out = bytearray()
    for i in range(0, len(data), 128):
        chunk = data[i : i + 128]
        out.append(len(chunk) - 1)  # a literal run of len(chunk) bytes
        out += chunk
    out.append(128)  # end of data
    return bytes(out)


def _lzw(data: bytes) -> bytes:
    """LZW as PDF decodes it (EarlyChange 1): codes of 9 to 12 bits, 256 clear, 257 end."""
    table = {bytes([i]): i for i in range(256)}
    next_code, width = 258, 9
    bits, nbits, out = 0, 0, bytearray()

    def emit(code: int) -> None:
        nonlocal bits, nbits
        bits = (bits << width) | code
        nbits += width
        while nbits >= 8:
            nbits -= 8
            out.append((bits >> nbits) & 0xFF)

    emit(256)
    word = b""
    for byte in data:
        candidate = word + bytes([byte])
        if candidate in table:
            word = candidate
            continue
        emit(table[word])
        table[candidate] = next_code
        next_code += 1
        if next_code + 1 > (1 << width) and width < 12:  # early change: widen one code early
            width += 1
        if next_code >= 4094:
            emit(256)
            table = {bytes([i]): i for i in range(256)}
            next_code, width = 258, 9
        word = bytes([byte])
    if word:
        emit(table[word])
    emit(257)
    if nbits:
        out.append((bits << (8 - nbits)) & 0xFF)
    return bytes(out)


ENCODERS = {
    "/FlateDecode": zlib.compress,
    "/ASCIIHexDecode": _ascii_hex,
    "/ASCII85Decode": _ascii85,
    "/LZWDecode": _lzw,
    "/RunLengthDecode": _run_length,
}


def encode(data: bytes, filters: list[str]) -> bytes:
    """``data`` encoded so that decoding with ``filters`` (in their order) gives it back."""
    for name in reversed(filters):
        data = ENCODERS[name](data)
    return data


def _filter_entry(filters: list[str]) -> bytes:
    if not filters:
        return b""
    if len(filters) == 1:
        return b" /Filter " + filters[0].encode()
    return b" /Filter [" + b" ".join(f.encode() for f in filters) + b"]"


def stream(body: bytes, filters: list[str] | None = None, extra: bytes = b"") -> bytes:
    """A stream object's body (dictionary and data), encoded with ``filters``."""
    data = encode(body, filters or [])
    head = b"<< /Length %d" % len(data) + _filter_entry(filters or []) + extra + b" >>"
    return head + b"\nstream\n" + data + b"\nendstream"


# -- whole files ----------------------------------------------------------------------------


def build(objects: dict[int, bytes], *, root: int = 1, trailer: bytes = b"") -> bytes:
    """A PDF 1.7 file with a classic cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    size = max(objects) + 1
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        if number in offsets:
            out += b"%010d 00000 n \n" % offsets[number]
        else:
            out += b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root %d 0 R" % (size, root) + trailer + b" >>\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def build_packed(
    outside: dict[int, bytes],
    packed: dict[int, bytes],
    filters: list[str],
    *,
    root: int = 1,
) -> bytes:
    """A PDF 1.7 file whose ``packed`` objects live in one object stream encoded with
    ``filters``, found through a cross-reference stream (as Acrobat writes them)."""
    numbers = sorted(packed)
    bodies = [packed[n] for n in numbers]
    offsets, position = [], 0
    for body in bodies:
        offsets.append(position)
        position += len(body) + 1
    header = b" ".join(b"%d %d" % (n, o) for n, o in zip(numbers, offsets, strict=True)) + b"\n"
    content = header + b"\n".join(bodies) + b"\n"
    objstm = max([*outside, *packed]) + 1
    xref_number = objstm + 1
    objects = dict(outside)
    objects[objstm] = stream(
        content, filters, b" /Type /ObjStm /N %d /First %d" % (len(numbers), len(header))
    )
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    where = {}
    for number in sorted(objects):
        where[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    size = xref_number + 1
    rows = bytearray()
    for number in range(size):
        if number in where:
            rows += bytes([1]) + where[number].to_bytes(4, "big") + (0).to_bytes(2, "big")
        elif number in packed:
            index = numbers.index(number)
            rows += bytes([2]) + objstm.to_bytes(4, "big") + index.to_bytes(2, "big")
        elif number == xref_number:
            rows += bytes([1]) + len(out).to_bytes(4, "big") + (0).to_bytes(2, "big")
        else:
            rows += bytes([0]) + (0).to_bytes(4, "big") + (65535).to_bytes(2, "big")
    xref_at = len(out)
    out += b"%d 0 obj\n" % xref_number
    out += b"<< /Type /XRef /Size %d /W [1 4 2] /Root %d 0 R /Length %d >>\nstream\n" % (
        size,
        root,
        len(rows),
    )
    out += bytes(rows) + b"\nendstream\nendobj\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


PAGE_CONTENT = b"BT /F1 24 Tf 72 720 Td (Study notes) Tj ET"


def _page_objects(page_extra: bytes = b"", catalog_extra: bytes = b"") -> dict[int, bytes]:
    """A one-page document: catalog 1, pages 2, page 3, content 4, font 5."""
    return {
        1: b"<< /Type /Catalog /Pages 2 0 R" + catalog_extra + b" >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >>" + page_extra + b" >>",
        4: stream(PAGE_CONTENT, ["/FlateDecode"]),
        5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }


def plain() -> bytes:
    """A harmless one-page document, hand-built."""
    return build(_page_objects())


def with_catalog(extra: bytes, more: dict[int, bytes] | None = None) -> bytes:
    return build({**_page_objects(catalog_extra=extra), **(more or {})})


def with_page(extra: bytes, more: dict[int, bytes] | None = None) -> bytes:
    return build({**_page_objects(page_extra=extra), **(more or {})})


JS_ACTION = b"<< /Type /Action /S /JavaScript /JS (app.alert\\(document.cookie\\)) >>"


def open_action_js() -> bytes:
    return with_catalog(b" /OpenAction 6 0 R", {6: JS_ACTION})


def open_action_js_escaped() -> bytes:
    """The same, every name spelt with ``#xx`` escapes (``/Java#53cript``)."""
    action = b"<< /Type /Action /S /Java#53cript /J#53 (app.alert\\(1\\)) >>"
    return with_catalog(b" /Open#41ction 6 0 R", {6: action})


def open_action_goto() -> bytes:
    """An /OpenAction that is an action, even a harmless GoTo: refused as an action."""
    return with_catalog(b" /OpenAction << /S /GoTo /D [3 0 R /Fit] >>")


def open_destination() -> bytes:
    """An /OpenAction that is a destination (open at page 1, whole page): accepted."""
    return with_catalog(b" /OpenAction [3 0 R /Fit]")


def packed_js(filters: list[str]) -> bytes:
    """The page's annotation runs JavaScript; the action lives in an object stream."""
    objects = _page_objects(page_extra=b" /Annots [6 0 R]")
    annotation = b"<< /Type /Annot /Subtype /Link /Rect [0 0 100 100] /A 7 0 R >>"
    return build_packed(objects, {6: annotation, 7: JS_ACTION}, filters)


def packed_plain(filters: list[str]) -> bytes:
    """Harmless objects in an object stream: the packing itself is not refused."""
    objects = _page_objects()
    page = objects.pop(3)
    font = objects.pop(5)
    return build_packed(objects, {3: page, 5: font}, filters)


def page_additional_action() -> bytes:
    return with_page(b" /AA << /O << /S /URI /URI (https://example.org/) >> >>")


def launch_action() -> bytes:
    annotation = (
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 100 100]"
        b" /A << /S /Launch /F (C:\\\\Windows\\\\System32\\\\cmd.exe) >> >>"
    )
    return with_page(b" /Annots [6 0 R]", {6: annotation})


def embedded_file() -> bytes:
    names = b" /Names << /EmbeddedFiles << /Names [(setup.exe) 6 0 R] >> >>"
    return with_catalog(
        names,
        {
            6: b"<< /Type /Filespec /F (setup.exe) /EF << /F 7 0 R >> >>",
            7: stream(b"MZ\x90\x00", ["/FlateDecode"], b" /Type /EmbeddedFile"),
        },
    )


def file_attachment_annotation() -> bytes:
    annotation = b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 20 20] /FS 7 0 R >>"
    return with_page(
        b" /Annots [6 0 R]",
        {6: annotation, 7: b"<< /Type /Filespec /F (a.txt) >>"},
    )


def xfa_form() -> bytes:
    xfa = stream(b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'/>", ["/FlateDecode"])
    return with_catalog(b" /AcroForm << /Fields [] /XFA 6 0 R >>", {6: xfa})


def rich_media() -> bytes:
    annotation = b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 100 100] >>"
    return with_page(b" /Annots [6 0 R]", {6: annotation})


def javascript_name_tree() -> bytes:
    """Document-level JavaScript in the /Names tree, its code a stream."""
    return with_catalog(
        b" /Names << /JavaScript << /Names [(init) 6 0 R] >> >>",
        {6: b"<< /S /JavaScript /JS 7 0 R >>", 7: stream(b"app.alert(1)", ["/FlateDecode"])},
    )


def content_bomb(megabytes: int = 64) -> bytes:
    """A page content stream that inflates from about 64 KB to ``megabytes`` MB."""
    body = zlib.compress(b" " * (megabytes * 1024 * 1024), 9)
    objects = _page_objects()
    objects[4] = (
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + (b"\nendstream")
    )
    return build(objects)


def packed_bomb(megabytes: int = 64) -> bytes:
    """An object stream that inflates to ``megabytes`` MB (the library must decode it)."""
    objects = _page_objects()
    filler = b"<< /Filler (" + b"A" * (megabytes * 1024 * 1024) + b") >>"
    return build_packed(objects, {6: filler}, ["/FlateDecode"])


def password_protected() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(reportlab_text())))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def broken() -> bytes:
    """Starts and ends like a PDF; nothing in between is one."""
    return b"%PDF-1.7\n" + b"\x00\x01garbage" * 100 + b"\n%%EOF\n"


# -- real documents ---------------------------------------------------------------------


def reportlab_text() -> bytes:
    """A plain document as the platform itself writes them (reportlab), with a web link."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    c.drawString(72, 720, "Certificate of passing (copy)")
    c.linkURL("https://www.ipa.go.jp/", (72, 700, 300, 715))
    c.showPage()
    c.drawString(72, 720, "Page 2")
    c.save()
    return buf.getvalue()


def _scan_image() -> Image.Image:
    image = Image.new("RGB", (850, 1100), "white")
    for x in range(100, 750):
        image.putpixel((x, 200), (0, 0, 0))
    return image


def image_only_reportlab() -> bytes:
    """A scanned page: one picture filling an A4 page, no text (reportlab)."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    c.drawImage(ImageReader(_scan_image()), 0, 0, width=595, height=842)
    c.save()
    return buf.getvalue()


def image_only_pillow() -> bytes:
    """A scanned page as a scanner's software writes it (a JPEG in a PDF, Pillow)."""
    buf = io.BytesIO()
    _scan_image().save(buf, "PDF", resolution=100.0)
    return buf.getvalue()
