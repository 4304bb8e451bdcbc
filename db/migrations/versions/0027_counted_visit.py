"""A maintained summary of the visits that count: ``counted_visit`` ([8/8] Scale, item 2).

The status queries asked "the last verified visit of this duty before day X" per assignment
(51,000 in a province), and each candidate visit cost a patrol lookup and a flag anti-join
through ``verified_visit``. ``counted_visit`` holds one narrow row per visit whose patrol
counts — (site, deputy, arrived, county), the patrol's deputy copied in — so that lookup is
one index-only probe on (site_id, deputy_id, arrived) and a month's visits one range of
``arrived`` with no join.

It is kept true by triggers, owned by the table's owner (SECURITY DEFINER: the app role may
only read it), on every path that changes what ``verified_visit`` shows:

- visits inserted (one statement-level trigger with the new rows as a transition table, so a
  batch of thousands costs one join), deleted, updated, truncated;
- a patrol flagged, a flag removed, a review appended or removed, a patrol's ``has_times`` or
  deputy changed: the patrol's rows are recomputed from scratch (delete, insert what the
  rule admits), so the order of the events never matters;
- a month of visits dropped by retention (``db.partitions.drop``) deletes its rows, since
  dropping a partition fires no trigger.

The rule is ``verified_visit``'s (0026), stated once here as ``shuijian_patrol_counts``: the
patrol has times, and no flag unless its latest review accepts it. ``verified_visit`` stays as
it was: the reference the summary is tested against (tests/test_coverage_scale.py and the
benchmark compare them row by row). ``shuijian_counted_visit_backfill()`` rebuilds the whole
table (run here, and by a bulk load made with triggers off).

Visits of one patrol are inserted with the patrol in one transaction, and flags and reviews
name an existing patrol, so two transactions never race on one patrol's verdict.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""

from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

POLICY = "(SELECT shuijian_scope_all()) OR county_id = (SELECT shuijian_scope_county())"

FUNCTIONS = """
-- No SET clause, so a caller's query may inline it; its callers set the search path.
CREATE FUNCTION shuijian_patrol_counts(patrol integer) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT p.has_times AND NOT EXISTS (
    SELECT 1 FROM patrol_flag f
    WHERE f.patrol_id = p.id AND f.county_id = p.county_id
      AND (SELECT pr.decision FROM patrol_review pr
           WHERE pr.patrol_id = f.patrol_id AND pr.county_id = f.county_id
           ORDER BY pr.id DESC LIMIT 1) IS DISTINCT FROM 'accept')
  FROM patrol p WHERE p.id = patrol
$$;

-- Recompute the rows of the given patrols from the visits and the rule.
CREATE FUNCTION shuijian_counted_visit_sync(patrols integer[]) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  DELETE FROM counted_visit WHERE patrol_id = ANY(patrols);
  INSERT INTO counted_visit (patrol_id, visit_id, site_id, deputy_id, arrived, county_id)
  SELECT v.patrol_id, v.id, v.site_id, p.deputy_id, v.arrived, v.county_id
  FROM patrol p JOIN visit v ON v.patrol_id = p.id AND v.county_id = p.county_id
  WHERE p.id = ANY(patrols) AND shuijian_patrol_counts(p.id);
$$;

CREATE FUNCTION shuijian_counted_visit_backfill() RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE n bigint;
BEGIN
  TRUNCATE counted_visit;
  INSERT INTO counted_visit (patrol_id, visit_id, site_id, deputy_id, arrived, county_id)
  SELECT v.patrol_id, v.visit_id, v.site_id, v.deputy_id, v.arrived, v.county_id
  FROM verified_visit v;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;

CREATE FUNCTION shuijian_counted_visit_added() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO counted_visit (patrol_id, visit_id, site_id, deputy_id, arrived, county_id)
  SELECT v.patrol_id, v.id, v.site_id, p.deputy_id, v.arrived, v.county_id
  FROM added v JOIN patrol p ON p.id = v.patrol_id AND p.county_id = v.county_id
  WHERE shuijian_patrol_counts(p.id);
  RETURN NULL;
END $$;

CREATE FUNCTION shuijian_counted_visit_removed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  DELETE FROM counted_visit c USING removed r
  WHERE c.patrol_id = r.patrol_id AND c.visit_id = r.id;
  RETURN NULL;
END $$;

CREATE FUNCTION shuijian_counted_visit_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM shuijian_counted_visit_sync(ARRAY(
    SELECT patrol_id FROM removed UNION SELECT patrol_id FROM added));
  RETURN NULL;
END $$;

CREATE FUNCTION shuijian_counted_visit_truncated() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  -- DELETE, not TRUNCATE: a TRUNCATE of visit that cascades (the demo's reset, from county)
  -- holds counted_visit in the same statement, and a nested TRUNCATE of it is refused
  -- ("being used by active queries"); by then it is empty or nearly so.
  DELETE FROM counted_visit;
  RETURN NULL;
END $$;

-- A flag, a review or a patrol changed: recompute the patrol(s) it names.
CREATE FUNCTION shuijian_counted_visit_verdict() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE patrols integer[];
BEGIN
  IF TG_TABLE_NAME = 'patrol' THEN
    patrols := ARRAY[NEW.id];
  ELSIF TG_OP = 'INSERT' THEN
    patrols := ARRAY[NEW.patrol_id];
  ELSIF TG_OP = 'DELETE' THEN
    patrols := ARRAY[OLD.patrol_id];
  ELSE
    patrols := ARRAY[OLD.patrol_id, NEW.patrol_id];
  END IF;
  PERFORM shuijian_counted_visit_sync(patrols);
  RETURN NULL;
END $$;
"""

TRIGGERS = """
CREATE TRIGGER counted_visit_added AFTER INSERT ON visit
  REFERENCING NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION shuijian_counted_visit_added();
CREATE TRIGGER counted_visit_removed AFTER DELETE ON visit
  REFERENCING OLD TABLE AS removed
  FOR EACH STATEMENT EXECUTE FUNCTION shuijian_counted_visit_removed();
CREATE TRIGGER counted_visit_changed AFTER UPDATE ON visit
  REFERENCING OLD TABLE AS removed NEW TABLE AS added
  FOR EACH STATEMENT EXECUTE FUNCTION shuijian_counted_visit_changed();
CREATE TRIGGER counted_visit_truncated AFTER TRUNCATE ON visit
  FOR EACH STATEMENT EXECUTE FUNCTION shuijian_counted_visit_truncated();
CREATE TRIGGER counted_visit_flag AFTER INSERT OR UPDATE OR DELETE ON patrol_flag
  FOR EACH ROW EXECUTE FUNCTION shuijian_counted_visit_verdict();
CREATE TRIGGER counted_visit_review AFTER INSERT OR UPDATE OR DELETE ON patrol_review
  FOR EACH ROW EXECUTE FUNCTION shuijian_counted_visit_verdict();
CREATE TRIGGER counted_visit_patrol AFTER UPDATE OF has_times, deputy_id ON patrol
  FOR EACH ROW
  WHEN (OLD.has_times IS DISTINCT FROM NEW.has_times
        OR OLD.deputy_id IS DISTINCT FROM NEW.deputy_id)
  EXECUTE FUNCTION shuijian_counted_visit_verdict();
"""

DROP = """
DROP TRIGGER IF EXISTS counted_visit_patrol ON patrol;
DROP TRIGGER IF EXISTS counted_visit_review ON patrol_review;
DROP TRIGGER IF EXISTS counted_visit_flag ON patrol_flag;
DROP TRIGGER IF EXISTS counted_visit_truncated ON visit;
DROP TRIGGER IF EXISTS counted_visit_changed ON visit;
DROP TRIGGER IF EXISTS counted_visit_removed ON visit;
DROP TRIGGER IF EXISTS counted_visit_added ON visit;
DROP FUNCTION IF EXISTS shuijian_counted_visit_verdict();
DROP FUNCTION IF EXISTS shuijian_counted_visit_truncated();
DROP FUNCTION IF EXISTS shuijian_counted_visit_changed();
DROP FUNCTION IF EXISTS shuijian_counted_visit_removed();
DROP FUNCTION IF EXISTS shuijian_counted_visit_added();
DROP FUNCTION IF EXISTS shuijian_counted_visit_backfill();
DROP FUNCTION IF EXISTS shuijian_counted_visit_sync(integer[]);
DROP FUNCTION IF EXISTS shuijian_patrol_counts(integer);
DROP TABLE IF EXISTS counted_visit;
"""


def upgrade() -> None:
    # No foreign keys to visit (a partition dropped by retention would be refused) or patrol
    # (the triggers own these rows); the county's, as on every county table.
    op.execute("""
        CREATE TABLE counted_visit (
            patrol_id integer NOT NULL,
            visit_id integer NOT NULL,
            site_id integer NOT NULL,
            deputy_id integer NOT NULL,
            arrived timestamptz NOT NULL,
            county_id integer NOT NULL REFERENCES county (id) ON DELETE RESTRICT,
            PRIMARY KEY (patrol_id, visit_id)
        )
    """)
    # The duty's last visit before a day: one probe, walked backwards, read from the index.
    op.execute(
        "CREATE INDEX ix_counted_visit_site_deputy ON counted_visit (site_id, deputy_id, arrived)"
    )
    # A period's visits, the city's and one county's.
    op.execute(
        "CREATE INDEX ix_counted_visit_arrived ON counted_visit (arrived) "
        "INCLUDE (site_id, deputy_id)"
    )
    op.execute(
        "CREATE INDEX ix_counted_visit_county_arrived ON counted_visit (county_id, arrived) "
        "INCLUDE (site_id, deputy_id)"
    )
    op.execute("ALTER TABLE counted_visit ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE counted_visit FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY county_scope ON counted_visit USING ({POLICY}) WITH CHECK ({POLICY})"
    )
    op.execute(FUNCTIONS)
    op.execute(TRIGGERS)
    op.execute("SELECT shuijian_counted_visit_backfill()")
    op.execute("ANALYZE counted_visit")


def downgrade() -> None:
    op.execute(DROP)
