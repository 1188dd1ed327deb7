"""Probes a security review would make: XSS in every public text field, SQL meta-characters and
oversized or malformed input in every filter, CSRF on every form, anonymous access to every staff
URL, and drafts through every public path.

Public pages are found by walking the URLconf, so a page added later is probed too: a route with a
`slug` is filled from the object of its section; other parameters are listed in ROUTES_SKIPPED.
"""

import re
import warnings
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import pytest
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RegexPattern
from django.utils import timezone

from casestudies.models import CaseStudy, ChangeNote
from casestudies.preview_links import case_study_preview_link_create
from core.api.access import RequiresPartnerKey
from following.alerts import confirm_token, manage_token
from manufacturers.models import Organisation, Site
from manufacturers.services import organisation_save, site_save
from pages.insights import CHART_SPECS
from tests.casestudies.factories import CaseStudyFactory, RegulatoryTopicFactory, StaffUserFactory
from tests.following.factories import AlertFactory
from tests.manufacturers.factories import (
    CapabilityFactory,
    LicenceFactory,
    LicenceTypeFactory,
    OrganisationFactory,
    RegionFactory,
    SiteFactory,
    TechnologyFactory,
)
from tests.workstreams.factories import InitiativeFactory, WorkstreamFactory

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("xss")</script>'
IMAGE = '"><img src=x onerror=alert(1)>'
# Free-text fields only: codes, postcodes and Companies House numbers are validated formats.
NOT_FREE_TEXT = {"code", "nuts_code", "postcode", "companies_house_number"}


def _needs_a_key(pattern: URLPattern) -> bool:
    """An API view only a partner's key opens (its own webhook endpoints): not a public page."""
    view_class = getattr(pattern.callback, "cls", None)
    return RequiresPartnerKey in getattr(view_class, "permission_classes", ())


def public_routes() -> list[str]:
    """Every route of the URLconf outside the admin, as a pattern string such as 'sites/<slug:slug>/'."""
    routes = []

    def walk(patterns, prefix=""):
        for pattern in patterns:
            text = str(pattern.pattern)
            if isinstance(pattern.pattern, RegexPattern):
                # DRF's router writes regexes: "^sites/(?P<slug>[^/.]+)/$" -> "sites/<slug>/";
                # its ".json"-style format suffix routes repeat the same views, so are left out.
                if "(?P<format>" in text:
                    continue
                text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", text).lstrip("^").rstrip("$")
            route = prefix + text
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and not _needs_a_key(pattern):
                routes.append(route)

    walk(get_resolver().url_patterns)
    return [route for route in routes if not route.startswith(settings.ADMIN_URL)]


def _text_fields(model) -> list[models.Field]:
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField)
        and not isinstance(field, models.SlugField)
        and not field.choices
        and field.name not in NOT_FREE_TEXT
    ]


def _payloads(model, payload: str, label: str) -> dict[str, str]:
    values = {}
    for field in _text_fields(model):
        value = f"{payload} {label} {field.name}"
        values[field.name] = value[: field.max_length] if field.max_length else value
        assert payload in values[field.name], f"{model.__name__}.{field.name} is too short for the probe"
    return values


def _landscape_with(payload: str) -> dict[str, str]:
    """Objects of every public kind with the payload in every free-text field; {section: slug}."""
    region = RegionFactory(**_payloads(RegionFactory._meta.model, payload, "region"))
    organisation = OrganisationFactory(**_payloads(Organisation, payload, "organisation"))
    site = SiteFactory(
        organisation=organisation,
        region=region,
        capabilities=[CapabilityFactory(**_payloads(CapabilityFactory._meta.model, payload, "capability"))],
        technologies=[TechnologyFactory(**_payloads(TechnologyFactory._meta.model, payload, "technology"))],
        **_payloads(Site, payload, "site"),
    )
    LicenceFactory(
        site=site,
        licence_type=LicenceTypeFactory(**_payloads(LicenceTypeFactory._meta.model, payload, "licence type")),
        **_payloads(LicenceFactory._meta.model, payload, "licence"),
    )
    workstream = WorkstreamFactory(**_payloads(WorkstreamFactory._meta.model, payload, "workstream"))
    initiative = InitiativeFactory(
        workstream=workstream,
        partners=[organisation],
        **_payloads(InitiativeFactory._meta.model, payload, "initiative"),
    )
    case_study = CaseStudyFactory(
        published=True,
        organisation=organisation,
        workstream=workstream,
        sites=[site],
        topics=[RegulatoryTopicFactory(**_payloads(RegulatoryTopicFactory._meta.model, payload, "topic"))],
        **_payloads(CaseStudy, payload, "case study"),
    )
    ChangeNote.objects.create(case_study=case_study, **_payloads(ChangeNote, payload, "change note"))
    return {
        "sites": site.slug,
        "organisations": organisation.slug,
        "workstreams": workstream.slug,
        "initiatives": initiative.slug,
        "case-studies": case_study.slug,
        "regions": region.slug,
        "capabilities": site.capabilities.get().slug,
        "technologies": site.technologies.get().slug,
        "licence-types": site.licences.get().licence_type.slug,
        # Route parameters other than a section's slug.
        "<collection_id>": "sites",
        "<feature_id>": str(site.pk),
        "<chart>": CHART_SPECS[0].key,
        **_token_urls(payload, case_study),
    }


def _token_urls(text: str, case_study: CaseStudy) -> dict[str, str]:
    """The pages a link in an email or a preview opens, {route: URL}: an alert whose search holds `text`."""
    alert = AlertFactory(email="reader@example.org", query=urlencode({"q": text}), confirmed_at=None)
    publisher = StaffUserFactory(username="probe-publisher", group="Publishers")
    preview = case_study_preview_link_create(case_study=case_study, by=publisher)
    return {
        "alerts/confirm/<str:token>/": reverse("following:alert-confirm", args=[confirm_token(alert)]),
        "alerts/<uuid:token>/unsubscribe/": reverse("following:alert-unsubscribe", args=[alert.token]),
        "alerts/manage/<str:token>/": reverse("following:alert-manage", args=[manage_token(alert.email)]),
        PREVIEW_ROUTE: preview.get_absolute_url(),
    }


# A preview link shows a draft to whoever holds it: that is what it is for.
PREVIEW_ROUTE = "case-studies/preview/<str:token>/"


# Endpoints that answer 400 without some query parameters get the ones a real client sends.
QUERY_FOR_ROUTE = {"map/clusters.json": "?zoom=6&bbox=-9,49,2,61"}


def _urls(slugs: dict[str, str], *, skip: frozenset[str] = frozenset()) -> list[str]:
    """A URL for every public route but those in `skip`: given whole for a route (a token's), or a
    `slug` filled from the section named just before it (`sites/<slug:slug>/`,
    `api/v1/sites/<slug:slug>/`); a route with other parameters is reported."""
    urls = []
    for route in public_routes():
        parameters = re.findall(r"<(?:\w+:)?(\w+)>", route)
        section = re.search(r"([\w-]+)/<(?:\w+:)?slug>", route)
        if route in skip:
            continue
        if route in slugs:
            urls.append(slugs[route])
        elif not parameters:
            urls.append("/" + route + QUERY_FOR_ROUTE.get(route, ""))
        elif parameters == ["slug"] and section and section.group(1) in slugs:
            urls.append("/" + re.sub(r"<(?:\w+:)?slug>", slugs[section.group(1)], route))
        elif all(f"<{name}>" in slugs for name in parameters):
            urls.append("/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda match: slugs[f"<{match.group(1)}>"], route))
        else:
            warnings.warn(
                f"Security probes skip /{route}: teach tests/mmip_portal/test_security_probes.py its parameters.",
                stacklevel=2,
            )
    return urls


def test_the_route_walk_finds_the_public_pages():
    routes = public_routes()
    assert {"", "sites/", "sites/<slug:slug>/", "map/", "case-studies/<slug:slug>/"} <= set(routes)
    assert not any(route.startswith(settings.ADMIN_URL) for route in routes)


@pytest.mark.parametrize("payload", [SCRIPT, IMAGE], ids=["script", "img-onerror"])
def test_every_public_page_escapes_every_text_field(client, payload):
    slugs = _landscape_with(payload)
    urls = _urls(slugs)
    assert len(urls) >= 12
    shown = 0
    for url in urls:
        response = client.get(url, follow=True)  # an old address (Redoc's) leads to its page
        assert response.status_code == 200, url
        body = _body(response)
        if not response["Content-Type"].startswith(("text/html", "application/atom+xml", "application/xml")):
            continue  # JSON and CSV are data, not markup (and never served as HTML)
        assert "<script>alert" not in body, url
        assert not re.search(r"<img[^>]*onerror", body), url
        shown += body.count("&lt;script&gt;") + body.count("&quot;&gt;&lt;img")
    assert shown > 20  # the payloads were on the pages, escaped


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>"])
def test_links_refuse_script_urls(url):
    organisation = OrganisationFactory.build(website=url)
    with pytest.raises(ValidationError) as error:
        organisation_save(organisation=organisation)
    assert "website" in error.value.message_dict
    site = SiteFactory()
    site.source_urls = [url]
    with pytest.raises(ValidationError) as error:
        site_save(site=site)
    assert "source_urls" in error.value.message_dict


SQL_META = [
    "'",
    '"',
    "' OR '1'='1",
    "'; DROP TABLE manufacturers_site; --",
    "1) OR (1=1",
    "%",
    "_",
    "\\",
    "/*",
    "--",
    "$$",
    ":*|!&",
    "\x00",
]
FILTER_PARAMETERS = [
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
    "ordering",
    "page",
]
FILTERED_PAGES = [
    "/sites/",
    "/organisations/",
    "/map/",
    "/map/clusters.json",
    "/map/regions.geojson",
    "/insights/",
    "/api/v1/sites/",
    "/api/v1/sites/facets/",
    "/api/ogc/collections/sites/items",
]


@pytest.fixture(autouse=True)
def _no_api_rate_limit(settings):
    # The probes send hundreds of requests from one address; the limits have their own tests.
    settings.API_QUOTAS = {bucket: {"minute": 1_000_000, "day": 10_000_000} for bucket in settings.API_QUOTAS}


@pytest.fixture
def probing_client():
    # Report a 500 as a response, as a visitor would see it, rather than raising in the test.
    return Client(raise_request_exception=False)


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.mark.parametrize("path", FILTERED_PAGES)
@pytest.mark.parametrize("parameter", FILTER_PARAMETERS)
def test_sql_meta_characters_in_every_filter_are_harmless(probing_client, path, parameter):
    SiteFactory(name="Still here")
    for value in SQL_META:
        params = {parameter: value}
        if parameter == "radius_km":
            params["near"] = "51.9,-0.2"
        response = probing_client.get(path, params)
        assert response.status_code in (200, 400), (parameter, value, response.status_code)
    assert Site.objects.filter(name="Still here").exists()


OVERSIZED_AND_MALFORMED = [
    {"q": "x" * 20_000},
    {"q": "word " * 4_000},
    {"region": ",".join(["scotland"] * 3_000)},
    {"region": ["wales"] * 500},
    {"capability": "a" * 5_000},
    {"bbox": "1e309,-1e309,nan,inf"},
    {"bbox": ",".join(["1"] * 1_000)},
    {"bbox": "-1,51,0"},
    {"near": "nan,nan"},
    {"near": "1e400,1"},
    {"near": "51.9,-0.2", "radius_km": "1e400"},
    {"near": "51.9,-0.2", "radius_km": "NaN"},
    {"near": "51.9,-0.2", "radius_km": "-5"},
    {"page": "99999999999999999999999999"},
    {"page": "-1"},
    {"ordering": "-" * 500},
    {"ordering": "name,organisation__password"},
    {"status": ["operational"] * 2_000},
]


@pytest.mark.parametrize("path", FILTERED_PAGES)
@pytest.mark.parametrize("params", OVERSIZED_AND_MALFORMED, ids=lambda params: str(params)[:40])
def test_oversized_and_malformed_parameters_never_cause_a_500(probing_client, path, params):
    SiteFactory()
    response = probing_client.get(path, params)
    assert response.status_code in (200, 400)


@pytest.mark.parametrize(
    "query_string",
    ["q=%ff%fe%fd", "region=%", "q=%%%", "&&&==&", "q=" + "%00" * 10, "a=" + "&a=1" * 1_200],
)
def test_undecodable_and_excessive_query_strings_never_cause_a_500(probing_client, query_string):
    for path in ["/sites/", "/map/", "/map/clusters.json", "/"]:
        response = probing_client.get(path, QUERY_STRING=query_string)
        assert response.status_code in (200, 400), (path, response.status_code)


def test_overlong_and_odd_paths_are_not_found_rather_than_errors(probing_client):
    for path in ["/sites/" + "a" * 5_000 + "/", "/sites/%00/", "/organisations/..%2f..%2fetc%2fpasswd/"]:
        assert probing_client.get(path).status_code == 404


def test_public_forms_that_post_carry_a_csrf_token(client):
    slugs = _landscape_with("Harmless")
    for url in _urls(slugs):
        body = _body(client.get(url))
        for form in re.findall(r"<form\b[^>]*>.*?</form>", body, flags=re.S | re.I):
            if re.search(r'method="post"', form, flags=re.I) and not _posts_to_csrf_exempt_view(form, url):
                assert "csrfmiddlewaretoken" in form, url


def _posts_to_csrf_exempt_view(form: str, url: str) -> bool:
    """Whether the form posts to a view that takes no token by design (RFC 8058 one-click unsubscribe)."""
    action = re.search(r'action="([^"]*)"', form)
    target = urlsplit(action.group(1) if action and action.group(1) else url).path or urlsplit(url).path
    return getattr(resolve(target).func, "csrf_exempt", False)


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user(
        username="editor", password="a long passphrase for tests", is_staff=True, is_superuser=True
    )


def test_the_admin_login_refuses_a_post_without_a_csrf_token(staff_user):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("admin:login"), {"username": "editor", "password": "a long passphrase for tests"}
    )
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_the_admin_login_accepts_a_post_with_its_csrf_token(staff_user):
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("admin:login"))
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("admin:login"),
        {"username": "editor", "password": "a long passphrase for tests", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def test_every_admin_form_refuses_a_post_without_a_csrf_token(staff_user):
    site = SiteFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    for url in [
        reverse("admin:manufacturers_site_change", args=[site.pk]),
        reverse("admin:manufacturers_site_add"),
        reverse("admin:manufacturers_site_delete", args=[site.pk]),
        reverse("admin:manufacturers_site_changelist"),
        reverse("admin:password_change"),
        reverse("admin:logout"),
    ]:
        assert client.post(url, {"name": "Changed"}).status_code == 403, url
    site.refresh_from_db()
    assert site.name != "Changed"


def _admin_urls(objects_by_model) -> list[str]:
    urls = [reverse("admin:index"), reverse("admin:password_change"), reverse("admin:jsi18n")]
    for model in admin.site._registry:
        opts = model._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}"
        urls.append(reverse(f"{prefix}_changelist"))
        urls.append(reverse(f"{prefix}_add"))
        pk = objects_by_model.get(model, 1)
        for view in ("change", "delete", "history"):
            urls.append(reverse(f"{prefix}_{view}", args=[pk]))
        urls.append(reverse("admin:app_list", args=[opts.app_label]))
    return sorted(set(urls))


def test_every_staff_url_sends_an_anonymous_visitor_to_the_login_page(client):
    site = SiteFactory()
    case_study = CaseStudyFactory()
    urls = _admin_urls({Site: site.pk, Organisation: site.organisation.pk, CaseStudy: case_study.pk})
    assert len(urls) > 40
    login = reverse("admin:login")
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(login), url
        assert client.post(url, {"name": "x"}).status_code == 302, url


def test_a_non_staff_user_cannot_use_the_admin(client, django_user_model):
    user = django_user_model.objects.create_user(username="visitor", password="another long passphrase")
    client.force_login(user)
    response = client.get(reverse("admin:manufacturers_site_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_no_draft_or_scheduled_case_study_reaches_any_public_path(client):
    organisation = OrganisationFactory()
    site = SiteFactory(organisation=organisation)
    hidden = [
        CaseStudyFactory(title="Withheld draft", organisation=organisation, sites=[site]),
        CaseStudyFactory(
            title="Withheld in review",
            organisation=organisation,
            sites=[site],
            status=CaseStudy.Status.IN_REVIEW,
        ),
        CaseStudyFactory(
            title="Withheld scheduled",
            organisation=organisation,
            sites=[site],
            published=True,
            go_live_at=timezone.now() + timedelta(days=7),
        ),
        CaseStudyFactory(
            title="Withheld archived",
            organisation=organisation,
            sites=[site],
            published=True,
            status=CaseStudy.Status.ARCHIVED,
        ),
    ]
    CaseStudyFactory(title="Public one", organisation=organisation, sites=[site], published=True)
    slugs = {
        "sites": site.slug,
        "organisations": organisation.slug,
        "case-studies": hidden[0].slug,
        "workstreams": hidden[0].workstream.slug,
        "initiatives": InitiativeFactory(workstream=hidden[0].workstream, partners=[organisation]).slug,
        **_token_urls("Reader", CaseStudyFactory(organisation=organisation, published=True)),
    }
    seen_public = False
    for url in _urls(slugs, skip=frozenset({PREVIEW_ROUTE})):
        body = _body(client.get(url))
        assert "Withheld" not in body, url
        seen_public |= "Public one" in body
    assert seen_public
    for case_study in hidden:
        assert client.get(case_study.get_absolute_url()).status_code == 404
