"""Officials change a category's usual stay in the admin; new visits end after it at once."""

import datetime as dt

from kiemdich.venues.services import usual_stay
from tests.conftest import make_user


def test_an_edited_usual_stay_applies_to_the_next_visit(client, binh_phuoc):
    assert usual_stay("shop") == dt.timedelta(minutes=20)
    admin = make_user("quantri", "province_officer", "70", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        "/admin/venues/usualstay/add/", {"category": "shop", "minutes": "45"}, follow=True
    )
    assert response.status_code == 200
    assert usual_stay("shop") == dt.timedelta(minutes=45)
    refused = client.post("/admin/venues/usualstay/add/", {"category": "market", "minutes": "900"})
    assert "720" in refused.content.decode()  # at most 12 hours
