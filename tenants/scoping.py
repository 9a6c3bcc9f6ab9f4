"""One central mechanism that keeps each municipality's rows to itself.

The current municipality lives in the SQLAlchemy session's ``info`` dict, so
it belongs to the unit of work (one per request or CLI command) and never to
process memory. Three hooks enforce it:

* ``do_orm_execute`` adds ``municipality_id = :current`` to every ORM SELECT,
  UPDATE and DELETE that touches a :class:`TenantScoped` entity, including
  relationship and lazy loads (SQLAlchemy's global-criteria recipe);
* ``before_flush`` stamps new rows with the current municipality and refuses
  to insert, change or delete a row of another municipality;
* ``load`` refuses an instance of another municipality that arrived by a path
  the criteria cannot see (for example a Core statement mapped onto a model).

:func:`adopt`, which turns a Core row of the hottest reads into an instance
without the ORM's loading, applies the same check as the ``load`` hook.

With no municipality set, tenant-owned queries return nothing. The few
cross-tenant paths (regional administrators, sign-in by e-mail, cron jobs)
must say so with ``with all_tenants():`` so they are visible in code review.

Known gaps: Core ``insert()/update()`` and ``text()`` SQL bypass the criteria;
keep them off tenant-owned tables or scope them by hand. On PostgreSQL the
database's row-level security (:mod:`tenants.rls`) refuses them as well.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, ForeignKey, event, false, inspect
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    make_transient_to_detached,
    mapped_column,
    with_loader_criteria,
)

_T = TypeVar("_T")

_KEY = "tenant_id"
_ALL = "tenant_all"


class TenantViolation(RuntimeError):
    """A write or load crossed from one municipality into another."""


class TenantScoped:
    """Mixin for every row owned by one municipality."""

    #: Whether ``municipality_id`` gets an index of its own. A table whose composite keys or
    #: indexes lead with ``municipality_id`` sets this False: the single-column index would be
    #: a redundant prefix that only costs writes and tempts the planner into tenant-wide
    #: searches (see the query-plan test, tests/test_query_plans.py).
    tenant_index: bool = True

    @declared_attr
    def municipality_id(cls) -> Mapped[int]:
        #: The owning municipality; stamped by the server, never taken from input.
        return mapped_column(
            ForeignKey("municipalities.id", ondelete="RESTRICT"),
            index=cls.tenant_index,
            nullable=False,
        )


def set_current_tenant(session: Session, municipality_id: int | None) -> None:
    """Bind the unit of work to one municipality (None: no tenant, sees nothing)."""
    session.info[_KEY] = municipality_id
    session.info[_ALL] = 0


def current_tenant_id(session: Session) -> int | None:
    return session.info.get(_KEY)


def is_all_tenants(session: Session) -> bool:
    return session.info.get(_ALL, 0) > 0


@contextmanager
def all_tenants(session: Session) -> Iterator[None]:
    """Lift the wall for a deliberate cross-tenant read or write (regional work)."""
    session.info[_ALL] = session.info.get(_ALL, 0) + 1
    try:
        yield
    finally:
        session.info[_ALL] -= 1


@contextmanager
def acting_as(session: Session, municipality_id: int) -> Iterator[None]:
    """Temporarily work inside another municipality (cron jobs, demo seeding)."""
    saved = (session.info.get(_KEY), session.info.get(_ALL, 0))
    session.info[_KEY], session.info[_ALL] = municipality_id, 0
    try:
        yield
    finally:
        session.info[_KEY], session.info[_ALL] = saved


def _add_criteria(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.is_column_load or state.is_relationship_load:
        return  # the criteria already travel with the parent query's options
    if state.execution_options.get("all_tenants") or is_all_tenants(state.session):
        return
    tenant = current_tenant_id(state.session)
    if tenant is None:
        criteria = with_loader_criteria(TenantScoped, lambda cls: false(), include_aliases=True)
    else:
        criteria = with_loader_criteria(
            TenantScoped,
            lambda cls: cls.municipality_id == tenant,
            include_aliases=True,
        )
    state.statement = state.statement.options(criteria)


def _check_flush(session: Session, flush_context: Any, instances: Any) -> None:
    if is_all_tenants(session):
        for obj in session.new:
            if isinstance(obj, TenantScoped) and obj.municipality_id is None:
                raise TenantViolation(f"{type(obj).__name__} needs an explicit municipality")
        return
    tenant = current_tenant_id(session)
    for obj in session.new:
        if not isinstance(obj, TenantScoped):
            continue
        if obj.municipality_id is None:
            if tenant is None:
                raise TenantViolation(f"no current municipality to stamp on {type(obj).__name__}")
            obj.municipality_id = tenant
        elif obj.municipality_id != tenant:
            raise TenantViolation(f"refused to add {type(obj).__name__} to another municipality")
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, TenantScoped) and obj.municipality_id != tenant:
            raise TenantViolation(f"refused to change {type(obj).__name__} of another municipality")


def _inside_wall(session: Session, municipality_id: int) -> bool:
    """Whether a row of this municipality may arrive in the unit of work (loaded or adopted)."""
    return is_all_tenants(session) or municipality_id == current_tenant_id(session)


def _check_load(target: Any, context: Any) -> None:
    session = context.session
    if session is None or is_all_tenants(session):
        return
    if context.execution_options.get("all_tenants"):
        return
    # The option set on the statement itself (``select(...).execution_options(all_tenants=True)``)
    # lifts the criteria in _add_criteria; it must lift this check too.
    query = getattr(context, "query", None)
    if query is not None and query.get_execution_options().get("all_tenants"):
        return
    if _inside_wall(session, target.municipality_id) or _refreshing_own(target, context):
        return
    raise TenantViolation(f"{type(target).__name__} of another municipality was loaded")


def entity_columns(cls: type, prefix: str = "") -> list[ColumnElement[Any]]:
    """Every column of a mapped class, labelled ``prefix`` + attribute name, for a Core
    ``select()`` whose rows :func:`adopt` turns back into instances."""
    return [attr.columns[0].label(prefix + attr.key) for attr in inspect(cls).column_attrs]


def adopt(session: Session, cls: type[_T], row: Mapping[str, Any], prefix: str = "") -> _T:
    """``cls``'s row as a query would have loaded it, from a Core row (:func:`entity_columns`).

    For the few reads that every request of a kind pays (the account behind a request,
    the session a registration checks), where the ORM's query machinery costs several
    times the statement itself. The values become a persistent, unmodified instance of
    ``session``; one already in its identity map wins, as with a query. Relationships
    are left to load when first touched (or set with ``set_committed_value``). The wall
    holds as for a query: a tenant-owned row of another municipality is refused, as the
    ``load`` hook refuses one that arrives by a query, so the Core statement must still
    name the municipality it reads.
    """
    mapper = inspect(cls)
    values = {attr.key: row[prefix + attr.key] for attr in mapper.column_attrs}
    if issubclass(cls, TenantScoped) and not _inside_wall(session, values["municipality_id"]):
        raise TenantViolation(f"{cls.__name__} of another municipality was loaded")
    key = mapper.identity_key_from_primary_key(
        [values[mapper.get_property_by_column(c).key] for c in mapper.primary_key]
    )
    held = session.identity_map.get(key)
    if held is not None:
        return held
    obj = mapper.class_manager.new_instance()
    obj.__dict__.update(values)
    make_transient_to_detached(obj)  # as if freshly loaded: nothing to flush
    session.add(obj)
    return obj


def _refreshing_own(target: Any, context: Any) -> bool:
    """Whether ``target`` arrives while an object of its own municipality is refreshed.

    A commit expires every object; the next attribute access reloads it, with its
    eager relationships, under whatever municipality is current by then (a failed
    sign-in read across tenants, an administrator's own account while acting in a
    member). The object was admitted when it first loaded, and what it eagerly brings
    back belongs to the same municipality (composite foreign keys), so that is no
    crossing. Anything of another municipality is still refused.
    """
    refresh = getattr(context, "refresh_state", None)
    if refresh is None:
        return False
    owner = refresh.dict.get("municipality_id")
    return owner is not None and owner == target.municipality_id


def install_scoping(session_class: Any, base: Any = None) -> None:
    """Attach the hooks to a Session class and to every TenantScoped model.

    The ``load`` hook hangs on the :class:`TenantScoped` mixin itself, not on
    ``base``: Flask-SQLAlchemy builds ``db.Model`` as a new class sharing the
    base's registry but not inheriting from it, so a hook on the base never
    reached User, Registration or Completion. ``base`` is kept for callers.
    """
    event.listen(session_class, "do_orm_execute", _add_criteria)
    event.listen(session_class, "before_flush", _check_flush)
    event.listen(TenantScoped, "load", _on_load, propagate=True)


def _on_load(target: Any, context: Any) -> None:
    if isinstance(target, TenantScoped):
        _check_load(target, context)
