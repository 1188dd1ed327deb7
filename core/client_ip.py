"""The client's IP address: one rule for API limits, login lockouts and public form limits.

Behind NUM_PROXIES load balancers, each of which appends the address it was connected from to
X-Forwarded-For, the client is the address NUM_PROXIES places from the right of that header:
anything further left was sent by the client and can be forged. With no proxies (the default)
only REMOTE_ADDR counts. django-ipware parses and validates the header.
"""

from django.conf import settings
from ipware import get_client_ip


def client_ip(request) -> str:
    """The address of the client behind the configured proxies, or REMOTE_ADDR when none is given."""
    proxies = getattr(settings, "NUM_PROXIES", 0)
    if proxies > 0:
        # ipware counts the proxies named *inside* the header, so the one that connected to us
        # (REMOTE_ADDR) is not among them; non-strict, so a longer forged chain is tolerated.
        address, _routable = get_client_ip(
            request,
            proxy_count=proxies - 1,
            request_header_order=["HTTP_X_FORWARDED_FOR"],
            strict=False,
        )
        if address:
            return address
    return request.META.get("REMOTE_ADDR", "")
