"""One site search everywhere: it knows what a site does (vocabulary names and synonyms), ranks
names above what a site does above descriptions, and gives the same sites in the same order in
the directory, the map, the API and the site-wide search."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from manufacturers.models import Capability, LicenceType, Organisation, Site, Technology
from tests.manufacturers.factories import OrganisationFactory, SiteFactory

pytestmark = pytest.mark.django_db

SITES = reverse("manufacturers:site-list")
API = reverse("api-v1:site-list")
CLUSTERS = reverse("manufacturers:map-clusters")


@pytest.fixture
def demo():
    call_command("load_demo_data", verbosity=0)


def _directory(client, query: str) -> list[str]:
    response = client.get(SITES, {"q": query, "page": 1})
    assert response.status_code == 200
    return [site.slug for site in response.context["page"].object_list]


def _api(api_client, query: str) -> list[str]:
    body = api_client.get(API, {"q": query, "page_size": 1000}).json()
    return [row["slug"] for row in body["results"]]


def test_viral_vectors_finds_every_site_with_the_viral_vector_technology_in_every_view(
    client, api_client, demo
):
    expected = set(
        Site.objects.filter(technologies__slug="gene_therapy_viral_vectors").values_list("slug", flat=True)
    )
    assert expected
    found = set(_api(api_client, "viral vectors"))
    assert expected <= found
    # The directory (its first page holds them all at this size) and the map find the same sites.
    assert set(_directory(client, "viral vectors")) == found
    clusters = client.get(CLUSTERS, {"q": "viral vectors", "zoom": 6, "bbox": "-9,49,2,61"}).json()
    assert clusters["total"] == len(found)
    # The site-wide search counts the same sites.
    groups = {
        group.kind.key: group for group in client.get("/search/", {"q": "viral vectors"}).context["groups"]
    }
    assert groups["sites"].total == len(found)


@pytest.mark.parametrize(
    ("query", "vocabulary", "slug"),
    [
        ("fill finish", Capability, "aseptic_fill_finish"),
        ("fill-finish", Capability, "aseptic_fill_finish"),
        ("mAbs", Technology, "biologics_mabs"),
        ("monoclonal", Technology, "biologics_mabs"),
        ("ATMP", Technology, "gene_therapy_viral_vectors"),
        ("CGT", Technology, "cell_therapy"),
        ("viral vector", Capability, "viral_vectors"),
        ("OSD", Capability, "oral_solid_dose"),
        ("API", Capability, "api_small_molecule"),
        ("active substance", Capability, "api_small_molecule"),
        ("sterile", Capability, "sterile_injectables"),
        ("sterile", Capability, "aseptic_fill_finish"),
        ("lyophilization", Technology, "lyophilisation"),
        ("freeze drying", Technology, "lyophilisation"),
        ("specials", LicenceType, "ms_specials"),
    ],
)
def test_the_words_of_the_field_find_the_sites_they_describe(api_client, query, vocabulary, slug):
    term = vocabulary.objects.get(slug=slug)
    organisation = OrganisationFactory(name="Plain Name Ltd", description="")
    site = SiteFactory(name="Unit 4", town="Nowhere", organisation=organisation)
    if vocabulary is LicenceType:
        site.licences.create(licence_type=term)
    else:
        getattr(site, {Capability: "capabilities", Technology: "technologies"}[vocabulary]).add(term)
    SiteFactory(name="Unrelated", town="Elsewhere")
    assert _api(api_client, query) == [site.slug]


def test_a_synonym_staff_add_in_the_admin_is_searchable_at_once(admin_client, api_client):
    capability = Capability.objects.get(slug="packaging_labelling")
    site = SiteFactory(name="Unit 9", capabilities=[capability])
    assert _api(api_client, "kitting") == []
    url = reverse("admin:manufacturers_capability_change", args=[capability.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data["synonyms"] = "\n".join([*capability.synonyms, "kitting"])
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    capability.refresh_from_db()
    assert capability.synonyms[-1] == "kitting"
    assert _api(api_client, "kitting") == [site.slug]


def test_renaming_an_organisation_or_a_term_refreshes_every_site_it_describes(api_client):
    technology = Technology.objects.get(slug="flow_chemistry")
    organisation = OrganisationFactory(name="Old Name")
    sites = SiteFactory.create_batch(3, organisation=organisation, technologies=[technology])
    # A set-based write (one UPDATE for many rows), as an import or a bulk edit makes.
    Organisation.objects.filter(pk=organisation.pk).update(name="Quantum Pharma")
    Technology.objects.filter(pk=technology.pk).update(synonyms=["microreactors"])
    expected = sorted(site.slug for site in sites)
    assert sorted(_api(api_client, "quantum")) == expected
    assert sorted(_api(api_client, "microreactors")) == expected
    assert _api(api_client, "old name") == []


def test_search_is_kept_current_by_statement_triggers_not_a_trigger_per_row():
    """Only a site's own row has a row trigger; links, terms and organisations refresh set-based."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, t.tgname, (t.tgtype & 1) = 1 AS per_row
              FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
             WHERE NOT t.tgisinternal AND t.tgname LIKE %s
            """,
            ["%search%"],
        )
        triggers = cursor.fetchall()
    per_row = {table for table, _name, row in triggers if row}
    assert per_row == {"manufacturers_site"}
    statement_tables = {table for table, _name, row in triggers if not row}
    assert {
        "manufacturers_organisation",
        "manufacturers_capability",
        "manufacturers_technology",
        "manufacturers_licencetype",
        "manufacturers_site_capabilities",
        "manufacturers_site_technologies",
        "manufacturers_licence",
    } <= statement_tables


def test_names_rank_above_what_a_site_does(api_client):
    vectors = Capability.objects.get(slug="viral_vectors")
    by_capability = SiteFactory(name="Unit 1", capabilities=[vectors])
    by_name = SiteFactory(name="Vector House")
    assert _api(api_client, "vector") == [by_name.slug, by_capability.slug]


def test_a_search_lists_the_same_sites_in_the_same_order_in_the_directory_and_the_api(
    client, api_client, demo
):
    for query in ("sterile", "cell", "vaccines"):
        api = _api(api_client, query)
        assert api
        assert _directory(client, query) == api[:25]
