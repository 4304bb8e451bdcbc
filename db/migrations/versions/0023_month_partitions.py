"""Time partitions: a track's points, visits and audit events are kept in monthly partitions.

At province scale these three grow without end (a province: ~150 k tracks a month, each a few
thousand points) while every page reads recent months. Declarative range partitioning by month
lets a month be archived and dropped whole (``shuijian db partitions``; no row-by-row DELETE,
which the append-only triggers refuse anyway) and lets scans of a period skip other months.

- ``patrol_track`` (new): the points of a patrol, moved out of ``patrol.geom`` — one
  MULTILINESTRINGM per patrol (M = epoch seconds), partitioned by ``recorded_at`` (the track's
  first time, else the upload's). ``patrol`` stays unpartitioned: ten tables point at it, and
  a row per patrol is small. Retention can drop old points and keep the patrol, its visits and
  its verdict.
- ``visit``: partitioned by ``arrived``; the primary key becomes (id, arrived) — PostgreSQL
  requires the partition key in every unique index; nothing references a visit.
- ``audit_event``: partitioned by ``at``; primary key (id, at). ``ticket_event`` is not: two
  tables point at its id, and a county's tickets are few (tens a month).

Partitions are whole calendar months in UTC. Each table has a DEFAULT partition, so a row of a
month without its partition (a late upload of an old track, a test's frozen date) is stored,
never refused. ``shuijian_month_partition(table, month)`` (owner only) adds a month, with the
parent's row-level security policies (FORCEd) and no rights for anyone but the owner: the app
reads and writes through the parent, whose policies apply; a partition addressed by name
would bypass them, so the app role gets no grant on any partition (db.roles.grant_app).
It will not create a month some of whose rows already sit in the DEFAULT partition (moving
append-only rows would need the guards off): those stay where they are, which is correct,
just not pruned. This revision creates the months that hold data and the next three.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

# The append-only table this revision adds (with the earlier ones', db.roles.APPEND_ONLY).
APPEND_ONLY = ("patrol_track",)

# table -> its partition key (db.partitions.PARTITIONED says the same for the command line)
PARTITIONED = {"patrol_track": "recorded_at", "visit": "arrived", "audit_event": "at"}

MONTH_PARTITION = """
CREATE FUNCTION shuijian_month_partition(parent text, month date) RETURNS text
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
  key text;
  first timestamptz := (date_trunc('month', month)::date::text || ' 00:00+00')::timestamptz;
  after timestamptz := ((date_trunc('month', month) + interval '1 month')::date::text
                        || ' 00:00+00')::timestamptz;
  name text := parent || '_' || to_char(month, 'YYYYMM');
  busy boolean;
  pol record;
BEGIN
  key := CASE parent WHEN 'patrol_track' THEN 'recorded_at' WHEN 'visit' THEN 'arrived'
                     WHEN 'audit_event' THEN 'at' END;
  IF key IS NULL THEN
    RAISE EXCEPTION '% is not partitioned by month', parent USING ERRCODE = '22023';
  END IF;
  IF to_regclass(format('public.%I', name)) IS NOT NULL THEN
    RETURN 'exists';
  END IF;
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I >= $1 AND %I < $2)',
                 parent || '_default', key, key) INTO busy USING first, after;
  IF busy THEN
    RETURN 'in_default';
  END IF;
  EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
                 name, parent, first, after);
  PERFORM shuijian_secure_partition(parent, name);
  RETURN 'created';
END $$;

CREATE FUNCTION shuijian_secure_partition(parent text, part text) RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
  pol record;
BEGIN
  EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', part);
  EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', part);
  FOR pol IN SELECT * FROM pg_policies WHERE schemaname = 'public' AND tablename = parent LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = 'public'
                   AND tablename = part AND policyname = pol.policyname) THEN
      EXECUTE format('CREATE POLICY %I ON %I AS %s FOR %s USING (%s)%s',
                     pol.policyname, part, pol.permissive, pol.cmd, coalesce(pol.qual, 'true'),
                     CASE WHEN pol.with_check IS NULL THEN ''
                          ELSE ' WITH CHECK (' || pol.with_check || ')' END);
    END IF;
  END LOOP;
  EXECUTE format('REVOKE ALL ON TABLE %I FROM PUBLIC', part);
END $$;

REVOKE ALL ON FUNCTION shuijian_month_partition(text, date) FROM PUBLIC;
REVOKE ALL ON FUNCTION shuijian_secure_partition(text, text) FROM PUBLIC;
"""

POLICY = "(SELECT shuijian_scope_all()) OR county_id = (SELECT shuijian_scope_county())"


def _scalar_rows(sql: str, **params: object) -> list[tuple]:
    return list(op.get_bind().execute(sa.text(sql), params).all())


def _rebuild(table: str, key: str | None) -> None:
    """Rebuild ``table`` as a table partitioned by ``key`` (None: unpartitioned again),
    keeping its rows, defaults, indexes, foreign keys, triggers, row-level security and
    sequence."""
    indexes = _scalar_rows(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i "
        "WHERE i.schemaname = 'public' AND i.tablename = :t AND NOT EXISTS ("
        "  SELECT 1 FROM pg_constraint c WHERE c.conindid = to_regclass('public.' || i.indexname))",
        t=table,
    )
    constraints = _scalar_rows(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = to_regclass(:t) AND contype IN ('f') ORDER BY conname",
        t=f"public.{table}",
    )
    triggers = _scalar_rows(
        "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
        "WHERE tgrelid = to_regclass(:t) AND NOT tgisinternal ORDER BY tgname",
        t=f"public.{table}",
    )
    policies = _scalar_rows(
        "SELECT policyname, permissive, cmd, qual, with_check FROM pg_policies "
        "WHERE schemaname = 'public' AND tablename = :t",
        t=table,
    )
    sequence = op.get_bind().scalar(
        sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table}
    )
    views = _dependent_views(table)
    for name, kind, _definition, _options in reversed(views):
        op.execute(f"DROP {'MATERIALIZED VIEW' if kind == 'm' else 'VIEW'} {name}")
    old = f"{table}_before_0023"
    op.execute(f"ALTER TABLE {table} RENAME TO {old}")
    for name, _definition in indexes:
        op.execute(f"ALTER INDEX {name} RENAME TO {name}_old")
    op.execute(f"ALTER TABLE {old} RENAME CONSTRAINT {table}_pkey TO {table}_pkey_old")
    partitioned = f" PARTITION BY RANGE ({key})" if key else ""
    op.execute(
        f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
        f"INCLUDING STORAGE INCLUDING COMMENTS){partitioned}"
    )
    op.execute(f"ALTER TABLE {table} ADD PRIMARY KEY ({'id, ' + key if key else 'id'})")
    if key:
        op.execute(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT")
    for _name, definition in indexes:
        op.execute(definition)
    if key:
        _create_months(table, key, source=old)
    op.execute(f"INSERT INTO {table} SELECT * FROM {old}")
    for name, definition in constraints:
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    if sequence:
        op.execute(f"ALTER SEQUENCE {sequence} OWNED BY {table}.id")
    op.execute(f"DROP TABLE {old}")
    for _name, definition in triggers:
        op.execute(definition)
    _secure(table, policies)
    for name, kind, definition, options in views:
        with_options = f" WITH ({', '.join(options)})" if options else ""
        view = "MATERIALIZED VIEW" if kind == "m" else "VIEW"
        op.execute(f"CREATE {view} {name}{with_options} AS {definition}")
    op.execute(f"ANALYZE {table}")


def _dependent_views(table: str) -> list[tuple]:
    """Views on ``table`` (and views on those), innermost first, with their definitions."""
    return _scalar_rows(
        """
        WITH RECURSIVE deps(oid, depth) AS (
          SELECT r.ev_class, 1 FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
          WHERE d.refobjid = to_regclass(:t) AND r.ev_class <> d.refobjid
          UNION
          SELECT r.ev_class, deps.depth + 1 FROM deps
          JOIN pg_depend d ON d.refobjid = deps.oid JOIN pg_rewrite r ON r.oid = d.objid
          WHERE r.ev_class <> d.refobjid AND deps.depth < 20
        )
        SELECT c.relname, c.relkind, pg_get_viewdef(c.oid), c.reloptions
        FROM deps JOIN pg_class c ON c.oid = deps.oid
        GROUP BY c.oid, c.relname, c.relkind, c.reloptions ORDER BY max(deps.depth), c.relname
        """,
        t=f"public.{table}",
    )


def _secure(table: str, policies: list[tuple]) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    for name, permissive, cmd, qual, with_check in policies:
        check = f" WITH CHECK ({with_check})" if with_check else ""
        op.execute(
            f"CREATE POLICY {name} ON {table} AS {permissive} FOR {cmd} USING ({qual}){check}"
        )
    for (part,) in _scalar_rows(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(:t)",
        t=f"public.{table}",
    ):
        op.execute(f"SELECT shuijian_secure_partition('{table}', '{part}')")


def _create_months(table: str, key: str, source: str | None) -> None:
    """The months that hold rows (of ``source``) and the current one with the next three."""
    months = (
        "SELECT generate_series(date_trunc('month', now() AT TIME ZONE 'UTC'), "
        "date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months', "
        "interval '1 month')::date"
    )
    if source:
        months += (
            f" UNION SELECT DISTINCT date_trunc('month', {key} AT TIME ZONE 'UTC')::date "
            f"FROM {source}"
        )
    op.execute(f"SELECT shuijian_month_partition('{table}', m) FROM ({months}) AS months(m)")


def upgrade() -> None:
    op.execute(MONTH_PARTITION)
    # The points of each patrol, out of the patrol row.
    op.execute(
        """
        CREATE TABLE patrol_track (
          patrol_id integer NOT NULL REFERENCES patrol(id) ON DELETE CASCADE,
          county_id integer NOT NULL DEFAULT shuijian_scope_county()
            REFERENCES county(id) ON DELETE RESTRICT,
          recorded_at timestamptz NOT NULL,
          geom geometry(MultiLineStringM, 4326) NOT NULL,
          PRIMARY KEY (patrol_id, recorded_at)
        ) PARTITION BY RANGE (recorded_at)
        """
    )
    op.execute("CREATE TABLE patrol_track_default PARTITION OF patrol_track DEFAULT")
    op.execute("CREATE INDEX ix_patrol_track_county ON patrol_track (county_id)")
    op.execute("CREATE INDEX idx_patrol_track_geom ON patrol_track USING gist (geom)")
    op.execute(
        "CREATE TEMP TABLE track_months ON COMMIT DROP AS "
        "SELECT coalesce(started_at, created_at) AS recorded_at FROM patrol "
        "WHERE geom IS NOT NULL"
    )
    _create_months("patrol_track", "recorded_at", source="track_months")
    op.execute(
        "INSERT INTO patrol_track (patrol_id, county_id, recorded_at, geom) "
        "SELECT id, county_id, coalesce(started_at, created_at), geom FROM patrol "
        "WHERE geom IS NOT NULL"
    )
    op.execute("DROP INDEX IF EXISTS idx_patrol_geom")
    op.drop_column("patrol", "geom")
    # The county of a new track is its patrol's (as for every county-owned row, 0020).
    op.execute(
        """
        CREATE FUNCTION shuijian_county_of_patrol_track() RETURNS trigger
        LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
        DECLARE parent integer;
        BEGIN
          SELECT county_id INTO parent FROM patrol WHERE id = NEW.patrol_id;
          IF NOT FOUND THEN
            RAISE EXCEPTION 'new row violates row-level security policy for table "%"',
              'patrol_track' USING ERRCODE = '42501',
              DETAIL = 'patrol_id names a row of another county';
          END IF;
          NEW.county_id := parent;
          RETURN NEW;
        END $$;
        CREATE TRIGGER a_county_of_patrol_track BEFORE INSERT ON patrol_track
          FOR EACH ROW EXECUTE FUNCTION shuijian_county_of_patrol_track();
        CREATE TRIGGER patrol_track_no_truncate BEFORE TRUNCATE ON patrol_track
          FOR EACH STATEMENT EXECUTE FUNCTION refuse_truncate();
        """
    )
    _secure(
        "patrol_track",
        [("county_scope", "PERMISSIVE", "ALL", POLICY, POLICY)],
    )
    for table, key in PARTITIONED.items():
        if table != "patrol_track":
            _rebuild(table, key)


def downgrade() -> None:
    for table in PARTITIONED:
        if table != "patrol_track":
            _rebuild(table, None)
    op.execute("ALTER TABLE patrol ADD COLUMN geom geometry(MultiLineStringM, 4326)")
    op.execute("UPDATE patrol p SET geom = t.geom FROM patrol_track t WHERE t.patrol_id = p.id")
    op.execute("CREATE INDEX idx_patrol_geom ON patrol USING gist (geom)")
    op.execute("DROP TABLE patrol_track")
    op.execute("DROP FUNCTION shuijian_county_of_patrol_track()")
    op.execute("DROP FUNCTION shuijian_month_partition(text, date)")
    op.execute("DROP FUNCTION shuijian_secure_partition(text, text)")
