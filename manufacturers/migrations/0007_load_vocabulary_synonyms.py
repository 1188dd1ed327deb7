"""The words people search the vocabularies by (abbreviations, US spellings, common names), from
manufacturers/data/synonyms.csv. Staff edit them in the admin afterwards."""

import csv
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data"
MODELS = {"capability": "Capability", "technology": "Technology", "licence": "LicenceType"}


def load(apps, schema_editor):
    with open(DATA / "synonyms.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            model = apps.get_model("manufacturers", MODELS[row["vocabulary"]])
            model.objects.filter(slug=row["slug"]).update(synonyms=row["synonyms"].split("|"))


def unload(apps, schema_editor):
    for name in MODELS.values():
        apps.get_model("manufacturers", name).objects.update(synonyms=[])


class Migration(migrations.Migration):
    dependencies = [("manufacturers", "0006_vocabulary_synonyms")]

    operations = [migrations.RunPython(load, unload)]
