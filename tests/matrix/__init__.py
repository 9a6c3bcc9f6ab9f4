"""The authorization matrix: the written rule of who may do what to whose records.

Every route of ``app.url_map`` must have at least one :class:`Case` here, or
``tests/test_authz_matrix.py`` fails: no new route can skip the wall.

A case names a URL built from records of municipality A or B, and the status
each role must get. Roles: ``anon``, ``employee_a`` (an employee of A),
``coordinator_a``, ``coordinator_b``, ``admin`` (Okayama City's regional
administrator). Owners: ``A``/``B`` for routes about a tenant-owned record,
``-`` for routes that name none. Expectations deny by default: a role missing
from ``expect`` must get a refusal (302 to sign-in for ``anon``, else 403/404).

Each feature keeps its cases in its own module below and lists them in CASES.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ROLES = ("anon", "employee_a", "coordinator_a", "coordinator_b", "admin")
REFUSED = {302, 401, 403, 404}


@dataclass
class Case:
    endpoint: str
    #: url(records, owner) -> path; owner is "A", "B" or "-".
    url: Callable[[Any, str], str]
    #: role -> status, or role -> {owner: status}. Missing roles must be refused.
    expect: dict[str, Any]
    method: str = "GET"
    owners: tuple[str, ...] = ("-",)
    #: data(records, owner) -> form fields (pages) or JSON body (API).
    data: Callable[[Any, str], Any] | None = None
    api: bool = False
    note: str = ""
    files: Callable[[Any, str], dict] | None = field(default=None)
    #: Whether an allowed write changes the database (False: it only sets a cookie, or
    #: previews). The matrix checks that an allowed write did change something, and that
    #: a refused one changed nothing.
    changes: bool = True
    #: Roles for which an allowed write changes nothing in the database (only the session).
    unchanged_for: tuple[str, ...] = ()
    #: shows(records, role, owner) -> (texts the allowed answer must hold, texts it must not):
    #: for pages listing people, proof that nobody of another member is shown.
    shows: Callable[[Any, str, str], tuple[list[str], list[str]]] | None = None

    def expected(self, role: str, owner: str) -> int | None:
        value = self.expect.get(role)
        if isinstance(value, dict):
            return value.get(owner)
        return value


def _collect() -> list[Case]:
    from tests.matrix import (
        admin,
        api_account,
        api_catalogue,
        api_people,
        api_registrations,
        api_sessions,
        audit,
        auth,
        catalogue,
        dashboards,
        growth,
        heads,
        mail,
        main,
        notices,
        people,
        previews,
        records_pages,
        registrations,
        reports,
        roster,
        sessions,
        surveys,
        targets,
        usability,
    )

    cases: list[Case] = []
    for module in (
        main,
        auth,
        people,
        admin,
        catalogue,
        dashboards,
        sessions,
        registrations,
        api_account,
        api_people,
        api_catalogue,
        api_sessions,
        api_registrations,
        audit,
        roster,
        previews,
        growth,
        usability,
        targets,
        records_pages,
        mail,
        heads,
        surveys,
        reports,
        notices,
    ):
        cases.extend(module.CASES)
    return cases


def all_cases() -> list[Case]:
    return _collect()
