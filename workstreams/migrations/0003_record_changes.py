"""The changes feed records every change to initiatives and their partners."""

from django.db import migrations

from core.change_triggers import record_changes, record_link_changes


class Migration(migrations.Migration):
    dependencies = [("core", "0001_changes_feed"), ("workstreams", "0002_load_workstreams")]

    operations = [
        record_changes("workstreams_initiative", "initiative"),
        record_link_changes(
            "workstreams_initiative_partners",
            "initiative",
            column="initiative_id",
            parent_table="workstreams_initiative",
        ),
    ]
