"""The web layer's shape holds: slices mirror the domain, never reach into each other's controllers, and hold
no SQL (reads and writes go through auction/ services). See docs/architecture.md, "Rules of the layers".

Plain ``ast`` walking, so the rules need no tool of their own; each rule is also run on a made-up module that
breaks it, so a checker that silently stopped finding anything would fail here too.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
LIB = "lib"
# Composition and the command line sit above the slices: they may import every controller.
COMPOSITION = {"web/app.py", "web/core.py", "web/cli.py"}
# The one place a database session is made for a request.
SESSION_PROVIDER = "web/lib/deps.py"

# Statement construction of SQLAlchemy (its Core and ORM both re-export these).
SQL_BUILDERS = frozenset(
    {"select", "insert", "update", "delete", "text", "func", "exists", "union", "union_all", "literal_column"}
)
# Session (and connection) methods that run SQL; no other object in web/ has methods of these names.
SQL_RUNNERS = frozenset({"execute", "scalar", "scalars", "stream", "stream_scalars", "merge", "refresh"})


@dataclass(frozen=True, slots=True)
class Module:
    path: str  # relative to the repository, with forward slashes
    name: str  # dotted, e.g. web.lots.api
    tree: ast.Module

    @property
    def slice(self) -> str | None:
        """The slice folder the module is in (``lots``), or None for web/ itself; ``lib`` counts as one."""
        parts = self.name.split(".")
        return parts[1] if len(parts) > 2 else None


def is_controller_module(dotted: str) -> bool:
    """``web.<slice>.api`` / ``.pages``, and ``*_api`` / ``*_pages`` when a slice has more than one."""
    leaf = dotted.rsplit(".", 1)[-1]
    return leaf in {"api", "pages"} or leaf.endswith(("_api", "_pages"))


def parse(path: Path, source: str | None = None) -> Module:
    relative = path.relative_to(ROOT).as_posix()
    name = relative.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    return Module(relative, name, ast.parse(source if source is not None else path.read_text(), relative))


def web_modules() -> list[Module]:
    return [parse(path) for path in sorted(WEB.rglob("*.py"))]


def imports_of(module: Module) -> list[tuple[int, str]]:
    """Every module a file imports, with its line; ``from web.lots import api`` counts as ``web.lots.api``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def cross_slice_controller_imports(module: Module) -> list[str]:
    """A slice imports another slice's views, forms or schemas if it must, but never its controllers."""
    if module.path in COMPOSITION or module.slice is None:
        return []
    problems = []
    for line, target in imports_of(module):
        parts = target.split(".")
        if parts[0] != "web" or len(parts) < 3:
            continue
        other = parts[1]
        if module.slice == LIB and other != LIB:
            problems.append(f"{module.path}:{line} web/lib is below the slices but imports {target}")
        elif other not in {module.slice, LIB} and is_controller_module(".".join(parts[:3])):
            problems.append(f"{module.path}:{line} imports another slice's controller {target}")
    return problems


def misplaced_controllers(module: Module) -> list[str]:
    """A Controller class lives in a slice's api/pages module, where the rule above can see it."""
    problems = []
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.ClassDef):
            continue
        bases = {base.id if isinstance(base, ast.Name) else getattr(base, "attr", "") for base in node.bases}
        if "Controller" in bases and (module.slice in {None, LIB} or not is_controller_module(module.name)):
            problems.append(f"{module.path}:{node.lineno} defines controller {node.name} outside a slice's api/pages")
    return problems


def sql_in(module: Module) -> list[str]:
    """SQL is built and run in auction/ services; the web layer only calls them."""
    if module.path == SESSION_PROVIDER:
        return []
    problems = []
    models: set[str] = set()  # ORM classes imported here, to catch session.get(Model, id)
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            problems += [
                f"{module.path}:{node.lineno} imports {alias.name}"
                for alias in node.names
                if alias.name.split(".")[0] == "sqlalchemy"
            ]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] == "sqlalchemy":
                problems += [
                    f"{module.path}:{node.lineno} imports {alias.name} from {node.module}"
                    for alias in node.names
                    if alias.name in SQL_BUILDERS or alias.name == "*"
                ]
            if node.module.startswith("auction.") and node.module.endswith(".models"):
                models.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method = node.func.attr
            if method in SQL_RUNNERS:
                problems.append(f"{module.path}:{node.lineno} runs SQL with .{method}()")
            elif (
                method == "get"
                and node.args
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id in models
                and node.args[0].id[:1].isupper()
            ):
                problems.append(f"{module.path}:{node.lineno} loads {node.args[0].id} by primary key itself")
    return problems


# --- the rules on the real code ---


def test_slices_mirror_the_domain() -> None:
    """Every domain slice has a web slice of the same name (web-only slices, like the console, may be added)."""
    domain = {p.parent.name for p in (ROOT / "auction").glob("*/__init__.py")} - {"db"}
    web = {p.parent.name for p in WEB.glob("*/__init__.py")}
    assert domain - web == set()
    assert LIB in web


def test_web_has_no_loose_modules() -> None:
    """Only the composition (app, core) and the command line sit at the top of web/."""
    loose = {p.relative_to(ROOT).as_posix() for p in WEB.glob("*.py")} - {"web/__init__.py"}
    assert loose == COMPOSITION


def test_no_slice_imports_another_slices_controllers() -> None:
    problems = [p for module in web_modules() for p in cross_slice_controller_imports(module)]
    assert problems == []


def test_controllers_live_in_their_slices_api_and_pages_modules() -> None:
    problems = [p for module in web_modules() for p in misplaced_controllers(module)]
    assert problems == []


def test_the_web_layer_holds_no_sql() -> None:
    problems = [p for module in web_modules() for p in sql_in(module)]
    assert problems == []


# --- the rules can fail ---


def fake(path: str, source: str) -> Module:
    return parse(ROOT / path, source)


def test_a_select_in_a_controller_is_caught() -> None:
    controller = fake(
        "web/lots/api.py",
        "from sqlalchemy import select\n"
        "from auction.lots.models import Lot\n"
        "async def handler(db_session):\n"
        "    await db_session.scalars(select(Lot))\n"
        "    return await db_session.get(Lot, 1)\n",
    )
    assert [p.split(" ", 1)[1] for p in sql_in(controller)] == [
        "imports select from sqlalchemy",
        "runs SQL with .scalars()",
        "loads Lot by primary key itself",
    ]
    assert sql_in(fake("web/lots/views.py", "import sqlalchemy as sa\n")) == ["web/lots/views.py:1 imports sqlalchemy"]


def test_the_session_provider_may_open_sessions_but_visitors_dict_get_is_no_sql() -> None:
    assert sql_in(fake(SESSION_PROVIDER, "from sqlalchemy import text\n")) == []
    assert sql_in(fake("web/lots/views.py", "def f(d):\n    return d.get('key', 1)\n")) == []


def test_a_cross_slice_controller_import_is_caught() -> None:
    module = fake(
        "web/bidding/views.py",
        "from web.lots.pages import LotPages\nfrom web.officer import api\nfrom web.lots.views import localized\n",
    )
    assert cross_slice_controller_imports(module) == [
        "web/bidding/views.py:1 imports another slice's controller web.lots.pages",
        "web/bidding/views.py:1 imports another slice's controller web.lots.pages.LotPages",
        "web/bidding/views.py:2 imports another slice's controller web.officer.api",
    ]
    assert cross_slice_controller_imports(fake("web/lib/rendering.py", "from web.lots.views import x\n")) == [
        "web/lib/rendering.py:1 web/lib is below the slices but imports web.lots.views",
        "web/lib/rendering.py:1 web/lib is below the slices but imports web.lots.views.x",
    ]
    assert cross_slice_controller_imports(fake("web/core.py", "from web.lots.pages import LotPages\n")) == []


def test_a_controller_hidden_in_a_view_module_is_caught() -> None:
    module = fake("web/lots/views.py", "from litestar import Controller\nclass Sneaky(Controller):\n    pass\n")
    assert misplaced_controllers(module) == [
        "web/lots/views.py:2 defines controller Sneaky outside a slice's api/pages"
    ]
