"""Does the audit trail speak the reader's language, never codes?

Every action code the source writes has a label (and the writer refuses one that
has none); every status, role, job category and other coded value shown in before
and after has a name in Japanese and in English; the page shows those names.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from flask_babel import force_locale

from regional.audit import record_audit
from regional.audit.labels import ACTION_LABELS, FIELD_LABELS, field_label, value_label
from regional.audit.services import UnknownAction
from regional.extensions import db
from tenants.scoping import acting_as

ROOT = Path(__file__).resolve().parent.parent / "regional"
CODE = re.compile(r"^[a-z_]+\.[a-z_]+$")


def _codes_in(node: ast.AST) -> set[str]:
    """Action codes an argument can be: a literal, or either side of ``a if c else b``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _codes_in(node.body) | _codes_in(node.orelse)
    return set()


def _name(func: ast.AST) -> str:
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _trees() -> list[tuple[Path, ast.AST]]:
    return [(p, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(ROOT.rglob("*.py"))]


def _forwarders(trees) -> set[str]:
    """Functions that hand their first parameter on as an audit call's action (such as
    ``_program_change(action, ...)`` returning ``audited(action, ...)``)."""
    names: set[str] = set()
    for _path, tree in trees:
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef) or not fn.args.args:
                continue
            first = fn.args.args[0].arg
            for node in ast.walk(fn):
                if (
                    isinstance(node, ast.Call)
                    and "audit" in _name(node.func)
                    and node.args
                    and isinstance(node.args[0], ast.Name)
                    and node.args[0].id == first
                ):
                    names.add(fn.name)
    return names


def written_codes() -> dict[str, str]:
    """code -> where: the first argument of every call of a function named ``*audit*``, or
    of a function that hands its first parameter on to one, and every ``*_action=``."""
    trees = _trees()
    forwarders = _forwarders(trees)
    found: dict[str, str] = {}
    for path, tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            # A kind's description names its actions (``accept_action="ojt.confirm"``).
            for keyword in node.keywords:
                if keyword.arg and keyword.arg.endswith("_action"):
                    for code in _codes_in(keyword.value):
                        found.setdefault(code, f"{path.relative_to(ROOT.parent)}:{node.lineno}")
            if not node.args:
                continue
            name = _name(node.func)
            if "audit" not in name and name not in forwarders:
                continue
            for code in _codes_in(node.args[0]):
                if CODE.match(code):
                    found.setdefault(code, f"{path.relative_to(ROOT.parent)}:{node.lineno}")
    return found


def test_every_action_code_written_in_the_source_has_a_label():
    codes = written_codes()
    assert len(codes) > 30, "the scan found too few codes: is it still reading the calls?"
    missing = {code: where for code, where in codes.items() if code not in ACTION_LABELS}
    assert not missing, f"audit actions without a label in regional/audit/labels.py: {missing}"


def test_no_label_waits_for_an_action_nobody_writes():
    stale = sorted(set(ACTION_LABELS) - set(written_codes()))
    assert not stale, f"labels of action codes the source never writes: {stale}"


def test_the_writer_refuses_a_code_without_a_label(app, world, ctx):
    with acting_as(db.session, world.muni_a), pytest.raises(UnknownAction):
        record_audit("account.teleport", subject_type="user", subject_id=1)


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_every_label_reads_in_both_languages(app, locale):
    with app.test_request_context(), force_locale(locale):
        for table in (ACTION_LABELS, FIELD_LABELS):
            for code, label in table.items():
                text = str(label)
                assert text and text != code
                if locale == "ja":
                    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text), (code, text)


def _coded_values():
    """(subject type, field, code) for every member of every coded value the trail holds."""
    from regional.attendance.models import RevokeCause
    from regional.catalogue.models import Delivery, Tier, Track
    from regional.growth.models import OjtStatus, QualificationStatus
    from regional.people.models import AccountStatus, JobCategory, Role
    from regional.seats.models import RegistrationStatus
    from regional.targets.models import TargetKind
    from tenants.models import OrgLevel

    for subject, key, enum in (
        ("user", "status", AccountStatus),
        ("roster", "status", AccountStatus),
        ("user", "role", Role),
        ("user", "job_category", JobCategory),
        ("roster", "job_category", JobCategory),
        ("program", "eligible_job_categories", JobCategory),
        ("registration", "status", RegistrationStatus),
        ("qualification", "status", QualificationStatus),
        ("ojt", "status", OjtStatus),
        ("org_unit", "level", OrgLevel),
        ("program", "tier", Tier),
        ("program", "track", Track),
        ("program", "prerequisite_tracks", Track),
        ("program", "delivery", Delivery),
        ("certificate", "cause", RevokeCause),
        ("target", "kind", TargetKind),
    ):
        for member in enum:
            yield subject, key, member.value


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_every_coded_value_has_a_name(app, locale):
    with app.test_request_context(), force_locale(locale):
        unnamed = [
            (subject, key, code)
            for subject, key, code in _coded_values()
            if value_label(code, key=key, subject_type=subject) == code
        ]
        assert not unnamed, f"values shown as codes in the audit trail: {unnamed}"
        assert value_label(True, key="active") == ("はい" if locale == "ja" else "Yes")
        assert value_label(False, key="system_duty") == ("いいえ" if locale == "ja" else "No")
        assert field_label("332038") == ("津山市" if locale == "ja" else "Tsuyama City")


def _table(html: str) -> str:
    start = html.index('data-testid="audit-table"')
    return html[start : html.index("</table>", start)]


@pytest.mark.parametrize(
    ("locale", "names"),
    [
        ("ja", ["申込みの承認", "承認待ち", "受講確定", "研修担当者", "職員", "はい", "いいえ"]),
        ("en", ["Registration approved", "Awaiting approval", "Enrolled", "Training coordinator"]),
    ],
)
def test_the_page_shows_names_never_codes(app, world, as_coordinator_a, locale, names):
    with app.app_context(), acting_as(db.session, world.muni_a):
        record_audit(
            "registration.approve",
            subject_type="registration",
            subject_id=1,
            subject_label="髙橋 太郎",
            before={"status": "pending"},
            after={"status": "enrolled"},
        )
        record_audit(
            "account.update",
            subject_type="user",
            subject_id=world.employee_a,
            before={"role": "employee", "job_category": "administrative", "system_duty": False},
            after={"role": "coordinator", "job_category": "technical", "system_duty": True},
        )
        db.session.commit()
    page = as_coordinator_a.get("/audit/", headers={"Accept-Language": locale})
    table = _table(page.get_data(as_text=True))
    for code in ("registration.approve", "account.update", ">pending<", ">enrolled<"):
        assert code not in table
    for code in ("administrative", "technical", "coordinator", "True", "False", "system_duty"):
        assert f">{code}<" not in table, code
    missing = [n for n in names if n not in table]
    assert not missing, missing
