"""Coverage benchmark: one month's coverage status for the demo county and a 100-county province.

Run by hand: ``python -m bench.bench_coverage [--database-url URL] [--out bench/RESULTS.md]``.
"Coverage status for a month" is what the coverage page computes: ``site_period_status`` for
the month, ``load_cells``, and ``cell_coverage`` at the three grid levels.

Three figures side by side: the month status (the whole province, as the coverage page does
it), the "as of today" status (``duty.today.site_today_status``: every site's current window,
what the leader's landing page and the today map read) and one county's month status (in that
county's scope, so the SQL names ``county_id``). The reference form of the same status
(``duty.due.REFERENCE_VISITS_SQL``: every visit read, then filtered — the code before the
indexed form) is timed once beside them and must give the same rows.

The province is bulk-loaded with COPY into a scratch database (dropped at the end) as a direct
synthetic grid: 100 counties of 10 large / 100 medium / 820 small cells (93,000 cells), 540
sites each (54,000), 380 deputies each, an assignment per site (a few missing or ended, so dead
corners exist), and a full year of visits (~20 per site; more for class-1 sites than class-3
ones; ~1.2 M), a few on flagged patrols (some accepted on review). Only the tables the
status query reads are filled; geometry is simple boxes, since the query does not look at it.
"""

from __future__ import annotations

import argparse
import io
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from bench.bench_ingest import (
    DEFAULT_OUT,
    exit_on_term,
    machine_line,
    scratch_database,
    server_url,
    verdict,
    write_section,
)

MONTH = (2026, 5)
TODAY = date(2026, 5, 25)  # the "as of today" figure: every site's current window on this day
VISITS_FROM = date(2025, 6, 1)  # a full year of visits up to the end of MONTH
VISITS_TO = date(2026, 5, 31)
N_COUNTIES = 100
LARGE, MEDIUM_PER_LARGE, SMALL_PER_COUNTY = 10, 10, 820
SITES_PER_COUNTY, DEPUTIES_PER_COUNTY = 540, 380
VISITS_PER_MONTH_BY_CLASS = {1: 3.6, 2: 2.3, 3: 1.2}
TARGET_MONTH_S = 1.0
TARGET_TODAY_S = 0.5
TARGET_COUNTY_S = 0.05
EXPLAIN_OUT = Path(__file__).with_name("EXPLAIN-coverage.md")


def _copy(conn: psycopg.Connection, table: str, frame: pd.DataFrame) -> None:
    """COPY a frame into ``table`` (columns by name); NULL is an empty field."""
    buf = io.StringIO()
    frame.to_csv(buf, sep="\t", header=False, index=False, na_rep="\\N")
    cols = ", ".join(f'"{c}"' for c in frame.columns)
    with conn.cursor().copy(f"COPY {table} ({cols}) FROM STDIN") as cp:
        cp.write(buf.getvalue())


def _boxes(x0: np.ndarray, y0: np.ndarray, w: np.ndarray, h: np.ndarray) -> np.ndarray:
    """EWKT MultiPolygons of axis-aligned boxes, built with array string operations."""
    x1, y1 = x0 + w, y0 + h

    def f(v: np.ndarray) -> np.ndarray:
        return np.char.mod("%.6f", v)

    a, b, c, d = f(x0), f(y0), f(x1), f(y1)
    ring = [a, " ", b, ",", c, " ", b, ",", c, " ", d, ",", a, " ", d, ",", a, " ", b]
    out = np.array("SRID=4326;MULTIPOLYGON(((", dtype=object)
    for part in ring:
        out = np.char.add(out.astype(str), part)
    return np.char.add(out, ")))")


@dataclass(frozen=True)
class Province:
    cells: int
    deputies: int
    assignments: int
    site_class: np.ndarray  # per site, ids 1..n
    deputy_of_site: np.ndarray
    county_of_site: np.ndarray  # county ids 1..N_COUNTIES


def build_province(conn: psycopg.Connection, rng: np.random.Generator) -> Province:
    """Counties, cells, sites, deputies and assignments of N_COUNTIES synthetic counties, each
    row with its ``county_id`` (the load runs with triggers off, so nothing derives it)."""
    ci = np.arange(N_COUNTIES)
    _copy(
        conn,
        "county",
        pd.DataFrame(
            {
                "id": ci + 1,
                "code": [f"{900000 + c}" for c in ci],
                "name": [f"县{c:03d}" for c in ci],
                "geom": _boxes(
                    112.0 + (ci % 10) * 0.5,
                    24.0 + (ci // 10) * 0.4,
                    np.full(N_COUNTIES, 0.5),
                    np.full(N_COUNTIES, 0.4),
                ),
            }
        ),
    )
    # --- grid: county c is a 0.5° × 0.4° box; large cells 5 × 2, medium 2 × 5 in each large,
    # small cells as vertical strips of each medium (8 or 9 per medium, 820 per county).
    cells = []
    next_id = 1
    small_per_medium = np.full(LARGE * MEDIUM_PER_LARGE, SMALL_PER_COUNTY // 100)
    small_per_medium[: SMALL_PER_COUNTY % 100] += 1
    county_small: list[np.ndarray] = []
    county_small_box: list[np.ndarray] = []
    for c in range(N_COUNTIES):
        cx, cy = 112.0 + (c % 10) * 0.5, 24.0 + (c // 10) * 0.4
        li = np.arange(LARGE)
        lx, ly = cx + (li % 5) * 0.1, cy + (li // 5) * 0.2
        large_ids = next_id + li
        next_id += LARGE
        mi = np.arange(LARGE * MEDIUM_PER_LARGE)
        parent_l = mi // MEDIUM_PER_LARGE
        k = mi % MEDIUM_PER_LARGE
        mx, my = lx[parent_l] + (k % 2) * 0.05, ly[parent_l] + (k // 2) * 0.04
        medium_ids = next_id + mi
        next_id += len(mi)
        parent_m = np.repeat(mi, small_per_medium)
        j = np.concatenate([np.arange(n) for n in small_per_medium])
        width = 0.05 / small_per_medium[parent_m]
        sx, sy = mx[parent_m] + j * width, my[parent_m]
        small_ids = next_id + np.arange(len(parent_m))
        next_id += len(parent_m)
        code = f"P{c:03d}"
        cells.append(
            pd.DataFrame(
                {
                    "id": np.r_[large_ids, medium_ids, small_ids],
                    "code": np.r_[
                        [f"{code}-L{i:02d}" for i in li],
                        [f"{code}-M{i:03d}" for i in mi],
                        [f"{code}-S{i:04d}" for i in range(len(parent_m))],
                    ],
                    "level": np.r_[
                        np.full(LARGE, 1), np.full(len(mi), 2), np.full(len(parent_m), 3)
                    ],
                    "parent_id": pd.array(
                        np.r_[np.full(LARGE, -1), large_ids[parent_l], medium_ids[parent_m]].astype(
                            np.int64
                        )
                    ).astype("Int64"),
                    "county_id": c + 1,
                    "geom": np.r_[
                        _boxes(lx, ly, np.full(LARGE, 0.1), np.full(LARGE, 0.2)),
                        _boxes(mx, my, np.full(len(mi), 0.05), np.full(len(mi), 0.04)),
                        _boxes(sx, sy, width, np.full(len(parent_m), 0.04)),
                    ],
                }
            )
        )
        county_small.append(small_ids)
        county_small_box.append(np.column_stack([sx, sy, width]))
    grid = pd.concat(cells, ignore_index=True)
    grid.loc[grid["level"] == 1, "parent_id"] = pd.NA
    _copy(conn, "grid_cell", grid)

    # --- sites, deputies, assignments
    n_sites = N_COUNTIES * SITES_PER_COUNTY
    county_of_site = np.repeat(np.arange(N_COUNTIES), SITES_PER_COUNTY)
    pick = rng.integers(0, SMALL_PER_COUNTY, n_sites)
    cell_id = np.array([county_small[c][p] for c, p in zip(county_of_site, pick, strict=True)])
    box = np.array([county_small_box[c][p] for c, p in zip(county_of_site, pick, strict=True)])
    px = box[:, 0] + rng.uniform(0.1, 0.9, n_sites) * box[:, 2]
    py = box[:, 1] + rng.uniform(0.1, 0.9, n_sites) * 0.04
    kinds = rng.choice(
        ["pond", "small_water", "reservoir", "river_section", "livestock_farm"],
        n_sites,
        p=[0.62, 0.11, 0.02, 0.04, 0.21],
    )
    farm = kinds == "livestock_farm"
    point = np.char.add(
        np.char.add("SRID=4326;POINT(", np.char.mod("%.6f", px)),
        np.char.add(np.char.add(" ", np.char.mod("%.6f", py)), ")"),
    )
    pond = _boxes(px - 2e-4, py - 2e-4, np.full(n_sites, 4e-4), np.full(n_sites, 4e-4))
    site_class = rng.choice([1, 2, 3], n_sites, p=[0.2, 0.3, 0.5])
    site_ids = np.arange(1, n_sites + 1)
    _copy(
        conn,
        "site",
        pd.DataFrame(
            {
                "id": site_ids,
                "code": [f"S{i:06d}" for i in site_ids],
                "name": [f"站点{i}" for i in site_ids],
                "kind": kinds,
                "site_class": site_class,
                "grid_cell_id": cell_id,
                "county_id": county_of_site + 1,
                "geom": np.where(farm, point, pond),
            }
        ),
    )
    n_dep = N_COUNTIES * DEPUTIES_PER_COUNTY
    dep_ids = np.arange(1, n_dep + 1)
    _copy(
        conn,
        "deputy",
        pd.DataFrame(
            {
                "id": dep_ids,
                "code": [f"D{i:06d}" for i in dep_ids],
                "name": [f"代表{i}" for i in dep_ids],
                "level": rng.choice(
                    ["province", "city", "county", "township"], n_dep, p=[0.03, 0.1, 0.37, 0.5]
                ),
                "county_id": (dep_ids - 1) // DEPUTIES_PER_COUNTY + 1,
            }
        ),
    )
    deputy_of_site = (
        county_of_site * DEPUTIES_PER_COUNTY + 1 + rng.integers(0, DEPUTIES_PER_COUNTY, n_sites)
    )
    fate = rng.random(n_sites)
    assigned = fate >= 0.03  # 3 % never assigned: dead corners
    ended = (fate >= 0.03) & (fate < 0.05)  # 2 % lost their deputy in April
    _copy(
        conn,
        "assignment",
        pd.DataFrame(
            {
                "deputy_id": deputy_of_site[assigned],
                "site_id": site_ids[assigned],
                "valid_from": VISITS_FROM.isoformat(),
                "valid_to": np.where(ended[assigned], "2026-04-15", None),
                "county_id": county_of_site[assigned] + 1,
            }
        ),
    )
    return Province(
        len(grid), n_dep, int(assigned.sum()), site_class, deputy_of_site, county_of_site + 1
    )


def add_visits(
    conn: psycopg.Connection,
    site_ids: np.ndarray,
    site_class: np.ndarray,
    deputy_of_site: np.ndarray,
    rng: np.random.Generator,
    county_of_site: np.ndarray | None = None,
) -> int:
    """Visits from VISITS_FROM to VISITS_TO, Poisson per site and month by class; grouped into
    patrols of up to four visits by the same deputy on the same day, with their uploads.
    ``county_of_site``: each row's county_id is written (a load with triggers off); without
    it the database fills it in (one county)."""
    days = (VISITS_TO - VISITS_FROM).days + 1
    rate = np.array([VISITS_PER_MONTH_BY_CLASS[int(c)] for c in site_class]) * days / 30.4
    rate[rng.random(len(site_ids)) < 0.05] = 0.0  # some sites nobody goes to
    n = rng.poisson(rate)
    site = np.repeat(site_ids, n)
    dep = np.repeat(deputy_of_site, n)
    county = np.repeat(county_of_site, n) if county_of_site is not None else None
    day = rng.integers(0, days, len(site))
    order = np.lexsort((day, dep))
    site, dep, day = site[order], dep[order], day[order]
    county = county[order] if county is not None else None

    def with_county(frame: pd.DataFrame, rows: np.ndarray | slice) -> pd.DataFrame:
        if county is not None:
            frame["county_id"] = county[rows]
        return frame

    new_patrol = np.r_[True, (dep[1:] != dep[:-1]) | (day[1:] != day[:-1])]
    trip = np.cumsum(new_patrol) - 1
    within = np.arange(len(site)) - np.flatnonzero(new_patrol)[trip]
    new_patrol |= within % 4 == 0
    patrol_of = np.cumsum(new_patrol)  # 1-based
    n_patrols = int(patrol_of[-1]) if len(patrol_of) else 0
    first = np.flatnonzero(new_patrol)
    base = pd.Timestamp(VISITS_FROM, tz="Asia/Shanghai").tz_convert("UTC")
    start = (
        base
        + pd.to_timedelta(day[first], unit="D")
        + pd.to_timedelta(rng.uniform(8, 15, n_patrols), unit="h")
    )
    p_ids = np.arange(1, n_patrols + 1)
    existing = conn.execute("SELECT coalesce(max(id), 0) FROM gpx_upload").fetchone()
    offset = int(existing[0]) if existing else 0
    _copy(
        conn,
        "gpx_upload",
        with_county(
            pd.DataFrame(
                {
                    "id": offset + p_ids,
                    "sha256": [f"{offset + i:064x}" for i in p_ids],
                    "filename": [f"patrol-{offset + i}.gpx" for i in p_ids],
                    "size_bytes": 0,
                    "content": "\\\\x",
                    "encoding": "UTF-8",
                    "gpx_version": "1.1",
                    "declared_crs": "wgs84",
                    "naive_timezone": "Asia/Shanghai",
                }
            ),
            first,
        ),
    )
    _copy(
        conn,
        "patrol",
        with_county(
            pd.DataFrame(
                {
                    "id": offset + p_ids,
                    "upload_id": offset + p_ids,
                    "deputy_id": dep[first],
                    "started_at": start.astype(str),
                    "ended_at": (start + pd.Timedelta(hours=2)).astype(str),
                    "n_points": 3000,
                    "n_kept": 2990,
                    "has_times": True,
                    "fingerprint": [f"{offset + i:064x}" for i in p_ids],
                }
            ),
            first,
        ),
    )
    flagged = p_ids[rng.random(n_patrols) < 0.02]
    _copy(
        conn,
        "patrol_flag",
        with_county(
            pd.DataFrame(
                {"patrol_id": offset + flagged, "code": "speed_spikes", "message": "bench flag"}
            ),
            first[flagged - 1],
        ),
    )
    accepted = flagged[rng.random(len(flagged)) < 0.5]
    _copy(
        conn,
        "patrol_review",
        with_county(
            pd.DataFrame({"patrol_id": offset + accepted, "decision": "accept", "reason": "bench"}),
            first[accepted - 1],
        ),
    )
    arrived = start[patrol_of - 1] + pd.to_timedelta((within % 4) * 25, unit="min")
    _copy(
        conn,
        "visit",
        with_county(
            pd.DataFrame(
                {
                    "patrol_id": offset + patrol_of,
                    "site_id": site,
                    "arrived": arrived.astype(str),
                    "left": (arrived + pd.Timedelta(minutes=6)).astype(str),
                    "dwell_s": 360.0,
                    "n_points": 72,
                    "is_assigned": True,
                }
            ),
            slice(None),
        ),
    )
    return len(site)


@contextmanager
def province_database(base: str, keep: str | None) -> Iterator[tuple[Engine, bool]]:
    """The province's database and whether it is fresh (to be built): a scratch one dropped
    afterwards, or with ``keep`` that named database, kept, reused when it exists (migrated to
    head, which backfills what a new migration adds), since the build takes minutes."""
    from db import migrate

    if keep is None:
        with scratch_database(base, "shuijian_bench_cov_prov") as engine:
            yield engine, True
        return
    with psycopg.connect(
        make_url(base)
        .set(drivername="postgresql", database="postgres")
        .render_as_string(hide_password=False),
        autocommit=True,
    ) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (keep,)).fetchone()
        if exists is None:
            admin.execute(f'CREATE DATABASE "{keep}"')
    url = make_url(base).set(database=keep).render_as_string(hide_password=False)
    engine = create_engine(url, poolclass=NullPool)
    try:
        migrate.upgrade(engine)
        yield engine, exists is None
    finally:
        engine.dispose()


def _session(engine: Engine, county: int | None) -> Session:
    """A session whose transactions carry the scope: one county (its queries name it) or the
    whole city. The bench connects as the cluster's superuser, which row-level security does
    not bind: a county's figure comes from the ``county_id = :county`` its SQL carries."""
    from db import scope

    scope.install(engine)
    scope.enter(county if county is not None else scope.ALL)
    return Session(engine)


def coverage_month(
    engine: Engine, *, county: int | None = None, visits_sql: str | None = None
) -> Callable[[], dict[str, Any]]:
    """The coverage page's work for MONTH: site status, then the three grid levels; returns
    the seconds spent in each part (and the status frame). ``county``: in that county's scope;
    ``visits_sql``: another visits relation (the reference form)."""
    from duty.coverage import cell_coverage, load_cells, month_bounds, site_period_status
    from duty.due import DEFAULT_VISITS_SQL

    first, last = month_bounds(*MONTH)

    def run() -> dict[str, Any]:
        t0 = time.perf_counter()
        with _session(engine, county) as s:
            status = site_period_status(
                s,
                first,
                last,
                last + timedelta(days=1),
                visits_sql=visits_sql or DEFAULT_VISITS_SQL,
            )
            t1 = time.perf_counter()
            cells = load_cells(s)
        t2 = time.perf_counter()
        for level in (1, 2, 3):
            cell_coverage(status, cells, level)
        t3 = time.perf_counter()
        return {
            "status": t1 - t0,
            "cells": t2 - t1,
            "rollup": t3 - t2,
            "total": t3 - t0,
            "frame": status,
        }

    return run


def today_status(
    engine: Engine, *, visits_sql: str | None = None, glance: bool = False
) -> Callable[[], dict[str, Any]]:
    """Every site's current window on TODAY (``duty.today.site_today_status``): what the today
    map, its tiles and the grid heads' reminders compute. The indexed form is the lean one (no
    due list: the recent visits as a range, probes for the rest, no names but the deputies').
    ``glance``: the leader's landing page's form (``reports.glance``), the lean form and then
    the code, name and township of its overdue sites; the reference form is the due list over
    ``visits_sql`` (nested loops off, see below) and the today view from it."""
    from duty.due import due_list
    from duty.today import site_today_status
    from reports.glance import overdue_frame

    def run() -> dict[str, Any]:
        t0 = time.perf_counter()
        with _session(engine, None) as s:
            if visits_sql is None:
                frame = site_today_status(s, TODAY)
                t1 = time.perf_counter()
                if not glance:
                    return {"today": t1 - t0, "total": t1 - t0, "frame": frame}
                overdue = overdue_frame(s, frame)
                t2 = time.perf_counter()
                return {
                    "today": t1 - t0,
                    "overdue names": t2 - t1,
                    "total": t2 - t0,
                    "frame": frame,
                    "overdue": overdue,
                }
            # The reference's aggregate of every visit is joined to 51,000 assignments the
            # planner guesses at 5 rows (the county_id joins are correlated), so it loops
            # over the aggregate per assignment: 113-137 s for a query of 2-3 s. Nested
            # loops off for it alone, in this transaction: the comparison is with the old
            # form's work, not with a plan accident of the bench's data.
            s.execute(text("SET LOCAL enable_nestloop = off"))
            due = due_list(s, TODAY, visits_sql=visits_sql)
            t1 = time.perf_counter()
            frame = site_today_status(s, TODAY, due=due)
        t2 = time.perf_counter()
        return {"due": t1 - t0, "sites": t2 - t1, "total": t2 - t0, "frame": frame}

    return run


def best_split(repeat: int, query: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The run with the shortest total, with its parts."""
    return min((query() for _ in range(repeat)), key=lambda parts: parts["total"])


def _split(parts: dict[str, Any]) -> str:
    if "overdue names" in parts:
        return (
            f"site_today_status {parts['today']:.3f} s + overdue sites' names "
            f"{parts['overdue names']:.3f} s"
        )
    if "today" in parts:
        return f"site_today_status {parts['today']:.3f} s (no due list)"
    if "due" in parts:
        return f"due list {parts['due']:.3f} s + sites {parts['sites']:.3f} s"
    return (
        f"status {parts['status']:.3f} s + cells {parts['cells']:.3f} s + "
        f"roll-up {parts['rollup']:.3f} s"
    )


def _same(fast: pd.DataFrame, reference: pd.DataFrame, what: str) -> int:
    """Assert the indexed form's rows equal the reference form's (by site); the row count."""
    a = fast.sort_values("site_id", kind="stable").reset_index(drop=True)
    b = reference.sort_values("site_id", kind="stable").reset_index(drop=True)
    try:
        pd.testing.assert_frame_equal(a, b, check_dtype=False)
    except AssertionError as exc:
        raise SystemExit(
            f"{what}: the indexed form differs from the reference form\n{exc}"
        ) from exc
    return len(a)


def _analyze(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def explain(engine: Engine, county: int) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the visits queries behind the three figures."""
    from db.query import without_jit
    from duty.coverage import duty_before_query, duty_visits_query, month_bounds
    from duty.due import due_query
    from duty.today import RECENT_DAYS

    first, last = month_bounds(*MONTH)
    parts = [
        f"# EXPLAIN of the coverage queries (bench/bench_coverage.py, {machine_line()})",
        "",
        "Written by the benchmark on the province (a full year of visits); the queries as the",
        "code sends them, with the parameters bound by the server.",
    ]
    cases = [
        ("Month status, whole province: the period's visits", None, "month"),
        (
            "Month status, whole province: the last visit before the period, for the duties "
            "it can change",
            None,
            "before",
        ),
        (
            "As of today: the recent visits as one range (the today view's lean form; the "
            "assignments with none in it are probed as the month's last visit before the period)",
            None,
            "recent",
        ),
        (
            "The due list's query (the due page, the glance; no longer the today view's)",
            None,
            "due",
        ),
        (f"One county's month status (county {county}): the period's visits", county, "month"),
    ]
    for title, scope_county, kind in cases:
        with _session(engine, scope_county) as s, without_jit(s):
            if kind == "month":
                sql, params = duty_visits_query(first, last, last + timedelta(days=1))
            elif kind == "before":
                sql, params = duty_before_query(s, first, last, last + timedelta(days=1))
            elif kind == "recent":
                sql, params = duty_visits_query(TODAY - timedelta(days=RECENT_DAYS), TODAY, TODAY)
            else:
                sql, params = due_query(TODAY)
            plan = s.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql), params).scalars().all()
        parts += ["", f"## {title}", "", "```sql", sql.strip(), "```", "", "```", *plan, "```"]
    return "\n".join(parts) + "\n"


def run(args: argparse.Namespace) -> str:
    from data.demo import generate_demo
    from data.loader import load_demo
    from duty.due import REFERENCE_VISITS_SQL

    base = server_url(args.database_url)
    rng = np.random.default_rng(11)
    r = args.repeat
    rows = []
    if not args.no_demo:
        with scratch_database(base, "shuijian_bench_cov_demo") as engine:
            with _session(engine, None) as s:
                load_demo(s, generate_demo(), "bench demo")
                s.commit()
            with Session(engine) as s:
                sites = pd.DataFrame(
                    s.execute(
                        text(
                            "SELECT s.id, s.site_class, a.deputy_id FROM site s JOIN assignment a "
                            "ON a.site_id = s.id ORDER BY s.id"
                        )
                    ).all(),
                    columns=["id", "cls", "dep"],
                ).drop_duplicates("id")
            url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            with psycopg.connect(url) as conn:
                n_visits = add_visits(
                    conn,
                    sites["id"].to_numpy(),
                    sites["cls"].to_numpy(),
                    sites["dep"].to_numpy(),
                    rng,
                )
            _analyze(engine)
            with Session(engine) as s:
                counts = s.execute(
                    text(
                        "SELECT (SELECT count(*) FROM grid_cell), (SELECT count(*) FROM site), "
                        "(SELECT count(*) FROM verified_visit), (SELECT min(id) FROM county)"
                    )
                ).one()
            query = coverage_month(engine)
            query()  # warm the connection and caches once, as a running app would be
            demo = best_split(r, query)
            _same(
                demo["frame"],
                coverage_month(engine, visits_sql=REFERENCE_VISITS_SQL)()["frame"],
                "demo county, month",
            )
            demo_today = best_split(r, today_status(engine))
            demo_county = best_split(r, coverage_month(engine, county=int(counts[3])))
            data = (
                f"demo county ({counts[0]:,} cells, {counts[1]:,} sites, {n_visits:,} visits, "
                f"{counts[2]:,} verified)"
            )
            rows.append(
                (data, demo["total"], "—", demo_today["total"], "—", demo_county["total"], "—")
            )
            print(f"demo county month: {demo['total']:.3f} s", flush=True)

    with province_database(base, args.keep_province) as (engine, fresh):
        t0 = time.perf_counter()
        if fresh:
            url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            with psycopg.connect(url) as conn:
                # Bulk load as the superuser with triggers off (the county and foreign-key
                # triggers, and the counted-visit summary's): every row carries its county_id
                # and valid references by construction; the summary is filled after, at once.
                conn.execute("SET session_replication_role = replica")
                built = build_province(conn, rng)
                add_visits(
                    conn,
                    np.arange(1, len(built.site_class) + 1),
                    built.site_class,
                    built.deputy_of_site,
                    rng,
                    built.county_of_site,
                )
                conn.execute("SET session_replication_role = origin")
                conn.execute("SELECT shuijian_counted_visit_backfill()")
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        t_build, t_build_fresh = time.perf_counter() - t0, fresh
        with Session(engine) as s:
            n_cells, n_sites, n_deputies, n_visits, verified = s.execute(
                text(
                    "SELECT (SELECT count(*) FROM grid_cell), (SELECT count(*) FROM site), "
                    "(SELECT count(*) FROM deputy), (SELECT count(*) FROM visit), "
                    "(SELECT count(*) FROM verified_visit)"
                )
            ).one()
        print(f"province built in {t_build:.1f} s, {n_visits:,} visits", flush=True)
        county = N_COUNTIES // 2
        # Timed through a connection pool, as the app's engine (db.database) is: a running
        # app does not open a server process (and fill its catalogue caches) per page.
        app = create_engine(
            engine.url.render_as_string(hide_password=False), pool_pre_ping=True, pool_size=2
        )
        month, today, one = (
            coverage_month(app),
            today_status(app),
            coverage_month(app, county=county),
        )
        glance = today_status(app, glance=True)
        month(), today(), one(), glance()  # warm once, as a running app would be
        runs = [(month(), today(), one()) for _ in range(r)]  # interleaved: same load for all
        # the leader's landing page's form (the lean form, then its overdue sites' names)
        glanced = best_split(r, glance)
        prov = min((m for m, _, _ in runs), key=lambda parts: parts["total"])
        now = min((t for _, t, _ in runs), key=lambda parts: parts["total"])
        cty = min((c for _, _, c in runs), key=lambda parts: parts["total"])
        print(
            f"province month {prov['total']:.3f} s, today {now['total']:.3f} s, "
            f"one county {cty['total']:.3f} s",
            flush=True,
        )
        # The reference form (every visit read, then filtered: the code before this one),
        # timed once, and the exactness check: same rows, site by site.
        ref_month = coverage_month(app, visits_sql=REFERENCE_VISITS_SQL)()
        ref_today = today_status(app, visits_sql=REFERENCE_VISITS_SQL)()
        checked = _same(prov["frame"], ref_month["frame"], "province, month")
        checked += _same(now["frame"], ref_today["frame"], "province, as of today")
        _same(glanced["frame"], now["frame"], "province, as of today, the glance's form")
        if len(glanced["overdue"]) != int((now["frame"]["status"] == "overdue").sum()):
            raise SystemExit("the glance's overdue sites are not the today view's")
        mine = prov["frame"][prov["frame"]["site_id"].isin(cty["frame"]["site_id"])]
        checked += _same(cty["frame"], mine, f"county {county}, month")
        if len(cty["frame"]) != SITES_PER_COUNTY:
            raise SystemExit(f"county {county}: {len(cty['frame'])} sites, not {SITES_PER_COUNTY}")
        with Session(engine) as s:
            ever = set(
                s.scalars(
                    text("SELECT DISTINCT site_id FROM verified_visit WHERE visit_date <= :on"),
                    {"on": TODAY},
                )
            )
        if ever != set(now["frame"].loc[now["frame"]["ever_patrolled"], "site_id"]):
            raise SystemExit("as of today: ever_patrolled differs from the reference")
        print(f"exact: {checked:,} site rows equal to the reference form", flush=True)
        args.explain.write_text(explain(app, county), encoding="utf-8")
        app.dispose()
        data = (
            f"province, {N_COUNTIES} counties ({n_cells:,} cells, "
            f"{n_sites:,} sites, {n_deputies:,} deputies, "
            f"{n_visits:,} visits {VISITS_FROM}–{VISITS_TO}, {verified:,} verified)"
        )
        rows.append(
            (
                data,
                prov["total"],
                _split(prov),
                now["total"],
                _split(now),
                cty["total"],
                _split(cty),
            )
        )
        rows.append(
            (
                "province, reference form (every visit read, then filtered; once)",
                ref_month["total"],
                _split(ref_month),
                ref_today["total"],
                _split(ref_today),
                None,
                "—",
            )
        )

    def fig(t: float | None, target: float | None) -> str:
        if t is None:
            return "—"
        if target is None:
            return f"{t:.3f} s"
        return f"{t:.3f} s ({verdict(t < target)})"

    lines = [
        f"- Date and machine: {machine_line()}",
        f"- Month status: {MONTH[0]}-{MONTH[1]:02d} as of the day after it ends, status + cells +"
        " the three grid levels (target < 1 s); as of today: every site's current window on "
        f"{TODAY} (`site_today_status`, target < 0.5 s); one county: county {N_COUNTIES // 2}'s "
        f"month in its scope (target < 50 ms). Best of {r} interleaved runs each, "
        "through a connection pool as the app's engine (warmed once).",
        "",
        "| data | month status | as of today | one county |",
        "|---|---:|---:|---:|",
    ]
    for d, tm, _, tt, _, tc, _ in rows:
        province = d.startswith("province, ") and "reference" not in d
        lines.append(
            f"| {d} | {fig(tm, TARGET_MONTH_S if province else None)} | "
            f"{fig(tt, TARGET_TODAY_S if province else None)} | "
            f"{fig(tc, TARGET_COUNTY_S if province else None)} |"
        )
    lines += ["", "Parts of the province's figures:", ""]
    for d, _, sm, _, st, _, sc in rows:
        if not d.startswith("province"):
            continue
        lines.append(f"- {d.split(' (')[0]}: month {sm}; today {st}; one county {sc}")
    lines += [
        f"- the leader's landing page's form of the today view (`reports.glance`: the lean "
        f"form, then the code, name and township of its {len(glanced['overdue']):,} overdue "
        f"sites): {glanced['total']:.3f} s ({_split(glanced)}), best of {r} after the "
        "interleaved runs",
        "",
        f"- Exact: {checked:,} site rows of the indexed form equal the reference form's "
        "(month and as of today, whole province) and the whole province's rows of the county",
        (
            f"- Province built by COPY and VACUUM ANALYZEd in {t_build:.1f} s (not timed above)"
            if t_build_fresh
            else f"- Province reused from database {args.keep_province} (built by an earlier run)"
        ),
        f"- Plans: `{args.explain.name}` (EXPLAIN (ANALYZE, BUFFERS), written by this run)",
        "- The reference form's today figure is timed with nested loops off in its transaction:"
        " the planner guesses its assignment–site join at 5 rows (correlated county_id joins)"
        " and loops over the aggregate of every visit once per assignment, 113–137 s on this"
        " province; the indexed forms run with the planner's defaults",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", help="server to create the scratch databases on")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results file (Markdown)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure; the best is kept")
    ap.add_argument("--explain", type=Path, default=EXPLAIN_OUT, help="plans file (Markdown)")
    ap.add_argument(
        "--keep-province",
        metavar="NAME",
        help="build the province into database NAME and keep it; reuse it if it exists "
        "(migrated to head first). The figures then do not include a fresh build's state",
    )
    ap.add_argument("--no-demo", action="store_true", help="skip the demo county's row")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, exit_on_term)
    body = run(args)
    write_section(args.out, "Coverage (bench/bench_coverage.py)", body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
