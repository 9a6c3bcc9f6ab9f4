"""catalogue search in the reader's language: trigram search, synonyms

* ``programs.search_text`` (one folded text of every field, both languages) becomes four
  columns, the code with the title and the description per reader's language, folded
  (NFKC, case, katakana as hiragana) and with Latin words set apart by spaces
  (regional/catalogue/normalise.py, frozen here), computed for every programme;
* PostgreSQL: ``CREATE EXTENSION IF NOT EXISTS pg_trgm`` (a trusted extension: the
  database's owner may create it) and a GIN trigram index on each column;
* SQLite: the FTS5 table ``programs_fts`` (trigram tokenizer) over those columns, its
  content read from ``programs``, kept in step by triggers and rebuilt here. A later
  migration that copies ``programs`` (batch mode) drops the triggers: it must create
  them again (``tests/test_catalogue_search.py`` checks them at the head);
* ``search_synonyms``: groups of words searched as one, shared by the region, seeded from
  regional/catalogue/data/synonyms.toml as it reads today (frozen below).

The downgrade computes ``search_text`` again (derived) and refuses while administrators
have added synonym groups (facts); the seeded ones go.

Revision ID: 9b3f6c2d1a47
Revises: aad75f7cc959
Create Date: 2026-12-07 16:00:00

"""

import re
import unicodedata
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import tenants.base
from regional.downgrades import count, refuse_to_lose

# revision identifiers, used by Alembic.
revision = "9b3f6c2d1a47"
down_revision = "aad75f7cc959"
branch_labels = None
depends_on = None

COLUMNS = ("search_title_ja", "search_body_ja", "search_title_en", "search_body_en")

_LATIN = re.compile(r"[0-9a-z\u00df-\u00f6\u00f8-\u024f]+")
_KATA_TO_HIRA = {c: c - 0x60 for c in range(0x30A1, 0x30F7)} | {0x30FD: 0x309D, 0x30FE: 0x309E}

#: regional/catalogue/data/synonyms.toml as of this migration.
SEED = [
    ["エクセル", "Excel", "表計算", "spreadsheet"],
    ["ワード", "Word", "文書作成"],
    ["パワーポイント", "PowerPoint", "パワポ", "プレゼン", "プレゼンテーション", "presentation"],
    ["AI", "人工知能", "生成AI", "ChatGPT", "チャットGPT"],
    ["セキュリティ", "情報セキュリティ", "security"],
    ["DX", "デジタルトランスフォーメーション", "デジタル変革"],
    ["RPA", "業務自動化", "ロボティック・プロセス・オートメーション"],
    ["データ", "データ分析", "統計", "data"],
    ["EBPM", "証拠に基づく政策立案"],
    ["クラウド", "cloud", "ガバクラ", "ガバメントクラウド"],
    ["プロジェクト管理", "PM", "プロジェクトマネジメント", "進捗管理"],
    ["ネットワーク", "LAN", "LGWAN", "network"],
    ["標的型攻撃", "フィッシング", "phishing", "不審メール"],
    ["ウイルス", "マルウェア", "ウィルス", "malware", "virus"],
    ["インシデント", "障害対応", "事故対応", "incident"],
    ["ノーコード", "ローコード", "no-code"],
    ["仕様書", "仕様書作成", "調達仕様書", "specification"],
    ["調達", "委託", "外部委託", "procurement"],
    ["標準化", "自治体システム標準化", "標準準拠システム"],
    ["eラーニング", "e-learning", "オンライン研修"],
    ["ICT", "情報通信技術"],
    ["マインドセット", "意識改革", "mindset"],
    ["ピボットテーブル", "ピボット", "pivot"],
    ["サーバ", "サーバー", "server"],
    ["監視", "モニタリング", "monitoring"],
    ["個人情報", "個人情報保護", "情報漏えい", "情報漏洩"],
]


def _spaced(text):
    folded = unicodedata.normalize("NFKC", text or "").casefold().translate(_KATA_TO_HIRA)
    return " " + " ".join(_LATIN.sub(r" \g<0> ", folded).split()) + " "


def _old_fold(text):
    # regional.catalogue.models.fold before this migration (5d1c0a7e9b21).
    return unicodedata.normalize("NFKC", text or "").casefold()


_programs = sa.table(
    "programs",
    sa.column("id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("title_ja", sa.String),
    sa.column("title_en", sa.String),
    sa.column("description_ja", sa.Text),
    sa.column("description_en", sa.Text),
    sa.column("search_text", sa.Text),
    *(sa.column(name, sa.Text) for name in COLUMNS),
)
_FIELDS = ("id", "code", "title_ja", "title_en", "description_ja", "description_en")

FTS_TRIGGERS = {
    "programs_fts_insert": (
        "AFTER INSERT ON programs BEGIN "
        "INSERT INTO programs_fts(rowid, {cols}) VALUES (new.id, {new}); END"
    ),
    "programs_fts_delete": (
        "AFTER DELETE ON programs BEGIN "
        "INSERT INTO programs_fts(programs_fts, rowid, {cols}) "
        "VALUES ('delete', old.id, {old}); END"
    ),
    "programs_fts_update": (
        "AFTER UPDATE OF {cols} ON programs BEGIN "
        "INSERT INTO programs_fts(programs_fts, rowid, {cols}) "
        "VALUES ('delete', old.id, {old}); "
        "INSERT INTO programs_fts(rowid, {cols}) VALUES (new.id, {new}); END"
    ),
}


def _sqlite_fts():
    cols = ", ".join(COLUMNS)
    op.execute(
        f"CREATE VIRTUAL TABLE programs_fts USING fts5({cols}, content='programs', "
        "content_rowid='id', tokenize='trigram')"
    )
    names = {
        "cols": cols,
        "new": ", ".join(f"new.{c}" for c in COLUMNS),
        "old": ", ".join(f"old.{c}" for c in COLUMNS),
    }
    for name, body in FTS_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} " + body.format(**names))
    op.execute("INSERT INTO programs_fts(programs_fts) VALUES ('rebuild')")


def upgrade():
    bind = op.get_bind()
    for name in COLUMNS:
        op.add_column("programs", sa.Column(name, sa.Text(), nullable=False, server_default=""))
    for row in bind.execute(sa.select(*(_programs.c[f] for f in _FIELDS))).all():
        title_ja = row.title_ja or row.title_en or ""
        title_en = row.title_en or row.title_ja or ""
        values = {
            "search_title_ja": _spaced(f"{row.code} {title_ja}"),
            "search_body_ja": _spaced(row.description_ja or row.description_en),
            "search_title_en": _spaced(f"{row.code} {title_en}"),
            "search_body_en": _spaced(row.description_en or row.description_ja),
        }
        bind.execute(_programs.update().where(_programs.c.id == row.id).values(**values))
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+): a batch copy of programs would drop a
    # table that sessions, completions and interests reference.
    op.drop_column("programs", "search_text")
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name in COLUMNS:
            op.execute(
                f"CREATE INDEX ix_programs_{name}_trgm ON programs USING gin ({name} gin_trgm_ops)"
            )
    else:
        _sqlite_fts()

    synonyms = op.create_table(
        "search_synonyms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("words", sa.JSON(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", tenants.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_synonyms")),
    )
    now = datetime.now(UTC)
    op.bulk_insert(synonyms, [{"words": words, "created_at": now} for words in SEED])


def downgrade():
    refuse_to_lose(
        {
            "synonym groups added by administrators": count(
                "search_synonyms", "added_by_id IS NOT NULL"
            )
        },
        "Delete them on the page of search synonyms first (note them to add them again).",
    )
    op.drop_table("search_synonyms")
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for name in COLUMNS:
            op.execute(f"DROP INDEX ix_programs_{name}_trgm")
    else:
        for name in FTS_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE programs_fts")
    op.add_column(
        "programs", sa.Column("search_text", sa.Text(), nullable=False, server_default="")
    )
    for row in bind.execute(sa.select(*(_programs.c[f] for f in _FIELDS))).all():
        text = "\n".join(_old_fold(v) for v in row[1:])
        bind.execute(_programs.update().where(_programs.c.id == row.id).values(search_text=text))
    for name in COLUMNS:
        op.drop_column("programs", name)
