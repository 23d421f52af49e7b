"""Who may do what is decided in kiemdich/accounts/access.py, not in the pages and APIs.

For the apps added with the hotline, monitoring and Bluetooth exposure notification, the
modules that answer requests (views, APIs, Open311) are read with `ast` (nothing is imported):
none reads a user's role or superuser, officer or area-staff flag itself. They ask access.py
(`may_see_exports`, `may_open_case_from_ticket`, `acts_for_an_agency`, `may_administer`...),
so a rule is changed in one place and the permission matrix tests the one that runs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "kiemdich"
APPS = ("hotline", "monitoring", "proximity")
#: The attributes of a user that decide a permission.
DECIDING = {"role", "is_superuser", "is_officer", "is_area_staff", "is_staff"}


def request_modules() -> list[Path]:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).glob("*.py")):
            stem = path.stem
            if stem in ("views", "api", "open311") or stem.endswith(("_views", "_api")):
                found.append(path)
    return found


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT.parent)) if path.is_relative_to(ROOT) else str(path)


def deciding_reads(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    return [
        f"{_name(path)}:{node.lineno} .{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in DECIDING
    ]


def test_the_request_modules_are_found():
    names = {p.relative_to(ROOT).as_posix() for p in request_modules()}
    assert {"hotline/views.py", "monitoring/api.py", "proximity/exports_views.py"} <= names


def test_the_finder_sees_a_role_check(tmp_path):
    sample = tmp_path / "views.py"
    sample.write_text("def v(request):\n    return request.user.role == 'x'\n")
    assert deciding_reads(sample) == [f"{sample}:2 .role"]


@pytest.mark.parametrize("path", request_modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_pages_and_apis_leave_permissions_to_access(path):
    assert deciding_reads(path) == []
