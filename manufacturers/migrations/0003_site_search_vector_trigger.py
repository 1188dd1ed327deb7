"""Keep Site.search_vector current inside the database.

A trigger, rather than application code, so that every write path (the admin, the API, imports
and bulk COPY loads) keeps full-text search right. Names weigh most (A), then the town and
postcode (B), then the organisation's description (C). Core PL/pgSQL only: no extensions."""

from django.db import migrations

FORWARD = """
CREATE FUNCTION manufacturers_site_search_vector() RETURNS trigger AS $$
DECLARE
    org_name text;
    org_description text;
BEGIN
    SELECT name, description INTO org_name, org_description
      FROM manufacturers_organisation WHERE id = NEW.organisation_id;
    NEW.search_vector :=
        setweight(to_tsvector('english', coalesce(NEW.name, '')), 'A')
        || setweight(to_tsvector('english', coalesce(org_name, '')), 'A')
        || setweight(to_tsvector('english', coalesce(NEW.town, '') || ' ' || coalesce(NEW.postcode, '')), 'B')
        || setweight(to_tsvector('english', coalesce(org_description, '')), 'C');
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER site_search_vector_update
    BEFORE INSERT OR UPDATE OF name, town, postcode, organisation_id ON manufacturers_site
    FOR EACH ROW EXECUTE FUNCTION manufacturers_site_search_vector();

CREATE FUNCTION manufacturers_organisation_sites_search_vector() RETURNS trigger AS $$
BEGIN
    IF NEW.name IS DISTINCT FROM OLD.name OR NEW.description IS DISTINCT FROM OLD.description THEN
        -- Touching a column the site trigger watches makes it rebuild each site's vector.
        UPDATE manufacturers_site SET name = name WHERE organisation_id = NEW.id;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER organisation_sites_search_vector_update
    AFTER UPDATE OF name, description ON manufacturers_organisation
    FOR EACH ROW EXECUTE FUNCTION manufacturers_organisation_sites_search_vector();

UPDATE manufacturers_site SET name = name;
"""

REVERSE = """
DROP TRIGGER IF EXISTS organisation_sites_search_vector_update ON manufacturers_organisation;
DROP FUNCTION IF EXISTS manufacturers_organisation_sites_search_vector();
DROP TRIGGER IF EXISTS site_search_vector_update ON manufacturers_site;
DROP FUNCTION IF EXISTS manufacturers_site_search_vector();
"""


class Migration(migrations.Migration):
    dependencies = [("manufacturers", "0002_load_reference_data")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
