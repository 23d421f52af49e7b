"""Which target a group of an organization is measured against, and how far it is."""

import datetime as dt

from kiemdich.adoption import org_figures as services
from kiemdich.adoption.models import Target

TODAY = dt.date(2021, 7, 20)


def target(name, group, threshold, deadline, kind=""):
    return Target.objects.create(
        name=name, group=group, org_kind=kind, threshold=threshold, deadline=deadline
    )


def test_the_next_deadline_wins_else_the_last_one_passed(db):
    target("a", "workers", 50, dt.date(2021, 7, 1))
    late = target("b", "workers", 70, dt.date(2021, 7, 15))
    next_ = target("c", "workers", 80, dt.date(2021, 7, 30))
    later = target("d", "workers", 90, dt.date(2021, 8, 30))
    targets = services.group_targets()
    assert services.target_for_group(targets, "workers", "factory", TODAY) == next_
    assert services.target_for_group(targets, "workers", "factory", dt.date(2021, 9, 1)) == later
    assert services.target_for_group(targets, "workers", "factory", dt.date(2021, 7, 10)) == late
    assert services.target_for_group(targets, "teachers", "school", TODAY) is None


def test_staff_targets_apply_to_their_kind_of_organization_only(db):
    deadline = dt.date(2021, 7, 30)
    hospitals = target("health staff", "staff", 100, deadline, kind="hospital")
    agencies = target("civil servants", "staff", 100, deadline, kind="agency")
    general = target("staff", "staff", 60, deadline)
    targets = services.group_targets()
    assert services.target_for_group(targets, "staff", "hospital", TODAY) == hospitals
    assert services.target_for_group(targets, "staff", "agency", TODAY) == agencies
    assert services.target_for_group(targets, "staff", "factory", TODAY) == general


def test_the_gap_rounds_people_up():
    thirty = Target(threshold=30)
    assert services.gap(thirty, 101, 0) == 31  # 30.3 pupils means 31
    assert services.gap(thirty, 100, 30) == 0
    assert services.gap(thirty, 100, 90) == 0
    assert services.gap(None, 100, 0) is None
