"""What the rate-limit tests share: limits set per test, on top of wide ones."""

import pytest


@pytest.fixture
def limits(settings):
    """`limits(scan="2/m")`: these groups get these limits, every other one a wide one."""

    def set_limits(**groups: str) -> None:
        wide = dict.fromkeys(getattr(settings, "RATELIMITS", ()), "10000/m")
        settings.RATELIMITS = {**wide, **{g.replace("_", "-"): r for g, r in groups.items()}}

    set_limits()
    return set_limits


def assert_limited(response, *, api: bool = True) -> None:
    """429 with a Retry-After in seconds; under /api/ in the API's error shape."""
    assert response.status_code == 429, response.content[:300]
    assert 0 < int(response["Retry-After"]) <= 24 * 3600
    if api:
        body = response.json()
        assert body["code"] == "rate_limited" and body["detail"]
