"""Keep each site as it stood before a transaction changed it (manufacturers.models.site_states).

After-row triggers on the site table keep the old row; before-row triggers on its link tables keep
the site with its links as they were, before the link changes. The first state of a transaction
wins (ON CONFLICT DO NOTHING), so a site changed by many statements is kept as it was when the
transaction began; a site the transaction created is kept as "did not exist", so links added
to it afterwards cannot make it look older than it is.
"""

import django.contrib.postgres.fields
import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

ARRAYS = """
    ARRAY(SELECT capability_id FROM manufacturers_site_capabilities WHERE site_id = %(site)s),
    ARRAY(SELECT technology_id FROM manufacturers_site_technologies WHERE site_id = %(site)s),
    ARRAY(SELECT licence_type_id FROM manufacturers_licence WHERE site_id = %(site)s)
"""
COLUMNS = (
    "txid, site_id, existed, name, status, region_id, organisation_id, latitude, longitude, "
    "search_vector, capability_ids, technology_ids, licence_type_ids, recorded_at"
)

FUNCTIONS_SQL = f"""
CREATE FUNCTION manufacturers_keep_site_state() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_txid bigint := pg_current_xact_id()::text::bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO manufacturers_sitestate ({COLUMNS})
        VALUES (v_txid, NEW.id, false, '', '', NULL, NULL, NULL, NULL, NULL, '{{}}', '{{}}', '{{}}',
                clock_timestamp())
        ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO manufacturers_sitestate ({COLUMNS})
        VALUES (v_txid, OLD.id, true, OLD.name, OLD.status, OLD.region_id, OLD.organisation_id,
                OLD.latitude, OLD.longitude, OLD.search_vector, {ARRAYS % {"site": "OLD.id"}},
                clock_timestamp())
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION manufacturers_keep_site_state_of_link() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_txid bigint := pg_current_xact_id()::text::bigint;
    v_site bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN
        v_site := OLD.site_id;
    ELSE
        v_site := NEW.site_id;
    END IF;
    INSERT INTO manufacturers_sitestate ({COLUMNS})
    SELECT v_txid, s.id, true, s.name, s.status, s.region_id, s.organisation_id,
           s.latitude, s.longitude, s.search_vector, {ARRAYS % {"site": "s.id"}}, clock_timestamp()
    FROM manufacturers_site s WHERE s.id = v_site
    ON CONFLICT DO NOTHING;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
"""  # noqa: S608 (fixed table and column names)

# Only the columns a search reads: a save that changes none of them leaves no state.
SEARCHED = ("name", "town", "postcode", "status", "region_id", "organisation_id", "latitude", "longitude")


def _changed(columns) -> str:
    return "({}) IS DISTINCT FROM ({})".format(
        ", ".join(f"OLD.{column}" for column in columns), ", ".join(f"NEW.{column}" for column in columns)
    )


LINKS = {
    "manufacturers_site_capabilities": "capability_id",
    "manufacturers_site_technologies": "technology_id",
    "manufacturers_licence": "licence_type_id",
}

TRIGGERS_SQL = f"""
CREATE TRIGGER site_state_insert AFTER INSERT ON manufacturers_site
    FOR EACH ROW EXECUTE FUNCTION manufacturers_keep_site_state();
CREATE TRIGGER site_state_update AFTER UPDATE ON manufacturers_site
    FOR EACH ROW WHEN ({_changed(SEARCHED)}) EXECUTE FUNCTION manufacturers_keep_site_state();
CREATE TRIGGER site_state_delete AFTER DELETE ON manufacturers_site
    FOR EACH ROW EXECUTE FUNCTION manufacturers_keep_site_state();
""" + "".join(
    f"""
CREATE TRIGGER {table}_state_change BEFORE INSERT OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION manufacturers_keep_site_state_of_link();
CREATE TRIGGER {table}_state_update BEFORE UPDATE ON {table}
    FOR EACH ROW WHEN ({_changed(("site_id", column))}) EXECUTE FUNCTION manufacturers_keep_site_state_of_link();
"""
    for table, column in LINKS.items()
)

DROP_SQL = (
    """
DROP TRIGGER IF EXISTS site_state_insert ON manufacturers_site;
DROP TRIGGER IF EXISTS site_state_update ON manufacturers_site;
DROP TRIGGER IF EXISTS site_state_delete ON manufacturers_site;
"""
    + "".join(
        f"DROP TRIGGER IF EXISTS {table}_state_change ON {table};\n"
        f"DROP TRIGGER IF EXISTS {table}_state_update ON {table};\n"
        for table in LINKS
    )
    + """
DROP FUNCTION IF EXISTS manufacturers_keep_site_state();
DROP FUNCTION IF EXISTS manufacturers_keep_site_state_of_link();
"""
)


class Migration(migrations.Migration):
    dependencies = [
        ("manufacturers", "0013_organisation_slug_redirects"),
    ]

    operations = [
        migrations.CreateModel(
            name="SiteState",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("txid", models.BigIntegerField(verbose_name="transaction")),
                ("site_id", models.BigIntegerField(verbose_name="site")),
                ("existed", models.BooleanField(verbose_name="existed")),
                ("name", models.CharField(blank=True, max_length=200, verbose_name="name")),
                (
                    "status",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("operational", "Operational"),
                            ("planned", "Planned"),
                            ("closed", "Closed"),
                        ],
                        max_length=20,
                        verbose_name="status",
                    ),
                ),
                ("latitude", models.FloatField(null=True, verbose_name="latitude")),
                ("longitude", models.FloatField(null=True, verbose_name="longitude")),
                ("search_vector", django.contrib.postgres.search.SearchVectorField(null=True)),
                (
                    "capability_ids",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.BigIntegerField(), default=list, size=None
                    ),
                ),
                (
                    "technology_ids",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.BigIntegerField(), default=list, size=None
                    ),
                ),
                (
                    "licence_type_ids",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.BigIntegerField(), default=list, size=None
                    ),
                ),
                ("recorded_at", models.DateTimeField(db_index=True, verbose_name="recorded at")),
                (
                    "organisation",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="site_states",
                        to="manufacturers.organisation",
                    ),
                ),
                (
                    "region",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="manufacturers.region",
                    ),
                ),
            ],
            options={
                "verbose_name": "site state",
                "verbose_name_plural": "site states",
                "constraints": [
                    models.UniqueConstraint(fields=("site_id", "txid"), name="sitestate_site_txid_unique")
                ],
            },
        ),
        migrations.RunSQL(FUNCTIONS_SQL + TRIGGERS_SQL, DROP_SQL),
    ]
