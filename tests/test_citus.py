"""The road past one machine (db.citus): every table has its place in a Citus deployment, and
step 1 of the generated script — keys that name the county — is real PostgreSQL that leaves a
schema Citus accepts (checked against Citus's rules in the catalogue) and that the app still
runs on (a track ingested after it). Steps 2–4 need the Citus extension, absent here."""

from __future__ import annotations

from sqlalchemy import Engine, text
from typer.testing import CliRunner

from db import citus
from tests.test_ingest import deputy, ingest, signed_in, track_through
from tracks.synth import to_gpx_bytes

_KEY_COLUMNS = """
    SELECT c.relname, k.conname, k.contype,
           ARRAY(SELECT a.attname FROM unnest(k.conkey) u(n)
                 JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n)::text[],
           ARRAY(SELECT a.attname FROM unnest(k.confkey) u(n)
                 JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n)::text[],
           p.relname
    FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
    LEFT JOIN pg_class p ON p.oid = k.confrelid
    WHERE c.relnamespace = 'public'::regnamespace AND NOT c.relispartition
      AND k.contype IN ('p', 'u', 'x', 'f')
"""


def citus_objections(engine: Engine, plan: citus.Layout) -> list[str]:
    """What Citus would refuse in ``create_distributed_table`` / ``create_reference_table``."""
    distributed = set(plan.distributed)
    col = citus.DISTRIBUTION_COLUMN
    found = []
    with engine.connect() as conn:
        for table, name, kind, cols, refcols, parent in conn.execute(text(_KEY_COLUMNS)):
            if kind in ("p", "u", "x") and table in distributed and col not in cols:
                found.append(f"{table}.{name}: a key without {col}")
            if kind == "f" and parent in distributed:
                if table not in distributed:
                    found.append(f"{table}.{name}: a non-distributed table points into {parent}")
                elif not (col in cols and col in refcols and cols.index(col) == refcols.index(col)):
                    found.append(f"{table}.{name}: a foreign key not joined on {col}")
        for table, name in conn.execute(
            text(
                "SELECT c.relname, i.relname FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid "
                "WHERE x.indisunique AND c.relnamespace = 'public'::regnamespace "
                "AND NOT c.relispartition AND NOT (SELECT attnum FROM pg_attribute "
                "  WHERE attrelid = c.oid AND attname = :col) = ANY(x.indkey::int2[])"
            ),
            {"col": col},
        ):
            if table in distributed:
                found.append(f"{table}.{name}: a unique index without {col}")
    return sorted(set(found))


def test_every_table_has_its_place(engine: Engine) -> None:
    with engine.connect() as conn:
        plan = citus.layout(conn)
    placed = [*plan.distributed, *plan.reference, *plan.coordinator]
    assert len(placed) == len(set(placed))
    assert plan.distributed[0] == citus.COLOCATE_WITH
    for big in ("visit", "patrol_track", "patrol", "gpx_upload", "ticket", "site", "grid_cell"):
        assert big in plan.distributed
    for small in ("county", "platform", "problem_category", "app_user"):
        assert small in plan.reference
    assert "audit_event" in plan.coordinator
    # parents before children
    position = {t: i for i, t in enumerate(plan.distributed)}
    assert position["site"] < position["visit"] and position["patrol"] < position["patrol_track"]
    assert position["ticket"] < position["ticket_event"]


def test_the_keys_step_satisfies_citus_and_the_app_still_runs(demo_copy: Engine) -> None:
    with demo_copy.connect() as conn:
        plan = citus.layout(conn)
        statements = citus.key_statements(conn, plan)
    before = citus_objections(demo_copy, plan)
    assert before, "the schema as migrated still has keys without county_id"
    with demo_copy.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))
    assert citus_objections(demo_copy, plan) == []
    with demo_copy.connect() as conn:  # the script is idempotent in effect: nothing left to do
        assert citus.key_statements(conn, citus.layout(conn)) == []
    # A county's foreign keys now state that a row's county is its parent's
    with demo_copy.connect() as conn:
        fk = conn.scalar(
            text(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'visit'::regclass AND contype = 'f' "
                "AND confrelid = 'site'::regclass"
            )
        )
    assert fk.startswith("FOREIGN KEY (site_id, county_id) REFERENCES site(id, county_id)")
    # and the app ingests a patrol on the re-keyed schema: triggers, composite keys, COPY
    dep, site = deputy(demo_copy, "D0001")
    lon, lat, t = track_through(demo_copy, site)
    result = ingest(
        demo_copy, to_gpx_bytes(lon, lat, t), "p.gpx", dep, uploader=signed_in(demo_copy, "d0001")
    )
    assert not result.duplicate and site in set(result.visits.site_id)


def test_the_script_names_every_table_once_in_its_place(demo_copy: Engine, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", demo_copy.url.render_as_string(hide_password=False))
    from cli.main import app

    out = CliRunner().invoke(app, ["db", "citus-script", "--worker", "w1", "--worker", "w2"])
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[1] == "BEGIN;" and lines[-1] == "COMMIT;"
    assert "SELECT citus_add_node('w2', 5432);" in lines
    with demo_copy.connect() as conn:
        plan = citus.layout(conn)
    for table in plan.reference:
        assert lines.count(f"SELECT create_reference_table('{table}');") == 1
    for table in plan.coordinator:
        assert lines.count(f"SELECT citus_add_local_table_to_metadata('{table}');") == 1
    made = [line.split("'")[1] for line in lines if "create_distributed_table" in line]
    assert made == list(plan.distributed)
    assert all("colocate_with => 'township'" in line for line in lines if "'visit'" in line)
