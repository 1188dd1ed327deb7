"""The OpenAPI schemas validate, and a schemathesis run against them finds no 500 and no answer
that breaks the schema."""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.urls import reverse
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.casestudies.factories import CaseStudyFactory
from tests.manufacturers.factories import LicenceFactory, SiteFactory

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

application = get_wsgi_application()
# The schemas are generated in-process through the WSGI app; generating them reads no data.
v1_schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
ogc_schema = schemathesis.openapi.from_wsgi("/api/ogc/api?format=json", application)


@pytest.fixture
def fuzzable(db, settings):
    """Some data behind the endpoints, and limits high enough for a fuzzing run."""
    settings.API_QUOTAS = {bucket: {"minute": 100_000, "day": 1_000_000} for bucket in settings.API_QUOTAS}
    site = SiteFactory(slug="fuzz-site")
    SiteFactory(slug="fuzz-site-without-website", organisation__website="")
    LicenceFactory(site=site)
    CaseStudyFactory(published=True, sites=[site], slug="fuzz-case-study")
    # Calling the WSGI app directly fires request_finished, which would close the test's database
    # connection mid-transaction; Django's own test client disconnects these handlers the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


FUZZ_SETTINGS = settings(
    # More in the production-config pass: SCHEMATHESIS_EXAMPLES=100 make test.
    max_examples=int(os.environ.get("SCHEMATHESIS_EXAMPLES", "25")),
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)


@pytest.mark.django_db
@v1_schema.parametrize()
@FUZZ_SETTINGS
def test_v1_api_survives_fuzzing(case, fuzzable):
    case.call_and_validate(checks=CHECKS)


@pytest.mark.django_db
@ogc_schema.parametrize()
@FUZZ_SETTINGS
def test_ogc_api_survives_fuzzing(case, fuzzable):
    case.call_and_validate(checks=CHECKS)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/schema/?format=json", "/api/ogc/api?format=json"])
def test_the_schemas_are_valid_openapi_3(api_client, url):
    schema = api_client.get(url).json()
    validate_schema(schema)  # drf-spectacular's OpenAPI 3.0 JSON Schema check; raises if invalid
    assert schema["openapi"] == "3.0.3"


@pytest.mark.django_db
def test_the_v1_schema_documents_every_parameter_and_format(api_client):
    schema = api_client.get(reverse("api-v1:schema"), {"format": "json"}).json()
    assert schema["openapi"].startswith("3.0")
    sites = schema["paths"]["/api/v1/sites/"]["get"]
    parameters = {parameter["name"]: parameter for parameter in sites["parameters"]}
    assert set(parameters) == {
        "q",
        "region",
        "capability",
        "technology",
        "licence",
        "organisation_kind",
        "status",
        "bbox",
        "near",
        "radius_km",
        "updated_since",
        "ordering",
        "cursor",
        "page_size",
        "format",
    }
    assert all(parameter.get("description") for parameter in parameters.values())
    assert set(sites["responses"]["200"]["content"]) == {
        "application/json",
        "application/geo+json",
        "text/csv",
    }
    assert {"304", "400", "401", "403", "429"} <= set(sites["responses"])
    assert schema["components"]["securitySchemes"]["ApiKey"]["name"] == "X-Api-Key"


@pytest.mark.django_db
def test_swagger_ui_is_served_from_local_files_and_redoc_leads_to_it(client):
    for name in ("api-v1:swagger-ui", "ogc:api-docs"):
        html = client.get(reverse(name)).content.decode()
        assert "/static/drf_spectacular_sidecar/" in html
        assert "cdn" not in html.lower()
        assert "<script>" not in html  # start-up code comes as a file: the CSP allows no inline script
    # Redoc drew its logo from cdn.redoc.ly: its old address leads to Swagger UI.
    response = client.get(reverse("api-v1:redoc"))
    assert response.status_code == 301
    assert response["Location"] == reverse("api-v1:swagger-ui")


# A live server flushes the database after the test: restore what the migrations loaded, as
# the browser tests do, or the next serialised test finds its rows already there.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_schemas_are_served_whole_to_many_clients_at_once(live_server, settings):
    """Two schema documents (v1 and OGC, with settings of their own) requested from 16 threads at
    once: generation patches drf-spectacular's global settings, so unserialised it answered 500s."""
    import concurrent.futures
    import urllib.request

    from core.api.schema import CachedSchemaView

    settings.API_QUOTAS = {bucket: {"minute": 10_000, "day": 100_000} for bucket in settings.API_QUOTAS}
    CachedSchemaView._documents.clear()  # generate under the load, not before it
    paths = ["/api/v1/schema/?format=json", "/api/ogc/api?format=json"] * 40

    def fetch(path):
        with urllib.request.urlopen(live_server.url + path, timeout=60) as response:  # noqa: S310 - loopback
            return path, response.status, response.read()

    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(fetch, paths))
    assert {status for _path, status, _body in results} == {200}
    bodies = {path: {body for p, _status, body in results if p == path} for path in set(paths)}
    assert all(len(distinct) == 1 for distinct in bodies.values())
