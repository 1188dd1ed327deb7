"""Security headers on every page: CSP without inline scripts, framing refused, browser features off."""

import pytest
from csp.middleware import CSPMiddleware
from django.http import HttpResponse

pytestmark = pytest.mark.django_db


def _directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/", "/sites/", "/map/", "/admin/login/"])
def test_every_page_carries_the_security_headers(client, path):
    response = client.get(path)
    csp = _directives(response["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no hosts
    assert "'unsafe-inline'" not in csp["style-src"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]


def test_hsts_is_sent_over_https(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_health_checks_answer_before_host_validation(client, settings):
    settings.ALLOWED_HOSTS = ["portal.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    # A load balancer probing 10.0.0.5 over plain HTTP.
    assert client.get("/healthz", HTTP_HOST="10.0.0.5").status_code == 200
    assert client.get("/readyz", HTTP_HOST="10.0.0.5").status_code == 200
    assert client.get("/", HTTP_HOST="10.0.0.5").status_code == 400
    assert client.get("/", HTTP_HOST="portal.example.org").status_code == 301


def test_a_template_can_allow_one_inline_script_with_the_nonce(rf):
    request = rf.get("/")
    middleware = CSPMiddleware(lambda request: HttpResponse(f"<script nonce='{request.csp_nonce}'></script>"))
    response = middleware(request)
    assert f"'nonce-{request.csp_nonce}'" in _directives(response["Content-Security-Policy"])["script-src"]
