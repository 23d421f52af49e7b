"""Who writes, and what services take (docs/README.md, "The app contract"; DESIGN.md §2).

Read with `ast`, as test_imports.py reads the import graph (nothing is imported):

- the apps follow one layer order, each importing only apps above it (`LAYERS`);
- views, API modules, management commands and the demo write no rows: no `.save(`,
  `.create(`, `.update(`, `.delete(`, `bulk_create`, `bulk_update`, `get_or_create` or
  `update_or_create` call on anything but a kiemdich module they imported (a service:
  `services.update(...)`, `campaigns.create(...)`). Services, tasks, importers, retention
  modules, migrations and models' own methods write;
- services take plain values: no services module imports a form, and forms (a `forms` module,
  or any module using `django.forms`) are imported only by pages, API modules, importers and
  other forms.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.architecture.test_imports import PACKAGE, import_graph, read_modules

#: The apps, top first: each imports only apps before it (and project modules importing no app).
LAYERS = [
    "accounts",  # users, roles, the access gate (geo.models asks it, lazily: it sits above geo)
    "geo",  # units, figures, background imports
    "orgs",  # organizations, headcounts
    "venues",  # checkpoints, signed QR, posters
    "declarations",  # people, declarations
    "messaging",  # the outbox, and campaigns to organizations and people
    "checkins",  # scans, visits, daily counts, the staff scanner
    "tracing",  # cases, contacts
    "proximity",  # Bluetooth exposure notification: protocol, keys, exports (joins tracing's F1)
    "hotline",  # the hotline 1022: tickets, agencies, routing, the 5-hour clock, escalations
    "monitoring",  # quarantine and isolation: enrolment, daily reports, alerts, transfers
    "adoption",  # installs, rates, targets, organizations' figures
    "reports",  # the daily reports, their deadlines and reminders
    "web",  # the home and unit pages, the shared layout
    "demo",  # the demo province, through every app's services
]

WRITES = frozenset(
    {
        "save",
        "create",
        "update",
        "delete",
        "bulk_create",
        "bulk_update",
        "get_or_create",
        "update_or_create",
    }
)


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def app_name(module: str) -> str | None:
    """`kiemdich.orgs.services` -> `orgs`; None for project modules (kiemdich.ratelimit, ...)."""
    parts = module.split(".")
    if len(parts) < 2 or not (PACKAGE / parts[1]).is_dir():
        return None
    return parts[1]


def test_every_app_has_its_layer():
    apps = {p.name for p in PACKAGE.iterdir() if (p / "apps.py").exists()}
    assert apps == set(LAYERS)


def test_apps_import_only_apps_above_them(graph):
    rank = {app: i for i, app in enumerate(LAYERS)}
    wrong = sorted(
        f"{name} -> {target}"
        for name, targets in graph.items()
        if app_name(name) in rank
        for target in targets
        if app_name(target) in rank and rank[app_name(target)] > rank[app_name(name)]
    )
    assert wrong == []


# ---------------------------------------------------------------------------------------------
# Writes


def is_page_or_api(module: str) -> bool:
    last = module.rpartition(".")[2]
    return last in ("views", "api") or last.endswith(("_views", "_api"))


def is_page_api_command_or_demo(module: str) -> bool:
    parts = module.split(".")
    return (
        is_page_or_api(module)
        or parts[-3:-1] == ["management", "commands"]
        or parts[:2] == ["kiemdich", "demo"]
    )


def imported_modules(module: str, tree: ast.Module, modules: dict[str, Path]) -> set[str]:
    """The local names bound to kiemdich modules (`from . import services`, `import x as y`)."""
    package = module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                if f"{source}.{alias.name}" in modules:
                    names.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules and alias.asname:
                    names.add(alias.asname)
    return names


def model_writes(module: str, source: str, modules: dict[str, Path], label: str) -> list[str]:
    tree = ast.parse(source, label)
    services = imported_modules(module, tree, modules)
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in WRITES:
            continue
        receiver = node.func.value
        if isinstance(receiver, ast.Name) and receiver.id in services:
            continue  # a service of ours: services.update(...), campaigns.create(...)
        found.append(f"{label}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_the_write_finder_sees_writes():
    """A guard on the reader: it finds ORM writes, and lets a service's call through."""
    source = (
        "from kiemdich.venues import services\n"
        "from .models import Venue\n"
        "def page(venue, form):\n"
        "    venue.save(update_fields=['name'])\n"
        "    Venue.objects.filter(pk=1).update(name='x')\n"
        "    form.save()\n"
        "    services.update(None, venue, {})\n"
    )
    found = model_writes("kiemdich.venues.views", source, read_modules(), "views.py")
    assert [f.split(": ", 1)[1].split("(")[0] for f in found] == [
        "venue.save",
        "Venue.objects.filter",
        "form.save",
    ]


def test_views_apis_commands_and_the_demo_write_nothing_themselves():
    modules = read_modules()
    found = [
        write
        for name, path in modules.items()
        if is_page_api_command_or_demo(name)
        for write in model_writes(
            name,
            path.read_text(encoding="utf-8"),
            modules,
            str(path.relative_to(PACKAGE.parent)),
        )
    ]
    assert found == []


# ---------------------------------------------------------------------------------------------
# Forms


def is_services(module: str) -> bool:
    return module.rpartition(".")[2] == "services"


def uses_django_forms(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "django"
            and any(alias.name == "forms" for alias in node.names)
        ):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("django.forms"):
            return True
        if isinstance(node, ast.Import) and any(
            a.name == "django.forms" or a.name.startswith("django.forms.") for a in node.names
        ):
            return True
    return False


def form_modules(modules: dict[str, Path]) -> set[str]:
    """Forms modules, and any other module defining forms (`geo.areas`); a page that defines
    its own form (accounts' sign-up) is still a page."""
    return {
        name
        for name, path in modules.items()
        if name.rpartition(".")[2] == "forms"
        or name.endswith("_forms")
        or (uses_django_forms(path) and not is_page_or_api(name))
    }


def test_no_services_module_imports_a_form(graph):
    modules = read_modules()
    forms = form_modules(modules)
    assert {"kiemdich.venues.forms", "kiemdich.geo.areas"} <= forms
    wrong = {
        name: sorted(graph[name] & forms)
        for name in graph
        if is_services(name) and graph[name] & forms
    }
    assert wrong == {}


#: Besides views, API modules and other forms: who turns input into plain values with a form.
FORM_USERS = {
    "kiemdich.venues.imports": "reads a checkpoint list through VenueForm, stores via services",
    "kiemdich.checkins.selfscan": "the self check-in page (a view)",
}


def test_only_pages_apis_and_importers_import_forms(graph):
    modules = read_modules()
    forms = form_modules(modules)

    def may_use_forms(name: str) -> bool:
        return (
            name in forms
            or name in FORM_USERS
            or is_page_or_api(name)
            or name.rpartition(".")[2] == "admin"
        )

    wrong = {
        name: sorted(targets & forms)
        for name, targets in graph.items()
        if targets & forms and not may_use_forms(name)
    }
    assert wrong == {}
