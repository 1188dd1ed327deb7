"""Places instead of coordinates: `near=` takes a UK town or city or a postcode, offline, on the
directory, the map and the API; ambiguous names offer their choices; unknown ones are a 400."""

from math import asin, cos, radians, sin, sqrt

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from manufacturers import places
from manufacturers.models import OutwardPostcode, Place, Site
from tests.manufacturers.factories import SiteFactory

pytestmark = pytest.mark.django_db

API = reverse("api-v1:site-list")
SUGGEST = reverse("manufacturers:place-suggestions")


def _haversine_km(lat1, lon1, lat2, lon2):
    # Written out here, independently of the code under test.
    phi1, phi2 = radians(lat1), radians(lat2)
    a = sin((phi2 - phi1) / 2) ** 2 + cos(phi1) * cos(phi2) * sin(radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * asin(sqrt(a))


def test_the_migrations_ship_uk_places_and_outward_postcodes_with_their_regions():
    assert Place.objects.count() > 5000
    stevenage = Place.objects.named("Stevenage").select_related("region").get()
    assert (stevenage.region.slug, stevenage.country) == ("east-of-england", "ENG")
    assert Place.objects.named("Belfast").get().region.slug == "northern-ireland"
    assert OutwardPostcode.objects.get(code="SG1").region.slug == "east-of-england"
    # Great Britain only: Code-Point Open has no Northern Ireland postcodes.
    assert not OutwardPostcode.objects.filter(code__startswith="BT").exists()
    # GeoNames lists Akrotiri (Cyprus) under GB: outside every UK region, it is left out.
    assert not Place.objects.named("Akrotiri").exists()


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("51.9038,-0.1966", "51.9038, -0.1966"),
        (" 51.9 , -0.2 ", "51.9000, -0.2000"),
        ("Stevenage", "Stevenage, East of England"),
        ("stevenage", "Stevenage, East of England"),
        ("stoke on trent", "Stoke-on-Trent, West Midlands"),
        ("St Helens, North West", "St Helens, North West"),
        ("Newport, Wales", "Newport, Wales"),
        ("Newport, south east", "Newport, South East"),
        ("SG1", "SG1"),
        ("sg1 2ny", "SG1 2NY"),
        ("EH1", "EH1"),
    ],
)
def test_a_place_a_postcode_or_coordinates_resolve_to_one_point(text, label):
    assert places.resolve(text).label == label


def test_an_ambiguous_name_offers_its_choices_with_their_regions():
    with pytest.raises(ValidationError) as caught:
        places.resolve("Newport")
    choices = caught.value.params["options"]
    assert "Newport, Wales" in choices and "Newport, South East" in choices
    # The city of Newport and a village of the same name in Wales are offered once.
    assert choices.count("Newport, Wales") == 1


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Atlantis", "unknown_place"),
        ("100% Pharma", "unknown_place"),
        ("Newport, Scotland", "unknown_place"),
        ("ZZ9", "unknown_postcode"),
        ("BT1", "unknown_postcode"),
        ("200,1", "out_of_range"),
    ],
)
def test_what_cannot_be_placed_says_why(text, code):
    with pytest.raises(ValidationError) as caught:
        places.resolve(text)
    assert caught.value.code == code


def test_a_deployment_can_plug_in_a_postcode_service(settings):
    settings.POSTCODE_LOOKUP = "tests.manufacturers.test_places.fake_postcode_service"
    point = places.resolve("BT1 1AA")
    assert (point.latitude, point.longitude, point.label) == (54.6, -5.93, "BT1 1AA")


def fake_postcode_service(postcode):
    return (54.6, -5.93) if postcode.startswith("BT") else None


def test_near_stevenage_gives_exactly_the_sites_a_haversine_over_the_data_gives_with_distances(api_client):
    call_command("load_demo_data", verbosity=0)
    stevenage = Place.objects.named("Stevenage").get()
    technology = "gene_therapy_viral_vectors"
    expected = {
        site.slug: _haversine_km(stevenage.latitude, stevenage.longitude, site.latitude, site.longitude)
        for site in Site.objects.filter(technologies__slug=technology)
    }
    expected = {slug: km for slug, km in expected.items() if km <= 50}
    assert expected
    body = api_client.get(API, {"near": "Stevenage", "radius_km": 50, "technology": technology}).json()
    got = {row["slug"]: row["distance_km"] for row in body["results"]}
    assert set(got) == set(expected)
    for slug, km in expected.items():
        assert got[slug] == pytest.approx(km, abs=0.001)
    # Nearest first by default, and by `ordering=distance` when asked.
    distances = [row["distance_km"] for row in body["results"]]
    assert distances == sorted(distances)
    farthest = api_client.get(API, {"near": "SG1", "radius_km": 80, "ordering": "-distance"}).json()[
        "results"
    ]
    assert [row["distance_km"] for row in farthest] == sorted(
        (row["distance_km"] for row in farthest), reverse=True
    )


def test_results_without_near_carry_no_distance(api_client):
    SiteFactory()
    assert api_client.get(API).json()["results"][0]["distance_km"] is None


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        (
            {"near": "Atlantis"},
            {
                "near": [
                    "Atlantis is not a UK town, city or postcode the portal knows. Give a town of 500 people "
                    "or more, an outward postcode such as SG1, or latitude,longitude."
                ]
            },
        ),
        (
            {"near": "BT7"},
            {
                "near": [
                    "Northern Ireland postcodes (BT) are not in the portal's postcode data; give a town, such "
                    "as Belfast, or coordinates instead."
                ]
            },
        ),
        (
            {"ordering": "distance"},
            {"ordering": ["Ordering by distance needs a place to measure from: add near=."]},
        ),
    ],
)
def test_the_api_refuses_what_it_cannot_place_with_a_400_naming_the_parameter(api_client, params, errors):
    response = api_client.get(API, params)
    assert response.status_code == 400
    assert response.json() == errors


def test_an_ambiguous_place_in_the_api_lists_the_choices(api_client):
    response = api_client.get(API, {"near": "Newport"})
    assert response.status_code == 400
    (message,) = response.json()["near"]
    assert message.startswith("There is more than one Newport: give one of Newport, Wales; ")


def test_the_directory_shows_an_unknown_place_as_a_form_error_and_a_known_one_as_a_chip(client):
    SiteFactory(name="Gunnels Wood", latitude=51.89, longitude=-0.21)
    response = client.get(reverse("manufacturers:site-list"), {"near": "Atlantis"})
    assert response.status_code == 400
    assert "Atlantis is not a UK town, city or postcode the portal knows." in response.content.decode()
    response = client.get(reverse("manufacturers:site-list"), {"near": "Stevenage", "radius_km": 10})
    assert response.status_code == 200
    html = response.content.decode()
    assert "within 10 km of Stevenage, East of England" in html
    assert "km away" in html


def test_suggestions_offer_the_biggest_places_first_and_postcodes(client):
    results = client.get(SUGGEST, {"q": "Stev"}).json()["results"]
    assert results[0] == {"label": "Stevenage, East of England", "value": "Stevenage, East of England"}
    assert len(results) <= places.SUGGESTIONS
    newports = [row["label"] for row in client.get(SUGGEST, {"q": "newport"}).json()["results"]]
    assert newports[0] == "Newport, Wales"
    # Every suggestion resolves to one point: that is what the box submits.
    assert all(places.resolve(label) for label in newports)
    postcodes = client.get(SUGGEST, {"q": "SG1"}).json()["results"]
    assert postcodes[0]["value"] == "SG1"
    assert client.get(SUGGEST, {"q": "s"}).json() == {"results": []}


def test_near_query_counts_stay_flat_as_sites_grow(api_client, django_assert_max_num_queries):
    # the place, the count, how far the page reaches (the KNN index), a page of sites (with
    # organisation and region); nothing per site
    SiteFactory.create_batch(3, latitude=51.9, longitude=-0.2)
    with django_assert_max_num_queries(6) as captured:
        api_client.get(API, {"near": "Stevenage"})
    first = len(captured)
    SiteFactory.create_batch(30, latitude=51.9, longitude=-0.2)
    with django_assert_max_num_queries(first):
        api_client.get(API, {"near": "Stevenage"})


@pytest.mark.parametrize("page", ["manufacturers:site-list", "manufacturers:map"])
def test_an_ambiguous_place_on_a_page_links_the_same_search_with_each_choice(client, page):
    response = client.get(reverse(page), {"near": "Newport", "capability": "viral_vectors"})
    assert response.status_code == 400
    choices = response.context["near_choices"]
    assert choices[0]["label"] == "Newport, Wales"
    assert "capability=viral_vectors" in choices[0]["url"] and "near=Newport%2C+Wales" in choices[0]["url"]
    assert client.get(choices[0]["url"]).status_code == 200
    assert "Which one did you mean?" in response.content.decode()
