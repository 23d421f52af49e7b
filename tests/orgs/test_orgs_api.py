"""`/api/v1/orgs`: the organizations of an area with each group's rate, and the installed count
an organization reports; checked per persona."""

import pytest

from kiemdich.accounts.tokens import create_token
from kiemdich.orgs.models import Headcount
from tests.conftest import PASSWORD

from .conftest import make_org


def login(client, username):
    assert client.login(username=username, password=PASSWORD)


def put(client, code, body, **extra):
    return client.put(
        f"/api/v1/orgs/{code}/installed", body, content_type="application/json", **extra
    )


def installed(org, group) -> int:
    return Headcount.objects.get(organization=org, group=group).installed


def codes(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {o["code"] for o in response.json()["items"]}


def test_the_list_is_scoped_to_the_callers_area(
    school, factory, far_hospital, school_admin, client
):
    expected = {
        "xa_ducphong": {school.code},
        "huyen_budang": {school.code, factory.code},
        "huyen_locninh": {far_hospital.code},
        "tinh_binhphuoc": {school.code, factory.code, far_hospital.code},
        "truong_ducphong": {school.code},
        "congdan": set(),
    }
    for username, wanted in expected.items():
        login(client, username)
        assert codes(client.get("/api/v1/orgs")) == wanted, username


def test_groups_carry_headcount_installed_rate_and_target(school, targets, client):
    login(client, "huyen_budang")
    body = client.get("/api/v1/orgs?unit=25396").json()
    assert body["count"] == 1
    org = body["items"][0]
    assert (org["code"], org["kind"], org["unit_code"]) == (school.code, "school", "25396")
    assert org["registered_installs"] == 0
    groups = {g["group"]: g for g in org["groups"]}
    assert list(groups) == ["teachers", "lower_secondary"]
    assert groups["teachers"] | {"updated_at": None, "label": ""} == {
        "group": "teachers",
        "label": "",
        "headcount": 40,
        "installed": 30,
        "rate": 75.0,
        "target": 100.0,
        "deadline": targets["teachers"].deadline.isoformat(),
        "below_target": True,
        "updated_at": None,
    }
    assert groups["lower_secondary"]["rate"] == 20.0
    assert groups["lower_secondary"]["target"] == 30.0


def test_filters_by_unit_and_kind(school, factory, far_hospital, client):
    login(client, "tinh_binhphuoc")
    assert codes(client.get("/api/v1/orgs?unit=696")) == {school.code, factory.code}
    assert codes(client.get("/api/v1/orgs?unit=696&kind=factory")) == {factory.code}
    assert codes(client.get("/api/v1/orgs?kind=hospital")) == {far_hospital.code}
    login(client, "huyen_budang")
    outside = client.get("/api/v1/orgs?unit=692")
    assert outside.status_code == 403 and outside.json()["code"] == "forbidden"
    unknown = client.get("/api/v1/orgs?unit=00000")
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"
    assert client.get("/api/v1/orgs?kind=bakery").status_code == 422


def test_the_list_is_paginated(personas, client):
    for i in range(105):
        make_org(f"BP-{i:03d}", staff=(10, 5))
    login(client, "xa_ducphong")
    first = client.get("/api/v1/orgs").json()
    assert first["count"] == 105 and len(first["items"]) == 100
    assert len(client.get("/api/v1/orgs?page=2").json()["items"]) == 5


def test_org_admin_reports_installed_and_a_retry_changes_nothing(
    school, school_admin, targets, client
):
    login(client, "truong_ducphong")
    for _attempt in range(2):
        response = put(client, school.code, {"group": "teachers", "installed": 40})
        assert response.status_code == 200, response.content
    teachers = {g["group"]: g for g in response.json()["groups"]}["teachers"]
    assert (teachers["installed"], teachers["rate"], teachers["below_target"]) == (40, 100.0, False)
    assert installed(school, "teachers") == 40
    assert Headcount.objects.get(organization=school, group="teachers").updated_by == school_admin


def test_a_bearer_token_works_too(school, school_admin, client):
    _record, token = create_token(school_admin)
    response = put(
        client,
        school.code,
        {"group": "lower_secondary", "installed": 150},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 200 and installed(school, "lower_secondary") == 150


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"group": "teachers", "installed": 41}, "installed"),
        ({"group": "workers", "installed": 1}, "group"),
    ],
)
def test_bad_counts_and_groups_are_a_422_that_says_where(school, school_admin, client, body, field):
    login(client, "truong_ducphong")
    response = put(client, school.code, body)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert response.json()["code"] == "invalid" and detail[0]["loc"] == ["body", field]
    assert detail[0]["msg"]
    assert installed(school, "teachers") == 30


def test_malformed_bodies_are_refused(school, school_admin, client):
    login(client, "truong_ducphong")
    for body in (
        {"group": "pupils", "installed": 1},
        {"group": "teachers", "installed": -1},
        {"group": "teachers"},
        {"group": "teachers", "installed": "many"},
    ):
        response = put(client, school.code, body)
        assert response.status_code == 422 and response.json()["code"] == "invalid", body
    assert installed(school, "teachers") == 30


def test_unknown_organizations_are_a_404(school_admin, client):
    login(client, "truong_ducphong")
    response = put(client, "NO-SUCH-ORG", {"group": "teachers", "installed": 1})
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_who_may_report_for_an_organization(school, school_admin, factory_admin, client):
    # Outside the area (or another organization's admin): the organization does not exist.
    for username in ("nhamay_thongnhat", "xa_thongnhat", "huyen_locninh", "congdan"):
        login(client, username)
        response = put(client, school.code, {"group": "teachers", "installed": 1})
        assert response.status_code == 404, username
    # Inside the area but not an officer: seen, not changed.
    login(client, "truyvet_budang")
    response = put(client, school.code, {"group": "teachers", "installed": 1})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert installed(school, "teachers") == 30
    for username, value in (("xa_ducphong", 31), ("huyen_budang", 32), ("tinh_binhphuoc", 33)):
        login(client, username)
        response = put(client, school.code, {"group": "teachers", "installed": value})
        assert response.status_code == 200
        assert installed(school, "teachers") == value


def test_anonymous_callers_get_a_401(school, client):
    assert client.get("/api/v1/orgs").status_code == 401
    response = put(client, school.code, {"group": "teachers", "installed": 1})
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"
