"""Organizations' install figures: each group's headcount, installed count, rate and target,
and the installs the apps registered with an organization's code.

Here in adoption, not in orgs: organizations are registered above (orgs imports no adoption),
their figures are read down here with the area's install rates and targets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from kiemdich.orgs.models import Group, Headcount, Organization
from kiemdich.orgs.services import GROUP_ORDER

from .figures import rate, shortfall
from .models import Install, Target


@dataclass
class GroupFigure:
    """One group of one organization, as every page and the API show it."""

    group: str
    label: str
    headcount: int
    installed: int
    rate: Decimal | None
    target: Target | None
    gap: int | None  # people still to install to meet the target; None without a target
    updated_at: dt.datetime | None

    @property
    def below_target(self) -> bool:
        return self.target is not None and self.gap is not None and self.gap > 0

    @property
    def threshold(self) -> Decimal | None:
        return self.target.threshold if self.target else None


def group_targets() -> list[Target]:
    """All group targets (a handful of rows): loaded once per page or API call."""
    return list(Target.objects.exclude(group="").order_by("deadline", "pk"))


def target_for_group(targets: list[Target], group: str, kind: str, date: dt.date) -> Target | None:
    """The target of `group` for organizations of `kind` on `date`: among those for this group
    (for every kind, or for this kind), the next deadline, else the one that passed last. On the
    same deadline the kind's own target wins ("100% of hospital staff" over a general one)."""
    candidates = [t for t in targets if t.group == group and t.org_kind in ("", kind)]
    upcoming = sorted(
        (t for t in candidates if t.deadline >= date),
        key=lambda t: (t.deadline, t.org_kind == "", t.pk),
    )
    if upcoming:
        return upcoming[0]
    passed = sorted(candidates, key=lambda t: (t.deadline, t.org_kind != "", t.pk))
    return passed[-1] if passed else None


def gap(target: Target | None, headcount: int, installed: int) -> int | None:
    """People still to install to reach the target's share of the headcount."""
    return None if target is None else shortfall(target.threshold, headcount, installed)


def group_figures(
    org: Organization, targets: list[Target] | None = None, date: dt.date | None = None
) -> list[GroupFigure]:
    """Each group of `org` (uses `org.headcounts`, so prefetch it for lists)."""
    targets = group_targets() if targets is None else targets
    date = date or timezone.localdate()
    rows = sorted(org.headcounts.all(), key=lambda h: GROUP_ORDER.get(h.group, 99))
    figures = []
    for h in rows:
        target = target_for_group(targets, h.group, org.kind, date)
        figures.append(
            GroupFigure(
                group=h.group,
                label=str(Group(h.group).label),
                headcount=h.headcount,
                installed=h.installed,
                rate=rate(h.installed, h.headcount),
                target=target,
                gap=gap(target, h.headcount, h.installed),
                updated_at=h.updated_at,
            )
        )
    return figures


def registered_installs(org: Organization) -> int:
    """Installs the apps registered with this organization's code, not uninstalled since."""
    return Install.objects.filter(organization=org, removed_at__isnull=True).count()


def with_registered_installs(qs: QuerySet) -> QuerySet:
    """Annotate `registered_installs` for a list in one query."""
    return qs.annotate(
        registered_installs=Count("installs", filter=Q(installs__removed_at__isnull=True))
    )


@dataclass
class GroupTotal:
    group: str
    label: str
    organizations: int
    headcount: int
    installed: int
    rate: Decimal | None


def group_totals(orgs: QuerySet) -> list[GroupTotal]:
    """Headcount and installed per group over a set of organizations (an area's), one query."""
    rows = (
        Headcount.objects.filter(organization__in=orgs.values("pk"))
        .values("group")
        .annotate(n=Count("pk"), headcount=Sum("headcount"), installed=Sum("installed"))
    )
    totals = [
        GroupTotal(
            group=r["group"],
            label=str(Group(r["group"]).label),
            organizations=r["n"],
            headcount=r["headcount"],
            installed=r["installed"],
            rate=rate(r["installed"], r["headcount"]),
        )
        for r in rows
    ]
    return sorted(totals, key=lambda t: GROUP_ORDER.get(t.group, 99))
