"""Coverage benchmark: one month's coverage status for the demo county and a 100-county province.

Run by hand: ``python -m bench.bench_coverage [--database-url URL] [--out bench/RESULTS.md]``.
"Coverage status for a month" is what the coverage page computes: ``site_period_status`` for
the month, ``load_cells``, and ``cell_coverage`` at the three grid levels.

The province is bulk-loaded with COPY into a scratch database (dropped at the end) as a direct
synthetic grid: 100 counties of 10 large / 100 medium / 820 small cells (93,000 cells), 540
sites each (54,000), 380 deputies each, an assignment per site (a few missing or ended, so dead
corners exist), and ~100,000 verified visits per month over four months, more for class-1 sites
than class-3 ones, a few on flagged patrols (some accepted on review). Only the tables the
status query reads are filled; geometry is simple boxes, since the query does not look at it.
"""

from __future__ import annotations

import argparse
import io
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

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
VISITS_FROM = date(2026, 3, 1)
VISITS_TO = date(2026, 6, 30)
N_COUNTIES = 100
LARGE, MEDIUM_PER_LARGE, SMALL_PER_COUNTY = 10, 10, 820
SITES_PER_COUNTY, DEPUTIES_PER_COUNTY = 540, 380
VISITS_PER_MONTH_BY_CLASS = {1: 3.6, 2: 2.3, 3: 1.2}
TARGET_PROVINCE_S = 2.0


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


def build_province(conn: psycopg.Connection, rng: np.random.Generator) -> Province:
    """Cells, sites, deputies and assignments of N_COUNTIES synthetic counties."""
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
                "valid_from": "2026-01-01",
                "valid_to": np.where(ended[assigned], "2026-04-15", None),
            }
        ),
    )
    return Province(len(grid), n_dep, int(assigned.sum()), site_class, deputy_of_site)


def add_visits(
    conn: psycopg.Connection,
    site_ids: np.ndarray,
    site_class: np.ndarray,
    deputy_of_site: np.ndarray,
    rng: np.random.Generator,
) -> int:
    """Visits from VISITS_FROM to VISITS_TO, Poisson per site and month by class; grouped into
    patrols of up to four visits by the same deputy on the same day, with their uploads."""
    days = (VISITS_TO - VISITS_FROM).days + 1
    rate = np.array([VISITS_PER_MONTH_BY_CLASS[int(c)] for c in site_class]) * days / 30.4
    rate[rng.random(len(site_ids)) < 0.05] = 0.0  # some sites nobody goes to
    n = rng.poisson(rate)
    site = np.repeat(site_ids, n)
    dep = np.repeat(deputy_of_site, n)
    day = rng.integers(0, days, len(site))
    order = np.lexsort((day, dep))
    site, dep, day = site[order], dep[order], day[order]
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
    )
    _copy(
        conn,
        "patrol",
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
    )
    flagged = p_ids[rng.random(n_patrols) < 0.02]
    _copy(
        conn,
        "patrol_flag",
        pd.DataFrame(
            {"patrol_id": offset + flagged, "code": "speed_spikes", "message": "bench flag"}
        ),
    )
    accepted = flagged[rng.random(len(flagged)) < 0.5]
    _copy(
        conn,
        "patrol_review",
        pd.DataFrame({"patrol_id": offset + accepted, "decision": "accept", "reason": "bench"}),
    )
    arrived = start[patrol_of - 1] + pd.to_timedelta((within % 4) * 25, unit="min")
    _copy(
        conn,
        "visit",
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
    )
    return len(site)


def coverage_month(engine: Engine, *, jit: bool = True) -> Callable[[], dict[str, float]]:
    """The coverage page's work for MONTH: site status, then the three grid levels; returns
    the seconds spent in each part. ``jit=False`` runs it with PostgreSQL's JIT off for the
    transaction: the visits query's cost estimate passes the JIT thresholds, and compiling
    then costs more than it saves (shown as a second, informative figure)."""
    from duty.coverage import cell_coverage, load_cells, month_bounds, site_period_status

    first, last = month_bounds(*MONTH)

    def run() -> dict[str, float]:
        t0 = time.perf_counter()
        with Session(engine) as s:
            if not jit:
                s.execute(text("SET LOCAL jit = off"))
            status = site_period_status(s, first, last, last + timedelta(days=1))
            t1 = time.perf_counter()
            cells = load_cells(s)
        t2 = time.perf_counter()
        for level in (1, 2, 3):
            cell_coverage(status, cells, level)
        t3 = time.perf_counter()
        return {"status": t1 - t0, "cells": t2 - t1, "rollup": t3 - t2, "total": t3 - t0}

    return run


def best_split(repeat: int, query: Callable[[], dict[str, float]]) -> dict[str, float]:
    """The run with the shortest total, with its parts."""
    return min((query() for _ in range(repeat)), key=lambda parts: parts["total"])


def _split(parts: dict[str, float]) -> str:
    return (
        f"status {parts['status']:.3f} s + cells {parts['cells']:.3f} s + "
        f"roll-up {parts['rollup']:.3f} s"
    )


def _analyze(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def run(args: argparse.Namespace) -> str:
    from data.demo import generate_demo
    from data.loader import load_demo

    base = server_url(args.database_url)
    rng = np.random.default_rng(11)
    r = args.repeat
    rows = []
    with scratch_database(base, "shuijian_bench_cov_demo") as engine:
        with Session(engine) as s:
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
                conn, sites["id"].to_numpy(), sites["cls"].to_numpy(), sites["dep"].to_numpy(), rng
            )
        _analyze(engine)
        with Session(engine) as s:
            counts = s.execute(
                text(
                    "SELECT (SELECT count(*) FROM grid_cell), (SELECT count(*) FROM site), "
                    "(SELECT count(*) FROM verified_visit)"
                )
            ).one()
        query = coverage_month(engine)
        query()  # warm the connection and caches once, as a running app would be
        demo = best_split(r, query)
        t_demo = demo["total"]
        rows.append(
            (
                f"demo county ({counts[0]:,} cells, {counts[1]:,} sites, {n_visits:,} visits, "
                f"{counts[2]:,} verified)",
                t_demo,
                _split(demo),
                "—",
                "—",
            )
        )
        print(f"demo county month: {t_demo:.3f} s", flush=True)

    with scratch_database(base, "shuijian_bench_cov_prov") as engine:
        t0 = time.perf_counter()
        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(url) as conn:
            built = build_province(conn, rng)
            n_sites = len(built.site_class)
            n_visits = add_visits(
                conn, np.arange(1, n_sites + 1), built.site_class, built.deputy_of_site, rng
            )
        _analyze(engine)
        t_build = time.perf_counter() - t0
        with Session(engine) as s:
            verified = s.scalar(text("SELECT count(*) FROM verified_visit"))
        print(f"province built in {t_build:.1f} s", flush=True)
        with_jit, without = coverage_month(engine), coverage_month(engine, jit=False)
        with_jit()
        runs = [(with_jit(), without()) for _ in range(r)]  # interleaved: same load for both
        prov = min((a for a, _ in runs), key=lambda parts: parts["total"])
        no_jit = min((b for _, b in runs), key=lambda parts: parts["total"])
        t_prov = prov["total"]
        print(f"province month: {t_prov:.3f} s", flush=True)
        print(f"province month, jit off: {no_jit['total']:.3f} s", flush=True)
        rows.append(
            (
                f"province, {N_COUNTIES} counties ({built.cells:,} cells, "
                f"{n_sites:,} sites, {built.deputies:,} deputies, "
                f"{n_visits:,} visits, {verified:,} verified)",
                t_prov,
                _split(prov),
                f"< {TARGET_PROVINCE_S:.0f} s",
                verdict(t_prov < TARGET_PROVINCE_S),
            )
        )
    rows.append(
        (
            "province, the same month with `SET LOCAL jit = off` (informative)",
            no_jit["total"],
            _split(no_jit),
            f"< {TARGET_PROVINCE_S:.0f} s",
            verdict(no_jit["total"] < TARGET_PROVINCE_S),
        )
    )
    lines = [
        f"- Date and machine: {machine_line()}",
        f"- Month: {MONTH[0]}-{MONTH[1]:02d}, as of the day after it ends; best of {r} runs each",
        "",
        "| data | month status + 3 levels | parts | target | result |",
        "|---|---:|---|---|---|",
    ]
    lines += [f"| {d} | {t:.3f} s | {sp} | {tg} | {v} |" for d, t, sp, tg, v in rows]
    lines += ["", f"- Province built by COPY and ANALYZEd in {t_build:.1f} s (not timed above)"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", help="server to create the scratch databases on")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results file (Markdown)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure; the best is kept")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, exit_on_term)
    body = run(args)
    write_section(args.out, "Coverage (bench/bench_coverage.py)", body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
