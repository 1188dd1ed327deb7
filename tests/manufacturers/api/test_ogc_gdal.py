"""The OGC API as GDAL (and so QGIS) reads it: `ogrinfo` and `ogr2ogr` from Debian's gdal-bin against a live server.

Skipped where gdal-bin is missing, unless REQUIRE_GDAL=1 (CI) turns that into a failure.
"""

import json
import os
import shutil
import subprocess

import pytest

from manufacturers.models import Site
from tests.manufacturers.factories import OrganisationFactory, SiteFactory, region

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def gdal():
    if shutil.which("ogrinfo") is None:
        if os.environ.get("REQUIRE_GDAL") == "1":
            pytest.fail("REQUIRE_GDAL=1 but ogrinfo is missing: apt-get install gdal-bin")
        pytest.skip("gdal-bin is not installed (apt-get install gdal-bin)")

    def run(*args: str) -> subprocess.CompletedProcess:
        # GDAL caches nothing between runs here, and never asks another host.
        env = {**os.environ, "GDAL_HTTP_TIMEOUT": "60", "CPL_VSIL_CURL_USE_CACHE": "NO"}
        return subprocess.run(args, capture_output=True, text=True, timeout=180, env=env, check=False)  # noqa: S603

    return run


@pytest.fixture
def sites(settings):
    settings.API_QUOTAS = {bucket: {"minute": 100_000, "day": 1_000_000} for bucket in settings.API_QUOTAS}
    cdmo = OrganisationFactory(name="Fill Finish Ltd", slug="fill-finish", kind="cdmo")
    SiteFactory(
        name="Speke",
        slug="speke",
        organisation=cdmo,
        region=region("north-west"),
        latitude=53.34,
        longitude=-2.85,
    )
    SiteFactory(
        name="Elstree",
        slug="elstree",
        organisation=cdmo,
        status=Site.Status.CLOSED,
        region=region("east-of-england"),
        latitude=51.65,
        longitude=-0.30,
    )
    SiteFactory(
        name="Livingston", slug="livingston", region=region("scotland"), latitude=55.88, longitude=-3.52
    )


def test_ogrinfo_lists_both_layers_and_filters_with_where_bbox_and_paging(live_server, gdal, sites, tmp_path):
    source = f"OAPIF:{live_server.url}/api/ogc/"
    listing = gdal("ogrinfo", "-ro", "-q", source)
    assert listing.returncode == 0, listing.stderr
    assert "sites" in listing.stdout and "regions" in listing.stdout
    assert "ERROR" not in listing.stderr

    where = gdal("ogrinfo", "-ro", "-al", "-q", source, "sites", "-where", "status = 'closed'")
    assert where.returncode == 0, where.stderr
    assert "ERROR" not in where.stderr, where.stderr
    assert "elstree" in where.stdout
    assert "speke" not in where.stdout

    # A property GDAL cannot pass to the server: it filters the features itself, without errors.
    by_town = gdal("ogrinfo", "-ro", "-al", "-q", source, "sites", "-where", "name = 'Speke'")
    assert by_town.returncode == 0 and "ERROR" not in by_town.stderr, by_town.stderr
    assert "speke" in by_town.stdout and "livingston" not in by_town.stdout

    box = gdal("ogrinfo", "-ro", "-al", "-q", source, "sites", "-spat", "-4", "55", "-3", "56.5")
    assert box.returncode == 0 and "ERROR" not in box.stderr, box.stderr
    assert "livingston" in box.stdout and "speke" not in box.stdout

    # One feature per page: GDAL must follow the next links to find all three.
    output = tmp_path / "sites.geojson"
    copy = gdal("ogr2ogr", "-f", "GeoJSON", str(output), source, "sites", "-oo", "PAGE_SIZE=1")
    assert copy.returncode == 0 and "ERROR" not in copy.stderr, copy.stderr
    slugs = sorted(feature["properties"]["slug"] for feature in json.loads(output.read_text())["features"])
    assert slugs == ["elstree", "livingston", "speke"]

    regions = gdal("ogrinfo", "-ro", "-so", source, "regions")
    assert regions.returncode == 0 and "ERROR" not in regions.stderr, regions.stderr
    assert "Feature Count: 12" in regions.stdout
    assert "Polygon" in regions.stdout
