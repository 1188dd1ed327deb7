"""The map: its page, the region choropleth and the clusters the server computes."""

from math import floor

import pytest
from django.core.management import call_command
from django.urls import reverse
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from manufacturers.models import MAX_MAP_FEATURES, Capability, Site, map_grid_cell
from tests.manufacturers.factories import OrganisationFactory, SiteFactory, region

MAP = reverse("manufacturers:map")
CLUSTERS = reverse("manufacturers:map-clusters")
REGIONS = reverse("manufacturers:map-regions")
UK = "bbox=-9,49,2,61"


def _clusters(client, query):
    response = client.get(f"{CLUSTERS}?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def _bulk_sites(count: int, *, west=-8.0, south=50.0, east=1.7, north=58.6):
    """`count` sites spread on a grid over the UK, written in one statement."""
    organisation = OrganisationFactory()
    east_of_england = region()
    side = max(1, int(count**0.5))
    Site.objects.bulk_create(
        Site(
            organisation=organisation,
            name=f"Grid site {i}",
            slug=f"grid-site-{i}",
            town="Grid",
            region=east_of_england,
            latitude=south + (north - south) * (i // side) / side,
            longitude=west + (east - west) * (i % side) / side,
        )
        for i in range(count)
    )


# ---- The grid: a pure function, so its cap is checked over any view and zoom ------------------


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    zoom=st.integers(min_value=0, max_value=22),
    west=st.floats(min_value=-180, max_value=180),
    width=st.floats(min_value=0, max_value=360),
    south=st.floats(min_value=-90, max_value=90),
    height=st.floats(min_value=0, max_value=180),
)
def test_the_grid_never_has_more_cells_in_view_than_the_cap(zoom, west, width, south, height):
    east, north = min(west + width, 180), min(south + height, 90)
    cell_latitude, cell_longitude = map_grid_cell(zoom=zoom, west=west, south=south, east=east, north=north)
    columns = floor(east / cell_longitude) - floor(west / cell_longitude) + 1
    rows = floor(north / cell_latitude) - floor(south / cell_latitude) + 1
    assert columns * rows <= MAX_MAP_FEATURES


def test_the_grid_gets_finer_as_the_map_zooms_in():
    sizes = [map_grid_cell(zoom=zoom, west=-1, south=51, east=0, north=52) for zoom in (5, 8, 11)]
    assert sizes[0][1] > sizes[1][1] > sizes[2][1]
    # Square on screen: latitude cells are shorter by the cosine of the latitude.
    assert sizes[2][0] < sizes[2][1]


# ---- The cluster endpoint ---------------------------------------------------------------------


@pytest.mark.django_db
def test_clusters_add_up_to_the_sites_in_view_and_single_sites_link_to_their_page(client):
    SiteFactory.create_batch(3, latitude=51.90, longitude=-0.20)  # three in Stevenage
    lone = SiteFactory(name="Lone", latitude=57.15, longitude=-2.09, region=region("scotland"))
    SiteFactory(name="Outside the view", latitude=40.0, longitude=-3.7)
    data = _clusters(client, f"zoom=6&{UK}")
    assert data["total"] == 4
    assert sum(f["properties"]["count"] for f in data["features"]) == 4
    by_count = sorted(data["features"], key=lambda f: f["properties"]["count"])
    single, cluster = by_count
    assert single["properties"] == {
        "count": 1,
        "region": "scotland",
        "name": str(lone),
        "url": lone.get_absolute_url(),
    }
    assert single["geometry"] == {"type": "Point", "coordinates": [-2.09, 57.15]}
    assert cluster["properties"]["count"] == 3
    assert cluster["properties"]["bounds"] == [[51.9, -0.2], [51.9, -0.2]]
    assert cluster["geometry"]["coordinates"] == pytest.approx([-0.2, 51.9])
    # The list beside the map: the sites in view.
    assert len(data["sites"]) == 4
    assert {"name", "url", "town", "region"} == set(data["sites"][0])


@pytest.mark.django_db
def test_zooming_in_splits_clusters(client):
    SiteFactory(latitude=51.90, longitude=-0.20)
    SiteFactory(latitude=51.81, longitude=-0.03)  # Ware, about 15 km away
    assert [f["properties"]["count"] for f in _clusters(client, f"zoom=5&{UK}")["features"]] == [2]
    zoomed = _clusters(client, "zoom=11&bbox=-0.5,51.6,0.2,52.1")["features"]
    assert [f["properties"]["count"] for f in zoomed] == [1, 1]


@pytest.mark.django_db
def test_clusters_honour_every_filter(client):
    vectors = Capability.objects.get(slug="viral_vectors")
    SiteFactory(capabilities=[vectors])
    SiteFactory(region=region("scotland"), latitude=55.86, longitude=-4.25, capabilities=[vectors])
    SiteFactory(latitude=51.81, longitude=-0.03)
    assert _clusters(client, f"zoom=6&{UK}&capability=viral_vectors")["total"] == 2
    assert _clusters(client, f"zoom=6&{UK}&capability=viral_vectors&region=scotland")["total"] == 1
    assert (
        _clusters(client, "zoom=6&capability=viral_vectors&near=51.9038,-0.1966&radius_km=50")["total"] == 1
    )
    assert _clusters(client, "zoom=6")["total"] == 3  # no view given: the whole world
    # A search and an ordering (which clustering ignores) still group correctly.
    assert _clusters(client, f"zoom=6&{UK}&q=site&ordering=-name")["total"] == 3


@pytest.mark.django_db
def test_a_response_never_exceeds_the_cap_however_many_sites(client):
    _bulk_sites(2500)
    for query in ["zoom=14&bbox=-180,-90,180,90", f"zoom=22&{UK}", f"zoom=9&{UK}", "zoom=0"]:
        data = _clusters(client, query)
        assert len(data["features"]) <= MAX_MAP_FEATURES
        assert data["total"] == 2500
        assert len(data["sites"]) == 50


@pytest.mark.django_db
def test_cluster_endpoint_query_count_is_flat(client, django_assert_num_queries):
    # the regions' frames (12 rows: how many regions reach the view, which sizes the grid), the
    # clusters (one GROUP BY), the first sites in view (+ organisation, region)
    SiteFactory.create_batch(5)
    with django_assert_num_queries(3):
        client.get(f"{CLUSTERS}?zoom=6&{UK}")
    SiteFactory.create_batch(50, latitude=55.86, longitude=-4.25, region=region("scotland"))
    with django_assert_num_queries(3):
        client.get(f"{CLUSTERS}?zoom=6&{UK}")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "errors"),
    [
        (UK, {"zoom": ["This field is required."]}),
        (f"zoom=23&{UK}", {"zoom": ["Ensure this value is less than or equal to 22."]}),
        ("zoom=ten", {"zoom": ["Enter a whole number."]}),
        (
            "zoom=5&bbox=2,49,-9,61",
            {"bbox": ["West must not be greater than east (boxes across 180° are not supported)."]},
        ),
        (
            "zoom=5&bbox=-9,49,2,61&near=200,0&region=atlantis",
            {
                "region": ["atlantis is not a known value. Use one of the slugs listed at /api/v1/."],
                "near": ["Latitude must be between -90 and 90."],
            },
        ),
    ],
)
def test_cluster_endpoint_answers_bad_input_with_400_naming_the_field(client, query, errors):
    response = client.get(f"{CLUSTERS}?{query}")
    assert response.status_code == 400
    assert response.json() == errors


# ---- Regions (the choropleth) -----------------------------------------------------------------


@pytest.mark.django_db
def test_regions_carry_boundaries_and_counts_under_the_filters(client):
    vectors = Capability.objects.get(slug="viral_vectors")
    SiteFactory.create_batch(2, capabilities=[vectors])
    SiteFactory(region=region("scotland"), latitude=55.86, longitude=-4.25)
    data = client.get(REGIONS).json()
    assert len(data["features"]) == 12
    counts = {f["properties"]["slug"]: f["properties"]["site_count"] for f in data["features"]}
    assert counts["east-of-england"] == 2 and counts["scotland"] == 1 and counts["wales"] == 0
    assert data["features"][0]["geometry"]["type"] == "MultiPolygon"
    filtered = client.get(f"{REGIONS}?capability=viral_vectors").json()
    counts = {f["properties"]["slug"]: f["properties"]["site_count"] for f in filtered["features"]}
    assert counts["east-of-england"] == 2 and counts["scotland"] == 0
    # Region counts ignore a region filter, so the other regions stay comparable.
    filtered = client.get(f"{REGIONS}?region=scotland").json()
    assert {f["properties"]["slug"]: f["properties"]["site_count"] for f in filtered["features"]}[
        "east-of-england"
    ] == 2


@pytest.mark.django_db
def test_regions_query_count_is_flat_and_bad_input_is_a_400(client, django_assert_num_queries):
    # the region counts, the regions
    SiteFactory.create_batch(5)
    with django_assert_num_queries(2):
        client.get(REGIONS)
    SiteFactory.create_batch(50)
    with django_assert_num_queries(2):
        client.get(REGIONS)
    response = client.get(f"{REGIONS}?bbox=x")
    assert response.status_code == 400
    assert response.json() == {"bbox": ["Give four numbers: west,south,east,north."]}


# ---- The map page -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_map_page_has_the_directory_form_leaflet_from_local_files_and_no_inline_script(client):
    SiteFactory(capabilities=[Capability.objects.get(slug="viral_vectors")])
    response = client.get(f"{MAP}?capability=viral_vectors")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'<form method="get" action="{MAP}" class="filters" id="map-filters"' in html
    assert 'value="viral_vectors" checked' in html
    assert '<script src="/static/leaflet/leaflet.js"></script>' in html
    assert '<script src="/static/js/site_map.js"></script>' in html
    assert 'href="/sites/?capability=viral_vectors"' in html
    assert 'href="/api/v1/sites/?format=csv&amp;capability=viral_vectors"' in html
    # Every <script> either loads a file or carries JSON data; none runs inline code.
    for tag in html.split("<script")[1:]:
        assert tag.startswith(' src="') or tag.startswith(' id="map-config" type="application/json"')
    config = response.context["map_config"]
    # No tile server: the map draws the shipped orientation layer and credits its sources.
    assert config["tiles"] is None
    assert config["outline_url"] == "/static/geo/uk-outline.geojson"
    assert config["places_url"] == reverse("manufacturers:map-places")
    assert "Places: GeoNames, CC BY 4.0" in config["attribution"]


@pytest.mark.django_db
def test_map_page_passes_the_tile_layer_from_settings(client, settings):
    settings.MAP_TILES = {
        "url": "https://tiles.example.com/{z}/{x}/{y}.png",
        "attribution": "© Example",
        "max_zoom": 17,
    }
    response = client.get(MAP)
    assert response.context["map_config"]["tiles"] == {
        "url": "https://tiles.example.com/{z}/{x}/{y}.png",
        "attribution": "© Example",
        "max_zoom": 17,
    }


@pytest.mark.django_db
def test_map_page_query_count_is_flat(client, django_assert_num_queries):
    # 6 facet counts and 4 sidebar choice lists; the browser fetches regions and clusters
    SiteFactory.create_batch(5)
    with django_assert_num_queries(10):
        client.get(MAP)
    SiteFactory.create_batch(50)
    with django_assert_num_queries(10):
        client.get(MAP)


# ---- The two questions, from the map, against the demo data -----------------------------------


@pytest.mark.django_db
def test_the_map_answers_both_questions_with_the_same_sites_as_the_directory(client):
    call_command("load_demo_data", verbosity=0)
    for question in [
        "region=scotland&capability=aseptic_fill_finish",
        "capability=viral_vectors&near=51.9038,-0.1966&radius_km=50",
    ]:
        directory = {str(site) for site in client.get(f"/sites/?{question}").context["page"]}
        data = _clusters(client, f"zoom=7&{UK}&{question}")
        assert {site["name"] for site in data["sites"]} == directory
        assert data["total"] == len(directory) == sum(f["properties"]["count"] for f in data["features"])
        regions = client.get(f"{REGIONS}?{question}").json()["features"]
        assert sum(f["properties"]["site_count"] for f in regions) >= len(directory)


# ---- Clusters keep to their region -------------------------------------------------------------


@hypothesis_settings(max_examples=300, deadline=None)
@given(
    zoom=st.integers(min_value=0, max_value=22),
    west=st.floats(min_value=-180, max_value=180),
    width=st.floats(min_value=0, max_value=360),
    south=st.floats(min_value=-90, max_value=90),
    height=st.floats(min_value=0, max_value=180),
    groups=st.integers(min_value=1, max_value=12),
)
def test_cells_times_regions_in_view_never_pass_the_cap(zoom, west, width, south, height, groups):
    # A cell holds at most one cluster per region reaching the view: the cap holds for the product.
    east, north = min(west + width, 180), min(south + height, 90)
    cell_latitude, cell_longitude = map_grid_cell(
        zoom=zoom, west=west, south=south, east=east, north=north, groups=groups
    )
    columns = floor(east / cell_longitude) - floor(west / cell_longitude) + 1
    rows = floor(north / cell_latitude) - floor(south / cell_latitude) + 1
    assert columns * rows * groups <= MAX_MAP_FEATURES


@pytest.mark.django_db
def test_a_response_with_sites_in_every_region_stays_under_the_cap(client):
    from manufacturers.models import Region

    organisation = OrganisationFactory()
    Site.objects.bulk_create(
        Site(
            organisation=organisation,
            name=f"{region.slug} {i}",
            slug=f"{region.slug}-{i}",
            town="Grid",
            region=region,
            latitude=region.min_latitude + (region.max_latitude - region.min_latitude) * (i % 17) / 17,
            longitude=region.min_longitude + (region.max_longitude - region.min_longitude) * (i // 17) / 17,
        )
        for region in Region.objects.all()
        for i in range(289)
    )
    for zoom in range(0, 23, 2):
        data = _clusters(client, f"zoom={zoom}&{UK}")
        assert len(data["features"]) <= MAX_MAP_FEATURES
        assert data["total"] == 12 * 289


@pytest.mark.django_db
def test_northern_irelands_sites_are_never_inside_a_cluster_centred_outside_it(client):
    from shapely.geometry import Point, shape

    from manufacturers.models import Region

    call_command("load_demo_data", verbosity=0)
    northern_ireland = Region.objects.get(slug="northern-ireland")
    outline = shape(northern_ireland.boundary).buffer(0.05)
    in_ni = Site.objects.filter(region=northern_ireland).count()
    assert in_ni >= 3
    for zoom in range(4, 13):
        features = _clusters(client, f"zoom={zoom}&{UK}")["features"]
        ni_features = [f for f in features if f["properties"]["region"] == "northern-ireland"]
        # Every Northern Irish site is counted in a Northern Irish cluster or marker...
        assert sum(f["properties"]["count"] for f in ni_features) == in_ni
        # ...and each of those is centred in Northern Ireland.
        for feature in ni_features:
            assert outline.contains(Point(*feature["geometry"]["coordinates"])), zoom


# ---- The list beside the map, the labels, the view in the URL ------------------------------------


@pytest.mark.django_db
def test_the_list_beside_the_map_pages_through_every_site_in_view(client):
    _bulk_sites(130)
    data = _clusters(client, f"zoom=6&{UK}")
    assert len(data["sites"]) == 50 and data["total"] == 130
    seen = [site["url"] for site in data["sites"]]
    url = data["sites_next"]
    while url:
        page = client.get(url)
        assert page.status_code == 200
        body = page.json()
        seen += [site["url"] for site in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 130
    # In the directory's order.
    directory = [site.get_absolute_url() for site in Site.objects.order_by("name", "id")]
    assert seen == directory


@pytest.mark.django_db
def test_the_list_endpoint_refuses_bad_filters_with_a_400(client):
    response = client.get(reverse("manufacturers:map-sites"), {"region": "atlantis"})
    assert response.status_code == 400
    assert response.json() == {
        "region": ["atlantis is not a known value. Use one of the slugs listed at /api/v1/."]
    }


@pytest.mark.django_db
def test_place_labels_are_thinned_by_population_and_never_pile_up(client):
    places = reverse("manufacturers:map-places")
    uk = client.get(places, {"bbox": "-9,49,2,61", "zoom": 5}).json()["places"]
    names = [place["name"] for place in uk]
    assert "London" in names and "Glasgow" in names
    assert len(names) <= 60
    assert "Stevenage" not in names  # too small to label the whole UK
    city = client.get(places, {"bbox": "-0.45,51.75,0.05,52.05", "zoom": 11}).json()["places"]
    assert "Stevenage" in [place["name"] for place in city]
    # No two labels closer than a label cell: they never sit on top of each other.
    for i, first in enumerate(uk):
        for second in uk[i + 1 :]:
            apart = abs(first["latitude"] - second["latitude"]) + abs(
                first["longitude"] - second["longitude"]
            )
            assert apart > 0.2
    response = client.get(places, {"bbox": "x", "zoom": 5})
    assert response.status_code == 400
    assert response.json() == {"bbox": ["Give four numbers: west,south,east,north."]}


@pytest.mark.django_db
def test_the_map_page_takes_its_view_from_the_url_and_refuses_a_bad_one(client):
    response = client.get(MAP, {"center": "51.9,-0.2", "zoom": 10, "capability": "viral_vectors"})
    assert response.status_code == 200
    # The view is not a filter: the links to the list and the download leave it out.
    html = response.content.decode()
    assert 'href="/sites/?capability=viral_vectors"' in html
    assert "center=" not in html.split('id="map-view-links"')[1].split("</div>")[0]
    response = client.get(MAP, {"center": "north", "zoom": 10})
    assert response.status_code == 400
    assert "Give the centre as latitude,longitude." in response.content.decode()
