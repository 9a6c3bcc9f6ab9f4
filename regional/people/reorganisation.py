"""The April reorganisation a roster import reveals (組織改編): renames, merges, splits, retirements.

A roster places everyone in their unit as of the effective day (異動日). Comparing it with
where people are now shows what happened to the organisation, unit by unit, top down:

* a unit in use is **emptied** when it (with its sub-units) had people before the import
  and has nobody after it (nobody moved in, everyone moved out, left or was deactivated);
* its people's destinations, seen at the unit's own depth (a 課's people moving to the
  sections of one new 課 go *to that 課*), say what became of it:

  - all to ONE unit the import would create, at the same level under the same parent,
    a unit that receives nobody from any other existing unit: a **rename** (名称変更); the
    existing unit takes the new name (keeping its id, its history and its past coverage),
    and the new unit's sub-units named as the old one's are the old ones;
  - all to one unit otherwise (an existing one, or a new one that others join): a
    **merge** (統合) into it; where that unit is new, the coordinator may choose one of the
    merged units (same level, same parent) to take the new name instead of being retired
    (its sub-units not named in the new unit are then retired, as they would have been);
  - to several units: a **split** (分割);
  - nowhere (everyone left or has no unit now): a plain **retirement** (廃止).

* the in-use sub-units of a unit retired (merged, split or retired) are retired with it,
  each recorded with its own fate; those of a renamed unit are judged in turn, and their
  proposals apply only if the rename does.

No 旧所属 (former unit) column is read: where each person was is known from the records,
matched by employee number, and a second account of it in the file could only disagree with
them. What the file cannot say (a vacancy kept, a rename guessed wrong) the coordinator
says by unticking the proposal.

Nothing here writes: :func:`propose` computes the proposals (part of the plan's digest, so
an import does what its preview showed), :func:`resolve` turns the coordinator's choices
into what :mod:`roster_import` applies.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from regional.people.units import PATH_SEPARATOR
from tenants.models import OrgLevel, OrgUnit

RENAME, MERGE, SPLIT, RETIRE = "rename", "merge", "split", "retire"

#: A place in the organisation: an existing unit ("u", id) or one the import creates ("p", path).
Node = tuple[str, object]
Path = tuple[str, ...]


class ChoiceError(ValueError):
    """The choices sent with an import do not fit the proposals of its preview."""


def _nfkc(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip()


@dataclass
class Fate:
    """What the import proposes for one existing unit in use that it empties."""

    unit_id: int
    path: str
    kind: str
    #: Where its people go (seen at its depth): existing units or paths the import creates.
    into: list[Node] = field(default_factory=list)
    into_paths: list[str] = field(default_factory=list)
    #: The nearest ancestor proposed for a rename: this proposal applies only with it.
    requires: int | None = None
    #: The ancestor proposed for retirement that this unit is retired with (no choice of its own).
    follows: int | None = None
    #: For a rename: the new unit's paths (it and its sub-units) that become existing units.
    remap: dict[Path, int] = field(default_factory=dict)

    @property
    def leads(self) -> bool:
        """Whether the coordinator decides on it (not retired along with an ancestor)."""
        return self.follows is None


@dataclass
class MergeGroup:
    """Units merged into one unit; where that unit is new, who may take its name instead."""

    into: Node
    into_path: str
    unit_ids: list[int]
    #: Unit id -> the paths that would become existing units if it took the new name.
    options: dict[int, dict[Path, int]] = field(default_factory=dict)


@dataclass
class Reorganisation:
    """Every proposal of one import, top down (parents before their sub-units)."""

    fates: list[Fate] = field(default_factory=list)
    merges: list[MergeGroup] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fates)

    def fate(self, unit_id: int) -> Fate:
        return next(f for f in self.fates if f.unit_id == unit_id)

    @property
    def leaders(self) -> list[Fate]:
        return [f for f in self.fates if f.leads]

    def along(self, unit_id: int) -> list[Fate]:
        """The sub-units retired with ``unit_id`` (each with its own fate)."""
        return [f for f in self.fates if f.follows == unit_id]

    def of_kind(self, kind: str) -> list[Fate]:
        return [f for f in self.fates if f.kind == kind]

    def paths_replaced(self) -> set[Path]:
        """New units that the proposed renames make unnecessary (as proposed by default)."""
        return {p for f in self.of_kind(RENAME) for p in f.remap}

    def default_choices(self) -> Choices:
        """Every proposal ticked, no merged unit taking a new name (the page's defaults)."""
        return Choices(
            renames=frozenset(f.unit_id for f in self.leaders if f.kind == RENAME),
            retire=frozenset(f.unit_id for f in self.leaders if f.kind != RENAME),
        )

    def check(self, choices: Choices) -> None:
        """:class:`ChoiceError` unless every choice names one of these proposals."""
        renames = {f.unit_id for f in self.leaders if f.kind == RENAME}
        retire = {f.unit_id for f in self.leaders if f.kind != RENAME}
        if not choices.renames <= renames or not choices.retire <= retire:
            raise ChoiceError("unknown proposal")
        for index, unit_id in choices.adopt.items():
            if not 0 <= index < len(self.merges) or unit_id not in self.merges[index].options:
                raise ChoiceError("unknown merge choice")

    def digest_data(self) -> list:
        """What the preview showed, for the plan's fingerprint."""
        return [
            [
                (f.unit_id, f.kind, [list(map(str, n)) for n in f.into], f.requires, f.follows)
                + (sorted((list(p), i) for p, i in f.remap.items()),)
                for f in self.fates
            ],
            [(list(map(str, g.into)), g.unit_ids, sorted(g.options)) for g in self.merges],
        ]


@dataclass(frozen=True)
class Choices:
    """The coordinator's decisions on the proposals (unit ids)."""

    renames: frozenset[int] = frozenset()
    retire: frozenset[int] = frozenset()
    #: Merge group index -> the merged unit that takes the new unit's name.
    adopt: Mapping[int, int] = field(default_factory=dict)


@dataclass
class Outcome:
    """What the import does to the organisation under the choices."""

    #: (unit id, new path), parents first.
    renames: list[tuple[int, Path]] = field(default_factory=list)
    #: New units' paths that are existing (renamed) units instead.
    remap: dict[Path, int] = field(default_factory=dict)
    #: Units retired, sub-units first.
    retire: list[Fate] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.renames or self.retire)


def resolve(reorg: Reorganisation, choices: Choices) -> Outcome:
    """The renames and retirements that ``choices`` apply (:class:`ChoiceError` if foreign)."""
    reorg.check(choices)
    out = Outcome()
    adopt = {unit_id: reorg.merges[i] for i, unit_id in choices.adopt.items()}
    renamed: set[int] = set()
    for f in reorg.fates:  # top down: an ancestor's rename is decided first
        if f.requires is not None and f.requires not in renamed:
            continue
        if f.kind == RENAME and f.unit_id in choices.renames:
            out.renames.append((f.unit_id, f.into[0][1]))  # type: ignore[arg-type]
            out.remap.update(f.remap)
        elif f.unit_id in adopt:
            group = adopt[f.unit_id]
            out.renames.append((f.unit_id, group.into[1]))  # type: ignore[arg-type]
            out.remap.update(group.options[f.unit_id])
        else:
            continue
        renamed.add(f.unit_id)
    kept = set(out.remap.values())
    for f in reversed(reorg.fates):  # sub-units first: a unit is retired after its sub-units
        if f.kind == RENAME:
            continue
        leader = reorg.fate(f.follows) if f.follows is not None else f
        if leader.requires is not None and leader.requires not in renamed:
            continue
        if leader.unit_id in adopt:
            if f is not leader and f.unit_id not in kept:
                out.retire.append(f)
        elif leader.unit_id in choices.retire:
            out.retire.append(f)
    return out


# -- proposing ----------------------------------------------------------------------


class _Graph:
    """Existing units and the units an import creates, as one tree of nodes."""

    def __init__(self, units: Mapping[int, OrgUnit], planned: Mapping[Path, object]):
        self.units = units
        self.planned = planned
        self.kids: dict[int | None, dict[str, OrgUnit]] = defaultdict(dict)
        self.kid_names: dict[int | None, set[str]] = defaultdict(set)
        for u in units.values():
            parent = u.parent_id if u.parent_id in units else None
            self.kids[parent][_nfkc(u.name)] = u
            self.kid_names[parent].add(_nfkc(u.name).lower())
        self._chain: dict[Node, list[Node]] = {}

    def parent(self, node: Node) -> Node | None:
        kind, key = node
        if kind == "u":
            parent_id = self.units[key].parent_id  # type: ignore[index]
            return ("u", parent_id) if parent_id in self.units else None
        path: Path = key  # type: ignore[assignment]
        if len(path) > 1 and path[:-1] in self.planned:
            return ("p", path[:-1])
        parent_id = self.planned[path].parent_id  # type: ignore[attr-defined]
        return ("u", parent_id) if parent_id is not None else None

    def chain(self, node: Node | None) -> list[Node]:
        """The node and its ancestors, bottom up (a cycle in bad data stops the walk)."""
        if node is None:
            return []
        found = self._chain.get(node)
        if found is None:
            found, at = [], node
            while at is not None and at not in found:
                found.append(at)
                at = self.parent(at)
            self._chain[node] = found
        return found

    def depth(self, node: Node) -> int:
        return len(self.chain(node))

    def at_depth(self, node: Node, depth: int) -> Node:
        """The node's ancestor at ``depth`` (the node itself if it is not deeper)."""
        chain = self.chain(node)
        return chain[max(0, len(chain) - depth)]

    def text(self, node: Node) -> str:
        if node[0] == "p":
            return PATH_SEPARATOR.join(node[1])  # type: ignore[arg-type]
        return PATH_SEPARATOR.join(
            self.units[k].name  # type: ignore[index]
            for _kind, k in reversed(self.chain(node))
        )

    def level(self, node: Node) -> OrgLevel:
        if node[0] == "u":
            return self.units[node[1]].level  # type: ignore[index]
        return self.planned[node[1]].level  # type: ignore[attr-defined,index]

    def renamed_as(self, unit: OrgUnit, new: Path) -> dict[Path, int] | None:
        """The new unit's paths that ``unit`` and its sub-units of the same names become;
        None where an existing unit out of use (or of another level) holds such a name."""
        found = {new: unit.id}
        for path in sorted((p for p in self.planned if p[: len(new)] == new), key=len):
            parent_id = found.get(path[:-1])
            if path == new or parent_id is None:
                continue
            child = self.kids[parent_id].get(_nfkc(path[-1]))
            if child is None:
                continue
            if not child.active or child.level != self.level(("p", path)):
                return None
            found[path] = child.id
        return found


def _final(node: Node | None, remap: Mapping[Path, int]) -> Node | None:
    if node is not None and node[0] == "p" and node[1] in remap:
        return ("u", remap[node[1]])  # type: ignore[index]
    return node


def propose(
    units: Iterable[OrgUnit],
    planned: Mapping[Path, object],
    moves: list[tuple[int | None, Node | None]],
) -> Reorganisation:
    """The proposals for ``moves``: (unit before, or None if not placed; place after, or None)."""
    g = _Graph({u.id: u for u in units}, planned)
    moves = [(b, a) for b, a in moves if (b is None or b in g.units)]
    by_depth: dict[int, list[OrgUnit]] = defaultdict(list)
    for u in g.units.values():
        if u.active:
            by_depth[g.depth(("u", u.id))].append(u)
    reorg = Reorganisation()
    fates: dict[int, Fate] = {}
    remap: dict[Path, int] = {}
    for depth in sorted(by_depth):
        flows = _Flows(g, moves, depth, remap)
        for unit in sorted(by_depth[depth], key=lambda u: g.text(("u", u.id))):
            fate = _fate(g, unit, flows, fates, remap)
            if fate is not None:
                fates[unit.id] = fate
    reorg.fates = sorted(fates.values(), key=lambda f: (g.depth(("u", f.unit_id)), f.path))
    reorg.merges = _merge_groups(g, reorg, remap)
    return reorg


class _Flows:
    """Where the people of each existing unit at one depth go, the renames so far applied."""

    def __init__(
        self,
        g: _Graph,
        moves: list[tuple[int | None, Node | None]],
        depth: int,
        remap: Mapping[Path, int],
    ) -> None:
        #: Units whose subtree has someone afterwards.
        self.filled: set[int] = set()
        for _before, after in moves:
            for node in g.chain(after):
                final = _final(node, remap)
                if final is not None and final[0] == "u":
                    self.filled.add(final[1])  # type: ignore[arg-type]
        #: Units at this depth that had someone before; where each one's people go; and,
        #: for each destination, the units (or shallower places) its people come from.
        self.had: set[int] = set()
        self.dests: dict[int, list[Node]] = defaultdict(list)
        self.sources: dict[Node, set[object]] = defaultdict(set)
        for before, after in moves:
            if before is None:
                continue
            chain = g.chain(("u", before))
            deep_enough = len(chain) >= depth
            source = chain[len(chain) - depth] if deep_enough else ("shallow", before)
            if deep_enough:
                self.had.add(source[1])  # type: ignore[arg-type]
            if after is not None:
                dest = g.at_depth(after, depth)
                self.sources[dest].add(source)
                if deep_enough:
                    self.dests[source[1]].append(dest)  # type: ignore[index]


def _fate(
    g: _Graph, unit: OrgUnit, flows: _Flows, fates: Mapping[int, Fate], remap: dict[Path, int]
) -> Fate | None:
    """What becomes of ``unit`` (None: it stays as it is)."""
    requires, follows = _ancestry(g, unit, fates)
    if unit.id in flows.filled:
        return None
    if unit.id not in flows.had:
        if follows is not None:  # empty all along, inside a unit being retired
            return Fate(unit.id, g.text(("u", unit.id)), RETIRE, follows=follows)
        return None
    into = sorted(set(flows.dests.get(unit.id, [])), key=g.text)
    fate = Fate(
        unit.id,
        g.text(("u", unit.id)),
        RETIRE if not into else MERGE if len(into) == 1 else SPLIT,
        into=into,
        into_paths=[g.text(n) for n in into],
        requires=requires,
        follows=follows,
    )
    if fate.kind == MERGE and follows is None and flows.sources[into[0]] == {("u", unit.id)}:
        found = _may_take_name(g, unit, into[0], remap)
        if found is not None:
            fate.kind, fate.remap = RENAME, found
            remap.update(found)
    return fate


def _merge_groups(g: _Graph, reorg: Reorganisation, remap: Mapping[Path, int]) -> list:
    """The merges by destination, with the units that could give it their name."""
    groups: dict[Node, MergeGroup] = {}
    for f in reorg.of_kind(MERGE):
        group = groups.setdefault(f.into[0], MergeGroup(f.into[0], f.into_paths[0], []))
        group.unit_ids.append(f.unit_id)
        if f.leads:
            found = _may_take_name(g, g.units[f.unit_id], f.into[0], remap)
            if found is not None:
                group.options[f.unit_id] = found
    return sorted(groups.values(), key=lambda m: m.into_path)


def _ancestry(g: _Graph, unit: OrgUnit, fates: Mapping[int, Fate]) -> tuple[int | None, int | None]:
    """(the rename this unit's proposal depends on, the retirement it goes with)."""
    for node in g.chain(("u", unit.id))[1:]:
        above = fates.get(node[1])  # type: ignore[call-overload]
        if above is None:
            continue
        if above.kind == RENAME:
            return above.unit_id, None
        return above.requires, above.follows if above.follows is not None else above.unit_id
    return None, None


def _may_take_name(
    g: _Graph, unit: OrgUnit, into: Node, remap: Mapping[Path, int]
) -> dict[Path, int] | None:
    """The paths ``unit`` would become if it took the name of new unit ``into``; None when
    it cannot: ``into`` exists, or sits elsewhere or at another level."""
    if into[0] != "p" or into[1] in remap or g.level(into) != unit.level:
        return None
    parent = _final(g.parent(into), remap)
    own = ("u", unit.parent_id) if unit.parent_id in g.units else None
    if parent != own:
        return None
    name = _nfkc(into[1][-1]).lower()  # type: ignore[index]
    if name != _nfkc(unit.name).lower() and name in g.kid_names[own[1] if own else None]:
        return None  # a sibling of another case: the unit pages' rename would refuse it
    return g.renamed_as(unit, into[1])  # type: ignore[arg-type]
