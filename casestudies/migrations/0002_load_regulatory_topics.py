"""The regulatory topics case studies are tagged with (casestudies/data/regulatory_topics.csv)."""

import csv
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "regulatory_topics.csv"


def load(apps, schema_editor):
    RegulatoryTopic = apps.get_model("casestudies", "RegulatoryTopic")
    with open(DATA, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            RegulatoryTopic.objects.update_or_create(
                slug=row["slug"], defaults={"name": row["name"], "description": row["description"]}
            )


class Migration(migrations.Migration):
    dependencies = [("casestudies", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
