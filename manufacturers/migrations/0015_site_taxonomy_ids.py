"""A site's capability, technology and licence type ids on its row, kept by the database.

A before-row trigger computes them from the link tables on every insert and update of a site,
so whatever a save writes (a stale instance, a bulk update) the row holds the links as they are;
the link tables' statement triggers (migration 0008) already update their sites, and the
set-based refresh they call now sets the ids too, so a bulk load that turns triggers off
(bench/data_load.py) gets them from the same statement as the search vectors.
"""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
from django.conf import settings
from django.db import migrations, models

from core.change_triggers import record_changes

IDS = {
    "capability_ids": "SELECT capability_id FROM manufacturers_site_capabilities WHERE site_id = {site} ORDER BY 1",
    "technology_ids": "SELECT technology_id FROM manufacturers_site_technologies WHERE site_id = {site} ORDER BY 1",
    "licence_type_ids": "SELECT DISTINCT licence_type_id FROM manufacturers_licence WHERE site_id = {site} ORDER BY 1",
}


def _assignments(site: str, *, target: str = "") -> str:
    return ",\n           ".join(
        f"{target}{column} = ARRAY({query.format(site=site)})" for column, query in IDS.items()
    )


FORWARD = f"""
ALTER TABLE manufacturers_site
    ALTER COLUMN capability_ids SET DEFAULT '{{}}',
    ALTER COLUMN technology_ids SET DEFAULT '{{}}',
    ALTER COLUMN licence_type_ids SET DEFAULT '{{}}';

CREATE FUNCTION manufacturers_site_taxonomy_ids() RETURNS trigger AS $$
BEGIN
    NEW.capability_ids := ARRAY({IDS["capability_ids"].format(site="NEW.id")});
    NEW.technology_ids := ARRAY({IDS["technology_ids"].format(site="NEW.id")});
    NEW.licence_type_ids := ARRAY({IDS["licence_type_ids"].format(site="NEW.id")});
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER site_taxonomy_ids BEFORE INSERT OR UPDATE ON manufacturers_site
    FOR EACH ROW EXECUTE FUNCTION manufacturers_site_taxonomy_ids();

CREATE OR REPLACE FUNCTION manufacturers_refresh_site_search(site_ids bigint[]) RETURNS void AS $$
    UPDATE manufacturers_site s
       SET search_vector = manufacturers_site_document(s.id, s.name, s.town, s.postcode, o.name, o.description),
           {_assignments("s.id")}
      FROM manufacturers_organisation o
     WHERE o.id = s.organisation_id AND (site_ids IS NULL OR s.id = ANY (site_ids))
$$ LANGUAGE sql;
"""  # noqa: S608 (fixed table and column names)

REVERSE = """
CREATE OR REPLACE FUNCTION manufacturers_refresh_site_search(site_ids bigint[]) RETURNS void AS $$
    UPDATE manufacturers_site s
       SET search_vector = manufacturers_site_document(s.id, s.name, s.town, s.postcode, o.name, o.description)
      FROM manufacturers_organisation o
     WHERE o.id = s.organisation_id AND (site_ids IS NULL OR s.id = ANY (site_ids))
$$ LANGUAGE sql;
DROP TRIGGER IF EXISTS site_taxonomy_ids ON manufacturers_site;
DROP FUNCTION IF EXISTS manufacturers_site_taxonomy_ids();
"""

# The site's entries in the changes record: the ids are not news (the link's own entry is).
SITE_CHANGES = ("manufacturers_site", "site")
OLD_IGNORED = ("updated_at", "search_vector")
NEW_IGNORED = (*OLD_IGNORED, *IDS)
DROP_SITE_CHANGES = (
    "DROP TRIGGER IF EXISTS manufacturers_site_changes ON manufacturers_site; "
    "DROP TRIGGER IF EXISTS manufacturers_site_changes_reset ON manufacturers_site;"
)


class Migration(migrations.Migration):
    dependencies = [
        ("manufacturers", "0014_site_states"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="site",
            name="capability_ids",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.BigIntegerField(), default=list, editable=False, size=None
            ),
        ),
        migrations.AddField(
            model_name="site",
            name="licence_type_ids",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.BigIntegerField(), default=list, editable=False, size=None
            ),
        ),
        migrations.AddField(
            model_name="site",
            name="technology_ids",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.BigIntegerField(), default=list, editable=False, size=None
            ),
        ),
        migrations.AddIndex(
            model_name="site",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["capability_ids"], name="site_capability_ids_gin"
            ),
        ),
        migrations.AddIndex(
            model_name="site",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["technology_ids"], name="site_technology_ids_gin"
            ),
        ),
        migrations.AddIndex(
            model_name="site",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["licence_type_ids"], name="site_licence_type_ids_gin"
            ),
        ),
        migrations.RunSQL(DROP_SITE_CHANGES, record_changes(*SITE_CHANGES, ignored=OLD_IGNORED).sql),
        migrations.RunSQL(record_changes(*SITE_CHANGES, ignored=NEW_IGNORED).sql, DROP_SITE_CHANGES),
        migrations.RunSQL(FORWARD, REVERSE),
        migrations.RunSQL("SELECT manufacturers_refresh_site_search(NULL)", migrations.RunSQL.noop),
    ]
