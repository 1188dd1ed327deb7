"""Reference data every environment needs: the 12 ITL1 regions with their boundaries, and the
capability, technology and licence-type vocabularies. Copied from the project's own data files
(manufacturers/data/), so no environment needs anything outside the repository."""

import csv
import json
from pathlib import Path

from django.db import migrations
from django.utils.text import slugify

DATA = Path(__file__).resolve().parent.parent / "data"


def _rows(name):
    with open(DATA / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load(apps, schema_editor):
    Region = apps.get_model("manufacturers", "Region")
    boundaries = {
        feature["properties"]["code"]: feature
        for feature in json.loads((DATA / "uk-regions.geojson").read_text(encoding="utf-8"))["features"]
    }
    for row in _rows("regions.csv"):
        feature = boundaries[row["code"]]
        Region.objects.update_or_create(
            code=row["code"],
            defaults={
                "nuts_code": feature["properties"].get("nuts_code", ""),
                "slug": slugify(row["name"]),
                "name": row["name"],
                "centroid_latitude": float(row["centroid_lat"]),
                "centroid_longitude": float(row["centroid_lon"]),
                "min_latitude": float(row["min_lat"]),
                "min_longitude": float(row["min_lon"]),
                "max_latitude": float(row["max_lat"]),
                "max_longitude": float(row["max_lon"]),
                "boundary": feature["geometry"],
            },
        )
    for model_name, file_name in [
        ("Capability", "capabilities.csv"),
        ("Technology", "technologies.csv"),
        ("LicenceType", "licences.csv"),
    ]:
        model = apps.get_model("manufacturers", model_name)
        for row in _rows(file_name):
            defaults = {"name": row["name"], "description": row["description"]}
            if model_name == "LicenceType":
                defaults["source_urls"] = [url.strip() for url in row["source"].split("|") if url.strip()]
            model.objects.update_or_create(slug=row["slug"], defaults=defaults)


class Migration(migrations.Migration):
    dependencies = [("manufacturers", "0001_initial")]

    # Reversing leaves the rows: other data may already point at them.
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
