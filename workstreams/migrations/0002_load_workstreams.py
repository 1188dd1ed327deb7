"""MMIP's five workstreams, which every environment needs (workstreams/data/workstreams.toml)."""

import tomllib
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "workstreams.toml"


def load(apps, schema_editor):
    Workstream = apps.get_model("workstreams", "Workstream")
    with open(DATA, "rb") as handle:
        workstreams = tomllib.load(handle)["workstream"]
    for item in workstreams:
        Workstream.objects.update_or_create(
            slug=item["slug"],
            defaults={
                "name": item["name"],
                "position": item["position"],
                "summary": item["summary"].strip(),
                "body": item["body"].strip(),
            },
        )


class Migration(migrations.Migration):
    dependencies = [("workstreams", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
