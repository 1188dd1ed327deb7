"""The changes feed records every change to sites and organisations, and to a site's links."""

from django.db import migrations

from core.change_triggers import record_changes, record_link_changes


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_changes_feed"),
        ("manufacturers", "0010_load_places_and_outward_postcodes"),
    ]

    operations = [
        record_changes("manufacturers_site", "site", ignored=("updated_at", "search_vector")),
        record_changes("manufacturers_organisation", "organisation", ignored=("updated_at", "search_vector")),
        *(
            record_link_changes(table, "site", column="site_id", parent_table="manufacturers_site")
            for table in (
                "manufacturers_site_capabilities",
                "manufacturers_site_technologies",
                "manufacturers_licence",
            )
        ),
    ]
