"""Rosters as personnel systems really export them: CP932 with 外字 written in their nearest
form, their own 職種 names, their own header names, a trailer row. Imported without a
refusal and without renaming anyone; the 職種 names a member keeps for its system."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from regional.audit.models import AuditEntry
from regional.extensions import db
from regional.people import gaiji
from regional.people.job_categories import JobCategoryWord, default_category
from regional.people.models import JobCategory, User
from tenants.scoping import acting_as
from tests.conftest import CODE_A

DOMAIN_A = "city.tsuyama.lg.jp"
IVS_TSUJI = "辻\U000e0100"  # 辻 with the selector of its one-dot form (一点しんにょう)

#: The people as registered (UTF-8 can hold every name): numbers, names, 職種 as imported.
REGISTERED = [
    ("000201", "𠮷田 一郎", "kichida@", "総務部/人事課", "一般行政職"),
    ("000202", "髙橋 二葉", "takahashi@", "総務部/人事課", "保健師"),
    ("000203", "山﨑 三郎", "yamasaki@", "建設部/道路課", "土木技師"),
    ("000204", f"{IVS_TSUJI} 四郎", "tsuji@", "消防本部/警防課", "消防吏員"),
    ("000205", "德永 五月", "tokunaga@", "総務部/人事課", "用務員"),
    ("000206", "渡邊 六実", "watanabe@", "総務部/人事課", "一般事務"),
]
CATEGORIES = {
    "000201": JobCategory.ADMINISTRATIVE,
    "000202": JobCategory.MEDICAL,
    "000203": JobCategory.TECHNICAL,
    "000204": JobCategory.FIREFIGHTING,
    "000205": JobCategory.LABOR,
    "000206": JobCategory.ADMINISTRATIVE,
}


def post_roster(client, data: bytes, **query):
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return client.post(
        f"/municipalities/{CODE_A}/roster" + (f"?{qs}" if qs else ""),
        data={"file": (io.BytesIO(data), "export.csv")},
        content_type="multipart/form-data",
    )


@pytest.fixture
def coord_a(api, world):
    return api(world.emails["coordinator_a"])


@pytest.fixture
def registered(app, world, coord_a):
    """The six people imported from a UTF-8 roster, with every name as registered."""
    lines = ["職員番号,氏名,メールアドレス,所属,職種"] + [
        f"{n},{name},{mail}{DOMAIN_A},{unit},{job}" for n, name, mail, unit, job in REGISTERED
    ]
    body = post_roster(coord_a, ("\r\n".join(lines) + "\r\n").encode("utf-8"), commit="true")
    assert body.status_code == 200, body.get_json()
    assert body.get_json()["created"] == 6
    return {n: name for n, name, *_ in REGISTERED}


def people(app, world) -> dict[str, User]:
    with app.app_context(), acting_as(db.session, world.muni_a):
        found = {
            u.employee_number: u
            for u in db.session.scalars(select(User).where(User.employee_number.like("0002%")))
        }
        for u in found.values():
            db.session.expunge(u)
        return found


def export_a() -> bytes:
    """As a JIS X 0208 personnel system writes it (a vendor's 「職員情報CSV出力」): CP932,
    every field quoted, its own header names, extra columns, its own 職種 names, half-width
    kana, a trailer row counting the records."""
    rows = [
        '"職員コード","氏名（漢字）","氏名（カナ）","生年月日","所属名称","職名","職種名","E-Mail"',
        '"000201","吉田 一郎","ｷﾁﾀﾞ ｲﾁﾛｳ","1980/04/02","総務部/人事課","主査","一般行政職",'
        f'"kichida@{DOMAIN_A}"',
        '"000202","高橋 二葉","ﾀｶﾊｼ ﾌﾀﾊﾞ","1985/06/30","総務部/人事課","主任","保健師",'
        f'"takahashi@{DOMAIN_A}"',
        '"000203","山崎 三郎","ﾔﾏｻｷ ｻﾌﾞﾛｳ","1979/11/11","建設部/道路課","技師","土木技師",'
        f'"yamasaki@{DOMAIN_A}"',
        '"000204","辻 四郎","ﾂｼﾞ ｼﾛｳ","1990/01/15","消防本部/警防課","消防士長","消防吏員",'
        f'"tsuji@{DOMAIN_A}"',
        '"000205","徳永 五月","ﾄｸﾅｶﾞ ｻﾂｷ","1970/05/05","総務部/人事課","主任","用務員",'
        f'"tokunaga@{DOMAIN_A}"',
        '"000206","渡邊 六実","ﾜﾀﾅﾍﾞ ﾑﾂﾐ","1992/03/03","総務部/人事課","主事","一般事務",'
        f'"watanabe@{DOMAIN_A}"',
        '"000207","新見 七海","ﾆｲﾐ ﾅﾅﾐ","2003/07/07","教育委員会/文化課","主事","文化財専門職",'
        f'"niimi@{DOMAIN_A}"',
        '"※出力件数：7件","","","","","","",""',
    ]
    return ("\r\n".join(rows) + "\r\n").encode("cp932")


def export_b() -> bytes:
    """As another system writes it (CP932 through Excel): numbers without their leading
    zeros, full-width digits in one, 〓 for a character with no near form, 職種区分."""
    rows = [
        "職員番号,漢字氏名,カナ氏名,所属部課名,職種区分,メールアドレス（庁内）",
        f"201,吉田 一郎,キチダ イチロウ,総務部/人事課,事務,kichida@{DOMAIN_A}",
        f"２０２,髙橋 二葉,タカハシ フタバ,総務部/人事課,保健師,takahashi@{DOMAIN_A}",
        f"203,山﨑 三郎,ヤマサキ サブロウ,建設部/道路課,技術職,yamasaki@{DOMAIN_A}",
        f"204,辻 四郎,ツジ シロウ,消防本部/警防課,消防職,tsuji@{DOMAIN_A}",
        f"205,德永 五月,トクナガ サツキ,総務部/人事課,技能労務職,tokunaga@{DOMAIN_A}",
        f"206,渡邊 六実,ワタナベ ムツミ,総務部/人事課,行政職,watanabe@{DOMAIN_A}",
    ]
    return ("\r\n".join(rows) + "\r\n").encode("cp932")


def test_a_jis_only_export_renames_nobody_and_refuses_nothing(app, world, coord_a, registered):
    body = post_roster(coord_a, export_a(), commit="true").get_json()
    assert body["errors"] == [] and body["committed"] is True
    assert body["created"] == 1  # 000207; the trailer row is no person
    kept = {k["employee_number"]: (k["registered"], k["written"]) for k in body["kept_names"]}
    assert kept == {
        "000201": ("𠮷田 一郎", "吉田 一郎"),
        "000202": ("髙橋 二葉", "高橋 二葉"),
        "000203": ("山﨑 三郎", "山崎 三郎"),
        "000204": (f"{IVS_TSUJI} 四郎", "辻 四郎"),
        "000205": ("德永 五月", "徳永 五月"),
    }
    assert body["unknown_job_categories"] == [
        {"name": "文化財専門職", "lines": [8], "imported_as": "other"}
    ]
    found = people(app, world)
    for number, name in registered.items():
        assert found[number].name == name, number
        assert found[number].job_category == CATEGORIES[number], number
    assert found["000207"].job_category == JobCategory.OTHER
    # The vendor's 職名 is the job title (役職): read as such.
    assert (found["000201"].job_title, found["000204"].job_title) == ("主査", "消防士長")
    # Only the kana and the job title the file adds change: the trail records no rename.
    with app.app_context(), acting_as(db.session, world.muni_a):
        entry = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "roster.import")
            .order_by(AuditEntry.id.desc())
        ).first()
        lines = entry.detail["people"]
        assert sorted(p["change"] for p in lines) == ["created"] + ["updated"] * 6
        assert all(
            set(p["after"]) == {"name_kana", "job_title"} for p in lines if p["change"] == "updated"
        )


def test_an_export_through_excel_renames_nobody_and_refuses_nothing(
    app, world, coord_a, registered
):
    body = post_roster(coord_a, export_b(), commit="true").get_json()
    assert body["errors"] == []
    # Only the kana is new; nobody's name or job category changes.
    assert (body["created"], body["updated"]) == (0, 6)
    # 𠮷 and the one-dot 辻 cannot be written in CP932; 髙, 﨑 and 德 can (IBM extensions).
    assert {k["employee_number"] for k in body["kept_names"]} == {"201", "204"}
    assert body["unknown_job_categories"] == []
    found = people(app, world)
    for number, name in registered.items():
        assert found[number].name == name, number
        assert found[number].job_category == CATEGORIES[number], number
    assert found["000201"].name_kana == "キチダ イチロウ"


def test_a_geta_mark_keeps_a_name_with_no_near_form(app, world, coord_a, registered):
    rare = "\U0002a6a5"  # 𪚥: beyond CP932, no near form
    with app.app_context(), acting_as(db.session, world.muni_a):
        person = db.session.scalar(select(User).where(User.employee_number == "000206"))
        person.name = f"渡{rare} 六実"
        db.session.commit()
    rows = f"職員番号,氏名,メールアドレス\r\n000206,渡〓 六実,watanabe@{DOMAIN_A}\r\n"
    body = post_roster(coord_a, rows.encode("cp932")).get_json()
    assert body["errors"] == [] and body["updated"] == 0
    assert [k["written"] for k in body["kept_names"]] == ["渡〓 六実"]


def test_a_real_rename_is_still_a_rename(app, world, coord_a, registered):
    rows = f"職員番号,氏名,メールアドレス\r\n000201,吉川 一郎,kichida@{DOMAIN_A}\r\n"
    body = post_roster(coord_a, rows.encode("cp932")).get_json()
    assert body["updated"] == 1 and body["kept_names"] == []


@pytest.mark.parametrize(
    ("registered", "written", "same"),
    [
        ("𠮷野 花子", "吉野 花子", True),
        ("髙橋 太郎", "高橋 太郎", True),
        ("山﨑", "山崎", True),
        ("辻\U000e0101", "辻", True),
        ("德永", "徳永", True),
        ("\U0002a6a5田", "〓田", True),
        ("𠮷野 花子", "𠮷野 はなこ", False),
        ("𠮷野 花子", "吉田 花子", False),
        ("渡邊", "渡辺", False),  # both JIS X 0208: a real correction
        ("高橋", "髙橋", False),  # the file is more precise: taken
    ],
)
def test_differs_only_by_gaiji(registered, written, same):
    assert gaiji.differs_only_by_gaiji(registered, written) is same


def test_the_cp932_form_holds_what_cp932_can():
    assert gaiji.cp932_form("𠮷野 髙橋 﨑 辻\U000e0100 \U0002a6a5") == "吉野 髙橋 﨑 辻 〓"
    assert gaiji.jis_form("𠮷野 髙橋 﨑") == "吉野 高橋 崎"
    gaiji.cp932_form("𠮷野 花子").encode("cp932")


# -- the member's own 職種 names ---------------------------------------------------------


@pytest.mark.parametrize(
    ("word", "category"),
    [
        ("一般行政職", JobCategory.ADMINISTRATIVE),
        ("保健師", JobCategory.MEDICAL),
        ("（保健師）", JobCategory.MEDICAL),
        ("土木技師", JobCategory.TECHNICAL),
        ("消防吏員", JobCategory.FIREFIGHTING),
        ("技能労務職", JobCategory.LABOR),
        ("保育士", JobCategory.WELFARE),
        ("教諭", JobCategory.EDUCATION),
        ("administrative", JobCategory.ADMINISTRATIVE),
        ("文化財専門職", None),
    ],
)
def test_the_usual_names_of_local_government(word, category):
    assert default_category(word) is category


def test_a_coordinator_sets_a_name_and_the_next_import_reads_it(
    app, world, coord_a, as_coordinator_a, registered
):
    page = as_coordinator_a.get("/people/roster/job-categories")
    assert page.status_code == 200 and "保健師" in page.get_data(as_text=True)
    resp = as_coordinator_a.form_post(
        "/people/roster/job-categories", {"word": "文化財専門職", "category": "education"}
    )
    assert resp.status_code == 302
    body = post_roster(coord_a, export_a()).get_json()
    assert body["unknown_job_categories"] == []
    # Full width and brackets do not matter; a name of the member's own beats the default.
    as_coordinator_a.form_post(
        "/people/roster/job-categories", {"word": "（保健師）", "category": "welfare"}
    )
    body = post_roster(coord_a, export_a(), commit="true").get_json()
    assert people(app, world)["000202"].job_category == JobCategory.WELFARE
    with app.app_context(), acting_as(db.session, world.muni_a):
        actions = list(
            db.session.scalars(
                select(AuditEntry.action).where(AuditEntry.action.like("job_word.%"))
            )
        )
        assert actions == ["job_word.set", "job_word.set"]
        words = {w.word: w for w in db.session.scalars(select(JobCategoryWord))}
        assert set(words) == {"文化財専門職", "（保健師）"}
        word_id = words["（保健師）"].id
    # The other member does not read A's names.
    with app.app_context(), acting_as(db.session, world.muni_b):
        assert db.session.scalar(select(func.count(JobCategoryWord.id))) == 0
    resp = as_coordinator_a.form_post(f"/people/roster/job-categories/{word_id}/delete")
    assert resp.status_code == 302
    with app.app_context(), acting_as(db.session, world.muni_a):
        assert db.session.get(JobCategoryWord, word_id) is None
        assert db.session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == "job_word.delete")
        )


@pytest.mark.parametrize("word", ["", "   ", "a\u202eb", "x" * 41])
def test_a_bad_name_is_refused_with_the_form(as_coordinator_a, word):
    resp = as_coordinator_a.form_post(
        "/people/roster/job-categories", {"word": word, "category": "medical"}
    )
    assert resp.status_code == 400


def test_the_same_name_twice_says_so(as_coordinator_a):
    data = {"word": "主事", "category": "administrative"}
    assert as_coordinator_a.form_post("/people/roster/job-categories", data).status_code == 302
    assert as_coordinator_a.form_post("/people/roster/job-categories", data).status_code == 409


# -- the preview and the result pages ------------------------------------------------------


def _upload(client, data: bytes):
    form = {"file": (io.BytesIO(data), "export.csv"), "csrf_token": client.csrf_token()}
    return client.post("/people/roster", data=form, content_type="multipart/form-data")


def test_the_preview_lists_kept_names_and_unknown_job_categories(as_coordinator_a, registered):
    resp = _upload(as_coordinator_a, export_a())
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "外字の違いのため変更しません" in page
    assert "𠮷田 一郎" in page and "吉田 一郎" in page
    assert "文化財専門職" in page and "その他" in page
    assert "/people/roster/confirm" in page  # importable


def test_the_result_page_offers_to_invite_the_new_people(app, world, as_coordinator_a, mailbox):
    import re

    rows = (
        "職員番号,氏名,メールアドレス\r\n"
        f"000301,招待 一,inv1@{DOMAIN_A}\r\n"
        f"000302,招待 二,inv2@{DOMAIN_A}\r\n"
    )
    page = _upload(as_coordinator_a, rows.encode("cp932")).get_data(as_text=True)
    fields = {
        name: re.search(rf'name="{name}" value="([^"]*)"', page).group(1)
        for name in ("upload", "token")
    }
    assert as_coordinator_a.form_post("/people/roster/confirm", fields).status_code == 302
    done = as_coordinator_a.get("/people/roster/done").get_data(as_text=True)
    assert 'action="/people/invitations"' in done
    assert re.search(r"2\s*人に案内メールを送る|invitations to 2 people", done)
    resp = as_coordinator_a.form_post("/people/invitations")
    assert resp.status_code == 302
    assert len(mailbox.to(f"inv1@{DOMAIN_A}")) == 1 and len(mailbox.to(f"inv2@{DOMAIN_A}")) == 1
    done = as_coordinator_a.get("/people/roster/done").get_data(as_text=True)
    assert 'action="/people/invitations"' not in done
