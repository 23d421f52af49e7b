import pytest

from kiemdich.venues.models import ProvincePolicy, Status, Venue


@pytest.fixture
def approval_required(binh_phuoc):
    ProvincePolicy.objects.create(province=binh_phuoc, venue_approval_required=True)


def make_venue(commune: str = "25396", status: str = Status.ACTIVE, **extra) -> Venue:
    from django.utils import timezone

    values = {
        "name": "Tạp hóa Minh Phương",
        "category": "shop",
        "commune_id": commune,
        "address": "Số 12, đường Lê Lợi",
        "contact_phone": "+84912345678",
        "status": status,
        "activated_at": timezone.now() if status in (Status.ACTIVE, Status.PAUSED) else None,
    }
    values.update(extra)
    return Venue.objects.create(**values)


@pytest.fixture
def venue(binh_phuoc) -> Venue:
    return make_venue()
