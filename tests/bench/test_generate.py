"""The invariants the scale benchmark's data relies on (bench/generate.py, bench/data_load.py); no timings here."""

from collections import Counter
from dataclasses import asdict

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from bench.data_load import bench_data_load
from bench.generate import Reference, landscape_generate, organisation_count
from bench.management.commands.generate_bench_data import Command as GenerateBenchData
from manufacturers.models import Licence, Organisation, Region, Site


@pytest.fixture
def reference(db):
    return Reference.from_database()


def _generate(reference, *, sites=500, seed=1):
    landscape = landscape_generate(sites=sites, seed=seed, reference=reference)
    generated = [asdict(site) for site in landscape.sites]
    return [asdict(organisation) for organisation in landscape.organisations], generated, landscape.stats


def _inside(geometry: dict, longitude: float, latitude: float) -> bool:
    """Even-odd ray casting over every ring: slow and plain, to check the generator's fast locator."""
    inside = False
    for polygon in geometry["coordinates"]:
        for ring in polygon:
            for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
                if (y1 > latitude) != (y2 > latitude) and longitude < x1 + (latitude - y1) * (x2 - x1) / (
                    y2 - y1
                ):
                    inside = not inside
    return inside


def test_the_same_seed_and_size_give_the_same_landscape(reference):
    assert _generate(reference, seed=5) == _generate(reference, seed=5)


def test_another_seed_gives_another_landscape(reference):
    assert _generate(reference, seed=5)[1] != _generate(reference, seed=6)[1]


def test_every_site_lies_inside_the_uk_and_inside_its_own_region(reference):
    boundaries = dict(Region.objects.values_list("id", "boundary"))
    _, sites, _ = _generate(reference)
    outside = [
        (site["slug"], site["longitude"], site["latitude"])
        for site in sites
        if not _inside(boundaries[site["region_id"]], site["longitude"], site["latitude"])
    ]
    assert outside == []


def test_about_seventy_per_cent_of_sites_cluster_round_demo_towns(reference):
    _, sites, stats = _generate(reference)
    assert stats["clustered"] + stats["spread"] == 500
    assert 0.62 <= stats["clustered"] / 500 <= 0.78
    assert sum(site["clustered"] for site in sites) == stats["clustered"]


def test_statuses_kinds_and_taxonomies_follow_the_demo_mixes(reference):
    organisations, sites, _ = _generate(reference)
    statuses = Counter(site["status"] for site in sites)
    assert 0.84 <= statuses["operational"] / 500 <= 0.95
    assert statuses["planned"] > 0 and statuses["closed"] > 0
    kinds = Counter(organisation["kind"] for organisation in organisations)
    assert len(organisations) == organisation_count(500) == 62
    # NHS units and CDMOs are the demo data's two largest groups (51 and 46 of 161 sites).
    assert {kind for kind, _count in kinds.most_common(2)} == {"nhs", "cdmo"}
    assert sum(bool(site["capability_ids"]) for site in sites) > 400
    assert sum(bool(site["licence_type_ids"]) for site in sites) > 300
    assert len({region for site in sites for region in [site["region_id"]]}) == 12
    assert all(1 <= site["organisation_id"] <= len(organisations) for site in sites)
    assert len({site["slug"] for site in sites}) == 500


def test_load_copies_every_row_and_gives_sites_their_search_vectors(reference):
    report = bench_data_load(sites=300, seed=3, reference=reference, vacuum=False)
    _, sites, _ = _generate(reference, sites=300, seed=3)

    assert Site.objects.count() == 300
    assert Organisation.objects.count() == report.organisations == organisation_count(300)
    assert (
        Site.capabilities.through.objects.count()
        == report.capabilities
        == sum(len(site["capability_ids"]) for site in sites)
    )
    assert Licence.objects.count() == report.licences
    assert not Site.objects.filter(search_vector__isnull=True).exists()
    # The id arrays were set by the load's set-based refresh, with the triggers off.
    assert [sorted(ids) for ids in Site.objects.order_by("id").values_list("capability_ids", flat=True)] == [
        sorted(site["capability_ids"]) for site in sites
    ]
    first = Site.objects.get(id=1)
    assert (first.slug, first.latitude, first.region_id) == (
        sites[0]["slug"],
        sites[0]["latitude"],
        sites[0]["region_id"],
    )
    assert first in Site.objects.search(first.organisation.name.split()[0])
    # The indexes dropped for the load are back.
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [Site._meta.db_table])
        names = {row[0] for row in cursor.fetchall()}
    assert {
        "site_lat_lon_idx",
        "site_point_gist",
        "site_search_vector_gin",
        "site_capability_ids_gin",
    } <= names
    # New rows get ids after the generated ones.
    assert Site.objects.order_by("-id").first().id == 300


def test_the_command_refuses_a_database_that_is_not_a_bench_database(db):
    with pytest.raises(CommandError, match="not a bench database"):
        call_command(GenerateBenchData(), sites=10)
