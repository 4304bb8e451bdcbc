"""GPX upload to verified visits on the demo county, through the real database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import shapely
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from accounts.auth import SignedIn
from core import clock
from core.errors import PermissionDenied
from db.database import session_scope
from geo import crs
from tracks.gpx_input import GpxRefused
from tracks.ingest import ingest_gpx
from tracks.review import ReviewRefused, review_patrol
from tracks.synth import to_gpx_bytes, walk

# Reads today's date: run again under each frozen date (tests/clock.py).
pytestmark = pytest.mark.clock

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
START = datetime(2026, 11, 10, 1, 0, tzinfo=UTC).timestamp()  # 09:00 in Shanghai
TABLES = ("gpx_upload", "patrol", "visit", "patrol_flag", "patrol_feature")


def deputy(engine: Engine, code: str) -> tuple[int, int]:
    """(deputy id, id of one site assigned to it)."""
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT d.id, min(a.site_id) FROM deputy d JOIN assignment a ON a.deputy_id = d.id "
                "WHERE d.code = :c GROUP BY d.id"
            ),
            {"c": code},
        ).one()


def signed_in(engine: Engine, username: str) -> SignedIn:
    with engine.connect() as conn:
        uid, role, dep = conn.execute(
            text("SELECT id, role, deputy_id FROM app_user WHERE username = :u"), {"u": username}
        ).one()
    return SignedIn(uid, username, role, dep, username)


def track_through(
    engine: Engine,
    site_id: int,
    *,
    dwell_s: float = 360,
    offset_m: float = 0,
    seed: int = 1,
    start_s: float = START,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A walk from 800 m west of the site, a stay at it, and on 800 m east (lon, lat, t)."""
    with engine.connect() as conn:
        wkb = conn.scalar(
            text("SELECT ST_AsBinary(ST_Transform(geom, :e)) FROM site WHERE id = :s"),
            {"e": crs.metric_epsg(), "s": site_id},
        )
    geom = shapely.from_wkb(bytes(wkb))
    c = geom.centroid
    north = geom.bounds[3] - c.y + offset_m if offset_m else 0.0
    points = [(c.x - 800, c.y + north), (c.x, c.y + north), (c.x + 800, c.y + north)]
    x, y, t = walk(points, start_s, dwell_s_at={1: dwell_s}, sample_s=5, noise_m=2, rng=seed)
    lon, lat = crs.metric_to_lonlat(x, y)
    return lon, lat, t


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.scalar(text(f"SELECT count(*) FROM {t}")) for t in TABLES}


def ingest(engine: Engine, data: bytes, name: str, deputy_id: int, **kw):
    """Ingest as uploaded at NOW (a fixed moment), unless the test gives its own ``now``."""
    kw.setdefault("now", NOW)
    with session_scope(engine) as s:
        return ingest_gpx(s, data, name, deputy_id=deputy_id, **kw)


def test_upload_proves_a_visit_to_an_assigned_site(demo_copy: Engine) -> None:
    dep, site = deputy(demo_copy, "D0001")
    lon, lat, t = track_through(demo_copy, site)
    data = to_gpx_bytes(lon, lat, t, name="巡查 11月10日")
    result = ingest(demo_copy, data, "patrol.gpx", dep, uploader=signed_in(demo_copy, "d0001"))
    assert not result.duplicate and not result.flags
    visit = result.visits[result.visits.site_id == site].iloc[0]
    assert visit.is_assigned
    assert 360 <= visit.dwell_s < 600
    with demo_copy.connect() as conn:
        row = conn.execute(
            text("SELECT visit_date, deputy_id FROM verified_visit WHERE site_id = :s"),
            {"s": site},
        ).one()
        assert row == (date(2026, 11, 10), dep)
        # the track is stored with its times as M values, the original file byte for byte
        m0, npts, on_behalf = conn.execute(
            text(
                "SELECT ST_M(ST_PointN(ST_GeometryN(t.geom, 1), 1)), ST_NPoints(t.geom), "
                "p.on_behalf FROM patrol p JOIN patrol_track t ON t.patrol_id = p.id "
                "WHERE p.id = :p"
            ),
            {"p": result.patrol_id},
        ).one()
        assert m0 == pytest.approx(t[0]) and npts == result.n_kept and not on_behalf
        stored = conn.scalar(text("SELECT content FROM gpx_upload"))
        assert bytes(stored) == data

    again = ingest(demo_copy, data, "patrol-copy.gpx", dep)
    assert again.duplicate and again.patrol_id == result.patrol_id
    assert "nothing changed" in again.summary()
    assert counts(demo_copy)["patrol"] == 1


def test_passing_by_at_d_plus_10_is_no_visit(demo_copy: Engine) -> None:
    dep, site = deputy(demo_copy, "D0002")
    lon, lat, t = track_through(demo_copy, site, dwell_s=0, offset_m=60)
    result = ingest(demo_copy, to_gpx_bytes(lon, lat, t), "by.gpx", dep)
    assert site not in set(result.visits.site_id)


def test_gcj02_declared_file_is_converted(demo_copy: Engine) -> None:
    dep, site = deputy(demo_copy, "D0003")
    lon, lat, t = track_through(demo_copy, site)
    g_lon, g_lat = crs.wgs84_to_gcj02(lon, lat)
    undeclared = ingest(demo_copy, to_gpx_bytes(g_lon, g_lat, t, name="a"), "a.gpx", dep)
    assert site not in set(undeclared.visits.site_id)  # ~500 m off without conversion
    declared = ingest(demo_copy, to_gpx_bytes(g_lon, g_lat, t, name="b"), "b.gpx", dep, gcj02=True)
    assert site in set(declared.visits.site_id)
    with demo_copy.connect() as conn:
        assert (
            conn.scalar(text("SELECT declared_crs FROM gpx_upload WHERE filename = 'b.gpx'"))
            == "gcj02"
        )


def test_rights_and_on_behalf(demo_copy: Engine) -> None:
    dep1, site = deputy(demo_copy, "D0001")
    data = to_gpx_bytes(*track_through(demo_copy, site))
    with pytest.raises(PermissionDenied, match="only as themselves"):
        ingest(demo_copy, data, "x.gpx", dep1, uploader=signed_in(demo_copy, "d0002"))
    with pytest.raises(PermissionDenied, match="may not upload"):
        ingest(demo_copy, data, "x.gpx", dep1, uploader=signed_in(demo_copy, "leader"))
    analyst = signed_in(demo_copy, "analyst")
    result = ingest(demo_copy, data, "x.gpx", dep1, uploader=analyst)
    with demo_copy.connect() as conn:
        assert conn.execute(
            text("SELECT on_behalf, uploaded_by FROM patrol WHERE id = :p"),
            {"p": result.patrol_id},
        ).one() == (True, analyst.user_id)


BAD_FILES = {
    "entity bomb": (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
        b'"&lol;&lol;&lol;">]><gpx>&lol2;</gpx>',
        "doctype",
    ),
    "not xml": (b"\x89PNG\r\n\x1a\n....", "not_xml"),
    "malformed": (b'<?xml version="1.0"?><gpx version="1.1"><trk><trkseg>', "not_xml"),
    "empty": (b"", "empty"),
    "waypoints only": (
        b'<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">'
        b'<wpt lat="28.9" lon="118.5"><name>p</name></wpt></gpx>',
        "no_points",
    ),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_refused_files_lose_nothing(demo_copy: Engine, case: str) -> None:
    dep, site = deputy(demo_copy, "D0001")
    ingest(demo_copy, to_gpx_bytes(*track_through(demo_copy, site)), "good.gpx", dep)
    before = counts(demo_copy)
    data, reason = BAD_FILES[case]
    with pytest.raises(GpxRefused) as info:
        ingest(demo_copy, data, "bad.gpx", dep)
    assert info.value.reason == reason and "refused" in str(info.value)
    assert counts(demo_copy) == before


def test_file_without_times_is_kept_but_proves_nothing(demo_copy: Engine) -> None:
    dep, site = deputy(demo_copy, "D0001")
    lon, lat, _ = track_through(demo_copy, site)
    result = ingest(demo_copy, to_gpx_bytes(lon, lat, None), "notime.gpx", dep)
    assert result.visits.empty
    assert {f.code for f in result.flags} == {"no_times"}
    assert "cannot prove a visit" in result.notes[0]
    with demo_copy.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM verified_visit")) == 0


def test_copies_and_teleports_are_flagged_and_count_only_once_accepted(demo_copy: Engine) -> None:
    dep1, site = deputy(demo_copy, "D0001")
    dep2, _ = deputy(demo_copy, "D0002")
    lon, lat, t = track_through(demo_copy, site)
    ingest(demo_copy, to_gpx_bytes(lon, lat, t, name="orig"), "orig.gpx", dep1)
    copy = ingest(demo_copy, to_gpx_bytes(lon, lat, t + 86400 * 3, name="copy"), "c.gpx", dep2)
    assert {"duplicate_upload", "copied_shape"} & {f.code for f in copy.flags}

    jumpy_lon, jumpy_lat = lon.copy(), lat.copy()
    jumpy_lon[len(lon) // 3 :] += 0.2  # 20 km away in one step, and staying there
    jump = ingest(demo_copy, to_gpx_bytes(jumpy_lon, jumpy_lat, t + 86400 * 5), "j.gpx", dep1)
    assert "impossible_jump" in {f.code for f in jump.flags}

    def verified(patrol_id: int) -> int:
        with demo_copy.connect() as conn:
            return conn.scalar(
                text("SELECT count(*) FROM verified_visit WHERE patrol_id = :p"), {"p": patrol_id}
            )

    assert verified(copy.patrol_id) == 0
    analyst = signed_in(demo_copy, "analyst")
    with session_scope(demo_copy) as s:
        review_patrol(s, copy.patrol_id, "accept", "代表确认同行巡查", analyst.user_id, "analyst")
    assert verified(copy.patrol_id) >= 1
    with session_scope(demo_copy) as s:
        review_patrol(s, copy.patrol_id, "reject", "复核为复制轨迹", analyst.user_id, "analyst")
    assert verified(copy.patrol_id) == 0  # the latest review decides; both are kept
    with demo_copy.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM patrol_review")) == 2
    with pytest.raises(ReviewRefused, match="needs a reason"), Session(demo_copy) as s:
        review_patrol(s, copy.patrol_id, "accept", "  ", analyst.user_id, "analyst")
    with pytest.raises(PermissionDenied), Session(demo_copy) as s:
        review_patrol(s, copy.patrol_id, "accept", "ok", analyst.user_id, "leader")


def test_cli_ingest_reports_each_file(demo_copy: Engine, tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from cli.main import app
    from db import database

    dep, site = deputy(demo_copy, "D0001")
    recent = (clock.now() - timedelta(days=2)).timestamp()
    good = tmp_path / "good.gpx"
    good.write_bytes(to_gpx_bytes(*track_through(demo_copy, site, start_s=recent)))
    bad = tmp_path / "bad.gpx"
    bad.write_bytes(BAD_FILES["entity bomb"][0])
    monkeypatch.setenv("DATABASE_URL", demo_copy.url.render_as_string(hide_password=False))
    database.get_engine.cache_clear()
    try:
        result = CliRunner().invoke(app, ["ingest", str(bad), str(good), "--deputy", "D0001"])
    finally:
        database.get_engine.cache_clear()
    assert result.exit_code == 1
    assert "bad.gpx" in result.output and "DOCTYPE" in result.output
    assert "good.gpx: patrol #" in result.output and "verified" in result.output
