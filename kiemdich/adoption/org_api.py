"""`/api/v1/orgs`: organizations of an area with each group's installs, and the installed count
an organization's admin (or an officer of its area) reports. In adoption (the figures are its),
mounted under /orgs by kiemdich/api.py."""

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from kiemdich.accounts.access import may_see_unit
from kiemdich.core.pagination import Page
from kiemdich.geo.api import unit_or_404
from kiemdich.orgs import services
from kiemdich.orgs.models import Group, Organization, OrgKind

from . import org_figures

router = Router(tags=["organizations"])


class GroupOut(Schema):
    group: str
    label: str
    headcount: int
    installed: int
    rate: float | None = Field(description="installed / headcount in %, two decimals.")
    target: float | None = Field(description="The group's target in % (null: none).")
    deadline: dt.date | None = Field(description="The target's deadline.")
    below_target: bool
    updated_at: dt.datetime | None


class OrgOut(Schema):
    code: str
    name: str
    kind: str
    kind_label: str
    unit_code: str
    unit_name: str
    registered_installs: int = Field(
        description="Installs the apps registered with this organization's code."
    )
    groups: list[GroupOut]


class OrgFilter(Schema):
    unit: str | None = Field(None, max_length=10, description="Province, district or commune.")
    kind: OrgKind | None = None


class InstalledIn(Schema):
    group: Group
    installed: int = Field(ge=0, le=2_000_000_000, description="People of the group who installed.")


def org_out(org: Organization, targets, today: dt.date, registered: int) -> dict:
    return {
        "code": org.code,
        "name": org.name,
        "kind": org.kind,
        "kind_label": str(org.get_kind_display()),
        "unit_code": org.unit_id,
        "unit_name": org.unit.full_name,
        "registered_installs": registered,
        "groups": [
            {
                "group": f.group,
                "label": f.label,
                "headcount": f.headcount,
                "installed": f.installed,
                "rate": float(f.rate) if f.rate is not None else None,
                "target": float(f.threshold) if f.target else None,
                "deadline": f.target.deadline if f.target else None,
                "below_target": f.below_target,
                "updated_at": f.updated_at,
            }
            for f in org_figures.group_figures(org, targets, today)
        ],
    }


#: The operation ids these had when the router was orgs' (kiemdich/orgs/api.py): clients keep them.
@router.get(
    "",
    response=list[OrgOut],
    summary="Organizations of your area and their installs",
    operation_id="kiemdich_orgs_api_list_orgs",
)
@paginate(Page)
def list_orgs(request: HttpRequest, filters: Query[OrgFilter]):
    qs = Organization.objects.visible_to(request.user).select_related("unit")
    if filters.unit:
        unit = unit_or_404(filters.unit)
        if not services.is_org_admin(request.user) and not may_see_unit(request.user, unit):
            raise PermissionDenied(_("This unit is outside your area."))
        qs = qs.filter(unit__path__startswith=unit.path)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    return _OrgPage(
        org_figures.with_registered_installs(qs.prefetch_related("headcounts")).order_by(
            "unit__path", "name", "pk"
        )
    )


class _OrgPage:
    """A lazily serialized queryset: pagination counts and slices it, then each slice becomes
    the API's dicts with the group targets loaded once."""

    def __init__(self, qs) -> None:
        self.qs = qs

    def count(self) -> int:
        return self.qs.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        rows = self.qs[index]
        if not isinstance(index, slice):
            return self._serialize([rows])[0]
        return self._serialize(list(rows))

    @staticmethod
    def _serialize(orgs: list[Organization]) -> list[dict]:
        targets = org_figures.group_targets()
        today = timezone.localdate()
        return [org_out(o, targets, today, o.registered_installs) for o in orgs]


@router.put(
    "/{code}/installed",
    response=OrgOut,
    summary="Report how many people of a group have installed",
    operation_id="kiemdich_orgs_api_put_installed",
)
def put_installed(request: HttpRequest, code: str, payload: InstalledIn):
    """For the organization's admin, or an officer of its area. Sending the same number again
    changes nothing."""
    org = services.visible_or_404(request.user, code)
    if not services.may_edit(request.user, org):
        raise PermissionDenied(_("You may not change this organization's figures."))
    services.set_installed(request.user, org, payload.group, payload.installed)
    org = services.visible_or_404(request.user, code)
    return org_out(
        org, org_figures.group_targets(), timezone.localdate(), org_figures.registered_installs(org)
    )
