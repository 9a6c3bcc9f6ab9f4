"""PDF uploads are read by a real parser: hostile PDFs refused, real scans accepted.

The corpus (``tests/fixtures_pdf.py``) is built in the test, each file well-formed so
that a viewer would open it: JavaScript hidden in object streams behind every filter
and chains of filters, names spelt with ``#xx`` escapes, open and additional actions,
launch actions, embedded files, XFA, rich media, decompression bombs. Each is refused
by the check itself, then through both upload paths (a qualification's certificate
scan, page and API, and a learning material) where nothing is kept.
"""

from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import select

from regional.extensions import db
from regional.growth import files, pdf_check
from regional.growth.models import Material, Qualification
from tenants import all_tenants
from tests import fixtures_pdf as fp

EN = {"Accept-Language": "en"}
FILTERS = ["/FlateDecode", "/ASCIIHexDecode", "/ASCII85Decode", "/LZWDecode", "/RunLengthDecode"]
CHAINS = [
    ["/FlateDecode", "/ASCIIHexDecode"],
    ["/ASCIIHexDecode", "/FlateDecode"],
    ["/ASCII85Decode", "/LZWDecode", "/RunLengthDecode"],
]

#: name -> file maker; each has active content a viewer would run or open.
ACTIVE = {
    "open-action-javascript": fp.open_action_js,
    "escaped-names": fp.open_action_js_escaped,
    "open-action-goto": fp.open_action_goto,
    **{f"object-stream{f}": (lambda f=f: fp.packed_js([f])) for f in FILTERS},
    **{f"object-stream[{' '.join(c)}]": (lambda c=c: fp.packed_js(c)) for c in CHAINS},
    "additional-action": fp.page_additional_action,
    "launch": fp.launch_action,
    "embedded-file": fp.embedded_file,
    "file-attachment": fp.file_attachment_annotation,
    "xfa": fp.xfa_form,
    "rich-media": fp.rich_media,
    "javascript-name-tree": fp.javascript_name_tree,
}
#: name -> file maker; each cannot be read within the bounds (or at all).
UNREADABLE = {
    "content-bomb": fp.content_bomb,
    "object-stream-bomb": fp.packed_bomb,
    "password": fp.password_protected,
    "broken": fp.broken,
}
#: name -> file maker; documents and scans as people have them.
REAL = {
    "reportlab-text-and-link": fp.reportlab_text,
    "image-only-reportlab": fp.image_only_reportlab,
    "image-only-pillow": fp.image_only_pillow,
    "hand-built": fp.plain,
    "opens-at-a-page": fp.open_destination,
    **{f"object-stream{f}": (lambda f=f: fp.packed_plain([f])) for f in FILTERS},
    **{f"object-stream[{' '.join(c)}]": (lambda c=c: fp.packed_plain(c)) for c in CHAINS},
}
HOSTILE = {
    **{k: ("unsafe_file", v) for k, v in ACTIVE.items()},
    **{k: ("unreadable_file", v) for k, v in UNREADABLE.items()},
}


@pytest.fixture
def inside(app):
    with app.app_context(), app.test_request_context(headers=EN):
        yield


# -- the check itself ---------------------------------------------------------------------


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_pdfs_are_refused_as_scans_and_as_materials(inside, name):
    code, make = HOSTILE[name]
    data = make()
    for kinds in (files.SCAN_KINDS, files.MATERIAL_KINDS):
        with pytest.raises(files.UploadRefused) as refused:
            files.sniff(data, kinds)
        assert refused.value.code == code, name


@pytest.mark.parametrize("name", list(REAL))
def test_real_documents_and_scans_are_accepted(inside, name):
    data = REAL[name]()
    assert files.sniff(data, files.SCAN_KINDS).key == "pdf"
    assert files.sniff(data, files.MATERIAL_KINDS).key == "pdf"


def test_the_refusals_say_why(inside):
    with pytest.raises(files.UploadRefused) as active:
        files.sniff(fp.open_action_js())
    assert "active content" in str(active.value.message)
    with pytest.raises(files.UploadRefused) as unreadable:
        files.sniff(fp.password_protected())
    assert "could not be read" in str(unreadable.value.message)


def test_the_hidden_action_is_found_in_the_object_stream(inside):
    """Not by luck elsewhere: the only active object is inside the encoded object stream."""
    data = fp.packed_js(["/ASCIIHexDecode", "/FlateDecode"])
    assert b"JavaScript" not in data and b"/JS" not in data
    with pytest.raises(pdf_check.PdfProblem) as problem:
        pdf_check.check_pdf(data)
    assert str(problem.value) == "object 7: /JS"


@pytest.mark.parametrize(
    ("bound", "value"),
    [("MAX_OBJECTS", 3), ("MAX_PAGES", 0), ("MAX_SECONDS", -1.0), ("MAX_DECODED", 10)],
)
def test_the_work_is_bounded(inside, monkeypatch, bound, value):
    """Objects, pages, decoded bytes and time each have a bound past which a file is refused."""
    data = fp.reportlab_text()
    pdf_check.check_pdf(data)
    monkeypatch.setattr(pdf_check, bound, value)
    with pytest.raises(pdf_check.PdfProblem) as problem:
        pdf_check.check_pdf(data)
    assert problem.value.kind == "unreadable"


def test_the_library_stops_decoding_at_the_bound(inside, monkeypatch):
    """Memory: a stream is not decoded past the bound and measured afterwards, it is cut short."""
    monkeypatch.setattr(pdf_check, "MAX_DECODED", 1024 * 1024)
    with pytest.raises(pdf_check.PdfProblem) as problem:
        pdf_check.check_pdf(fp.packed_bomb(3))
    assert "LimitReachedError" in str(problem.value)


def test_a_password_is_named_as_the_reason(inside):
    with pytest.raises(pdf_check.PdfProblem) as problem:
        pdf_check.check_pdf(fp.password_protected())
    assert str(problem.value) == "protected by a password"


def test_a_bomb_is_refused_quickly(inside):
    import time

    data = fp.content_bomb(400)
    started = time.monotonic()
    with pytest.raises(files.UploadRefused):
        files.sniff(data)
    assert time.monotonic() - started < 5


def test_a_refusal_is_logged_with_its_reason(inside, caplog):
    caplog.set_level(logging.INFO, logger="regional.growth.files")
    with pytest.raises(files.UploadRefused):
        files.sniff(fp.launch_action())
    assert any("kind=active why=object 6: /Launch" in r.getMessage() for r in caplog.records)


# -- through the upload paths -------------------------------------------------------------


def _scan_form(number: str, data: bytes) -> dict:
    return {
        "exam": "FE",
        "passed_on": "2025-06-01",
        "certificate_number": number,
        "scan": (io.BytesIO(data), "合格証.pdf"),
    }


def _qualification(app, number: str) -> Qualification | None:
    with app.app_context(), all_tenants(db.session):
        return db.session.scalar(
            select(Qualification).where(Qualification.certificate_number == number)
        )


def _publish(client, title: str, data: bytes):
    form = {
        "title": title,
        "skill_area_key": "information_security",
        "exam_code": "FE",
        "for_everyone": "y",
        "file": (io.BytesIO(data), "教材.pdf"),
    }
    return client.form_post(
        "/growth/materials", form, content_type="multipart/form-data", headers=EN
    )


def _material(app, title: str) -> Material | None:
    with app.app_context():
        return db.session.scalar(select(Material).where(Material.title == title))


@pytest.mark.parametrize("name", list(HOSTILE))
def test_every_upload_path_refuses_the_hostile_pdf_and_keeps_nothing(
    app, api, as_employee_a, as_admin, world, name
):
    code, make = HOSTILE[name]
    data = make()
    page = as_employee_a.form_post(
        "/growth/qualifications",
        _scan_form("PAGE-1", data),
        content_type="multipart/form-data",
        headers=EN,
    )
    assert page.status_code == 200 and "flash-error" in page.get_data(as_text=True)
    assert _qualification(app, "PAGE-1") is None

    resp = api(world.emails["employee_a"]).post(
        "/me/qualifications",
        data=_scan_form("API-1", data),
        content_type="multipart/form-data",
        headers=EN,
    )
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == code
    assert resp.get_json()["error"]["field"] == "file"
    assert _qualification(app, "API-1") is None

    published = _publish(as_admin, f"hostile {name}", data)
    assert published.status_code == 422
    assert "flash-error" in published.get_data(as_text=True)
    assert _material(app, f"hostile {name}") is None


def test_a_correction_with_a_hostile_scan_keeps_the_old_scan(app, as_employee_a):
    first = fp.image_only_pillow()
    resp = as_employee_a.form_post(
        "/growth/qualifications",
        _scan_form("EDIT-1", first),
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    qid = _qualification(app, "EDIT-1").id
    resp = as_employee_a.form_post(
        f"/growth/qualifications/{qid}/edit",
        _scan_form("EDIT-1", fp.packed_js(["/FlateDecode", "/ASCIIHexDecode"])),
        content_type="multipart/form-data",
        headers=EN,
    )
    assert resp.status_code == 200
    assert "active content" in resp.get_data(as_text=True)
    assert as_employee_a.get(f"/growth/qualifications/{qid}/scan").data == first


@pytest.mark.parametrize("name", ["reportlab-text-and-link", "image-only-pillow"])
def test_real_pdfs_are_kept_and_served_as_inert_downloads(
    app, api, as_employee_a, as_admin, world, name
):
    data = REAL[name]()
    resp = as_employee_a.form_post(
        "/growth/qualifications", _scan_form("REAL-1", data), content_type="multipart/form-data"
    )
    assert resp.status_code == 302
    qid = _qualification(app, "REAL-1").id
    scan = as_employee_a.get(f"/growth/qualifications/{qid}/scan")
    assert scan.data == data and scan.mimetype == "application/pdf"
    assert scan.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in scan.headers["Content-Security-Policy"]

    resp = api(world.emails["employee_a"]).post(
        "/me/qualifications", data=_scan_form("REAL-2", data), content_type="multipart/form-data"
    )
    assert resp.status_code == 201 and resp.get_json()["has_scan"] is True

    assert _publish(as_admin, f"real {name}", data).status_code == 302
    material = _material(app, f"real {name}")
    got = as_admin.get(f"/growth/materials/{material.id}/download")
    assert got.data == data and got.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in got.headers["Content-Security-Policy"]


def test_the_refusal_reads_in_japanese_by_default(app, as_employee_a):
    page = as_employee_a.form_post(
        "/growth/qualifications",
        _scan_form("JA-1", fp.packed_js(["/LZWDecode"])),
        content_type="multipart/form-data",
    )
    assert "このPDFには実行される内容" in page.get_data(as_text=True)
    assert _qualification(app, "JA-1") is None
