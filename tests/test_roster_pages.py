"""The roster pages: the preview is tied to the exact file, and the export re-imports unchanged."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from regional.extensions import db
from regional.people.models import User
from regional.people.uploads import RosterUpload
from tenants.scoping import acting_as
from tests.conftest import CODE_A, CODE_B

FIXTURES = Path(__file__).parent / "fixtures" / "roster"
DOMAIN_B = "city.tamano.lg.jp"


def upload(client, data: bytes, name: str = "roster.csv", deactivate: bool = False):
    form = {"file": (io.BytesIO(data), name), "csrf_token": client.csrf_token()}
    if deactivate:
        form["deactivate_missing"] = "y"
    return client.post("/people/roster", data=form, content_type="multipart/form-data")


def confirm_fields(page: str) -> dict[str, str]:
    return {
        name: re.search(rf'name="{name}" value="([^"]*)"', page).group(1)
        for name in ("upload", "token")
    }


def count_people(app, muni: int) -> int:
    with app.app_context(), acting_as(db.session, muni):
        return db.session.scalar(select(func.count(User.id)))


def test_upload_preview_import_and_result(app, world, as_coordinator_a):
    before = count_people(app, world.muni_a)
    resp = upload(as_coordinator_a, (FIXTURES / "excel_cp932.csv").read_bytes(), "名簿.csv")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "名簿.csv" in page and "総務部/デジタル推進課/企画係" in page
    assert count_people(app, world.muni_a) == before
    resp = as_coordinator_a.form_post("/people/roster/confirm", confirm_fields(page))
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/people/roster/done")
    done = as_coordinator_a.get("/people/roster/done").get_data(as_text=True)
    assert "名簿.csv" in done
    assert count_people(app, world.muni_a) == before + 5
    with app.app_context(), acting_as(db.session, world.muni_a):
        assert db.session.scalar(select(func.count(RosterUpload.id))) == 0  # dropped once imported


def test_a_preview_with_errors_offers_no_import(as_coordinator_a):
    resp = upload(as_coordinator_a, (FIXTURES / "formulas.csv").read_bytes())
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "/people/roster/confirm" not in page


def test_an_unreadable_file_is_refused_on_the_upload_page(as_coordinator_a):
    resp = upload(as_coordinator_a, b"\x89PNG\r\n\x1a\n\x00\x00", "photo.png")
    assert resp.status_code == 422
    assert 'name="file"' in resp.get_data(as_text=True)


def test_a_changed_file_needs_a_new_preview(app, world, as_coordinator_a):
    """The bytes kept for the import no longer match the previewed hash: nothing imported."""
    before = count_people(app, world.muni_a)
    page = upload(as_coordinator_a, (FIXTURES / "excel_cp932.csv").read_bytes()).get_data(
        as_text=True
    )
    fields = confirm_fields(page)
    with app.app_context(), acting_as(db.session, world.muni_a):
        stored = db.session.get(RosterUpload, int(fields["upload"]))
        stored.data = stored.data.replace(b"000105", b"000999")
        db.session.commit()
    resp = as_coordinator_a.form_post("/people/roster/confirm", fields)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/people/roster")
    assert count_people(app, world.muni_a) == before


def test_a_preview_belongs_to_the_person_who_made_it(app, world, as_coordinator_a, signed_in):
    page = upload(as_coordinator_a, (FIXTURES / "excel_cp932.csv").read_bytes()).get_data(
        as_text=True
    )
    fields = confirm_fields(page)
    with app.app_context():
        from regional.people.models import Role
        from tests import factories

        other = factories.make_user(
            world.muni_a, role=Role.COORDINATOR, email="c2@city.tsuyama.lg.jp"
        )
        db.session.commit()
        other_email = other.email
    before = count_people(app, world.muni_a)
    resp = signed_in(other_email).form_post("/people/roster/confirm", fields)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/people/roster")
    assert count_people(app, world.muni_a) == before


def test_another_upload_id_under_the_same_token_is_refused(app, world, as_coordinator_a):
    data = (FIXTURES / "excel_cp932.csv").read_bytes()
    first = confirm_fields(upload(as_coordinator_a, data).get_data(as_text=True))
    second = confirm_fields(upload(as_coordinator_a, data).get_data(as_text=True))
    before = count_people(app, world.muni_a)
    resp = as_coordinator_a.form_post(
        "/people/roster/confirm", {"upload": second["upload"], "token": first["token"]}
    )
    assert resp.headers["Location"].endswith("/people/roster")
    assert count_people(app, world.muni_a) == before


def test_records_changed_since_the_preview_show_a_new_preview(app, world, as_coordinator_a, api):
    data = (FIXTURES / "excel_cp932.csv").read_bytes()
    fields = confirm_fields(upload(as_coordinator_a, data).get_data(as_text=True))
    coord = api(world.emails["coordinator_a"])
    coord.post(
        "/municipalities/332038/roster?commit=true",
        data={"file": (io.BytesIO(data), "r.csv")},
        content_type="multipart/form-data",
    )
    before = count_people(app, world.muni_a)
    resp = as_coordinator_a.form_post("/people/roster/confirm", fields)
    assert resp.status_code == 409
    assert "/people/roster/confirm" in resp.get_data(as_text=True)  # the new preview
    assert count_people(app, world.muni_a) == before


# -- round trip -----------------------------------------------------------------------------


ROSTER_B = (
    "職員番号,氏名,氏名カナ,メールアドレス,所属,職種\r\n"
    f"B-001,玉野 一,タマノ ハジメ,hajime@{DOMAIN_B},市長公室/秘書広報課,行政職\r\n"
    f"B-002,玉野 二,,futa@{DOMAIN_B},市長公室/秘書広報課/広報係,技術職\r\n"
    f"B-003,宇野 三,,mitsu@{DOMAIN_B},市民生活部/市民窓口センター,福祉職\r\n"
    f"B-004,渋川 四,,shi@{DOMAIN_B},,その他\r\n"
)


@pytest.mark.parametrize(
    "url",
    [
        "/people/roster/export.csv",
        "/people/roster/export.csv?encoding=utf-8",
        "/people/roster/export.xlsx",
    ],
)
def test_the_export_imports_again_with_no_changes(app, world, api, as_coordinator_b, url):
    coord = api(world.emails["coordinator_b"])

    def post(data: bytes, **q):
        qs = "&".join(f"{k}={v}" for k, v in q.items())
        return coord.post(
            f"/municipalities/{CODE_B}/roster?{qs}",
            data={"file": (io.BytesIO(data), "r")},
            content_type="multipart/form-data",
        ).get_json()

    assert post(ROSTER_B.encode("cp932"), commit="true")["created"] == 4
    resp = as_coordinator_b.get(url)
    assert resp.status_code == 200
    exported = resp.data
    if "encoding=utf-8" in url:
        assert exported.startswith(b"\xef\xbb\xbf")
    elif url.endswith(".csv"):
        exported.decode("cp932")  # Shift_JIS, no BOM
        assert b"\r\n" in exported
    body = post(exported, deactivate_missing="true")
    assert body["errors"] == []
    assert (body["created"], body["updated"], body["deactivated"]) == (0, 0, 0)
    assert body["unchanged"] >= 4


def test_the_shift_jis_export_writes_the_nearest_form_and_says_so(
    app, world, api, as_coordinator_a
):
    """A has 𠮷野 花子: the Shift_JIS file writes 吉野 花子 and a note row, never an error;
    importing it back keeps the registered name."""
    with app.app_context(), acting_as(db.session, world.muni_a):
        number = db.session.get(User, world.employee_a2).employee_number
    resp = as_coordinator_a.get("/people/roster/export.csv")
    assert resp.status_code == 200
    text = resp.data.decode("cp932")
    lines = text.rstrip("\r\n").split("\r\n")
    assert any(",吉野 花子," in line for line in lines)
    assert "𠮷" not in text
    assert lines[-1].lstrip('"').startswith("※") and number in lines[-1]
    # The UTF-8 file holds the name as registered, with no note.
    utf8 = as_coordinator_a.get("/people/roster/export.csv?encoding=utf-8").data.decode("utf-8-sig")
    assert "𠮷野 花子" in utf8 and "※" not in utf8
    body = (
        api(world.emails["coordinator_a"])
        .post(
            f"/municipalities/{CODE_A}/roster?commit=true",
            data={"file": (io.BytesIO(resp.data), "r.csv")},
            content_type="multipart/form-data",
        )
        .get_json()
    )
    assert body["errors"] == []
    assert (body["created"], body["updated"]) == (0, 0)
    kept = body["kept_names"]
    assert [(k["employee_number"], k["registered"], k["written"]) for k in kept] == [
        (number, "𠮷野 花子", "吉野 花子")
    ]
    with app.app_context(), acting_as(db.session, world.muni_a):
        assert db.session.get(User, world.employee_a2).name == "𠮷野 花子"


def test_a_formula_like_name_is_exported_as_text(app, world, as_coordinator_b):
    from tests import factories

    with app.app_context():
        factories.make_user(world.muni_b, name="=1+1 玉野", email=f"f@{DOMAIN_B}")
        db.session.commit()
    data = as_coordinator_b.get("/people/roster/export.csv?encoding=utf-8").data.decode("utf-8-sig")
    assert ",'=1+1 玉野," in data
    assert ",=1+1" not in data


def test_a_change_in_the_preview_reads_label_then_before_and_after(as_coordinator_b):
    """「氏名：玉野 一 → 玉野 壱」: the language's colon (full-width in Japanese)."""
    first = upload(as_coordinator_b, ROSTER_B.encode()).get_data(as_text=True)
    resp = as_coordinator_b.form_post("/people/roster/confirm", confirm_fields(first))
    assert resp.status_code == 302
    changed = ROSTER_B.replace("玉野 一,", "玉野 壱,")
    page = upload(as_coordinator_b, changed.encode()).get_data(as_text=True)
    assert "：玉野 一 → 玉野 壱" in page
    assert ": 玉野 一" not in page
