"""The triggers that fill the changes feed (core.changes), for the migrations that install them.

`FUNCTIONS_SQL` defines three trigger functions (core migration 0001); each app's migration
calls `record_changes()` and `record_link_changes()` for its public tables, so the rule of what
to record lives here once and the list of what is public lives with each app.
"""

from django.db import migrations

FUNCTIONS_SQL = r"""
-- Whether this statement's latest entry already says that this record was created or updated
-- (a statement that adds many links of one record makes one entry).
CREATE OR REPLACE FUNCTION core_last_change_is(p_txid bigint, p_kind text, p_id bigint)
RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT COALESCE((
        SELECT c.kind = p_kind AND c.object_id = p_id AND c.action IN ('created', 'updated')
            AND c.recorded_at >= statement_timestamp()
        FROM core_change c WHERE c.txid = p_txid ORDER BY c.id DESC LIMIT 1
    ), false)
$$;

-- A public record created, changed or deleted. Arguments: kind, the columns whose changes are
-- not news (an array literal), and optionally the status value that makes a row public.
CREATE OR REPLACE FUNCTION core_record_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_kind text := TG_ARGV[0];
    v_ignored text[] := TG_ARGV[1]::text[];
    v_status text := NULLIF(TG_ARGV[2], '');
    v_old jsonb;
    v_new jsonb;
    v_row jsonb;
    v_old_public boolean := false;
    v_new_public boolean := false;
    v_action text;
    v_reason text := '';
    v_txid bigint := pg_current_xact_id()::text::bigint;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        v_old := to_jsonb(OLD);
        v_old_public := v_status IS NULL OR v_old->>'status' = v_status;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        v_new := to_jsonb(NEW);
        v_new_public := v_status IS NULL OR v_new->>'status' = v_status;
    END IF;
    IF NOT v_old_public AND NOT v_new_public THEN
        RETURN NULL;
    END IF;
    v_row := COALESCE(v_new, v_old);
    IF v_new_public AND NOT v_old_public THEN
        v_action := 'created';
    ELSIF v_new_public THEN
        IF (v_new - v_ignored) = (v_old - v_ignored) THEN
            RETURN NULL;
        END IF;
        v_action := 'updated';
        -- Changes to one record in one statement make one entry: the mirror fetches the
        -- record as it is now.
        IF core_last_change_is(v_txid, v_kind, (v_row->>'id')::bigint) THEN
            RETURN NULL;
        END IF;
    ELSIF v_new IS NOT NULL AND v_new->>'status' = 'withdrawn' THEN
        v_action := 'withdrawn';
        v_reason := COALESCE(v_new->>'withdrawn_reason', '');
    ELSE
        -- A merge (core.changes.record_merge) already left the tombstone.
        IF EXISTS (
            SELECT 1 FROM core_change c
            WHERE c.txid = v_txid AND c.kind = v_kind AND c.object_id = (v_row->>'id')::bigint
              AND c.action = 'merged'
        ) THEN
            RETURN NULL;
        END IF;
        v_action := 'deleted';
    END IF;
    INSERT INTO core_change (txid, recorded_at, kind, object_id, slug, action, reason)
    VALUES (v_txid, clock_timestamp(), v_kind, (v_row->>'id')::bigint, v_row->>'slug', v_action, v_reason);
    RETURN NULL;
END
$$;

-- A link of a public record added, changed or removed: the record counts as updated.
-- Arguments: kind, the link's column naming the record, the record's table, the columns whose
-- changes are not news, and optionally the status value that makes the record public.
CREATE OR REPLACE FUNCTION core_record_link_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_kind text := TG_ARGV[0];
    v_column text := TG_ARGV[1];
    v_table text := TG_ARGV[2];
    v_ignored text[] := TG_ARGV[3]::text[];
    v_status text := NULLIF(TG_ARGV[4], '');
    v_ids bigint[];
    v_id bigint;
    v_slug text;
    v_txid bigint := pg_current_xact_id()::text::bigint;
BEGIN
    IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - v_ignored) = (to_jsonb(OLD) - v_ignored) THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        v_ids := array_append(v_ids, (to_jsonb(OLD)->>v_column)::bigint);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        v_ids := array_append(v_ids, (to_jsonb(NEW)->>v_column)::bigint);
    END IF;
    FOREACH v_id IN ARRAY v_ids LOOP
        CONTINUE WHEN core_last_change_is(v_txid, v_kind, v_id);
        IF v_status IS NULL THEN
            EXECUTE format('SELECT slug FROM %I WHERE id = $1', v_table) INTO v_slug USING v_id;
        ELSE
            EXECUTE format('SELECT slug FROM %I WHERE id = $1 AND status = $2', v_table)
                INTO v_slug USING v_id, v_status;
        END IF;
        CONTINUE WHEN v_slug IS NULL;  -- not public, or being deleted with its links
        INSERT INTO core_change (txid, recorded_at, kind, object_id, slug, action, reason)
        VALUES (v_txid, clock_timestamp(), v_kind, v_id, v_slug, 'updated', '');
    END LOOP;
    RETURN NULL;
END
$$;

-- A table of public records emptied at once (a bulk reload): a mirror must walk the kind again.
CREATE OR REPLACE FUNCTION core_record_reset() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO core_change (txid, recorded_at, kind, action, reason)
    VALUES (pg_current_xact_id()::text::bigint, clock_timestamp(), TG_ARGV[0], 'reset', '');
    RETURN NULL;
END
$$;
"""

DROP_FUNCTIONS_SQL = """
DROP FUNCTION IF EXISTS core_record_change();
DROP FUNCTION IF EXISTS core_record_link_change();
DROP FUNCTION IF EXISTS core_record_reset();
DROP FUNCTION IF EXISTS core_last_change_is(bigint, text, bigint);
"""


def _array(columns) -> str:
    return "{" + ",".join(columns) + "}"


def record_changes(
    table: str, kind: str, *, ignored=("updated_at",), public_status: str = ""
) -> migrations.RunSQL:
    """Record every change to `table`'s public rows as entries of `kind`.

    The TRUNCATE trigger is ENABLE ALWAYS, so it fires even in a bulk load that sets
    session_replication_role to skip ordinary triggers.
    """
    name = f"{table}_changes"
    return migrations.RunSQL(
        f"""
        CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION core_record_change('{kind}', '{_array(ignored)}', '{public_status}');
        CREATE TRIGGER {name}_reset AFTER TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION core_record_reset('{kind}');
        ALTER TABLE {table} ENABLE ALWAYS TRIGGER {name}_reset;
        """,
        f"DROP TRIGGER IF EXISTS {name} ON {table}; DROP TRIGGER IF EXISTS {name}_reset ON {table};",
    )


def record_link_changes(
    table: str, kind: str, *, column: str, parent_table: str, ignored=("updated_at",), public_status: str = ""
) -> migrations.RunSQL:
    """Record a change to the record `column` names whenever a row of the link table `table` changes."""
    name = f"{table}_changes"
    arguments = f"'{kind}', '{column}', '{parent_table}', '{_array(ignored)}', '{public_status}'"
    return migrations.RunSQL(
        f"""
        CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION core_record_link_change({arguments});
        """,
        f"DROP TRIGGER IF EXISTS {name} ON {table};",
    )
