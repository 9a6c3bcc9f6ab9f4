"""A realistic organisation tree per municipality: 部/局 > 課 (and 課相当) > 係 (and 係相当).

Sized by staff: about one division (課) per 37 staff and one section (係) per
11, so Okayama City's ~7,500 staff give about 200 divisions and 700 sections,
as the policy's targets assume (課相当1名, 係相当2名). About one division in
eight is a 課相当 (室, センター) and one section in ten a 係相当 (担当).
Rows are bulk-inserted with explicit ids (Core, explicit ``municipality_id``):
this is a data generator, not application code.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

DEPARTMENTS = [
    "政策局",
    "総務局",
    "財政局",
    "市民生活局",
    "保健福祉局",
    "岡山っ子育成局",
    "環境局",
    "産業観光局",
    "都市整備局",
    "下水道河川局",
    "消防局",
    "水道局",
    "市場事業部",
    "教育委員会事務局",
    "議会事務局",
    "北区役所",
    "中区役所",
    "東区役所",
    "南区役所",
    "選挙管理委員会事務局",
]
DIVISION_STEMS = [
    "総務",
    "企画",
    "人事",
    "財政",
    "契約",
    "管財",
    "税制",
    "市民税",
    "資産税",
    "納税",
    "市民協働",
    "生活安全",
    "文化振興",
    "スポーツ振興",
    "障害福祉",
    "高齢者福祉",
    "介護保険",
    "医療給付",
    "保健管理",
    "健康づくり",
    "感染症対策",
    "保育・幼児教育",
    "環境保全",
    "廃棄物対策",
    "産業政策",
    "農林水産",
    "観光振興",
    "都市計画",
    "建築指導",
    "道路計画",
    "道路建設",
    "公園緑地",
    "河川港湾",
    "下水道計画",
    "デジタル推進",
    "情報政策",
    "危機管理",
    "広報広聴",
    "秘書",
    "法務",
    "地域づくり推進",
    "住宅",
    "営業",
    "給水",
    "警防",
    "予防",
    "学校教育",
    "生涯学習",
]
DIVISION_EQUIVALENT_SUFFIXES = ("室", "センター")
SECTION_STEMS = [
    "庶務",
    "企画",
    "管理",
    "事業",
    "調整",
    "審査",
    "指導",
    "計画",
    "業務",
    "経理",
    "相談",
    "施設",
    "推進",
    "保全",
    "給付",
    "調査",
]
SECTION_EQUIVALENT = ["システム担当", "広報担当", "特命担当", "整備担当"]
#: Divisions whose staff run systems: the advanced (情報部門) population.
IT_DIVISIONS = ("情報政策課", "デジタル推進課")


@dataclass
class Tree:
    """The units of one municipality (ids are global, assigned by the caller's counter)."""

    rows: list[dict] = field(default_factory=list)
    divisions: list[int] = field(default_factory=list)
    sections: list[int] = field(default_factory=list)
    #: division id -> its section ids
    sections_of: dict[int, list[int]] = field(default_factory=dict)
    it_units: set[int] = field(default_factory=set)


def build_tree(municipality_id: int, staff: int, next_id, rng: random.Random) -> Tree:
    """Units for ``staff`` people; ``next_id()`` hands out primary keys."""
    n_div = max(3, round(staff / 37))
    n_sec = max(n_div, round(staff / 11))
    n_dept = max(2, min(len(DEPARTMENTS), round(n_div / 11)))
    tree = Tree()

    def add(name: str, level: str, parent: int | None, equivalent: bool = False) -> int:
        uid = next_id()
        tree.rows.append(
            dict(
                id=uid,
                municipality_id=municipality_id,
                parent_id=parent,
                name=name,
                level=level,
                equivalent=equivalent,
                active=True,
            )
        )
        return uid

    depts = [add(d, "department", None) for d in DEPARTMENTS[:n_dept]]
    # Divisions: spread over the departments; names unique within their department.
    used: dict[int, set[str]] = {d: set() for d in depts}
    stems = DIVISION_STEMS[:]
    for k in range(n_div):
        dept = depts[k % n_dept]
        equivalent = rng.random() < 0.12
        stem = stems[k % len(stems)]
        if k < 2:  # every member has its IT division(s)
            stem = ("情報政策", "デジタル推進")[k]
        suffix = rng.choice(DIVISION_EQUIVALENT_SUFFIXES) if equivalent else "課"
        name = f"{stem}{suffix}"
        n = 2
        while name in used[dept]:
            name = f"{stem}第{n}{suffix}"
            n += 1
        used[dept].add(name)
        div = add(name, "division", dept, equivalent)
        tree.divisions.append(div)
        tree.sections_of[div] = []
        if name in IT_DIVISIONS:
            tree.it_units.add(div)
    # Sections: every division gets at least one; the rest spread at random.
    per_div = {d: 1 for d in tree.divisions}
    for _ in range(n_sec - n_div):
        per_div[rng.choice(tree.divisions)] += 1
    for div in tree.divisions:
        names: set[str] = set()
        for j in range(per_div[div]):
            equivalent = rng.random() < 0.10
            if equivalent:
                name = SECTION_EQUIVALENT[j % len(SECTION_EQUIVALENT)]
            else:
                name = f"{SECTION_STEMS[j % len(SECTION_STEMS)]}係"
            base, n = name, 2
            while name in names:
                name = f"{base}{n}"
                n += 1
            names.add(name)
            sec = add(name, "section", div, equivalent)
            tree.sections.append(sec)
            tree.sections_of[div].append(sec)
            if div in tree.it_units:
                tree.it_units.add(sec)
    return tree
