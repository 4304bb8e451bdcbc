"""Ingestion benchmark: points per second for parse, clean, match and store on ≥ 1 M points.

Run by hand: ``python -m bench.bench_ingest [--database-url URL] [--out bench/RESULTS.md]``.
Builds the demo county in a scratch database (dropped at the end), writes a deterministic batch
of GPX patrol files that walk between its sites, and measures each stage over the same bytes,
next to a bare lxml iterparse of them (the ceiling any guarded parser has to live under). Every
figure is the best of ``--repeat`` runs: these machines are shared, and the best run is the one
least disturbed by other work.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import re
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psycopg
import shapely
from lxml import etree
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from core import clock

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "bench" / "RESULTS.md"
TYPICAL_POINTS = 5_000
START = np.datetime64("2026-05-04T00:30:00", "s")  # 08:30 in Asia/Shanghai


# --------------------------------------------------------------------- shared by both scripts


def server_url(given: str | None) -> str:
    """The server to use: ``--database-url``, else TEST_DATABASE_URL, else the local cluster."""
    from db.database import normalise_url

    url = given or os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_url(url)
    from db import cluster

    return cluster.up().url()


def _admin(base: str) -> psycopg.Connection:
    url = make_url(base).set(drivername="postgresql", database="postgres")
    return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)


@contextmanager
def scratch_database(base: str, prefix: str) -> Iterator[Engine]:
    """A fresh database migrated to head, dropped afterwards whatever happens."""
    from db import migrate

    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with _admin(base) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url, poolclass=NullPool)
    try:
        migrate.upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with _admin(base) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def machine_line() -> str:
    """Date, cores, Python, and the load average when the figures were taken: on a shared
    machine a load above nproc means the figures understate what the code does alone."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{clock.today().isoformat()}, nproc {os.cpu_count()}, Python {platform.python_version()}"
        f" ({platform.machine()}, {platform.system()}); load average at the end {load}"
    )


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def write_section(path: Path, title: str, body: str) -> None:
    """Replace this script's ``## title`` section of the results file (or append it), so the
    two benchmarks share one file and a rerun updates its own figures only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    section = f"## {title}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    if pattern.search(old):
        new = pattern.sub(lambda _m: section + "\n", old).rstrip() + "\n"
    else:
        new = old.rstrip() + "\n\n" + section
    path.write_text(new, encoding="utf-8")


# --------------------------------------------------------------------- the batch of files


@dataclass(frozen=True)
class BatchFile:
    name: str
    data: bytes
    deputy_id: int
    n_points: int


def gpx_bytes(lon: np.ndarray, lat: np.ndarray, t_s: np.ndarray, name: str) -> bytes:
    """A GPX 1.1 file written with numpy string operations (gpxpy's object per point would
    take longer than everything measured here)."""
    stamps = np.round(t_s).astype(np.int64).astype("datetime64[s]")
    times = np.char.add(stamps.astype(str), "Z</time></trkpt>\n")
    head = np.char.add(
        np.char.add('<trkpt lat="', np.char.mod("%.7f", lat)),
        np.char.add('" lon="', np.char.mod("%.7f", lon)),
    )
    body = np.char.add(np.char.add(head, '"><ele>'), np.char.mod("%.1f", 100 + (lat * 1e5) % 30))
    body = np.char.add(np.char.add(body, "</ele><time>"), times)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx xmlns="http://www.topografix.com/GPX/1/1" version="1.1" creator="bench">\n'
        f"<trk><name>{name}</name><trkseg>\n" + "".join(body.tolist()) + "</trkseg></trk>\n</gpx>\n"
    ).encode()


def make_batch(session: Session, n_files: int, seed: int = 7) -> list[BatchFile]:
    """``n_files`` patrols of TYPICAL_POINTS points each: a deputy walks from one of their sites
    to the next nearest ones, staying 4–6 min at each, on a different morning per file."""
    from geo import crs
    from tracks.synth import walk

    epsg = crs.metric_epsg()
    rows = session.execute(
        text(
            "SELECT a.deputy_id, ST_X(p), ST_Y(p) FROM ("
            "  SELECT DISTINCT ON (s.id) a.deputy_id, ST_Transform(ST_PointOnSurface(s.geom), :e) p"
            "  FROM site s JOIN assignment a ON a.site_id = s.id ORDER BY s.id, a.valid_from"
            ") a ORDER BY 1"
        ),
        {"e": epsg},
    ).all()
    deputies = np.array([r[0] for r in rows])
    xy = np.array([[r[1], r[2]] for r in rows])
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_files):
        start = int(rng.integers(len(xy)))
        order = np.argsort(np.hypot(*(xy - xy[start]).T))[:12]
        stops = xy[order]
        day = START + np.timedelta64(int(i), "D")
        x, y, t = walk(
            stops,
            float(day.astype(np.int64)),
            dwell_s_at=rng.uniform(240, 360, len(stops)),
            sample_s=2.0,
            rng=rng,
        )
        while len(x) < TYPICAL_POINTS:  # walk back the same way until the file is full
            x2, y2, t2 = walk(stops[::-1], float(t[-1] + 2), sample_s=2.0, rng=rng)
            x, y, t = np.r_[x, x2], np.r_[y, y2], np.r_[t, t2]
        x, y, t = x[:TYPICAL_POINTS], y[:TYPICAL_POINTS], t[:TYPICAL_POINTS]
        lon, lat = crs.metric_to_lonlat(x, y, epsg)
        name = f"bench-{i:04d}"
        data = gpx_bytes(lon, lat, t, name)
        out.append(BatchFile(f"{name}.gpx", data, int(deputies[start]), len(x)))
    return out


# --------------------------------------------------------------------- the stages


def bare_iterparse(data: bytes) -> int:
    """What lxml alone costs: iterate the <trkpt> elements, read lat/lon/time, free them."""
    n = 0
    for _event, el in etree.iterparse(
        io.BytesIO(data), events=("end",), tag="{*}trkpt", resolve_entities=False, no_network=True
    ):
        el.get("lat")
        el.get("lon")
        for child in el:
            if child.tag.endswith("time"):
                child.text  # noqa: B018 - reading the text is the point
        n += 1
        el.clear()
        while el.getprevious() is not None:
            del el.getparent()[0]
    return n


def _outline(session: Session, epsg: int) -> shapely.Geometry | None:
    wkb = session.scalar(
        text("SELECT ST_AsBinary(ST_Transform(ST_Union(geom), :e)) FROM county"), {"e": epsg}
    )
    if wkb is None:
        return None
    outline = shapely.from_wkb(bytes(wkb))
    shapely.prepare(outline)
    return outline


def run(args: argparse.Namespace) -> str:
    from data.demo import generate_demo
    from data.loader import load_demo
    from tracks.batch import FILES_PER_TRANSACTION, ingest_files
    from tracks.cleaning import clean_track, zero_island_mask
    from tracks.ingest import GpxFile, IngestParams, ingest_gpx
    from tracks.reading import parse_gpx
    from tracks.visits import detect_visits

    base = server_url(args.database_url)
    n_files = -(-args.points // TYPICAL_POINTS)
    with scratch_database(base, "shuijian_bench_ingest") as engine:
        with Session(engine) as s:
            load_demo(s, generate_demo(), "bench demo")
            s.commit()
        params = IngestParams.from_settings()
        params = IngestParams(**{**params.__dict__, "max_bytes": 10**9})
        with Session(engine) as s:
            t0 = time.perf_counter()
            batch = make_batch(s, n_files + 3)
            print(f"built {len(batch)} files in {time.perf_counter() - t0:.1f} s", flush=True)
            outline = _outline(s, params.metric_epsg)
            site_rows = s.execute(
                text("SELECT id, ST_AsBinary(ST_Transform(geom, :e)) FROM site"),
                {"e": params.metric_epsg},
            ).all()
        typical, batch = batch[:3], batch[3:]
        total = sum(f.n_points for f in batch)
        mb = sum(len(f.data) for f in batch) / 1e6
        site_ids = np.array([r[0] for r in site_rows])
        site_geoms = shapely.from_wkb([bytes(r[1]) for r in site_rows])
        tree = shapely.STRtree(site_geoms)
        from geo import crs

        parsed: list = []
        cleaned: list[tuple[np.ndarray, ...]] = []
        found_visits = [0, 0, 0]  # matched, stored file by file, stored in batches

        def bare_all() -> None:
            for f in batch:
                bare_iterparse(f.data)

        def parse_all() -> None:
            parsed[:] = [parse_gpx(f.data, max_bytes=params.max_bytes) for f in batch]

        def clean_all() -> None:
            cleaned.clear()
            for p in parsed:
                zero = zero_island_mask(p.lon, p.lat)
                x, y = crs.lonlat_to_metric(p.lon[~zero], p.lat[~zero], params.metric_epsg)
                t_s = p.t_s[~zero]
                c = clean_track(
                    x,
                    y,
                    t_s,
                    p.segment[~zero],
                    outline_metric=outline,
                    max_speed_ms=params.max_speed_ms,
                    margin_m=params.margin_m,
                    gap_split_s=params.gap_split_s,
                    stay_radius_m=params.stay_radius_m,
                )
                cleaned.append((x[c.kept], y[c.kept], t_s[c.kept], c.segment))

        def match_all() -> None:
            found_visits[0] = 0
            for x, y, t_s, seg in cleaned:
                found = detect_visits(
                    x,
                    y,
                    t_s,
                    seg,
                    site_geoms,
                    site_ids,
                    distance_m=params.distance_m,
                    min_dwell_s=params.min_dwell_s,
                    tree=tree,
                )
                found_visits[0] += len(found)

        def wipe() -> None:
            with engine.begin() as conn:
                # gpx_upload refuses TRUNCATE (append-only); the bench's superuser skips that
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                conn.execute(
                    text(
                        "TRUNCATE gpx_upload, patrol, patrol_track, visit, patrol_flag, "
                        "patrol_feature CASCADE"
                    )
                )

        def store_all() -> None:
            found_visits[1] = 0
            with Session(engine) as s:
                for f in batch:
                    res = ingest_gpx(s, f.data, f.name, deputy_id=f.deputy_id, params=params)
                    s.commit()
                    found_visits[1] += len(res.visits)

        paired: list[tuple[float, float]] = []  # per run: (bare, batch) seconds, interleaved

        def batch_all() -> None:
            # Each transaction's files parsed bare just before they are ingested: on a shared
            # machine a change of load then hits both sides of the ratio alike.
            found_visits[2] = 0
            t_bare = t_batch = 0.0
            for i in range(0, len(batch), FILES_PER_TRANSACTION):
                part = batch[i : i + FILES_PER_TRANSACTION]
                t0 = time.perf_counter()
                for f in part:
                    bare_iterparse(f.data)
                t1 = time.perf_counter()
                files = [GpxFile(f.data, f.name, f.deputy_id) for f in part]
                for v in ingest_files(engine, files, params=params):
                    assert v.status == "stored", v.message
                    found_visits[2] += len(v.result.visits)
                t_bare += t1 - t0
                t_batch += time.perf_counter() - t1
            paired.append((t_bare, t_batch))

        # Stages interleaved within each run, so a burst of load from other work hits one run
        # of every stage rather than all runs of one; the best run of each stage is kept.
        stages = {
            "bare": bare_all,
            "parse": parse_all,
            "clean": clean_all,
            "match": match_all,
            "store": store_all,  # ingest_gpx end to end, commit per file
            "batch": batch_all,  # ingest_files end to end, a savepoint per file
        }
        storing = {"store", "batch"}
        best = dict.fromkeys(stages, float("inf"))
        r = args.repeat
        for i in range(r):
            for stage, fn in stages.items():
                if stage in storing:
                    wipe()
                t0 = time.perf_counter()
                fn()
                took = paired[-1][1] if stage == "batch" else time.perf_counter() - t0
                best[stage] = min(best[stage], took)
                print(f"run {i + 1}: {stage} {total / best[stage]:,.0f} points/s", flush=True)
        t_bare, t_parse, t_clean, t_match, t_store, t_batch = (best[k] for k in stages)
        n_visits = found_visits[0]
        stored_visits = found_visits[1]
        batch_visits = found_visits[2]
        wipe()
        memory = batch_memory(engine, batch, params.max_bytes)

        typical_times = []
        typical_visits = 0
        for f in typical:
            wipe()
            with Session(engine) as s:
                t0 = time.perf_counter()
                res = ingest_gpx(s, f.data, f.name, deputy_id=f.deputy_id, params=params)
                s.commit()
                typical_times.append(time.perf_counter() - t0)
                typical_visits = len(res.visits)
        wipe()
    t_typ = min(typical_times)
    third = total / t_bare / 3
    rows = [
        ("bare lxml iterparse (reference)", total / t_bare, "—", ""),
        ("parse (`parse_gpx`)", total / t_parse, "≥ 150,000 points/s", total / t_parse >= 150_000),
        ("clean (project + `clean_track`)", total / t_clean, "—", ""),
        ("match (`detect_visits`, all sites)", total / t_match, "—", ""),
        (
            "store (`ingest_gpx` end to end, commit per file)",
            total / t_store,
            f"≥ 1/3 of bare parse = {third:,.0f} points/s",
            total / t_store >= third,
        ),
        (
            f"batch (`ingest_files` end to end, {FILES_PER_TRANSACTION} files a transaction, "
            "a savepoint each, COPY)",
            total / t_batch,
            f"≥ 1/3 of bare parse = {third:,.0f} points/s",
            total / t_batch >= third,
        ),
    ]
    ratios = sorted(b / e for b, e in paired)
    ratio = ratios[len(ratios) // 2]
    # the process's own footprint once, and what the batch added above it scaled to 1 M points
    per_million = memory["base_mb"] + (memory["peak_mb"] - memory["base_mb"]) * 1e6 / total
    lines = [
        f"- Date and machine: {machine_line()}",
        f"- Batch: {len(batch)} files × {TYPICAL_POINTS:,} points = {total:,} points "
        f"({mb:,.0f} MB of GPX 1.1 with ele and time), walking between the demo county's "
        f"sites; {n_visits:,} visits found, {stored_visits:,} stored file by file, "
        f"{batch_visits:,} in batches; best of {r} runs each",
        "",
        "| stage | points/s | target | result |",
        "|---|---:|---|---|",
    ]
    for label, rate, target, ok in rows:
        lines.append(f"| {label} | {rate:,.0f} | {target} | {verdict(ok) if ok != '' else '—'} |")
    lines += [
        "",
        f"- Typical patrol file ({TYPICAL_POINTS:,} points, {typical_visits} visits) from bytes "
        f"to stored visits (`ingest_gpx` + commit): {t_typ:.3f} s (best of {len(typical_times)}); "
        f"target < 1 s: {verdict(t_typ < 1.0)}",
        f"- Parse vs bare iterparse: {t_bare / t_parse:.2f}×; end to end vs bare (best of "
        f"each): {t_bare / t_batch:.2f}× in batches, {t_bare / t_store:.2f}× file by file",
        f"- Batch vs bare, paired (each transaction's files parsed bare just before they are "
        f"ingested, so a change of load hits both): median {ratio:.2f}× over {len(ratios)} "
        f"runs ({', '.join(f'{x:.2f}' for x in ratios)}); target ≥ 0.33: {verdict(ratio >= 1 / 3)}",
        f"- Peak memory of the batch in a fresh process (`VmHWM`, reading the files from disk "
        f"as the batch goes): {memory['peak_mb']:,.0f} MB, of which {memory['base_mb']:,.0f} MB "
        f"before the first file (Python, numpy, lxml, SQLAlchemy imported and connected); "
        f"for a million points {per_million:,.0f} MB; target < 1,024 MB: "
        f"{verdict(per_million < 1024)}",
    ]
    return "\n".join(lines)


def batch_memory(engine: Engine, batch: list[BatchFile], max_bytes: int) -> dict[str, float]:
    """Peak resident memory (``VmHWM``) of a fresh process ingesting the batch with
    ``ingest_files``, the files read from disk as it goes (as ``shuijian ingest`` does).
    tracemalloc would miss numpy's and lxml's own allocations; the kernel counts them."""
    import json
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="shuijian_bench_") as tmp:
        listing = []
        for f in batch:
            path = Path(tmp) / f.name
            path.write_bytes(f.data)
            listing.append([str(path), f.deputy_id])
        (Path(tmp) / "files.json").write_text(json.dumps(listing))
        url = engine.url.render_as_string(hide_password=False)
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.bench_ingest",
                "--memory-child",
                tmp,
                url,
                str(max_bytes),
            ],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _vm_kb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return float(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def memory_child(tmp: str, url: str, max_bytes: int) -> None:
    """The child of :func:`batch_memory`: ingest the listed files, print the peak as JSON."""
    import json

    from sqlalchemy.pool import NullPool

    from tracks.batch import ingest_files
    from tracks.ingest import GpxFile, IngestParams

    params = IngestParams.from_settings()
    params = IngestParams(**{**params.__dict__, "max_bytes": max_bytes})
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:  # connected and PostGIS loaded before the baseline
        conn.execute(text("SELECT postgis_version()"))
    listing = json.loads((Path(tmp) / "files.json").read_text())
    base = _vm_kb("VmRSS")
    files = (GpxFile(Path(p).read_bytes(), Path(p).name, d) for p, d in listing)
    verdicts = ingest_files(engine, files, params=params)
    assert all(v.status == "stored" for v in verdicts), [v.message for v in verdicts][:3]
    print(json.dumps({"base_mb": base / 1024, "peak_mb": _vm_kb("VmHWM") / 1024}))


def exit_on_term(_signum: int, _frame: object) -> None:
    """Turn SIGTERM into SystemExit so the scratch database is still dropped."""
    raise SystemExit(143)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", help="server to create the scratch database on")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="results file (Markdown)")
    ap.add_argument("--points", type=int, default=1_000_000, help="points in the batch")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure; the best is kept")
    ap.add_argument("--memory-child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.memory_child:
        tmp, url, max_bytes = args.memory_child
        memory_child(tmp, url, int(max_bytes))
        return 0
    signal.signal(signal.SIGTERM, exit_on_term)
    body = run(args)
    write_section(args.out, "Ingestion (bench/bench_ingest.py)", body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
