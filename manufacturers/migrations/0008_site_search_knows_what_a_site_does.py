"""Site search that knows what a site does: names, the names and synonyms of its capabilities,
technologies and licence types, its town and postcode, and its organisation's description.

Names weigh most (A); what the site does and where it is come next (B); the organisation's
description last (C). The vector is kept current inside the database, so every write path (the
admin, the API, imports, COPY loads) keeps search right, and set-based: a statement that changes
many rows (a vocabulary term renamed, an import linking a thousand sites) refreshes the affected
sites in one UPDATE from statement-level triggers with transition tables, never a trigger per row.
Core PL/pgSQL only: no extensions.
"""

from django.db import migrations

FORWARD = """
DROP TRIGGER IF EXISTS organisation_sites_search_vector_update ON manufacturers_organisation;
DROP FUNCTION IF EXISTS manufacturers_organisation_sites_search_vector();
DROP TRIGGER IF EXISTS site_search_vector_update ON manufacturers_site;
DROP FUNCTION IF EXISTS manufacturers_site_search_vector();

-- What a site does, as text: each term's name and synonyms.
CREATE FUNCTION manufacturers_site_taxonomy_text(site bigint) RETURNS text AS $$
    SELECT concat_ws(' ',
        (SELECT string_agg(t.name || ' ' || array_to_string(t.synonyms, ' '), ' ')
           FROM manufacturers_site_capabilities link
           JOIN manufacturers_capability t ON t.id = link.capability_id
          WHERE link.site_id = site),
        (SELECT string_agg(t.name || ' ' || array_to_string(t.synonyms, ' '), ' ')
           FROM manufacturers_site_technologies link
           JOIN manufacturers_technology t ON t.id = link.technology_id
          WHERE link.site_id = site),
        (SELECT string_agg(t.name || ' ' || array_to_string(t.synonyms, ' '), ' ')
           FROM manufacturers_licence link
           JOIN manufacturers_licencetype t ON t.id = link.licence_type_id
          WHERE link.site_id = site))
$$ LANGUAGE sql STABLE;

CREATE FUNCTION manufacturers_site_document(
    site bigint, site_name text, town text, postcode text, org_name text, org_description text
) RETURNS tsvector AS $$
    SELECT setweight(to_tsvector('english', coalesce(site_name, '') || ' ' || coalesce(org_name, '')), 'A')
        || setweight(to_tsvector('english', coalesce(manufacturers_site_taxonomy_text(site), '')), 'B')
        || setweight(to_tsvector('english', coalesce(town, '') || ' ' || coalesce(postcode, '')), 'B')
        || setweight(to_tsvector('english', coalesce(org_description, '')), 'C')
$$ LANGUAGE sql STABLE;

-- Rebuild the vectors of the given sites (NULL: every site) in one statement.
CREATE FUNCTION manufacturers_refresh_site_search(site_ids bigint[]) RETURNS void AS $$
    UPDATE manufacturers_site s
       SET search_vector = manufacturers_site_document(s.id, s.name, s.town, s.postcode, o.name, o.description)
      FROM manufacturers_organisation o
     WHERE o.id = s.organisation_id AND (site_ids IS NULL OR s.id = ANY (site_ids))
$$ LANGUAGE sql;

-- A site's own columns: computed before the row is written.
CREATE FUNCTION manufacturers_site_search_vector() RETURNS trigger AS $$
BEGIN
    NEW.search_vector := (
        SELECT manufacturers_site_document(NEW.id, NEW.name, NEW.town, NEW.postcode, o.name, o.description)
          FROM manufacturers_organisation o WHERE o.id = NEW.organisation_id);
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER site_search_vector_update
    BEFORE INSERT OR UPDATE OF name, town, postcode, organisation_id ON manufacturers_site
    FOR EACH ROW EXECUTE FUNCTION manufacturers_site_search_vector();

-- Links between sites and terms: the sites a statement touched, refreshed together.
CREATE FUNCTION manufacturers_site_links_changed() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM manufacturers_refresh_site_search(ARRAY(SELECT DISTINCT site_id FROM old_links));
    ELSE
        PERFORM manufacturers_refresh_site_search(ARRAY(SELECT DISTINCT site_id FROM new_links));
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

-- A term renamed or given new synonyms: every site carrying it, in one statement.
CREATE FUNCTION manufacturers_terms_changed() RETURNS trigger AS $$
DECLARE
    changed bigint[];
BEGIN
    SELECT array_agg(n.id) INTO changed
      FROM new_terms n JOIN old_terms o ON o.id = n.id
     WHERE n.name IS DISTINCT FROM o.name OR n.synonyms IS DISTINCT FROM o.synonyms;
    IF changed IS NULL THEN
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'manufacturers_capability' THEN
        PERFORM manufacturers_refresh_site_search(ARRAY(
            SELECT DISTINCT site_id FROM manufacturers_site_capabilities WHERE capability_id = ANY (changed)));
    ELSIF TG_TABLE_NAME = 'manufacturers_technology' THEN
        PERFORM manufacturers_refresh_site_search(ARRAY(
            SELECT DISTINCT site_id FROM manufacturers_site_technologies WHERE technology_id = ANY (changed)));
    ELSE
        PERFORM manufacturers_refresh_site_search(ARRAY(
            SELECT DISTINCT site_id FROM manufacturers_licence WHERE licence_type_id = ANY (changed)));
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

-- An organisation renamed or redescribed: its sites, in one statement.
CREATE FUNCTION manufacturers_organisations_changed() RETURNS trigger AS $$
BEGIN
    PERFORM manufacturers_refresh_site_search(ARRAY(
        SELECT s.id FROM manufacturers_site s
          JOIN new_organisations n ON n.id = s.organisation_id
          JOIN old_organisations o ON o.id = n.id
         WHERE n.name IS DISTINCT FROM o.name OR n.description IS DISTINCT FROM o.description));
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER organisations_search_update AFTER UPDATE ON manufacturers_organisation
    REFERENCING OLD TABLE AS old_organisations NEW TABLE AS new_organisations
    FOR EACH STATEMENT EXECUTE FUNCTION manufacturers_organisations_changed();
"""

REVERSE = """
DROP TRIGGER IF EXISTS organisations_search_update ON manufacturers_organisation;
DROP FUNCTION IF EXISTS manufacturers_organisations_changed();
DROP FUNCTION IF EXISTS manufacturers_terms_changed() CASCADE;
DROP FUNCTION IF EXISTS manufacturers_site_links_changed() CASCADE;
DROP TRIGGER IF EXISTS site_search_vector_update ON manufacturers_site;
DROP FUNCTION IF EXISTS manufacturers_site_search_vector();
DROP FUNCTION IF EXISTS manufacturers_refresh_site_search(bigint[]);
DROP FUNCTION IF EXISTS manufacturers_site_document(bigint, text, text, text, text, text);
DROP FUNCTION IF EXISTS manufacturers_site_taxonomy_text(bigint);
"""

LINK_TABLES = ("manufacturers_site_capabilities", "manufacturers_site_technologies", "manufacturers_licence")
TERM_TABLES = ("manufacturers_capability", "manufacturers_technology", "manufacturers_licencetype")


def _link_triggers() -> str:
    # PostgreSQL allows transition tables only on single-event triggers: one per event.
    statements = []
    for table in LINK_TABLES:
        statements.append(
            f"CREATE TRIGGER {table}_search_insert AFTER INSERT ON {table} "
            "REFERENCING NEW TABLE AS new_links FOR EACH STATEMENT "
            "EXECUTE FUNCTION manufacturers_site_links_changed();"
        )
        statements.append(
            f"CREATE TRIGGER {table}_search_delete AFTER DELETE ON {table} "
            "REFERENCING OLD TABLE AS old_links FOR EACH STATEMENT "
            "EXECUTE FUNCTION manufacturers_site_links_changed();"
        )
    statements.append(
        "CREATE TRIGGER manufacturers_licence_search_update AFTER UPDATE ON manufacturers_licence "
        "REFERENCING NEW TABLE AS new_links FOR EACH STATEMENT "
        "EXECUTE FUNCTION manufacturers_site_links_changed();"
    )
    for table in TERM_TABLES:
        statements.append(
            f"CREATE TRIGGER {table}_search_update AFTER UPDATE ON {table} "
            "REFERENCING OLD TABLE AS old_terms NEW TABLE AS new_terms FOR EACH STATEMENT "
            "EXECUTE FUNCTION manufacturers_terms_changed();"
        )
    return "\n".join(statements)


class Migration(migrations.Migration):
    dependencies = [("manufacturers", "0007_load_vocabulary_synonyms")]

    operations = [
        migrations.RunSQL(
            FORWARD + _link_triggers() + "\nSELECT manufacturers_refresh_site_search(NULL);",
            # Back to the trigger of migration 0003, which the previous migration state expects.
            REVERSE
            + __import__(
                "manufacturers.migrations.0003_site_search_vector_trigger", fromlist=["FORWARD"]
            ).FORWARD,
        )
    ]
