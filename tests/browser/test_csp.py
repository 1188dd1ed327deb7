"""The Content-Security-Policy in a real browser: public pages and the admin run without violations."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from manufacturers.models import Site

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def csp_violations(page):
    """Every CSP violation the page reports, from the console and from securitypolicyviolation events."""
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e =>"
        " console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
    )
    return violations


def test_public_pages_load_without_csp_violations(live_server, page, csp_violations, screenshot_dir):
    call_command("load_demo_data", verbosity=0)
    site = Site.objects.order_by("name").first()
    for path in [
        "/",
        "/sites/",
        "/sites/?region=scotland",
        site.get_absolute_url(),
        "/organisations/",
        "/workstreams/",
        "/case-studies/",
    ]:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
    page.goto(live_server.url + "/map/")
    page.wait_for_selector(".leaflet-container")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(screenshot_dir / "csp-map.png"))
    assert csp_violations == []


def test_the_admin_works_under_the_csp(
    live_server, page, csp_violations, django_user_model, settings, screenshot_dir
):
    settings.AXES_ENABLED = True  # the admin login as in production, with throttling on
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    django_user_model.objects.create_superuser("editor", "editor@example.org", "correct horse battery staple")
    call_command("load_demo_data", verbosity=0)
    page.goto(live_server.url + "/admin/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "correct horse battery staple")
    page.click("input[type=submit]")
    page.wait_for_url(live_server.url + "/admin/")
    site = Site.objects.order_by("name").first()
    page.goto(f"{live_server.url}/admin/manufacturers/site/{site.pk}/change/")
    page.wait_for_load_state("networkidle")
    assert page.locator("#id_name").input_value() == site.name
    # The admin's own scripts run (static files): the inline "add another licence" link is built by JS.
    expect(page.locator(".add-row a").first).to_be_attached()
    page.screenshot(path=str(screenshot_dir / "csp-admin-site-change.png"))
    page.goto(live_server.url + "/admin/manufacturers/site/")
    page.wait_for_load_state("networkidle")
    page.locator("#action-toggle").check()  # actions.js, from a static file
    expect(page.locator("input.action-select:checked").first).to_be_checked()
    assert csp_violations == []
