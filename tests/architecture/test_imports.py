"""Which way imports run (docs/README.md, "The app contract"; DESIGN.md §2).

Every module under kiemdich/ is read with `ast` (nothing is imported): each `import kiemdich...`
and `from ... import ...` naming a kiemdich module, at module level or inside a function, is an
edge of the import graph. A function-level import still makes a cycle: it only hides it until the
function runs (a worker once failed that way).

The rules held today:

- `kiemdich.core` imports no other kiemdich module: it is the API core every app may use;
- no module imports `kiemdich.api` but kiemdich/urls.py: it composes the routers, it lends
  nothing to them;
- the API core, `kiemdich.api` and the apps' `api.py` modules are in no import cycle, and
  `messaging.campaigns` and `messaging.tasks` are not in one with each other.

Between modules there is no import cycle left (`test_no_module_is_in_an_import_cycle`: the
last ones were kiemdich.api <-> every router, through its function-level router imports, and
messaging.campaigns <-> messaging.tasks), and none between apps either
(`test_no_cycle_between_apps`, a module standing for its app). The last app cycle joined
adoption, checkins, declarations, messaging, orgs, venues and web; it was broken by:

- the demo leaving `web` for its own app, `kiemdich.demo`, above every other;
- the pages' shared helpers leaving `web`: `core.idempotency` and `core.uploads` (importing no
  app), `geo.imports` (the background imports, beside ImportJob) and `geo.areas` (the
  officials' area filter);
- organizations' install figures (`adoption.org_figures`, with their pages and API router)
  moving to adoption, so that orgs imports no adoption;
- the staff scanner page being routed by checkins (`checkins.urls.venue_urlpatterns`, composed
  into the `venues` namespace by kiemdich/urls.py), so that venues imports no checkins.

The layer order the apps keep is in test_layers.py.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "kiemdich"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def read_modules(package: Path = PACKAGE) -> dict[str, Path]:
    root = package.parent
    return {
        module_name(path, root): path
        for path in sorted(package.rglob("*.py"))
        if "migrations" not in path.parts
    }


def imported(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The kiemdich modules that module `name` (at `path`) imports anywhere in its body."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()

    def resolve(target: str) -> str | None:
        """The module itself, or the nearest package above it that is one of ours."""
        while target:
            if target in modules:
                return target
            target = target.rpartition(".")[0]
        return None

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            # `from kiemdich.venues import signing` imports the module kiemdich.venues.signing.
            targets = [
                f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            if target == "kiemdich" or target.startswith("kiemdich."):
                module = resolve(target)
                if module is not None and module != name:
                    found.add(module)
    return found


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    modules = read_modules(package)
    return {name: imported(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components of more than one module (Tarjan), i.e. the cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    counter = 0

    def visit(start: str) -> None:  # iterative: the graph is deep enough to matter
        nonlocal counter
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def is_core(name: str) -> bool:
    return name == "kiemdich.core" or name.startswith("kiemdich.core.")


def api_modules(graph: dict[str, set[str]]) -> set[str]:
    """The API core, the composing kiemdich.api, and each app's router modules."""
    return {
        name
        for name in graph
        if is_core(name)
        or name == "kiemdich.api"
        or name.endswith(".api")
        or name.endswith("_api")  # adoption.org_api
    }


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_the_graph_sees_imports_at_every_level(graph):
    """A guard on the reader itself: module-level, function-level and relative imports count."""
    assert "kiemdich.core.errors" in graph["kiemdich.venues.signing"]  # module level
    assert "kiemdich.accounts.tokens" in graph["kiemdich.accounts.apps"]  # in a method, relative
    assert "kiemdich.checkins.api" in graph["kiemdich.api"]  # in a function


def test_the_core_imports_no_other_kiemdich_module(graph):
    wrong = {
        name: sorted(target for target in targets if not is_core(target))
        for name, targets in graph.items()
        if is_core(name)
    }
    assert {name: targets for name, targets in wrong.items() if targets} == {}


def test_only_urls_imports_the_composed_api(graph):
    importers = sorted(name for name, targets in graph.items() if "kiemdich.api" in targets)
    assert importers == ["kiemdich.urls"]


def test_the_api_modules_are_in_no_import_cycle(graph):
    """Not among themselves, and not through any other module either."""
    api = api_modules(graph)
    assert {"kiemdich.api", "kiemdich.core.errors", "kiemdich.checkins.api"} <= api
    assert [sorted(c & api) for c in cycles(graph) if c & api] == []


def test_campaigns_and_their_task_are_in_no_cycle(graph):
    pair = {"kiemdich.messaging.campaigns", "kiemdich.messaging.tasks"}
    assert [sorted(c) for c in cycles(graph) if pair <= c] == []


def test_no_module_is_in_an_import_cycle(graph):
    assert [sorted(c) for c in cycles(graph)] == []


def app_of(name: str) -> str:
    """`kiemdich.orgs.services` -> `kiemdich.orgs`; project modules stand for themselves."""
    return ".".join(name.split(".")[:2])


def test_no_cycle_between_apps(graph):
    apps: dict[str, set[str]] = defaultdict(set)
    for name, targets in graph.items():
        apps[app_of(name)] |= {app_of(t) for t in targets} - {app_of(name)}
    assert [sorted(c) for c in cycles(apps)] == []
