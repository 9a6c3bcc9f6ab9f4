"""One term per thing and action (docs/glossary.md), in pages, mail and exports, found by a month of use.

Each test names a slip met while doing the three roles' work in Japanese: two words
for one thing on one page, a half-width colon or parenthesis in Japanese text, a
number whose column heading says something else.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from regional.extensions import db
from regional.fiscal import now_utc
from regional.mail.models import OutboundMail
from regional.records.services import CSV_HEADER
from regional.registrations.exports import header
from regional.seats.models import Registration, RegistrationStatus
from tenants import all_tenants
from tenants.scoping import acting_as
from tests import factories
from tests.fixtures_sessions import register, within

JA = {"Accept-Language": "ja"}

# The glossary's never-words are refused everywhere by tests/test_one_voice.py, which reads
# them from docs/glossary.md (the one list).


def test_mail_labels_take_the_full_width_colon_in_japanese(ctx, world):
    ts = factories.make_session(starts_in=timedelta(days=20))
    register(ts.id, world.employee_a)
    with all_tenants(db.session):
        mail = db.session.scalars(
            select(OutboundMail)
            .execution_options(all_tenants=True)
            .where(OutboundMail.to_addr == world.emails["employee_a"])
            .order_by(OutboundMail.id.desc())
        ).first()
        factories.rendered([mail])
    assert "研修：" in mail.body and "日時：" in mail.body and "会場：" in mail.body
    assert not re.search(r"[\u3040-\u30ff\u3400-\u9fff]: ", mail.body), mail.body


def test_export_headings_name_the_waiting_list_and_attendance_as_pages_do():
    ja = header("ja")
    assert "キャンセル待ち順位" in ja and "順番待ち" not in ja
    assert "出欠" in ja
    assert CSV_HEADER["ja"][4] == "時間数"  # as the record page's column


def test_my_record_reads_in_japanese_and_leads_on_from_a_programme_without_a_session(
    app, as_employee_a, world
):
    with within(app):
        full = factories.make_session(capacity=0, starts_in=timedelta(days=25))
        register(full.id, world.employee_a)  # waiting, first in line
        held = factories.make_session(starts_in=timedelta(days=8))
        reg = register(held.id, world.employee_a)
        held.starts_at = now_utc() - timedelta(days=3)
        held.ends_at = held.starts_at + timedelta(hours=2)
        held.registration_opens_at = held.starts_at - timedelta(days=20)
        held.registration_closes_at = held.starts_at - timedelta(days=2)
        with acting_as(db.session, world.muni_a):
            db.session.get(Registration, reg.id).attended = True
            db.session.flush()
    page = as_employee_a.get("/records/my-training/history", headers=JA).get_data(as_text=True)
    assert "(開催予定" not in page and "（開催予定はまだありません）" in page
    # Each missing programme links to its page (関心登録 or an e-learning address live there).
    assert re.search(r'<li><a href="/catalogue/\d+">ADV-101 ', page)
    past = page.split('id="past"', 1)[1]
    assert "出席" in past and RegistrationStatus.ENROLLED.label not in past
    # The waiting list is on the 予定 tab.
    upcoming = as_employee_a.get("/records/my-training", headers=JA).get_data(as_text=True)
    waiting = upcoming.split('id="waiting"', 1)[1].split("</section>", 1)[0]
    assert "1番目" in waiting and ": 1" not in waiting


def test_sentences_side_by_side_take_no_space_in_japanese(app, as_employee_a):
    with within(app):
        ts = factories.make_session(requires_approval=True, starts_in=timedelta(days=16))
        ts_id = ts.id
    page = as_employee_a.get(f"/sessions/{ts_id}", headers=JA).get_data(as_text=True)
    mine = page.split('aria-labelledby="my-registration"', 1)[1].split("</section>", 1)[0]
    paragraphs = [p.strip() for p in re.findall(r"<p[^>]*>(.*?)</p>", mine, flags=re.S)]
    assert any("承認が必要です。" in p for p in paragraphs)
    assert [p for p in paragraphs if re.search(r"。\s+\S", p)] == []


def test_programme_page_heads_its_seat_column_as_the_sessions_list_does(app, as_employee_a):
    with within(app):
        program = factories.make_program("GLOSS-1", title_ja="用語研修", title_en="Terms")
        factories.make_session(program, capacity=7)
        program_id = program.id
    page = as_employee_a.get(f"/catalogue/{program_id}", headers=JA).get_data(as_text=True)
    assert "残席／定員" in page and "/ 7" in page


def test_people_counts_and_the_drill_down_title_take_the_full_width_colon(
    app, as_coordinator_a, world
):
    from tests.conftest import CODE_A
    from tests.fixtures_targets import target

    with within(app):
        target(world.muni_a, "security", 50)

    people = as_coordinator_a.get("/people/", headers=JA).get_data(as_text=True)
    assert "有効：" in people and "有効:" not in people
    drill = as_coordinator_a.get(f"/progress/m/{CODE_A}/t/security", headers=JA)
    assert drill.status_code == 200
    title = re.search(r"<h1>(.*?)</h1>", drill.get_data(as_text=True), flags=re.S).group(1)
    assert "：" in title and ": " not in title


def test_coordinator_list_and_completion_import_read_in_japanese(as_admin):
    coordinators = as_admin.get("/admin/coordinators", headers=JA).get_data(as_text=True)
    assert "（coord@city.tsuyama.lg.jp）" in coordinators
    assert "(coord@city.tsuyama.lg.jp)" not in coordinators
    page = as_admin.get("/registrations/completions/import", headers=JA).get_data(as_text=True)
    assert "記録できます。同じ職員" in page


def test_the_attendance_upload_names_the_column_the_download_has(app, as_coordinator_a, world):
    with within(app):
        ts = factories.make_session(starts_in=timedelta(days=4))
        register(ts.id, world.employee_a)
        _end_session(ts)
        ts_id = ts.id
    page = as_coordinator_a.get(f"/registrations/session/{ts_id}/attendance", headers=JA)
    text = page.get_data(as_text=True)
    assert "出欠の列に出席／欠席" in text and "出欠" in header("ja")


def _end_session(ts) -> None:  # noqa: ANN001
    ts.starts_at = now_utc() - timedelta(days=2)
    ts.ends_at = ts.starts_at + timedelta(hours=2)
    ts.registration_opens_at = ts.starts_at - timedelta(days=20)
    ts.registration_closes_at = ts.starts_at - timedelta(days=1)
    db.session.flush()


def test_working_in_another_member_the_administrators_own_seats_are_named(app, as_admin, world):
    """One page, two numbers: the member's seats and the administrator's own, each named."""
    from regional.seats import set_allocation
    from tests.conftest import CODE_A

    with within(app):
        ts = factories.make_session(capacity=8, starts_in=timedelta(days=18))
        set_allocation(ts.id, world.muni_a, 2, now_utc() + timedelta(days=10))
        ts_id = ts.id
    as_admin.form_post("/admin/switch", {"municipality": CODE_A})
    page = as_admin.get(f"/sessions/{ts_id}", headers=JA).get_data(as_text=True)
    assert "津山市が申し込める席" in page
    assert "岡山市の職員として申込み可能な残席は6席です。" in page
    assert "津山市の優先枠が2席あります。" in page and "自市町の優先枠" not in page
    as_admin.form_post("/admin/switch", {"municipality": "331007"})
    page = as_admin.get(f"/sessions/{ts_id}", headers=JA).get_data(as_text=True)
    assert "申込み可能な残席は6席です。" in page and "の職員として申込み可能" not in page
