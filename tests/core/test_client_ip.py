"""Who the client is behind the load balancers: one rule for API limits, lockouts and forms."""

import pytest
from django.test import RequestFactory

from core.client_ip import client_ip

LOAD_BALANCER = "10.0.0.1"


def _request(forwarded_for=None):
    extra = {"REMOTE_ADDR": LOAD_BALANCER}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        # No proxies configured: only the connecting address counts, whatever the header says.
        (0, None, LOAD_BALANCER),
        (0, "203.0.113.5", LOAD_BALANCER),
        # One load balancer appends the address it was connected from.
        (1, "203.0.113.5", "203.0.113.5"),
        # A client that forges the header only adds to the left of the real address.
        (1, "198.51.100.66, 203.0.113.5", "203.0.113.5"),
        (1, "1.2.3.4, 5.6.7.8, 203.0.113.5", "203.0.113.5"),
        # Two proxies: a CDN appends the client, the load balancer appends the CDN.
        (2, "203.0.113.5, 192.0.2.10", "203.0.113.5"),
        (2, "198.51.100.66, 203.0.113.5, 192.0.2.10", "203.0.113.5"),
        # A missing or unreadable header falls back to the connecting address.
        (1, None, LOAD_BALANCER),
        (1, "not-an-address", LOAD_BALANCER),
        # IPv6 clients.
        (1, "2001:db8::7", "2001:db8::7"),
    ],
)
def test_the_client_is_the_address_the_configured_proxies_name(settings, proxies, forwarded_for, expected):
    settings.NUM_PROXIES = proxies
    assert client_ip(_request(forwarded_for)) == expected
