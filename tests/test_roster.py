"""The staff roster import: real files, every bad row reported, all or nothing."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from regional.extensions import db
from regional.people.models import AccountStatus, JobCategory, Role, User
from tenants.models import OrgLevel, OrgUnit
from tenants.scoping import acting_as
from tests import factories
from tests.conftest import CODE_A, CODE_B

FIXTURES = Path(__file__).parent / "fixtures" / "roster"
HEADER = "職員番号,氏名,メールアドレス,所属,職種\r\n"
DOMAIN_A = "city.tsuyama.lg.jp"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def csv_bytes(*rows: str, header: str = HEADER, encoding: str = "cp932") -> bytes:
    return (header + "".join(r + "\r\n" for r in rows)).encode(encoding)


def post_roster(client, data: bytes, code: str = CODE_A, name: str = "roster.csv", **query):
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return client.post(
        f"/municipalities/{code}/roster" + (f"?{qs}" if qs else ""),
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


@pytest.fixture
def coord_a(api, world):
    return api(world.emails["coordinator_a"])


_APP = []


@pytest.fixture(autouse=True)
def _remember_app(app):
    _APP[:] = [app]


def people_of(muni_id: int) -> dict[str, User]:
    """Read afresh (a new app context: nothing stale from before the request)."""
    with _APP[0].app_context(), acting_as(db.session, muni_id):
        people = {
            u.employee_number: u for u in db.session.scalars(select(User)) if u.employee_number
        }
        for u in people.values():
            db.session.expunge(u)
        return people


def units_of(muni_id: int) -> dict[str, OrgUnit]:
    from regional.people.units import UnitTree

    with _APP[0].app_context(), acting_as(db.session, muni_id):
        tree = UnitTree()
        return {tree.path(u.id): u for u in tree.units.values()}


def count_people(muni_id: int) -> int:
    with _APP[0].app_context(), acting_as(db.session, muni_id):
        return db.session.scalar(select(func.count(User.id)))


# -- real files -------------------------------------------------------------------


def test_a_cp932_file_as_excel_writes_it_is_previewed_then_imported(app, world, coord_a):
    before = count_people(world.muni_a)
    resp = post_roster(coord_a, fixture("excel_cp932.csv"))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert (body["created"], body["updated"], body["deactivated"], body["errors"]) == (5, 0, 0, [])
    with app.app_context():
        assert count_people(world.muni_a) == before  # a preview changes nothing
    resp = post_roster(coord_a, fixture("excel_cp932.csv"), commit="true")
    assert resp.status_code == 200 and resp.get_json()["committed"] is True
    with app.app_context():
        people = people_of(world.muni_a)
        # Full-width digits, the ideographic space and the hyphen variant are normalised.
        assert {"000101", "000102", "A-103", "000104", "000105"} <= people.keys()
        assert people["000105"].name == "勝北 五月, 主任"
        assert people["000105"].job_category == JobCategory.WELFARE
        assert people["000101"].password_hash is None  # nobody set a password
        assert people["000101"].status == AccountStatus.ACTIVE
        units = units_of(world.muni_a)
        assert people["000101"].org_unit_id == units["総務部/デジタル推進課/企画係"].id
        expected = {
            "総務部": (OrgLevel.DEPARTMENT, False),
            "総務部/デジタル推進課": (OrgLevel.DIVISION, False),
            "総務部/デジタル推進課/企画係": (OrgLevel.SECTION, False),
            "総務部/情報政策室": (OrgLevel.DIVISION, True),  # 室 under a 部: 課相当
            "健康福祉部/高齢介護課/地域支援担当": (OrgLevel.SECTION, True),  # 係相当
        }
        for path, (level, equivalent) in expected.items():
            assert (units[path].level, units[path].equivalent) == (level, equivalent), path


@pytest.mark.parametrize("name", ["utf8_bom.csv", "openpyxl.xlsx", "libreoffice.xlsx"])
def test_the_same_staff_from_other_programs_matches_without_changes(coord_a, name):
    assert post_roster(coord_a, fixture("excel_cp932.csv"), commit="true").status_code == 200
    body = post_roster(coord_a, fixture(name), name=name).get_json()
    assert body["errors"] == []
    assert body["created"] == (1 if name == "openpyxl.xlsx" else 0)  # one extra person there
    if name == "utf8_bom.csv":
        # That file says "administrative" for everyone: the two others change job category.
        assert body["updated"] == 2 and body["moved"] == 0
    else:
        assert body["updated"] == 0
    assert body["deactivated"] == 0


def test_libreoffice_dropped_leading_zeros_still_match(coord_a):
    """LibreOffice saved 000104 as the number 104: the same person, not a new one."""
    post_roster(coord_a, fixture("excel_cp932.csv"), commit="true")
    body = post_roster(coord_a, fixture("libreoffice.xlsx"), name="lo.xlsx").get_json()
    assert (body["created"], body["unchanged"]) == (0, 5)


def test_formula_like_cells_are_refused_with_line_and_column(app, world, coord_a):
    before = count_people(world.muni_a)
    resp = post_roster(coord_a, fixture("formulas.csv"), commit="true")
    assert resp.status_code == 422
    body = resp.get_json()
    assert body["error"]["code"] == "roster_invalid"
    assert [(e["row"], e["column"]) for e in body["errors"]] == [
        (2, "氏名"),
        (3, "氏名"),
        (4, "メールアドレス"),
        (5, "職員番号"),
    ]
    with app.app_context():
        assert count_people(world.muni_a) == before  # the good line 6 was not imported either


# -- every bad row -----------------------------------------------------------------


def _errors(coord, *rows, **kw):
    resp = post_roster(coord, csv_bytes(*rows, **kw))
    assert resp.status_code == 200
    return {(e["row"], e["column"]): e["message"] for e in resp.get_json()["errors"]}


def test_every_bad_row_is_reported(coord_a):
    errors = _errors(
        coord_a,
        f",名無し,n1@{DOMAIN_A},,",  # 2: no number
        f"100,重複 一,d1@{DOMAIN_A},,",  # 3
        f"１００,重複 二,d2@{DOMAIN_A},,",  # 4: the same number in full width
        f"101,重複 三,d1@{DOMAIN_A},,",  # 5: the same address as line 3
        "102,外部 太郎,someone@example.com,,",  # 6: outside the domains
        f"103,制御 文字\u202e,c@{DOMAIN_A},,",  # 7: a bidi override
        f"104,,e@{DOMAIN_A},,",  # 8: no name
        "105,無効 太郎,not-an-address,,",  # 9
        f"106,道 太郎,p@{DOMAIN_A},総務部//企画係,",  # 10: empty path part
        f"107,職種 太郎,j@{DOMAIN_A},,宇宙飛行士",  # 11: unknown job category: その他, a warning
        "108,新人 太郎,,,",  # 12: a new person needs an address
        f"109,係下 太郎,k@{DOMAIN_A},総務部/企画係/デジタル課,",  # 13: 課 under 係
        encoding="utf-8",
    )
    assert set(errors) == {
        (2, "職員番号"),
        (4, "職員番号"),
        (5, "メールアドレス"),
        (6, "メールアドレス"),
        (7, "氏名"),
        (8, "氏名"),
        (9, "メールアドレス"),
        (10, "所属"),
        (12, "メールアドレス"),
        (13, "所属"),
    }
    assert "3" in errors[(4, "職員番号")]  # names the first line


def test_the_header_must_name_the_required_columns_once(coord_a):
    resp = post_roster(coord_a, "氏名,メール,メールアドレス\r\n山田,a@b,c@d\r\n".encode())
    errors = resp.get_json()["errors"]
    assert {(e["row"], e["column"]) for e in errors} == {(1, "メールアドレス"), (1, "職員番号")}


def test_an_address_in_use_anywhere_reads_the_same(app, world, coord_a):
    """Another member's address and another person's here give one message: nothing more leaks."""
    with app.app_context():
        factories.make_user(world.muni_b, email=f"moved@{DOMAIN_A}")  # an account in B
        factories.make_user(world.muni_a, email=f"here@{DOMAIN_A}")
        db.session.commit()
    errors = _errors(
        coord_a,
        f"900,甲,moved@{DOMAIN_A},,",
        f"901,乙,here@{DOMAIN_A},,",
        f"902,丙,free@{DOMAIN_A},,",
    )
    assert set(errors) == {(2, "メールアドレス"), (3, "メールアドレス")}
    assert errors[(2, "メールアドレス")] == errors[(3, "メールアドレス")]


def test_another_members_employee_number_is_simply_a_new_person(app, world, coord_a):
    with app.app_context(), acting_as(db.session, world.muni_b):
        number_b = db.session.get(User, world.employee_b).employee_number
    body = post_roster(coord_a, csv_bytes(f"{number_b},同番 太郎,dou@{DOMAIN_A},,")).get_json()
    assert (body["created"], body["updated"], body["errors"]) == (1, 0, [])


def test_ambiguous_and_retired_units_are_refused(app, world, coord_a):
    with app.app_context(), acting_as(db.session, world.muni_a):
        d1 = factories.make_org_unit(world.muni_a, "第一部", OrgLevel.DEPARTMENT)
        d2 = factories.make_org_unit(world.muni_a, "第二部", OrgLevel.DEPARTMENT)
        factories.make_org_unit(world.muni_a, "庶務課", OrgLevel.DIVISION, d1)
        factories.make_org_unit(world.muni_a, "庶務課", OrgLevel.DIVISION, d2)
        old = factories.make_org_unit(world.muni_a, "旧課", OrgLevel.DIVISION, d1)
        old.active = False
        db.session.commit()
    errors = _errors(
        coord_a,
        f"801,曖昧,x1@{DOMAIN_A},庶務課,",  # two 庶務課: give the path
        f"802,明確,x2@{DOMAIN_A},第二部/庶務課,",
        f"803,廃止,x3@{DOMAIN_A},第一部/旧課,",
    )
    assert set(errors) == {(2, "所属"), (4, "所属")}


# -- updates, moves, deactivation ------------------------------------------------


def _seed(app, world):
    with app.app_context(), acting_as(db.session, world.muni_a):
        dept = factories.make_org_unit(world.muni_a, "総務部", OrgLevel.DEPARTMENT)
        factories.make_org_unit(world.muni_a, "人事課", OrgLevel.DIVISION, dept)
        ea = db.session.get(User, world.employee_a)
        ea.employee_number, ea.email = "T-001", f"taro@{DOMAIN_A}"
        ea2 = db.session.get(User, world.employee_a2)
        ea2.employee_number = "T-002"
        coord = db.session.get(User, world.coordinator_a)
        coord.employee_number = "T-900"
        db.session.commit()


def test_moves_updates_and_deactivation_only_when_asked(app, world, coord_a):
    _seed(app, world)
    rows = (f"Ｔ－００１,髙橋 太郎,taro@{DOMAIN_A},総務部/人事課,",)
    body = post_roster(coord_a, csv_bytes(*rows)).get_json()
    assert (body["updated"], body["moved"], body["deactivated"]) == (1, 1, 0)
    body = post_roster(coord_a, csv_bytes(*rows), deactivate_missing="true").get_json()
    # employee_a2 (T-002) is missing; the coordinator (T-900) and people with no number stay.
    assert body["deactivated"] == 1
    resp = post_roster(coord_a, csv_bytes(*rows), deactivate_missing="true", commit="true")
    assert resp.status_code == 200
    with app.app_context(), acting_as(db.session, world.muni_a):
        ea = db.session.get(User, world.employee_a)
        assert ea.org_unit.path() == "総務部/人事課"
        ea2 = db.session.get(User, world.employee_a2)
        assert ea2.status == AccountStatus.DISABLED  # deactivated, never deleted
        assert db.session.get(User, world.coordinator_a).status == AccountStatus.ACTIVE
    # Back in the file: enabled again.
    rows2 = (*rows, f"T-002,𠮷野 花子,{world.emails['employee_a2']},,")
    body = post_roster(coord_a, csv_bytes(*rows2, encoding="utf-8")).get_json()
    assert body["updated"] == 1


def test_a_coordinators_address_is_not_changed_by_a_roster(app, world, coord_a):
    _seed(app, world)
    errors = _errors(coord_a, f"T-900,津山 調整,other@{DOMAIN_A},,")
    assert set(errors) == {(2, "メールアドレス")}


def test_a_self_sign_up_without_number_is_matched_by_address(app, world, coord_a):
    with app.app_context():
        u = factories.make_user(world.muni_a, email=f"self@{DOMAIN_A}", name="自己 登録")
        with acting_as(db.session, world.muni_a):
            u.employee_number = None
            db.session.commit()
    body = post_roster(coord_a, csv_bytes(f"555,自己 登録,self@{DOMAIN_A},,")).get_json()
    assert (body["created"], body["updated"]) == (0, 1)


# -- hostile and unreadable files -------------------------------------------------------


def _zip_bomb() -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            chunk = b" " * (1024 * 1024)
            for _ in range(200):
                f.write(chunk)
    return buf.getvalue()


def _seven_million_empty_rows() -> bytes:
    """A real workbook whose sheet holds 7,000,000 empty rows (small once zipped)."""
    import zipfile

    src = io.BytesIO(fixture("openpyxl.xlsx"))
    out = io.BytesIO()
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                head, _, tail = data.decode().partition("</sheetData>")
                with zout.open(info.filename, "w", force_zip64=True) as f:
                    f.write(head.encode())
                    block = b"<row/>" * 10000
                    for _ in range(700):
                        f.write(block)
                    f.write(("</sheetData>" + tail).encode())
                continue
            zout.writestr(info, data)
    return out.getvalue()


@pytest.mark.parametrize(
    "make",
    [
        lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,  # an image
        lambda: b"%PDF-1.7\n\x00\x01binary",  # a PDF
        lambda: b"PK\x03\x04 this is not really a zip",  # broken XLSX
        lambda: fixture("openpyxl.xlsx")[:2000],  # truncated XLSX
        lambda: "職員番号,氏名\r\n".encode("utf-16"),  # neither UTF-8 nor CP932
        lambda: b"",
        _zip_bomb,
        _seven_million_empty_rows,
    ],
    ids=["png", "pdf", "broken-xlsx", "truncated-xlsx", "utf16", "empty", "zip-bomb", "7m-rows"],
)
def test_hostile_files_are_refused_whole(app, world, coord_a, make):
    before = count_people(world.muni_a)
    resp = post_roster(coord_a, make(), commit="true", name="roster.xlsx")
    assert resp.status_code == 422, resp.get_json()
    assert resp.get_json()["error"]["code"] == "unreadable_file"
    assert resp.get_json()["error"]["message"]
    with app.app_context():
        assert count_people(world.muni_a) == before


def test_an_oversized_upload_is_refused(coord_a):
    resp = post_roster(coord_a, b"a" * (6 * 1024 * 1024))
    assert resp.status_code == 413
    assert resp.get_json()["error"]["code"] == "too_large"


def test_too_many_rows_are_refused(coord_a):
    rows = [f"{i},職員 {i},p{i}@{DOMAIN_A},," for i in range(20001)]
    resp = post_roster(coord_a, csv_bytes(*rows, encoding="utf-8"))
    assert resp.status_code == 422
    assert resp.get_json()["error"]["code"] == "unreadable_file"


def test_flags_must_be_true_or_false(coord_a):
    resp = post_roster(coord_a, fixture("excel_cp932.csv"), commit="maybe")
    assert resp.status_code == 400


def test_the_file_field_is_required(coord_a):
    resp = coord_a.post(
        f"/municipalities/{CODE_A}/roster", data={}, content_type="multipart/form-data"
    )
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "missing_field"


# -- walls -------------------------------------------------------------------------------


def test_a_coordinator_cannot_import_into_another_member(app, world, api):
    coord_b = api(world.emails["coordinator_b"])
    resp = post_roster(coord_b, fixture("excel_cp932.csv"), code=CODE_A, commit="true")
    assert resp.status_code == 404
    with app.app_context():
        assert "000101" not in people_of(world.muni_a)


def test_an_import_never_touches_another_members_people(app, world, api):
    """B's coordinator uses A's employee's number and address: a refusal, A's person unchanged."""
    with app.app_context(), acting_as(db.session, world.muni_a):
        ea = db.session.get(User, world.employee_a)
        number, email = ea.employee_number, ea.email
    coord_b = api(world.emails["coordinator_b"])
    data = csv_bytes(f"{number},乗っ取り,{email},,")
    body = post_roster(coord_b, data, code=CODE_B, deactivate_missing="true").get_json()
    # Only "not our domain": whether the address exists elsewhere is not even looked up.
    messages = [e["message"] for e in body["errors"]]
    assert len(messages) == 1
    assert body["deactivated"] >= 0
    with app.app_context(), acting_as(db.session, world.muni_a):
        ea = db.session.get(User, world.employee_a)
        assert (ea.name, ea.status) == ("髙橋 太郎", AccountStatus.ACTIVE)


def test_an_employee_cannot_import(world, api):
    emp = api(world.emails["employee_a"])
    assert post_roster(emp, fixture("excel_cp932.csv")).status_code == 403


def test_a_regional_admin_imports_into_any_member(app, world, api):
    admin = api(world.emails["admin"])
    resp = post_roster(admin, fixture("excel_cp932.csv"), code=CODE_A, commit="true")
    assert resp.status_code == 200
    with app.app_context():
        assert "000101" in people_of(world.muni_a)
        assert "000101" not in people_of(world.muni_admin)


def test_imported_people_are_employees_never_coordinators(app, world, coord_a):
    post_roster(coord_a, fixture("excel_cp932.csv"), commit="true")
    with app.app_context():
        assert {u.role for u in people_of(world.muni_a).values() if u.password_hash is None} == {
            Role.EMPLOYEE
        }


def test_every_import_is_in_the_audit_trail(app, world, coord_a):
    from regional.audit.models import AuditEntry

    post_roster(coord_a, fixture("excel_cp932.csv"), name="職員名簿.csv", commit="true")
    with app.app_context(), acting_as(db.session, world.muni_a):
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "roster.import"))
        assert entry is not None
        assert entry.actor_id == world.coordinator_a
        assert entry.subject_label == "職員名簿.csv"
        assert entry.detail["counts"]["created"] == 5
        assert len(entry.detail["sha256"]) == 64
    # A refused import leaves no entry.
    post_roster(coord_a, fixture("formulas.csv"), commit="true")
    with app.app_context(), acting_as(db.session, world.muni_a):
        assert (
            db.session.scalar(
                select(func.count(AuditEntry.id)).where(AuditEntry.action == "roster.import")
            )
            == 1
        )


def test_the_bulk_insert_refuses_to_run_outside_one_municipality(app, world, ctx):
    """New people are inserted in bulk, past the wall's stamping hook: the tenant is checked by hand."""
    from regional.people.roster_import import _create_people
    from regional.people.roster_read import PersonRow
    from tenants import all_tenants

    row = PersonRow(1, "X-1", "名前", f"x1@{DOMAIN_A}", None, None, None)
    with all_tenants(db.session), pytest.raises(RuntimeError):
        _create_people([row], {})
    with pytest.raises(RuntimeError):  # no municipality at all
        _create_people([row], {})


def test_an_address_in_use_is_found_in_a_long_roster_too(app, world, coord_a):
    """Over 500 addresses the lookup reads the domain's addresses in one scan: same answer."""
    with app.app_context():
        factories.make_user(world.muni_b, email=f"taken@{DOMAIN_A}")
        db.session.commit()
    rows = [f"L{i},長 {i},long{i}@{DOMAIN_A},," for i in range(600)]
    rows.append(f"L999,長 使用済,taken@{DOMAIN_A},,")
    errors = _errors(coord_a, *rows)
    assert set(errors) == {(602, "メールアドレス")}


def test_a_row_may_change_every_field_and_the_trail_keeps_each_before_and_after(
    app, world, coord_a
):
    """Address, name, kana, employee number, job, unit and status: each change is written on
    the account, listed in this order, and kept in the trail (codes for job and status)."""
    from regional.audit.models import AuditEntry

    assert post_roster(coord_a, fixture("excel_cp932.csv"), commit="true").status_code == 200
    with app.app_context(), acting_as(db.session, world.muni_a):
        for u in db.session.scalars(select(User).where(User.employee_number == "000104")):
            u.status = AccountStatus.DISABLED
            u.employee_number = None  # matched by address, and given its number back
        db.session.commit()
    header = "職員番号,氏名,氏名カナ,メールアドレス,所属,職種\r\n"
    rows = [
        f"000101,津山 一朗,ツヤマ イチロ,ichiro2.tsuyama@{DOMAIN_A},総務部/新設課,技術職",
        f"000104,加茂 四季,カモ シキ,shiki.kamo@{DOMAIN_A},総務部/デジタル推進課,福祉職",
    ]
    resp = post_roster(coord_a, csv_bytes(*rows, header=header, encoding="utf-8"), commit="true")
    assert resp.status_code == 200, resp.get_json()
    with app.app_context(), acting_as(db.session, world.muni_a):
        entry = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "roster.import")
            .order_by(AuditEntry.id.desc())
        ).first()
        lines = {p["employee_number"]: p for p in entry.detail["people"]}
    assert list(lines["000101"]["after"]) == [
        "email",
        "name",
        "name_kana",
        "job_category",
        "org_unit",
    ]
    assert lines["000101"]["before"]["job_category"] == "administrative"
    assert lines["000101"]["after"]["job_category"] == "technical"
    assert lines["000101"]["after"]["org_unit"] == "総務部/新設課"
    back = lines["000104"]
    assert back["change"] == "reactivated"
    assert list(back["after"]) == [
        "name_kana",
        "employee_number",
        "job_category",
        "org_unit",
        "status",
    ]
    assert back["before"]["status"] == "disabled" and back["after"]["status"] == "active"
    assert back["before"]["employee_number"] is None
    assert back["after"]["employee_number"] == "000104"
    people = people_of(world.muni_a)
    units = units_of(world.muni_a)
    one, four = people["000101"], people["000104"]
    assert (one.email, one.name, one.name_kana, one.job_category) == (
        f"ichiro2.tsuyama@{DOMAIN_A}",
        "津山 一朗",
        "ツヤマ イチロ",
        JobCategory.TECHNICAL,
    )
    assert one.org_unit_id == units["総務部/新設課"].id
    assert (four.status, four.name_kana, four.job_category) == (
        AccountStatus.ACTIVE,
        "カモ シキ",
        JobCategory.WELFARE,
    )
    assert four.org_unit_id == units["総務部/デジタル推進課"].id


@pytest.mark.parametrize("cell", ["\u200b", "\ufeff", "\u3000\u3000"])
def test_an_invisible_employee_number_is_missing_once(coord_a, cell):
    """Only invisible characters (a zero-width space, a BOM, ideographic spaces) are no
    number: the row is refused once, as missing, not imported with an invisible key."""
    resp = post_roster(
        coord_a,
        csv_bytes(f"{cell},津山 太郎,t1@city.tsuyama.lg.jp,総務課,行政職", encoding="utf-8"),
    )
    errors = resp.get_json()["errors"]
    assert [(e["row"], e["column"], e["message"]) for e in errors] == [
        (2, "職員番号", "職員番号がありません。")
    ]
