"""The client's address: X-Forwarded-For is believed only from KIEMDICH_TRUSTED_PROXIES."""

import pytest

from kiemdich.accounts.audit import client_ip as audit_ip
from kiemdich.adoption.models import Install
from kiemdich.clientip import client_ip

from .conftest import assert_limited

NGINX = "10.0.0.5"


@pytest.mark.parametrize(
    ("proxies", "remote", "forwarded", "client"),
    [
        ((), NGINX, "198.51.100.7", NGINX),  # no trusted proxy: the socket
        (("10.0.0.0/8",), "203.0.113.9", "198.51.100.7", "203.0.113.9"),  # untrusted peer
        (("10.0.0.0/8",), NGINX, "198.51.100.7", "198.51.100.7"),
        # The rightmost untrusted address: what the client wrote on the left may be forged.
        (("10.0.0.0/8",), NGINX, "1.2.3.4, 198.51.100.7", "198.51.100.7"),
        (("10.0.0.0/8",), NGINX, "1.2.3.4, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
        (("10.0.0.5", "2001:db8::/32"), "2001:db8::1", "2001:db8:1::2, 2402:800::1", "2402:800::1"),
        (("10.0.0.0/8",), NGINX, "", NGINX),  # no header
        (("10.0.0.0/8",), NGINX, "not-an-address", NGINX),
        (("10.0.0.0/8",), NGINX, "10.1.1.1", "10.1.1.1"),  # a client inside the network
    ],
)
def test_forwarded_for_only_from_trusted_proxies(settings, proxies, remote, forwarded, client):
    settings.TRUSTED_PROXIES = proxies
    meta = {"REMOTE_ADDR": remote, "HTTP_X_FORWARDED_FOR": forwarded}
    assert client_ip(meta) == client


def test_the_audit_log_records_the_client_behind_the_proxy(settings, rf):
    settings.TRUSTED_PROXIES = ("10.0.0.0/8",)
    request = rf.get("/", REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert audit_ip(request) == "198.51.100.7"
    settings.TRUSTED_PROXIES = ()
    assert audit_ip(request) == NGINX


BODY = {"app": "bluezone", "platform": "android", "commune_code": "25396"}


def install(client, n, **meta):
    body = {**BODY, "install_id": f"a1b2c3d4-{n:04d}"}
    return client.post("/api/v1/installs", body, content_type="application/json", **meta)


def test_behind_a_trusted_proxy_each_client_has_its_own_count(client, binh_phuoc, limits, settings):
    settings.TRUSTED_PROXIES = ("10.0.0.0/8",)
    limits(install="1/m")
    assert (
        install(client, 1, REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code
        == 201
    )
    assert (
        install(client, 2, REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR="198.51.100.8").status_code
        == 201
    )
    assert_limited(install(client, 3, REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR="198.51.100.7"))
    assert Install.objects.count() == 2


def test_a_forged_header_from_an_untrusted_peer_changes_nothing(
    client, binh_phuoc, limits, settings
):
    settings.TRUSTED_PROXIES = ("10.0.0.0/8",)
    limits(install="1/m")
    peer = "203.0.113.9"
    assert (
        install(client, 1, REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 201
    )
    assert_limited(install(client, 2, REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR="198.51.100.8"))
    assert Install.objects.count() == 1
