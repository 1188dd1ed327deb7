"""Partners manage their own webhook endpoints through the API, with their key."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey
from standardwebhooks.webhooks import Webhook

from following.models import WebhookDelivery, WebhookEndpoint
from following.tasks import tick
from tests.following.factories import WebhookEndpointFactory
from tests.manufacturers.factories import SiteFactory, region

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]
# Scanning for changes reads committed transactions only, so tests that deliver changes commit.
delivers_changes = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WEBHOOKS = "/api/v1/webhooks/"


def client_for(name: str) -> tuple[APIClient, APIKey]:
    api_key, key = APIKey.objects.create_key(name=name)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key)
    return client, api_key


@pytest.fixture
def partner():
    return client_for("Knowledge Transfer Network")


@pytest.fixture
def other_partner():
    return client_for("Another partner")


def register(client, url, filter="region=scotland", **extra):
    return client.post(WEBHOOKS, {"url": url, "filter": filter, **extra}, format="json")


def verify(secret, request):
    return Webhook(secret).verify(request["body"], request["headers"])


@delivers_changes
def test_registering_shows_the_secret_once_and_matching_changes_are_signed_with_it(partner, receiver):
    client, api_key = partner
    hook = receiver()

    response = register(client, hook.url, filter="capability=&region=scotland", description="Our CRM")

    assert response.status_code == 201
    body = response.json()
    secret = body["secret"]
    assert secret.startswith("whsec_")
    assert body["filter"] == "region=scotland" and body["is_active"] is True
    assert response["Location"].endswith(f"{WEBHOOKS}{body['id']}/")
    assert WebhookEndpoint.objects.get().api_key == api_key
    listed = client.get(WEBHOOKS)
    assert listed.status_code == 200
    assert [each["id"] for each in listed.json()] == [body["id"]]
    assert secret not in listed.content.decode()
    assert secret not in client.get(f"{WEBHOOKS}{body['id']}/").content.decode()

    SiteFactory(name="Glasgow", region=region("scotland"))
    SiteFactory(name="Stevenage")
    tick()

    [request] = hook.requests
    assert verify(secret, request)["data"]["site"]["name"] == "Glasgow"


def test_answers_are_private_and_never_come_from_the_shared_cache(partner):
    client, _api_key = partner
    register(client, "https://hooks.example.org/mmip")
    cache.clear()

    first, second = client.get(WEBHOOKS), client.get(WEBHOOKS)

    for response in (first, second):
        assert response.status_code == 200 and len(response.json()) == 1
        assert response.get("X-Cache") != "HIT"
        assert response["Cache-Control"] == "private, no-store"


def test_a_key_sees_and_changes_only_its_own_endpoints(partner, other_partner):
    client, _api_key = partner
    other, _other_key = other_partner
    mine = register(client, "https://hooks.example.org/mmip").json()["id"]
    staff_made = WebhookEndpointFactory(api_key=None).pk

    assert other.get(WEBHOOKS).json() == []
    for endpoint in (mine, staff_made):
        assert other.get(f"{WEBHOOKS}{endpoint}/").status_code == 404
        assert other.delete(f"{WEBHOOKS}{endpoint}/").status_code == 404
        for action in ("rotate-secret", "test", "enable"):
            response = other.post(f"{WEBHOOKS}{endpoint}/{action}/")
            assert response.status_code == 404 and "detail" in response.json()
    assert WebhookEndpoint.objects.count() == 2


@pytest.mark.parametrize("method", ["get", "post"])
def test_without_a_key_the_api_answers_401_in_its_error_shape(method):
    WebhookEndpointFactory()
    response = getattr(APIClient(), method)(WEBHOOKS, {"url": "https://hooks.example.org/"}, format="json")
    assert response.status_code == 401
    assert "X-Api-Key" in response.json()["detail"]
    assert response["WWW-Authenticate"] == "Api-Key"


def test_a_revoked_key_is_refused(partner):
    client, api_key = partner
    APIKey.objects.filter(pk=api_key.pk).update(revoked=True)
    response = client.get(WEBHOOKS)
    assert response.status_code == 403 and "revoked" in response.json()["detail"]


def test_a_bad_filter_is_a_400_naming_filter_and_the_parameter(partner):
    client, _api_key = partner
    response = register(client, "https://hooks.example.org/mmip", filter="region=atlantis")
    assert response.status_code == 400
    [message] = response.json()["filter"]
    assert message.startswith("region: ")
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "http://hooks.example.org/mmip",  # plain HTTP off this machine
        "ftp://hooks.example.org/mmip",
        "https://10.0.0.8/hook",  # into the portal's own network
        "https://localhost/hook",
        # Other ways of writing this machine, which resolve to it.
        "https://127.1/hook",
        "https://0x7f000001/hook",
        "https://localhost./hook",
    ],
)
def test_a_bad_url_is_a_400_naming_url(partner, url):
    client, _api_key = partner
    response = register(client, url)
    assert response.status_code == 400 and list(response.json()) == ["url"]
    assert not WebhookEndpoint.objects.exists()


def test_plain_http_to_this_machine_only_where_allowed(partner, settings):
    client, _api_key = partner
    settings.WEBHOOK_ALLOW_LOCAL_HTTP = False
    assert register(client, "http://127.0.0.1:8001/hook").status_code == 400
    settings.WEBHOOK_ALLOW_LOCAL_HTTP = True
    assert register(client, "http://127.0.0.1:8001/hook").status_code == 201


@delivers_changes
def test_rotating_gives_a_new_secret_that_signs_the_next_delivery(partner, receiver):
    client, _api_key = partner
    hook = receiver()
    created = register(client, hook.url).json()

    response = client.post(f"{WEBHOOKS}{created['id']}/rotate-secret/")

    assert response.status_code == 200
    secret = response.json()["secret"]
    assert secret.startswith("whsec_") and secret != created["secret"]
    assert secret not in client.get(f"{WEBHOOKS}{created['id']}/").content.decode()
    SiteFactory(region=region("scotland"))
    tick()
    [request] = hook.requests
    assert verify(secret, request)["type"] == "site.added"
    with pytest.raises(Exception, match="signature"):
        verify(created["secret"], request)


def test_a_test_event_is_queued_and_sent_signed(partner, receiver, django_capture_on_commit_callbacks):
    client, _api_key = partner
    hook = receiver()
    created = register(client, hook.url).json()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{WEBHOOKS}{created['id']}/test/")

    assert response.status_code == 202
    body = response.json()
    assert body["event_type"] == "test" and body["event_id"].startswith("test-")
    [request] = hook.requests
    assert request["headers"]["webhook-id"] == body["id"]
    assert verify(created["secret"], request)["type"] == "test"


def test_a_disabled_endpoint_can_be_enabled_again(partner):
    client, _api_key = partner
    created = register(client, "https://hooks.example.org/mmip").json()
    WebhookEndpoint.objects.filter(pk=created["id"]).update(is_active=False, consecutive_failures=20)

    response = client.post(f"{WEBHOOKS}{created['id']}/enable/")

    assert response.status_code == 200
    assert (response.json()["is_active"], response.json()["consecutive_failures"]) == (True, 0)
    assert WebhookEndpoint.objects.get().is_active


@delivers_changes
def test_deleting_an_endpoint_stops_its_deliveries(partner, receiver):
    client, _api_key = partner
    hook = receiver()
    created = register(client, hook.url).json()
    SiteFactory(region=region("scotland"))

    assert client.delete(f"{WEBHOOKS}{created['id']}/").status_code == 204
    tick()

    assert hook.requests == []
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()
    assert client.get(f"{WEBHOOKS}{created['id']}/").status_code == 404


def test_a_key_may_register_only_so_many_endpoints(partner, other_partner, settings):
    settings.WEBHOOK_ENDPOINTS_PER_KEY = 2
    client, _api_key = partner
    other, _other_key = other_partner
    for number in range(2):
        assert register(client, f"https://hooks.example.org/{number}").status_code == 201

    response = register(client, "https://hooks.example.org/2")

    assert response.status_code == 400
    [message] = response.json()["non_field_errors"]
    assert "2 webhook endpoints" in message
    assert register(other, "https://hooks.example.org/other").status_code == 201


def test_the_admin_list_shows_each_endpoints_owner(partner, admin_client):
    client, _api_key = partner
    register(client, "https://hooks.example.org/mmip")
    WebhookEndpointFactory(api_key=None, url="https://staff.example.org/hook")

    html = admin_client.get("/admin/following/webhookendpoint/").content.decode()

    assert "Knowledge Transfer Network" in html
    assert "Staff (no key)" in html


def test_staff_endpoints_in_the_admin_follow_the_same_address_rules(admin_client):
    response = admin_client.post(
        "/admin/following/webhookendpoint/add/",
        {"url": "http://hooks.example.org/mmip", "query": "region=scotland", "is_active": "on"},
    )
    assert response.status_code == 200 and "Use an https:// address." in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_schema_documents_the_webhook_endpoints():
    schema = APIClient().get("/api/v1/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert set(paths[WEBHOOKS]) >= {"get", "post"}
    assert set(paths["/api/v1/webhooks/{id}/"]) >= {"get", "delete"}
    for action in ("rotate-secret", "test", "enable"):
        assert "post" in paths[f"/api/v1/webhooks/{{id}}/{action}/"]
    assert "201" in paths[WEBHOOKS]["post"]["responses"]
    assert "202" in paths["/api/v1/webhooks/{id}/test/"]["post"]["responses"]


def test_the_partner_guide_explains_registering_rotating_and_testing(client):
    html = client.get("/api/").content.decode()
    assert 'id="webhook-endpoints"' in html
    for words in ("webhooks/42/rotate-secret/", "webhooks/42/test/", "it is shown only this once"):
        assert words in html
    assert "API=http://testserver/api/v1/" in html


def test_an_unsafe_request_to_an_unknown_api_path_is_a_json_404():
    client = APIClient(enforce_csrf_checks=True)
    response = client.post(f"{WEBHOOKS}not-a-number/test/")
    assert response.status_code == 404 and "detail" in response.json()
