"""Uploads are judged by their bytes: accepted kinds only, hostile files refused."""

from __future__ import annotations

import pytest

from regional.growth import files
from tests import fixtures_files as ff


@pytest.fixture
def inside(app):
    with app.app_context():
        yield


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (ff.pdf, "pdf"),
        (ff.png, "png"),
        (ff.jpeg, "jpeg"),
        (ff.xlsx, "xlsx"),
        (ff.docx, "docx"),
        (lambda: ff.ooxml("ppt/presentation.xml"), "pptx"),
        (ff.text, "txt"),
    ],
)
def test_accepted_kinds(inside, make, kind):
    assert files.sniff(make()).key == kind


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda: ff.PDF_JS, "unsafe_file"),
        (lambda: ff.PDF_JS_ESCAPED, "unsafe_file"),
        (ff.pdf_js_in_object_stream, "unsafe_file"),
        (lambda: ff.SVG_SCRIPT, "file_type"),
        (lambda: ff.HTML, "file_type"),
        (lambda: ff.EXE, "file_type"),
        (ff.png_with_html, "unsafe_file"),
        (ff.jpeg_with_html_comment, "unsafe_file"),
        (ff.pdf_zip_polyglot, "unsafe_file"),
        (lambda: ff.png() + ff.docx(), "unsafe_file"),
        (lambda: ff.jpeg() + ff.docx(), "unsafe_file"),
        (lambda: ff.docx() + b"trailing", "file_type"),
        (ff.docx_with_macros, "unsafe_file"),
        (ff.zip_bomb, "file_type"),
        (lambda: b"", "empty_file"),
        (lambda: b"ok\x00", "file_type"),
    ],
)
def test_hostile_files_are_refused(inside, make, code):
    with pytest.raises(files.UploadRefused) as refused:
        files.sniff(make())
    assert refused.value.code == code


def test_oversized_files_are_refused(inside, app):
    app.config["GROWTH_MAX_UPLOAD_BYTES"] = 1000
    try:
        with pytest.raises(files.UploadRefused) as refused:
            files.sniff(ff.text() * 100)
        assert refused.value.code == "file_too_large"
    finally:
        app.config["GROWTH_MAX_UPLOAD_BYTES"] = 4 * 1024 * 1024


def test_scans_accept_only_pictures_and_pdf(inside):
    with pytest.raises(files.UploadRefused):
        files.sniff(ff.xlsx(), files.SCAN_KINDS)
    assert files.sniff(ff.jpeg(), files.SCAN_KINDS).key == "jpeg"


def test_stored_names_are_generated_and_reads_refuse_paths(inside):
    name = files.store(b"hello")
    assert len(name) == 32 and files.read(name) == b"hello"
    assert files.read("../../etc/passwd") is None
    assert files.read("../" + name) is None
    files.remove(name)
    assert files.read(name) is None


def test_download_names_keep_the_true_extension(inside):
    kind = files.KINDS["pdf"]
    assert files.clean_filename("../../資料.html", kind) == "資料.pdf"
    assert files.clean_filename('a"b<c>.pdf', kind) == "abc.pdf"
    assert files.clean_filename(None, kind) == "file.pdf"
