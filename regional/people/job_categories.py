"""職種 as each member's personnel system names it, and the platform's job category it means.

The platform counts people by a short fixed list (:class:`JobCategory`: 行政職, 技術職 …);
personnel systems write their own names (一般行政職, 保健師, 土木技師, 消防吏員 …). A
roster's 職種 is looked up first in the member's own words (kept by its coordinator on
the roster page, audited), then in :data:`DEFAULT_WORDS`, which hold the platform's own
names and the usual names of Japanese local government; a name found in neither is
imported as その他 and listed in the preview, never a refusal of the file.

Names are compared as header names are (:func:`regional.spreadsheets.normalise_header`:
width, case, spaces, brackets and ・ do not matter).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from regional.audit import record_audit
from regional.enums import str_enum
from regional.errors import Conflict, DomainError
from regional.extensions import db
from regional.people.models import JobCategory, User
from regional.spreadsheets import normalise_header
from regional.validation import text_problem
from tenants import TenantScoped
from tenants.base import utcnow

#: Longest 職種 name kept (the roster's 職種 cell has the same bound).
MAX_WORD = 40

_A, _T, _W, _M = (
    JobCategory.ADMINISTRATIVE,
    JobCategory.TECHNICAL,
    JobCategory.WELFARE,
    JobCategory.MEDICAL,
)
_F, _E, _L, _O = (
    JobCategory.FIREFIGHTING,
    JobCategory.EDUCATION,
    JobCategory.LABOR,
    JobCategory.OTHER,
)

#: The words every member starts with: the platform's own (the export writes the first of
#: each category, the import reads it back), then the usual names of personnel systems.
#: 保健師 and the other licensed health professions are 医療職 (the enum has no 保健職).
DEFAULT_WORDS: dict[JobCategory, tuple[str, ...]] = {
    _A: (
        "行政職",
        "行政職等",
        "行政",
        "事務",
        "事務職",
        "一般行政職",
        "一般行政",
        "一般事務",
        "一般事務職",
        "行政事務",
        "事務吏員",
        "学校事務",
        "司書",
        "学芸員",
    ),
    _T: (
        "技術職",
        "技術",
        "技術吏員",
        "土木",
        "土木職",
        "土木技師",
        "建築",
        "建築職",
        "建築技師",
        "電気",
        "電気職",
        "電気技師",
        "機械",
        "機械職",
        "機械技師",
        "化学",
        "化学職",
        "農業",
        "農業職",
        "農業土木",
        "林業",
        "林業職",
        "水産",
        "獣医師",
        "情報",
        "情報職",
    ),
    _W: (
        "福祉職",
        "福祉",
        "社会福祉",
        "社会福祉職",
        "社会福祉士",
        "精神保健福祉士",
        "介護福祉士",
        "保育士",
        "児童指導員",
        "生活支援員",
        "ケースワーカー",
    ),
    _M: (
        "医療職",
        "医療",
        "医療技術職",
        "看護職",
        "保健師",
        "看護師",
        "准看護師",
        "助産師",
        "医師",
        "歯科医師",
        "薬剤師",
        "管理栄養士",
        "栄養士",
        "歯科衛生士",
        "臨床検査技師",
        "診療放射線技師",
        "理学療法士",
        "作業療法士",
        "言語聴覚士",
    ),
    _F: ("消防職", "消防", "消防吏員", "消防職員", "消防士", "救急救命士"),
    _E: ("教育職", "教育", "教員", "教諭", "幼稚園教諭", "保育教諭", "指導主事"),
    _L: (
        "技能労務職",
        "技能労務",
        "労務職",
        "技能職",
        "現業職",
        "用務員",
        "調理員",
        "給食調理員",
        "運転手",
        "自動車運転手",
        "清掃作業員",
        "作業員",
    ),
    _O: ("その他",),
}

_DEFAULT_LOOKUP = {
    normalise_header(word): cat
    for cat, words in DEFAULT_WORDS.items()
    for word in (cat.value, *words)
}


def word_key(word: str) -> str:
    """How a 職種 name is compared (width, case, spaces and brackets do not matter)."""
    return normalise_header(word)


def default_category(word: str) -> JobCategory | None:
    return _DEFAULT_LOOKUP.get(word_key(word))


def export_word(category: JobCategory, locale: str) -> str:
    """The word the export writes for a job category (every import reads it back)."""
    return category.value if locale == "en" else DEFAULT_WORDS[category][0]


class JobCategoryWord(TenantScoped, db.Model):
    """One member's own 職種 name and the job category it means (overrides the defaults)."""

    __tablename__ = "job_category_words"
    __table_args__ = (
        UniqueConstraint("municipality_id", "word_key", name="uq_job_category_words_word"),
    )
    tenant_index = False  # the unique key leads with municipality_id

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The name as the coordinator wrote it (shown on the page).
    word: Mapped[str] = mapped_column(String(MAX_WORD))
    #: The name as compared (:func:`word_key`).
    word_key: Mapped[str] = mapped_column(String(MAX_WORD))
    category: Mapped[JobCategory] = mapped_column(str_enum(JobCategory))
    updated_by_id: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Lookup:
    """The current municipality's words, then the defaults: one read per roster."""

    def __init__(self) -> None:
        self.own = {w.word_key: w.category for w in db.session.scalars(select(JobCategoryWord))}

    def __call__(self, word: str) -> JobCategory | None:
        key = word_key(word)
        return self.own.get(key) or _DEFAULT_LOOKUP.get(key)


def own_words() -> list[JobCategoryWord]:
    """The current municipality's words, in name order."""
    return list(db.session.scalars(select(JobCategoryWord).order_by(JobCategoryWord.word_key)))


def _check_word(word: object) -> str:
    text = word.strip() if isinstance(word, str) else ""
    problem = text_problem(text)
    if not text or problem or len(text) > MAX_WORD or not word_key(text):
        raise DomainError(
            "invalid_field",
            problem or _l("Write the job category's name (up to %(n)d characters).", n=MAX_WORD),
            status=400,
        )
    return text


def set_word(word: object, category: JobCategory, actor: User) -> JobCategoryWord:
    """Add or change the current municipality's word (audited); the caller commits."""
    text = _check_word(word)
    key = word_key(text)
    row = db.session.scalar(select(JobCategoryWord).where(JobCategoryWord.word_key == key))
    before = {"word": row.word, "category": row.category} if row is not None else None
    if row is None:
        row = JobCategoryWord(word=text, word_key=key, category=category)
        db.session.add(row)
    elif row.word == text and row.category == category:
        raise Conflict("unchanged", _l("This name already means this job category."))
    row.word, row.category, row.updated_by_id = text, category, actor.id
    db.session.flush()
    record_audit(
        "job_word.set",
        subject_type="job_word",
        subject_id=row.id,
        subject_label=text,
        before=before,
        after={"word": text, "category": category},
        actor=actor,
    )
    return row


def delete_word(row: JobCategoryWord, actor: User) -> None:
    """Remove a word (the default, if any, applies again); audited, the caller commits."""
    record_audit(
        "job_word.delete",
        subject_type="job_word",
        subject_id=row.id,
        subject_label=row.word,
        before={"word": row.word, "category": row.category},
        actor=actor,
    )
    db.session.delete(row)
    db.session.flush()
