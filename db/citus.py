"""The road past one machine: the statements that distribute this schema with Citus, by county.

Every county-owned table carries ``county_id`` (migration 0020); Citus hashes rows to shards by
it, so a county's rows live together on one worker and a county page's query, which names its
county, runs on that worker alone. This module classifies the tables and writes, from the live
catalogue (so it cannot fall behind a migration), the exact script for a coordinator:

1. **Keys that name the county** (plain PostgreSQL DDL): Citus accepts a primary key, unique
   constraint, exclusion constraint or unique index on a distributed table only if it
   includes the distribution column, and a foreign key between distributed tables only if
   both sides include it. Each such key gains ``county_id``; each foreign key between
   distributed tables becomes (column, county_id) → (id, county_id), which also states in
   the schema what the 0020 triggers check (a row's county is its parent's). Foreign keys
   from the city's tables to a county's rows (an account's deputy or township, the reminder
   log's) are dropped: a reference table may not point into a distributed one; the app keeps
   them (accounts.admin checks the deputy and township it links).
2. ``create_reference_table`` for the small tables every node joins (the counties, the four
   platforms, problem categories, accounts, the city's published rankings …).
3. ``citus_add_local_table_to_metadata`` for the city's logs that stay on the coordinator.
4. ``create_distributed_table(…, 'county_id', colocate_with => 'township')`` for the rest,
   parents before children.

Step 1 is verified on PostgreSQL by tests/test_citus.py (applied to a migrated database with
data, then the app ingests a track on it); steps 2–4 need the Citus extension, which this
machine does not have (Debian does not package it), so they are checked only for what they
name. GB 3838-2002's limits and the holiday calendar are files shipped with the code
(water/gb3838_2002.toml, tickets/holidays), read by every app node: no table to distribute.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, text

from db.tables import CITY_TABLES, REPLICATED_TABLES
from db.tables import COORDINATOR_TABLES as COORDINATOR

DISTRIBUTION_COLUMN = "county_id"
COLOCATE_WITH = "township"

# Where the tables not distributed by county go: the one list is db.tables.
REFERENCE_TABLES: tuple[str, ...] = tuple(sorted(REPLICATED_TABLES))
COORDINATOR_TABLES: tuple[str, ...] = tuple(sorted(COORDINATOR))

# Fan-out figures are served from these monthly rollups (one row per county and month), not by
# scanning every county's history on a city page.
ROLLUP_TABLES: tuple[str, ...] = tuple(sorted(CITY_TABLES))

_NOT_TABLES = ("spatial_ref_sys",)  # PostGIS's own


@dataclass(frozen=True)
class Layout:
    distributed: tuple[str, ...]  # parents before children
    reference: tuple[str, ...]
    coordinator: tuple[str, ...]


def layout(conn: Connection) -> Layout:
    """Every table of schema public in its place; a table neither listed nor carrying a NOT
    NULL ``county_id`` is refused, so a new table must be placed before it can ship."""
    rows = conn.execute(
        text(
            "SELECT c.relname, a.attnotnull FROM pg_class c "
            "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = :col "
            "AND NOT a.attisdropped "
            "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') "
            "AND NOT c.relispartition ORDER BY c.relname"
        ),
        {"col": DISTRIBUTION_COLUMN},
    ).all()
    distributed, unplaced = [], []
    for name, county_not_null in rows:
        if name in REFERENCE_TABLES or name in COORDINATOR_TABLES or name in _NOT_TABLES:
            continue
        (distributed if county_not_null else unplaced).append(name)
    if unplaced:
        raise ValueError(
            f"tables with no NOT NULL {DISTRIBUTION_COLUMN} and no place in db.citus: "
            + ", ".join(unplaced)
        )
    present = {name for name, _ in rows}
    return Layout(
        distributed=tuple(_parents_first(conn, distributed)),
        reference=tuple(_parents_first(conn, [t for t in REFERENCE_TABLES if t in present])),
        coordinator=tuple(t for t in COORDINATOR_TABLES if t in present),
    )


def _parents_first(conn: Connection, tables: list[str]) -> list[str]:
    """``tables`` ordered so that a table comes after those its foreign keys point at."""
    edges = conn.execute(
        text(
            "SELECT DISTINCT c.relname, p.relname FROM pg_constraint k "
            "JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid "
            "WHERE k.contype = 'f' AND c.relnamespace = 'public'::regnamespace "
            "AND NOT c.relispartition"
        )
    ).all()
    needs: dict[str, set[str]] = {t: set() for t in tables}
    for child, parent in edges:
        if child in needs and parent in needs and child != parent:
            needs[child].add(parent)
    ordered: list[str] = []
    pending = sorted(tables, key=lambda t: (t != COLOCATE_WITH, t))
    while pending:
        ready = [t for t in pending if needs[t] <= set(ordered)]
        if not ready:  # a cycle: keep the rest in name order
            ready = pending[:1]
        ordered.extend(ready)
        pending = [t for t in pending if t not in ready]
    # the co-location anchor first (it has parents only among reference tables)
    if COLOCATE_WITH in ordered:
        ordered.remove(COLOCATE_WITH)
        ordered.insert(0, COLOCATE_WITH)
    return ordered


_DELETE_ACTION = {"a": "", "r": " ON DELETE RESTRICT", "c": " ON DELETE CASCADE"}


def key_statements(conn: Connection, plan: Layout) -> list[str]:
    """Step 1: the plain PostgreSQL DDL that makes every key of a distributed table name the
    county (see the module's docstring)."""
    distributed = set(plan.distributed)
    col = DISTRIBUTION_COLUMN
    foreign = conn.execute(
        text(
            "SELECT c.relname, k.conname, k.confdeltype, p.relname, "
            "ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(n, i) "
            "      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n "
            "      ORDER BY u.i)::text[], "
            "ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY u(n, i) "
            "      JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n "
            "      ORDER BY u.i)::text[] "
            "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
            "JOIN pg_class p ON p.oid = k.confrelid "
            "WHERE k.contype = 'f' AND c.relnamespace = 'public'::regnamespace "
            "AND NOT c.relispartition AND k.conparentid = 0 ORDER BY c.relname, k.conname"
        )
    ).all()
    drop_fk, add_fk = [], []
    for child, name, on_delete, parent, cols, refcols in foreign:
        if parent not in distributed or col in cols:
            continue
        drop_fk.append(f'ALTER TABLE "{child}" DROP CONSTRAINT "{name}";')
        if child not in distributed:
            continue  # a reference or coordinator table may not point into a county's rows
        action = _DELETE_ACTION.get(on_delete, "")
        if on_delete == "n":
            action = f" ON DELETE SET NULL ({', '.join(cols)})"
        add_fk.append(
            f'ALTER TABLE "{child}" ADD CONSTRAINT "{name}" FOREIGN KEY '
            f'({", ".join([*cols, col])}) REFERENCES "{parent}" '
            f"({', '.join([*refcols, col])}){action};"
        )
    keys = conn.execute(
        text(
            "SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid), "
            "ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(n, i) "
            "      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n "
            "      ORDER BY u.i)::text[] "
            "FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid "
            "WHERE k.contype IN ('p', 'u', 'x') AND c.relnamespace = 'public'::regnamespace "
            "AND NOT c.relispartition AND k.conparentid = 0 "
            "ORDER BY c.relname, k.contype, k.conname"
        )
    ).all()
    rekey = []
    for table, name, kind, definition, cols in keys:
        if table not in distributed or col in cols:
            continue
        rekey.append(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}";')
        if kind == "p":
            rekey.append(
                f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" '
                f"PRIMARY KEY ({', '.join([*cols, col])});"
            )
        elif kind == "u":
            rekey.append(
                f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" UNIQUE ({", ".join([*cols, col])});'
            )
        else:
            widened = re.sub(
                r"^EXCLUDE USING (\w+) \(", rf"EXCLUDE USING \1 ({col} WITH =, ", definition
            )
            rekey.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {widened};')
    indexes = conn.execute(
        text(
            "SELECT c.relname, i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid "
            "WHERE x.indisunique AND c.relnamespace = 'public'::regnamespace "
            "AND NOT c.relispartition AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid) "
            "AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = x.indexrelid) "
            "ORDER BY i.relname"
        )
    ).all()
    for table, name, definition in indexes:
        if table not in distributed:
            continue
        found = re.search(r"USING \w+ \(([^()]*)\)", definition)
        if found is None or col in [c.strip() for c in found[1].split(",")]:
            continue
        widened = definition[: found.end(1)] + f", {col}" + definition[found.end(1) :]
        rekey.append(f'DROP INDEX "{name}";')
        rekey.append(f"{widened};")
    return [*drop_fk, *rekey, *add_fk]


def script(conn: Connection, workers: tuple[str, ...] = ("worker-1", "worker-2")) -> str:
    """The whole script for a coordinator holding this database (run as a superuser, after a
    backup; ``workers`` are the worker hosts to add)."""
    plan = layout(conn)
    lines = [
        "-- Distribute the Shuijian schema with Citus by county (generated by "
        "`shuijian db citus-script` from the live schema).",
        "BEGIN;",
        "CREATE EXTENSION IF NOT EXISTS citus;",
        *(f"SELECT citus_add_node('{w}', 5432);" for w in workers),
        "-- 0020's triggers fill county_id from a row's parent; they run on the shards.",
        "SET citus.enable_unsafe_triggers = on;",
        "-- 1. Keys that name the county",
        *key_statements(conn, plan),
        "-- 2. Reference tables: a copy on every worker",
        *(f"SELECT create_reference_table('{t}');" for t in plan.reference),
        "-- 3. The city's logs stay on the coordinator",
        *(f"SELECT citus_add_local_table_to_metadata('{t}');" for t in plan.coordinator),
        "-- 4. Distributed by county, co-located: a county's rows on one worker",
        f"SELECT create_distributed_table('{COLOCATE_WITH}', '{DISTRIBUTION_COLUMN}');",
        *(
            f"SELECT create_distributed_table('{t}', '{DISTRIBUTION_COLUMN}', "
            f"colocate_with => '{COLOCATE_WITH}');"
            for t in plan.distributed
            if t != COLOCATE_WITH
        ),
        "COMMIT;",
    ]
    return "\n".join(lines) + "\n"


__all__ = [
    "COLOCATE_WITH",
    "COORDINATOR_TABLES",
    "DISTRIBUTION_COLUMN",
    "REFERENCE_TABLES",
    "ROLLUP_TABLES",
    "Layout",
    "key_statements",
    "layout",
    "script",
]
