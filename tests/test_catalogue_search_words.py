"""The words staff type into the catalogue search (issue 21), on the policy's catalogue.

Japanese readers search the Japanese texts, English readers the English ones (each with
the other language where a programme has none); Latin words match at word boundaries;
width, case and katakana/hiragana are folded; synonyms (search_synonyms, seeded from
regional/catalogue/data/synonyms.toml) find the same programmes, ranked after the word
itself; titles rank before descriptions. Both databases: trigram search (SQLite FTS5,
PostgreSQL pg_trgm) and, for patterns under three characters, LIKE.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from sqlalchemy import select, text

from regional.audit.models import AuditEntry
from regional.catalogue.models import Program, SynonymGroup
from regional.catalogue.normalise import pattern, spaced
from regional.catalogue.search import seed_groups
from regional.catalogue.services import update_program
from regional.extensions import db
from tenants import all_tenants
from tests import factories
from tests.fixtures_sessions import within

EN = {"Accept-Language": "en"}
JA = {"Accept-Language": "ja"}

PM_CODES = {"CORE-PM-101", "CORE-PM-102", "CORE-PM-201", "CORE-PM-301"}
SEC_TITLES = {"GEN-SEC-101", "ADV-102", "CORE-DT-201", "CORE-DT-202"}  # セキュリティ in the title


def _ordered(client, q: str, headers: dict | None = None) -> list[str]:
    resp = client.get("/catalogue/?q=" + quote(q), headers=headers or JA)
    assert resp.status_code == 200, q
    return re.findall(
        r'<td data-label="(?:Code|研修コード)">([^<]+)</td>', resp.get_data(as_text=True)
    )


def _found(client, q: str, headers: dict | None = None) -> set[str]:
    return set(_ordered(client, q, headers))


# -- folding and spacing ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("AI", " ai "),
        ("ＡＩ", " ai "),
        ("生成AI", "生成 ai "),
        ("spreadsheet", " spreadsheet"),  # four letters or more: the start of a word
        ("LAN", " lan "),
        ("エクセル", "えくせる"),
        ("ｴｸｾﾙ", "えくせる"),
        ("gen-sec-101", " gen - sec - 101 "),
        ("100%", " 100 %"),
    ],
)
def test_a_typed_word_becomes_one_pattern(typed, expected):
    assert pattern(typed) == expected


def test_stored_text_sets_latin_words_apart():
    assert spaced("生成AIの業務活用") == " 生成 ai の業務活用 "
    assert spaced("Running systems and handling failures") == (
        " running systems and handling failures "
    )
    assert " ai " not in spaced("A mindset for change (rank-based training)")


# -- the words of the issue and those staff type -------------------------------------

#: (typed, reader, exactly these programmes)
EXACTLY = [
    # Excel: the spreadsheet programme, by synonym (表計算ソフト活用)
    ("エクセル", JA, {"GEN-LIT-201"}),
    ("Excel", JA, {"GEN-LIT-201"}),
    ("EXCEL", JA, {"GEN-LIT-201"}),
    ("ｅｘｃｅｌ", JA, {"GEN-LIT-201"}),
    ("えくせる", JA, {"GEN-LIT-201"}),
    ("ｴｸｾﾙ", JA, {"GEN-LIT-201"}),
    ("表計算", JA, {"GEN-LIT-201"}),
    ("Excel", EN, {"GEN-LIT-201"}),  # Working with spreadsheets
    ("spreadsheet", EN, {"GEN-LIT-201"}),
    # AI: generative AI only, never "training" or "failures"
    ("AI", JA, {"GEN-LIT-203"}),
    ("ＡＩ", JA, {"GEN-LIT-203"}),
    ("ai", JA, {"GEN-LIT-203"}),
    ("ａｉ", JA, {"GEN-LIT-203"}),
    ("AI", EN, {"GEN-LIT-203"}),
    ("ＡＩ", EN, {"GEN-LIT-203"}),
    ("人工知能", JA, {"GEN-LIT-203"}),
    ("生成AI", JA, {"GEN-LIT-203"}),
    ("生成ＡＩ", JA, {"GEN-LIT-203"}),
    ("ChatGPT", JA, {"GEN-LIT-203"}),
    # DX
    ("DX", JA, {"GEN-LIT-101"}),
    ("ｄｘ", JA, {"GEN-LIT-101"}),
    ("デジタルトランスフォーメーション", JA, {"GEN-LIT-101"}),
    ("ICT", JA, {"GEN-LIT-101"}),
    ("情報通信技術", JA, {"GEN-LIT-101"}),
    # RPA
    ("RPA", JA, {"GEN-LIT-202"}),
    ("ｒｐａ", JA, {"GEN-LIT-202"}),
    ("業務自動化", JA, {"GEN-LIT-202"}),
    ("ノーコード", JA, {"GEN-LIT-202"}),
    ("ローコード", JA, {"GEN-LIT-202"}),
    # data
    ("データ", JA, {"GEN-LIT-102"}),
    ("でーた", JA, {"GEN-LIT-102"}),
    ("統計", JA, {"GEN-LIT-102"}),  # two characters: LIKE, not trigrams
    ("データ分析", JA, {"GEN-LIT-102"}),
    ("EBPM", JA, {"GEN-LIT-102"}),
    ("ebpm", JA, {"GEN-LIT-102"}),
    ("data", EN, {"GEN-LIT-102"}),
    # cloud
    ("クラウド", JA, {"CORE-DT-101", "CORE-DT-102"}),
    ("くらうど", JA, {"CORE-DT-101", "CORE-DT-102"}),
    ("ｸﾗｳﾄﾞ", JA, {"CORE-DT-101", "CORE-DT-102"}),
    ("cloud", JA, {"CORE-DT-101", "CORE-DT-102"}),
    ("Cloud", EN, {"CORE-DT-101", "CORE-DT-102"}),
    ("ガバクラ", JA, {"CORE-DT-101", "CORE-DT-102"}),  # a word of the cloud group
    # project management (PM is a synonym: the PM track's codes too)
    ("プロジェクト管理", JA, PM_CODES),
    ("プロジェクトマネジメント", JA, PM_CODES),
    ("進捗管理", JA, PM_CODES),
    # networks
    ("ネットワーク", JA, {"ADV-101", "CORE-PM-301"}),
    ("LAN", JA, {"ADV-101", "CORE-PM-301"}),
    ("LGWAN", JA, {"ADV-101", "CORE-PM-301"}),
    ("network", EN, {"ADV-101", "CORE-PM-301"}),  # networks, network infrastructure
    # phishing, incidents, the rest
    ("フィッシング", JA, {"GEN-SEC-102"}),
    ("phishing", JA, {"GEN-SEC-102"}),
    ("不審メール", JA, {"GEN-SEC-102"}),
    ("標的型", JA, {"GEN-SEC-102"}),
    ("インシデント", JA, {"ADV-102", "CORE-PM-301"}),
    ("障害対応", JA, {"ADV-102", "CORE-PM-301"}),
    ("ピボット", JA, {"GEN-LIT-201"}),
    ("仕様書", JA, {"CORE-DT-301"}),
    ("マインドセット", JA, {"GEN-MIND-101"}),
    ("意識改革", JA, {"GEN-MIND-101"}),
    ("ウイルス", JA, {"GEN-SEC-101"}),
    ("情報漏えい", JA, {"GEN-SEC-101"}),
    # several words: every one
    ("クラウド 基礎", JA, {"CORE-DT-101"}),
    ("セキュリティ\u3000委託", JA, {"CORE-DT-201", "CORE-DT-202"}),  # 委託 ⇔ 調達
    ("AI 活用", JA, {"GEN-LIT-203"}),
    # codes, in either language
    ("ADV-101", JA, {"ADV-101"}),
    ("adv-101", EN, {"ADV-101"}),
    ("ＧＥＮ－ＳＥＣ－１０１", JA, {"GEN-SEC-101"}),
    # nothing there
    ("パワーポイント", JA, set()),
    ("存在しない語", JA, set()),
    # English words inside other English words, or only in the other language
    ("training", JA, set()),  # only in the English text of rank-based training
    ("failures", JA, set()),
    ("ure", EN, set()),  # failures, procedures: not a word of its own
    ("rain", EN, set()),  # training
    ("ai", EN, {"GEN-LIT-203"}),
    ("情報セキュリティ研修", EN, set()),  # an English reader searches the English texts
]


@pytest.mark.parametrize(("typed", "reader", "expected"), EXACTLY)
def test_staff_find_what_they_type(as_employee_a, typed, reader, expected):
    assert _found(as_employee_a, typed, reader) == expected


@pytest.mark.parametrize(
    ("typed", "reader", "included"),
    [
        ("セキュリティ", JA, SEC_TITLES | {"CORE-DT-101"}),
        ("情報セキュリティ", JA, SEC_TITLES | {"CORE-DT-101"}),
        ("せきゅりてぃ", JA, SEC_TITLES | {"CORE-DT-101"}),
        ("security", EN, {"GEN-SEC-101", "ADV-102", "CORE-DT-201", "CORE-DT-202"}),
        ("セキュリティ", EN, {"GEN-SEC-101", "CORE-DT-201"}),  # by its synonym security
        ("PM", JA, {"CORE-PM-101", "CORE-PM-102"}),  # and the PM track's codes
        ("監視", JA, {"ADV-101", "ADV-102", "CORE-PM-301"}),
        ("演習", JA, {"CORE-PM-102", "CORE-DT-301"}),
        ("fail", EN, {"CORE-PM-301"}),  # four letters: the start of "failures"
    ],
)
def test_staff_find_at_least(as_employee_a, typed, reader, included):
    assert included <= _found(as_employee_a, typed, reader)


def test_ai_no_longer_finds_english_words_that_contain_it(as_employee_a):
    for reader in (JA, EN):
        found = _found(as_employee_a, "ＡＩ", reader)
        assert "GEN-MIND-101" not in found  # rank-based tr-ai-ning
        assert "CORE-PM-301" not in found  # f-ai-lures


def test_the_other_language_is_searched_where_a_programme_has_none(app, as_employee_a):
    with within(app):
        factories.make_program(
            "FB-1", title_ja="集計の実務", title_en="", description_en="Hands-on pivot tables"
        )
        factories.make_program("FB-2", title_ja="集計の応用", title_en="Advanced summaries")
        db.session.commit()
    assert _found(as_employee_a, "hands-on", JA) == {"FB-1"}  # no Japanese description
    assert _found(as_employee_a, "集計の実務", EN) == {"FB-1"}  # no English title
    assert _found(as_employee_a, "集計の応用", EN) == set()  # its English title is searched


# -- ranking ------------------------------------------------------------------------


def test_titles_rank_before_descriptions(as_employee_a):
    order = _ordered(as_employee_a, "監視")
    assert order[0] == "ADV-102"  # セキュリティ監視 in the title
    assert set(order[1:]) == {"ADV-101", "CORE-PM-301"}  # in the description


def test_the_word_as_typed_ranks_before_its_synonyms(app, as_employee_a):
    with within(app):
        factories.make_program("R-SYN", title_ja="表計算の応用")
        factories.make_program("R-EXACT", title_ja="エクセル関数入門")
        factories.make_program("R-BODY", title_ja="事務の効率化", description_ja="エクセルのマクロ")
        factories.make_program("R-BODYSYN", title_ja="事務の改善", description_ja="表計算の使い方")
        db.session.commit()
    order = _ordered(as_employee_a, "エクセル")
    assert order[0] == "R-EXACT"
    assert set(order[1:3]) == {"R-SYN", "GEN-LIT-201"}  # a synonym in the title
    assert order[3:] == ["R-BODY", "R-BODYSYN"]


def test_ranking_adds_up_over_words(app, as_employee_a):
    order = _ordered(as_employee_a, "セキュリティ 基礎")
    # CORE-DT-101: クラウドサービス活用の基礎 (基礎 in the title, セキュリティ in the description)
    assert order == ["CORE-DT-101"]
    order = _ordered(as_employee_a, "クラウド")
    assert order == ["CORE-DT-101", "CORE-DT-102"]  # both in the title: catalogue order


def test_a_search_lists_by_rank_and_says_so(as_employee_a):
    page = as_employee_a.get("/catalogue/?q=" + quote("監視"), headers=JA).get_data(as_text=True)
    assert "検索結果" in page and "よく一致するものから順に" in page
    plain = as_employee_a.get("/catalogue/", headers=JA).get_data(as_text=True)
    assert "検索結果" not in plain


# -- added or edited: found at once ---------------------------------------------------


def test_a_programme_added_or_edited_is_found_at_once(app, as_employee_a, world):
    with within(app):
        p = factories.make_program("NEW-1", title_ja="プレゼンテーション資料の作り方")
        db.session.commit()
        pid = p.id
    assert _found(as_employee_a, "パワーポイント") == {"NEW-1"}
    assert _found(as_employee_a, "PowerPoint") == {"NEW-1"}
    assert _found(as_employee_a, "プレゼン") == {"NEW-1"}
    with within(app):
        p = db.session.get(Program, pid)
        values = {
            k: getattr(p, k) for k in ("title_ja", "title_en", "description_ja", "description_en")
        }
        values.update(
            skill_area_id=p.skill_area_id,
            delivery=p.delivery.value,
            hours=p.hours,
            title_ja="文書作成の基本",
        )
        update_program(p, values, world.admin)
        db.session.commit()
    assert _found(as_employee_a, "プレゼン") == set()
    assert _found(as_employee_a, "ワード") == {"NEW-1"}
    assert _found(as_employee_a, "Word") == {"NEW-1"}


def test_sqlite_searches_through_its_trigram_index(app, as_employee_a):
    """The FTS5 table, not the column, answers patterns of three characters or more:
    taking a programme out of the index hides it; the triggers are there at the head."""
    with within(app):
        if db.session.get_bind().dialect.name != "sqlite":
            pytest.skip("SQLite's FTS5 table")
        triggers = set(
            db.session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        )
        assert {"programs_fts_insert", "programs_fts_update", "programs_fts_delete"} <= triggers
        p = db.session.scalar(select(Program).where(Program.code == "GEN-LIT-203"))
        cols = ("search_title_ja", "search_body_ja", "search_title_en", "search_body_en")
        db.session.execute(
            text(
                f"INSERT INTO programs_fts(programs_fts, rowid, {', '.join(cols)}) "
                f"VALUES ('delete', :id, {', '.join(':' + c for c in cols)})"
            ),
            {"id": p.id, **{c: getattr(p, c) for c in cols}},
        )
        db.session.commit()
    assert _found(as_employee_a, "生成AI") == set()


def test_postgresql_searches_through_trigram_indexes(app):
    with within(app):
        if db.session.get_bind().dialect.name != "postgresql":
            pytest.skip("PostgreSQL's pg_trgm")
        names = set(
            db.session.scalars(
                text("SELECT indexname FROM pg_indexes WHERE tablename = 'programs'")
            )
        )
        assert {
            "ix_programs_search_title_ja_trgm",
            "ix_programs_search_body_ja_trgm",
            "ix_programs_search_title_en_trgm",
            "ix_programs_search_body_en_trgm",
        } <= names
        # The planner can answer a search's LIKE from the index (the table is too small to
        # prefer it on its own).
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(
            db.session.scalars(
                text("EXPLAIN SELECT id FROM programs WHERE search_title_ja LIKE '%' || :p || '%'"),
                {"p": pattern("エクセル")},
            )
        )
        assert "ix_programs_search_title_ja_trgm" in plan, plan
        db.session.rollback()


# -- the synonym list -----------------------------------------------------------------


def test_the_migration_seeded_the_platforms_list(app):
    with within(app):
        seeded = [
            g.words
            for g in db.session.scalars(
                select(SynonymGroup)
                .where(SynonymGroup.added_by_id.is_(None))
                .order_by(SynonymGroup.id)
            )
        ]
    assert seeded == seed_groups()


def _entries(app, action: str) -> list[tuple[int, str]]:
    """(actor, subject) of the audit entries of an action."""
    with within(app), all_tenants(db.session):
        stmt = select(AuditEntry.actor_id, AuditEntry.subject_label)
        return [tuple(r) for r in db.session.execute(stmt.where(AuditEntry.action == action))]


def test_an_administrator_adds_a_group_and_search_uses_it_at_once(app, as_admin, as_employee_a):
    with within(app):
        factories.make_program("SYN-1", title_ja="行列計算の基礎")
        db.session.commit()
    assert _found(as_employee_a, "マトリックス") == set()
    resp = as_admin.post(
        "/catalogue/synonyms",
        data={"words": "マトリックス、行列, matrix", "csrf_token": as_admin.csrf_token()},
        headers=JA,
    )
    assert resp.status_code == 302
    assert _found(as_employee_a, "マトリックス") == {"SYN-1"}
    assert _found(as_employee_a, "ﾏﾄﾘｯｸｽ") == {"SYN-1"}
    [(actor, _subject)] = _entries(app, "synonyms.add")
    assert actor == app.world.admin
    page = as_admin.get("/catalogue/synonyms", headers=JA).get_data(as_text=True)
    assert "マトリックス ⇔ 行列 ⇔ matrix" in page


def test_an_administrator_deletes_a_group(app, as_admin, as_employee_a):
    with within(app):
        groups = db.session.scalars(select(SynonymGroup))
        gid = next(g.id for g in groups if "エクセル" in g.words)
    resp = as_admin.post(
        f"/catalogue/synonyms/{gid}/delete", data={"csrf_token": as_admin.csrf_token()}
    )
    assert resp.status_code == 302
    assert _found(as_employee_a, "エクセル") == set()
    assert _found(as_employee_a, "表計算") == {"GEN-LIT-201"}
    [(_actor, subject)] = _entries(app, "synonyms.remove")
    assert "エクセル" in subject


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ("エクセル", "異なる語を二つ以上"),
        ("エクセル ｴｸｾﾙ えくせる", "異なる語を二つ以上"),  # one word as folded
        ("表計算 エクセル Excel spreadsheet", "既に登録"),
        (" ".join(f"語{i}" for i in range(13)), "12語まで"),
        ("あ" * 41 + " い", "40文字以内"),
        ("", "二つ以上入力"),
        ("a\u0001 b", "制御文字"),
    ],
)
def test_a_group_that_cannot_be_added_is_explained(app, as_admin, words, message):
    before = len(_entries(app, "synonyms.add"))
    resp = as_admin.post(
        "/catalogue/synonyms",
        data={"words": words, "csrf_token": as_admin.csrf_token()},
        headers=JA,
    )
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert message in page and 'aria-invalid="true"' in page
    assert len(_entries(app, "synonyms.add")) == before


@pytest.mark.parametrize("who", ["as_employee_a", "as_coordinator_a"])
def test_only_regional_administrators_keep_the_list(request, app, who):
    client = request.getfixturevalue(who)
    assert client.get("/catalogue/synonyms").status_code == 403
    resp = client.post(
        "/catalogue/synonyms", data={"words": "甲 乙", "csrf_token": client.csrf_token()}
    )
    assert resp.status_code == 403
    with within(app):
        assert not any("甲" in g.words for g in db.session.scalars(select(SynonymGroup)))


@pytest.mark.parametrize(
    "typed",
    ['"', '""', 'a"b', "NEAR(abc", "{search_title_ja}:", "^abc", "abc*", "AND", "OR NOT", "-abc"],
)
def test_full_text_query_syntax_typed_is_plain_text(app, as_employee_a, typed):
    with within(app):
        factories.make_program("FTS-1", title_ja=f"記号 {typed} の研修", title_en=f"Sign {typed}")
        db.session.commit()
    assert "FTS-1" in _found(as_employee_a, typed)
    assert _found(as_employee_a, typed + "存在しない") == set()
