"""Many files in one transaction, a savepoint each: the batch path of uploads, on PostgreSQL."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import Engine, text

from db.database import session_scope
from tests.test_ingest import BAD_FILES, NOW, START, deputy, track_through
from tracks.batch import ingest_files
from tracks.ingest import GpxFile, IngestParams, ingest_gpx
from tracks.reading import parse_gpx
from tracks.synth import to_gpx_bytes

pytestmark = pytest.mark.clock

TABLES = ("gpx_upload", "patrol", "visit", "patrol_flag", "patrol_feature")
DAY = 86_400.0


def stored(engine: Engine) -> dict[str, list[tuple]]:
    """Every stored row that ingestion writes, by content (ids left out, order fixed)."""
    with engine.connect() as conn:
        return {
            "patrols": conn.execute(
                text(
                    "SELECT u.filename, p.deputy_id, p.n_points, p.n_kept, p.has_times, "
                    "p.distance_m, p.county_id, ST_AsEWKB(t.geom) FROM patrol p "
                    "JOIN gpx_upload u ON u.id = p.upload_id "
                    "LEFT JOIN patrol_track t ON t.patrol_id = p.id ORDER BY u.filename"
                )
            ).all(),
            "visits": conn.execute(
                text(
                    'SELECT u.filename, v.site_id, v.arrived, v."left", v.dwell_s, v.n_points, '
                    "v.is_assigned, v.county_id FROM visit v JOIN patrol p ON p.id = v.patrol_id "
                    "JOIN gpx_upload u ON u.id = p.upload_id ORDER BY 1, 2, 3"
                )
            ).all(),
            "flags": conn.execute(
                text(
                    "SELECT u.filename, f.code FROM patrol_flag f JOIN patrol p ON p.id = "
                    "f.patrol_id JOIN gpx_upload u ON u.id = p.upload_id ORDER BY 1, 2"
                )
            ).all(),
        }


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in TABLES}


def good_files(engine: Engine) -> list[GpxFile]:
    """Three deputies' patrols through one of their sites, and a second deputy's copy of the
    first track three days later (flagged only if the batch sees the first one's geometry)."""
    out = []
    first = None
    for i, code in enumerate(("D0001", "D0002", "D0003")):
        dep, site = deputy(engine, code)
        lon, lat, t = track_through(engine, site, seed=i + 1, start_s=START + i * DAY)
        first = first or (lon, lat, t)
        out.append(GpxFile(to_gpx_bytes(lon, lat, t, name=code), f"{i}-{code}.gpx", dep))
    lon, lat, t = first
    dep2, _ = deputy(engine, "D0002")
    out.append(GpxFile(to_gpx_bytes(lon, lat, t + 3 * DAY, name="copy"), "3-copy.gpx", dep2))
    return out


def test_a_bad_file_and_a_duplicate_are_refused_alone(demo_copy: Engine) -> None:
    good = good_files(demo_copy)
    dep, _ = deputy(demo_copy, "D0001")
    bomb, reason = BAD_FILES["entity bomb"]
    far = to_gpx_bytes(
        np.array([2.35, 2.36]), np.array([48.85, 48.86]), np.array([START, START + 60])
    )
    batch = [
        good[0],
        GpxFile(bomb, "bomb.gpx", dep),
        good[1],
        GpxFile(good[0].data, "again.gpx", dep),  # the same bytes as the first: a duplicate
        GpxFile(far, "paris.gpx", dep),  # refused after reading the database
        good[2],
        GpxFile(good[2].data, "other-deputy.gpx", 999_999),  # no such deputy
        good[3],
    ]
    verdicts = ingest_files(demo_copy, batch, params=IngestParams.from_settings(), now=NOW)
    assert [(v.filename, v.status, v.reason) for v in verdicts] == [
        (good[0].filename, "stored", None),
        ("bomb.gpx", "refused", reason),
        (good[1].filename, "stored", None),
        ("again.gpx", "duplicate", None),
        ("paris.gpx", "refused", "far_away"),
        (good[2].filename, "stored", None),
        ("other-deputy.gpx", "refused", "no_deputy"),
        (good[3].filename, "stored", None),
    ]
    assert verdicts[3].result.patrol_id == verdicts[0].result.patrol_id
    rows = stored(demo_copy)
    assert [r[0] for r in rows["patrols"]] == [f.filename for f in good]
    assert {r[0] for r in rows["visits"]} == {f.filename for f in good}
    # the copy within the batch is found as it would be across uploads
    assert {"duplicate_upload", "copied_shape"} & {c for f, c in rows["flags"] if f == "3-copy.gpx"}


def test_an_error_after_a_file_was_written_rolls_back_that_file_only(demo_copy: Engine) -> None:
    good = good_files(demo_copy)[:3]

    def fail_on_second(_session, result) -> None:
        if result.filename == good[1].filename:
            raise RuntimeError("a bug after the rows were written")

    verdicts = ingest_files(demo_copy, good, after=fail_on_second, now=NOW)
    assert [v.status for v in verdicts] == ["stored", "error", "stored"]
    assert verdicts[1].reason == "internal" and verdicts[1].error_id
    assert [r[0] for r in stored(demo_copy)["patrols"]] == [good[0].filename, good[2].filename]
    assert counts(demo_copy)["gpx_upload"] == 2


def test_the_batch_stores_what_file_by_file_ingestion_stores(demo_copy: Engine) -> None:
    files = good_files(demo_copy)
    for f in files:
        with session_scope(demo_copy) as s:
            ingest_gpx(s, f.data, f.filename, deputy_id=f.deputy_id, now=NOW)
    one_by_one = stored(demo_copy)
    assert len(one_by_one["visits"]) >= len(files)
    with demo_copy.begin() as conn:  # gpx_upload refuses TRUNCATE: the test superuser skips that
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} CASCADE"))
    # two transactions of three and one files: the last one checked against the first three
    verdicts = ingest_files(demo_copy, files, now=NOW, per_transaction=3)
    assert [v.status for v in verdicts] == ["stored"] * len(files)
    assert stored(demo_copy) == one_by_one


def test_the_copied_track_reads_back_point_for_point(demo_copy: Engine) -> None:
    dep, site = deputy(demo_copy, "D0001")
    lon, lat, t = track_through(demo_copy, site)
    data = to_gpx_bytes(lon, lat, t)
    cut = data.index(b"<trkpt", data.index(b"<trkpt") + len(data) // 2)
    data = data[:cut] + b"</trkseg><trkseg>" + data[cut:]  # two segments: two lines
    (verdict,) = ingest_files(demo_copy, [GpxFile(data, "two.gpx", dep)], now=NOW)
    parsed = parse_gpx(data)
    assert verdict.result.n_kept == parsed.n_points
    with demo_copy.connect() as conn:
        srid, kind, dims, lines = conn.execute(
            text(
                "SELECT ST_SRID(geom), GeometryType(geom), ST_CoordDim(geom), "
                "ST_NumGeometries(geom) FROM patrol_track"
            )
        ).one()
        points = np.array(
            conn.execute(
                text(
                    "SELECT ST_X(d.geom), ST_Y(d.geom), ST_M(d.geom) FROM patrol_track, "
                    "ST_DumpPoints(patrol_track.geom) d ORDER BY d.path"
                )
            ).all()
        )
    assert (srid, kind, dims, lines) == (4326, "MULTILINESTRINGM", 3, 2)
    np.testing.assert_array_equal(points[:, 0], parsed.lon)
    np.testing.assert_array_equal(points[:, 1], parsed.lat)
    np.testing.assert_array_equal(points[:, 2], parsed.t_s)
