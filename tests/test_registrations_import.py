"""E-learning completion import: preview, all or nothing, each bad row named, own staff only."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from regional import attendance
from regional.attendance.models import Completion, CompletionSource
from regional.catalogue.models import Program
from regional.extensions import db
from regional.fiscal import local_date, now_utc
from tests import factories
from tests.fixtures_registrations import english, inside, person


@pytest.fixture
def make(app):
    def _make(fn):
        with app.app_context():
            value = fn()
            db.session.commit()
            return value

    return _make


@pytest.fixture
def program_code(make):
    return make(lambda: factories.make_program(title_ja="情報セキュリティ e-ラーニング").code)


def recorded(app) -> list[tuple[int, str, date, CompletionSource, int]]:
    with app.app_context():
        rows = db.session.scalars(
            select(Completion).order_by(Completion.id).execution_options(all_tenants=True)
        )
        return [
            (c.employee_id, c.program_code, c.completed_on, c.source, c.fiscal_year) for c in rows
        ]


def upload(client, body: bytes, name: str = "elearning.csv"):
    return client.form_post(
        "/registrations/completions/import",
        {"file": (io.BytesIO(body), name)},
        content_type="multipart/form-data",
    )


def confirm(client, page: str):
    payload = re.search(r'name="payload" value="([^"]+)"', page).group(1)
    return client.form_post("/registrations/completions/import/confirm", {"payload": payload})


def error_rows(page: str) -> list[tuple[int, str]]:
    page = re.sub(r' data-label="[^"]*"', "", page)
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td>([^<]*)</td><td>[^<]*</td></tr>', page)
    return [(int(line), column) for line, column in rows]


def test_coordinator_imports_own_staff_by_email_and_by_number(
    as_coordinator_a, world, app, program_code, make
):
    english(as_coordinator_a)
    number = make(lambda: person(world.employee_a2).employee_number)
    body = (
        "メールアドレス,市町村コード,職員番号,研修コード,修了日\r\n"
        f"{world.emails['employee_a']},,,{program_code},2025-06-30\r\n"
        f",332038,{number},{program_code},2026/3/31\r\n"
    ).encode()
    preview = upload(as_coordinator_a, body)
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "髙橋 太郎" in page and "𠮷野 花子" in page
    assert recorded(app) == []  # the preview records nothing
    assert confirm(as_coordinator_a, page).status_code == 302
    assert recorded(app) == [
        (
            world.employee_a,
            program_code,
            date(2025, 6, 30),
            CompletionSource.ELEARNING_IMPORT,
            2025,
        ),
        (
            world.employee_a2,
            program_code,
            date(2026, 3, 31),
            CompletionSource.ELEARNING_IMPORT,
            2025,
        ),
    ]


def test_rows_of_another_municipality_are_refused_for_a_coordinator(
    as_coordinator_a, world, app, program_code
):
    english(as_coordinator_a)
    body = (
        "email,program_code,completed_on\r\n"
        f"{world.emails['employee_a']},{program_code},2025-06-30\r\n"
        f"{world.emails['employee_b']},{program_code},2025-06-30\r\n"
    ).encode()
    resp = upload(as_coordinator_a, body)
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert error_rows(page) == [(3, "email")]
    assert "玉野" not in page
    assert recorded(app) == []


def test_regional_admin_imports_for_every_municipality(as_admin, world, app, program_code):
    english(as_admin)
    body = (
        "メールアドレス,研修コード,修了日\r\n"
        f"{world.emails['employee_a']},{program_code},2025-06-30\r\n"
        f"{world.emails['employee_b']},{program_code},2025-07-01\r\n"
    ).encode()
    page = upload(as_admin, body).get_data(as_text=True)
    confirm(as_admin, page)
    assert {r[0] for r in recorded(app)} == {world.employee_a, world.employee_b}


def test_every_bad_row_is_reported_and_nothing_recorded(as_admin, world, app, program_code):
    english(as_admin)
    future = (local_date(now_utc()) + timedelta(days=3)).isoformat()
    body = (
        "メールアドレス,市町村コード,職員番号,研修コード,修了日\r\n"
        f"{world.emails['employee_a']},,,{program_code},2025-06-30\r\n"  # 2: fine
        f"{world.emails['employee_a']},,,{program_code},2025-06-30\r\n"  # 3: duplicate of 2
        f"nobody@example.lg.jp,,,{program_code},2025-06-30\r\n"  # 4: unknown person
        f"{world.emails['employee_b']},,,NO-SUCH,2025-06-30\r\n"  # 5: unknown programme
        f"{world.emails['employee_b']},,,{program_code},30/06/2025\r\n"  # 6: bad date
        f"{world.emails['employee_b']},,,{program_code},{future}\r\n"  # 7: future
        f",,E0001,{program_code},2025-06-30\r\n"  # 8: number without code
    ).encode()
    resp = upload(as_admin, body)
    assert resp.status_code == 422
    assert error_rows(resp.get_data(as_text=True)) == [
        (3, "メールアドレス"),
        (4, "メールアドレス"),
        (5, "研修コード"),
        (6, "修了日"),
        (7, "修了日"),
        (8, "市町村コード"),
    ]
    assert recorded(app) == []


def test_completions_already_on_record_are_skipped_and_reported(
    as_coordinator_a, world, app, program_code, make
):
    english(as_coordinator_a)

    def setup():
        program = db.session.scalar(select(Program).where(Program.code == program_code))
        with inside(world.muni_a):
            attendance.add_completions(
                [(person(world.employee_a), program, date(2025, 6, 30))],
                person(world.coordinator_a),
            )

    make(setup)
    wb = Workbook()
    ws = wb.active
    ws.append(["メールアドレス", "研修コード", "修了日"])
    ws.append([world.emails["employee_a"], program_code, date(2025, 6, 30)])
    ws.append([world.emails["employee_a2"], program_code, date(2025, 6, 30)])
    buf = io.BytesIO()
    wb.save(buf)
    preview = upload(as_coordinator_a, buf.getvalue(), "export.xlsx")
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert "Already recorded for that day: skipped." in page
    resp = confirm(as_coordinator_a, page)
    assert "1 completions recorded; 1 already on record were skipped." in as_coordinator_a.get(
        resp.headers["Location"]
    ).get_data(as_text=True)
    assert sorted(r[0] for r in recorded(app)) == sorted([world.employee_a, world.employee_a2])


def test_employees_cannot_import(as_employee_a, program_code, world):
    english(as_employee_a)
    body = f"email,program_code,completed_on\r\n{world.emails['employee_a']},{program_code},2025-06-30\r\n"
    assert upload(as_employee_a, body.encode()).status_code == 403
