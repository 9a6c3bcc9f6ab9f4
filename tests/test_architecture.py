"""Does every package import one way, and does the tenant wall know nothing of training?

:data:`LAYERS` lists every module and package of ``regional``, lowest first: each may
import only the ones before it, never one after it (imports inside functions count too),
and a new package or module that is not listed fails the suite. ``tenants`` (below all of
them) never imports ``regional``. Read from the source with ``ast``: nothing is imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Lowest first: a module or package may import only those before it. The ground (errors,
#: input parsing, settings, the database and the request's tenant, the role vocabulary and
#: token primitives), then the features from the audit trail and mail up to the pages that
#: combine them, the API and the commands; the application factory last.
LAYERS = [
    # the ground
    "errors",
    "validation",
    "config",
    "extensions",
    "enums",
    "fiscal",
    "i18n",
    "redaction",
    "versions",
    "signing",
    "roles",
    "tenancy",
    "database",
    "cronlock",
    "downgrades",
    "spreadsheets",
    "downloads",
    "workbooks",
    "security",
    "main",
    # the features
    "audit",
    "mail",
    "people",
    "auth",
    "outbox",
    "catalogue",
    "sessions",
    "seats",
    "attendance",
    "registrations",
    "growth",
    "targets",
    "records",
    "dashboards",
    "heads",
    "surveys",
    "reports",
    "notices",
    "admin",
    "api",
    # what puts it together
    "backup",
    "demo",
    "cli",
    "models",
    "gunicorn_conf",
]
#: The packages whose services take the actor (the request-bound names check below).
SERVICE_PACKAGES = ["people", "catalogue", "sessions", "seats", "attendance", "registrations"]


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, module) for every import in the file, relative ones made absolute."""
    package = _module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            # `from regional import sessions` names a package, not an attribute.
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "regional" and parts[1] in LAYERS:
        return parts[1]
    return None


def _units(root: Path) -> dict[str, list[Path]]:
    """Each module or package directly under ``regional`` and its files."""
    units: dict[str, list[Path]] = {}
    for path in sorted((root / "regional").iterdir()):
        if path.is_dir() and (path / "__init__.py").exists():
            units[path.name] = sorted(path.rglob("*.py"))
        elif path.suffix == ".py" and path.name != "__init__.py":
            units[path.stem] = [path]
    return units


def unlisted_units(root: Path = ROOT) -> list[str]:
    """Modules and packages of ``regional`` that :data:`LAYERS` does not place."""
    return sorted(set(_units(root)) - set(LAYERS))


def upward_imports(root: Path = ROOT) -> list[str]:
    """Every import from a module or package into one above it."""
    wrong = []
    for unit, paths in _units(root).items():
        if unit not in LAYERS:
            continue
        for path in paths:
            for line, module in imported_modules(path, root):
                target = _layer(module)
                if target is not None and LAYERS.index(target) > LAYERS.index(unit):
                    wrong.append(f"{path.relative_to(root)}:{line} imports {module}")
    return wrong


def tenant_wall_imports(root: Path = ROOT) -> list[str]:
    """Every import of the application from the tenancy package."""
    return [
        f"{path.relative_to(root)}:{line} imports {module}"
        for path in sorted((root / "tenants").rglob("*.py"))
        for line, module in imported_modules(path, root)
        if module == "regional" or module.startswith("regional.")
    ]


def test_every_package_imports_only_downwards():
    assert upward_imports() == []


def test_every_module_and_package_has_its_layer():
    """A new package or module says where it sits (in LAYERS) before it may import anything."""
    assert unlisted_units() == []


def test_the_tenant_wall_knows_nothing_of_the_application():
    assert tenant_wall_imports() == []


def test_the_check_sees_imports_and_would_catch_an_upward_one(tmp_path):
    """The check is not vacuous: it reads real downward imports and flags a planted upward one."""
    downward = [
        module
        for path in (ROOT / "regional" / "registrations").rglob("*.py")
        for _line, module in imported_modules(path)
        if _layer(module) == "sessions"
    ]
    assert downward, "registrations imports sessions, and the parser must see it"

    for package in LAYERS:
        (tmp_path / "regional" / package).mkdir(parents=True)
        (tmp_path / "regional" / package / "__init__.py").write_text("")
    (tmp_path / "tenants").mkdir()
    (tmp_path / "regional" / "people" / "bad.py").write_text(
        "def f():\n    from ..registrations import models\n"
    )
    (tmp_path / "regional" / "catalogue" / "bad.py").write_text("import regional.sessions.models\n")
    (tmp_path / "tenants" / "bad.py").write_text("from regional import extensions\n")
    (tmp_path / "regional" / "fiscal" / "bad.py").write_text("from regional.mail import models\n")
    (tmp_path / "regional" / "newthing").mkdir()
    (tmp_path / "regional" / "newthing" / "__init__.py").write_text("")
    assert sorted(upward_imports(tmp_path)) == [
        "regional/catalogue/bad.py:1 imports regional.sessions.models",
        "regional/fiscal/bad.py:1 imports regional.mail",
        "regional/fiscal/bad.py:1 imports regional.mail.models",
        "regional/people/bad.py:2 imports regional.registrations",
        "regional/people/bad.py:2 imports regional.registrations.models",
    ]
    assert unlisted_units(tmp_path) == ["newthing"]
    assert tenant_wall_imports(tmp_path) == [
        "tenants/bad.py:1 imports regional",
        "tenants/bad.py:1 imports regional.extensions",
    ]


#: Request-bound names a service must not reach for: it takes the actor as an argument
#: and raises a DomainError that the page or the API translates.
REQUEST_NAMES = {("flask", "abort"), ("flask", "g"), ("flask_login", "current_user")}


def request_bound_imports(root: Path = ROOT) -> list[str]:
    """Imports of abort, g or current_user in the feature packages' non-page modules."""
    wrong = []
    for package in SERVICE_PACKAGES:
        for path in sorted((root / "regional" / package).rglob("*.py")):
            if "views" in path.stem or path.name in {"access.py", "forms.py"}:
                continue  # pages, load gates and forms belong to the request
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module in {"flask", "flask_login"}:
                    for alias in node.names:
                        if (node.module, alias.name) in REQUEST_NAMES:
                            wrong.append(f"{path.relative_to(root)}:{node.lineno} {alias.name}")
    return wrong


def test_services_take_the_actor_as_an_argument():
    assert request_bound_imports() == []


#: Where the request's (or a command's) municipality is set: the request's tenant once, in
#: tenancy.py; the commands and demo seeding choose theirs. Everything else changes it only
#: for a scoped block (``with acting_as(...)`` / ``with all_tenants(...)``).
TENANT_SETTERS = {"regional/tenancy.py", "regional/cli.py", "regional/demo.py"}


def tenant_switches(root: Path = ROOT) -> list[str]:
    """Calls of set_current_tenant outside :data:`TENANT_SETTERS`."""
    found = []
    for path in sorted((root / "regional").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel in TENANT_SETTERS:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and (
                getattr(node.func, "id", None) == "set_current_tenant"
                or getattr(node.func, "attr", None) == "set_current_tenant"
            ):
                found.append(f"{rel}:{node.lineno}")
    return found


def test_cross_member_steps_are_scoped_blocks():
    """The tenant is set once per request (tenancy.py); any other change is a scoped block."""
    assert tenant_switches() == []


def test_the_switch_check_would_catch_one(tmp_path):
    (tmp_path / "regional" / "growth").mkdir(parents=True)
    (tmp_path / "regional" / "growth" / "bad.py").write_text(
        "from tenants import set_current_tenant\n\ndef f(s):\n    set_current_tenant(s, 1)\n"
    )
    (tmp_path / "regional" / "tenancy.py").write_text("def g(s):\n    set_current_tenant(s, 1)\n")
    assert tenant_switches(tmp_path) == ["regional/growth/bad.py:4"]


#: The longest a function of ``regional`` may be, in lines from its ``def`` to its end.
MAX_FUNCTION_LINES = 80


def _functions(tree: ast.AST, prefix: str = ""):
    """(qualified name, node) of every function, methods and nested functions included."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = f"{prefix}{node.name}"
            if not isinstance(node, ast.ClassDef):
                yield name, node
            yield from _functions(node, f"{name}.")
        else:
            yield from _functions(node, prefix)


def long_functions(root: Path = ROOT) -> dict[str, int]:
    """``path:qualified name`` -> lines, for every function of ``regional`` over the limit."""
    found = {}
    for path in sorted((root / "regional").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for name, node in _functions(ast.parse(path.read_text(encoding="utf-8"))):
            lines = node.end_lineno - node.lineno + 1
            if lines > MAX_FUNCTION_LINES:
                found[f"{rel}:{name}"] = lines
    return found


def test_no_function_is_longer_than_80_lines():
    """A long function is broken into named steps; there is no allow-list."""
    assert long_functions() == {}


def test_the_length_check_would_catch_one(tmp_path):
    """81 lines is too long, 80 is not; methods and nested functions are named and counted."""

    def body(lines: int, indent: int) -> str:
        return " " * indent + "x = 1\n" + (" " * indent + "x += 1\n") * (lines - 2)

    (tmp_path / "regional" / "people").mkdir(parents=True)
    (tmp_path / "regional" / "people" / "bad.py").write_text(
        f"def fits():\n{body(80, 4)}\n"
        f"class Plan:\n    @property\n    def long(self):\n{body(81, 8)}\n"
        f"def outer():\n    def inner():\n{body(81, 8)}    return inner\n"
    )
    assert long_functions(tmp_path) == {
        "regional/people/bad.py:Plan.long": 81,
        "regional/people/bad.py:outer": 83,
        "regional/people/bad.py:outer.inner": 81,
    }
