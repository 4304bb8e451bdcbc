"""The public archive (公示): what leaves the database for anyone to see, and the page itself.

The page is open without signing in, so these tests check the privacy promises on real demo
patrols: no deputy contact anywhere, no track nearer than HIDDEN_M to its true start or end,
short tracks dropped, flagged patrols absent until accepted.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import streamlit as st
from sqlalchemy import Engine, text
from streamlit.testing.v1 import AppTest

import i18n
from accounts.auth import SignedIn
from archive import privacy, public
from core import clock
from data.demo_tracks import add_demo_patrols
from geo import crs
from ui import session
from ui.page import PUBLIC, PUBLIC_REPORT, pages_for

# Reads today's date, but the calendar's edges are the date rules' own tests': run again under the
# first two frozen dates only (tests/clock.py).
pytestmark = pytest.mark.clock_sample

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
PAGE = str(ROOT / "views" / "public.py")
TIMEOUT = 90
TOLERANCE_M = 1.0
LEADER = SignedIn(2, "leader", "leader", None, "人大常委会领导")
DEPUTY_COLUMNS = {"contact", "home", "deputy_id", "deputy_code", "code", "phone"}


def with_patrols(engine: Engine, limit: int = 24) -> tuple[date, date]:
    """Ingest the last complete month of demo patrols of some deputies; that local month.
    (The current month may be a day old: on the 1st it holds no patrol at all.) Enough
    deputies that some tracks reach beyond their privacy zones: demo sites lie a median 800 m
    from home, so about half the tracks stay wholly inside a zone and are not drawn."""
    until = clock.today().replace(day=1) - timedelta(days=1)
    summary = add_demo_patrols(engine, 2026, until, months=1, limit=limit)
    assert summary.files > 0
    return public.month_period(until.year, until.month)


def phones(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        found = [
            str(c) for c in conn.scalars(text("SELECT contact FROM deputy WHERE contact <> ''"))
        ]
    assert len(found) > 300
    return found


def deputy_codes(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [str(c) for c in conn.scalars(text("SELECT code FROM deputy"))]


def assert_no_phone(values: list[str], numbers: list[str]) -> None:
    """No value holds a phone number, written plainly or split by spaces or dashes."""
    digits = {re.sub(r"\D", "", n) for n in numbers}
    for value in values:
        joined = re.sub(r"[\s\-–]", "", value)
        for number in numbers:
            assert number not in value, f"contact {number} in {value[:80]!r}"
        for d in digits:
            assert d not in joined, f"contact digits {d} in {value[:80]!r}"


def strings_of(frame: pd.DataFrame) -> list[str]:
    """Every value of every non-geometry column as text (dates and numbers included)."""
    columns = [c for c in frame.columns if not isinstance(frame[c], gpd.GeoSeries)]
    return [str(v) for c in columns for v in frame[c].tolist()]


def stored_ends(engine: Engine, patrol_ids: list[int]) -> dict[int, tuple[shapely.Point, ...]]:
    """The true first and last point of each stored track, in the metric CRS."""
    sql = """
        SELECT p.id,
               ST_AsBinary(ST_Force2D(ST_Transform(ST_StartPoint(ST_GeometryN(t.geom, 1)), :e)))
                   AS first,
               ST_AsBinary(ST_Force2D(ST_Transform(
                   ST_EndPoint(ST_GeometryN(t.geom, ST_NumGeometries(t.geom))), :e))) AS last
        FROM patrol p JOIN patrol_track t ON t.patrol_id = p.id WHERE p.id = ANY(:ids)
    """
    with engine.connect() as conn:
        rows = conn.execute(text(sql), {"e": crs.metric_epsg(), "ids": patrol_ids}).all()
    return {
        int(r.id): (shapely.from_wkb(bytes(r.first)), shapely.from_wkb(bytes(r.last))) for r in rows
    }


def counting_lengths(engine: Engine) -> dict[int, float]:
    """Metric length of every counting patrol's stored track."""
    sql = """
        SELECT p.id, ST_Length(ST_Transform(ST_Force2D(t.geom), :e)) AS m
        FROM patrol p JOIN patrol_state ps ON ps.patrol_id = p.id
        JOIN patrol_track t ON t.patrol_id = p.id
        WHERE ps.counts
    """
    with engine.connect() as conn:
        return {int(r.id): float(r.m) for r in conn.execute(text(sql), {"e": crs.metric_epsg()})}


def zones_by_patrol(engine: Engine) -> dict[int, list[tuple[shapely.Point, float]]]:
    """Every counting patrol's deputy's privacy zones (centre in the metric CRS, radius)."""
    sql = f"""
        SELECT p.id, ST_AsBinary(z.centre) AS centre, z.radius_m
        FROM patrol p JOIN ({privacy.zone_centres_sql()}) z ON z.deputy_id = p.deputy_id
    """
    found: dict[int, list[tuple[shapely.Point, float]]] = {}
    with engine.connect() as conn:
        for r in conn.execute(text(sql), {"epsg": crs.metric_epsg()}):
            found.setdefault(int(r.id), []).append(
                (shapely.from_wkb(bytes(r.centre)), float(r.radius_m))
            )
    return found


def reaching_out(engine: Engine, beyond_m: float) -> set[int]:
    """Counting patrols with more than `beyond_m` of stored track 100 m or more outside every
    zone of their deputy: these must be drawn."""
    sql = f"""
        WITH zones AS (
            SELECT z.deputy_id, ST_Union(ST_Buffer(z.centre, z.radius_m + 100)) AS g
            FROM ({privacy.zone_centres_sql()}) z GROUP BY z.deputy_id
        )
        SELECT p.id FROM patrol p JOIN patrol_state ps ON ps.patrol_id = p.id
        JOIN patrol_track t ON t.patrol_id = p.id
        LEFT JOIN zones z ON z.deputy_id = p.deputy_id
        WHERE ps.counts AND ST_Length(ST_Difference(
            ST_Transform(ST_Force2D(t.geom), :epsg),
            COALESCE(z.g, ST_SetSRID('POLYGON EMPTY'::geometry, :epsg)))) > :m
    """
    with engine.connect() as conn:
        return {int(i) for i in conn.scalars(text(sql), {"epsg": crs.metric_epsg(), "m": beyond_m})}


def cut_track(engine: Engine, patrol_id: int, metres: float) -> None:
    """Replace a stored track by its first `metres` (M values kept, as uploads store them)."""
    sql = """
        UPDATE patrol_track SET geom = ST_Multi(ST_Transform(ST_LineSubstring(
            ST_Transform(ST_GeometryN(geom, 1), :e), 0,
            :m / ST_Length(ST_Transform(ST_GeometryN(geom, 1), :e))), 4326))
        WHERE patrol_id = :p
    """
    with engine.begin() as conn:
        conn.execute(text(sql), {"e": crs.metric_epsg(), "m": metres, "p": patrol_id})


# --------------------------------------------------------------------------- the service


def test_nothing_returned_holds_a_contact_or_a_deputy_code(demo_copy: Engine) -> None:
    start, end = with_patrols(demo_copy)
    patrols = public.public_patrols(demo_copy, start, end)
    tracks = public.public_tracks(demo_copy, start, end)
    sites = public.public_sites(demo_copy, start, end)
    assert len(patrols) >= 5 and len(tracks) >= 5 and len(sites) >= 1
    for frame in (patrols, tracks, sites):
        assert not DEPUTY_COLUMNS & set(frame.columns)
    numbers = phones(demo_copy)
    values = strings_of(patrols) + strings_of(tracks) + strings_of(sites)
    values += [g.wkt for g in tracks.geometry]
    assert_no_phone(values, numbers)
    codes = set(deputy_codes(demo_copy))
    assert not codes & set(values)
    assert not any(code in v for v in strings_of(patrols) for code in codes)
    # What is published is what the page promises: name, level, township, day, sites.
    assert set(patrols.columns) == set(public.PATROL_COLUMNS)
    assert (patrols["site_count"] >= 1).all()
    assert patrols["township"].notna().all()
    assert (patrols["duration_min"] > 0).all() and (patrols["distance_km"] > 0).all()


def test_no_track_comes_near_its_true_start_or_end(demo_copy: Engine) -> None:
    start, end = with_patrols(demo_copy)
    tracks = public.public_tracks(demo_copy, start, end)
    assert len(tracks) >= 5
    assert not any(shapely.has_m(g) or shapely.has_z(g) for g in tracks.geometry)
    ends = stored_ends(demo_copy, [int(i) for i in tracks["patrol_no"]])
    zones = zones_by_patrol(demo_copy)
    metric = tracks.to_crs(crs.metric_epsg())
    lengths = counting_lengths(demo_copy)
    for patrol_no, geom in zip(metric["patrol_no"], metric.geometry, strict=True):
        first, last = ends[int(patrol_no)]
        assert geom.distance(first) >= public.HIDDEN_M - TOLERANCE_M, patrol_no
        assert geom.distance(last) >= public.HIDDEN_M - TOLERANCE_M, patrol_no
        # Nothing inside a privacy zone of the deputy (the home's, drawn on first publishing).
        assert zones[int(patrol_no)], patrol_no
        for centre, radius in zones[int(patrol_no)]:
            assert geom.distance(centre) >= radius - TOLERANCE_M, patrol_no
        # At least the two ends' worth of line is gone (minus simplification's few metres).
        assert geom.length <= lengths[int(patrol_no)] - 2 * public.HIDDEN_M + 20
    # Every counting track that reaches well beyond its deputy's zones is published (the
    # zones now hide the rest wholly: the rule changed with issue 10 item 4).
    must = reaching_out(demo_copy, public.MIN_TRACK_M)
    assert must and must <= {int(i) for i in tracks["patrol_no"]}


def test_short_tracks_are_dropped_whole(demo_copy: Engine) -> None:
    start, end = with_patrols(demo_copy)
    published = public.public_tracks(demo_copy, start, end)  # draws the zones
    ids = [int(i) for i in public.public_patrols(demo_copy, start, end)["patrol_no"]]
    # A straight 460 m track centred on a drawn point far from every zone of its deputy (a
    # piece of a stored track may fold back at a site, and one near a zone is hidden whole).
    metric = published.to_crs(crs.metric_epsg())
    short = ids[0]
    barely, middle, heading = far_from_zones(demo_copy, metric, exclude=short)
    cut_track(demo_copy, short, public.MIN_TRACK_M - 30)
    straight_track(demo_copy, barely, middle, heading, public.MIN_TRACK_M + 60)
    lengths = counting_lengths(demo_copy)
    assert lengths[short] < public.MIN_TRACK_M < lengths[barely]

    tracks = public.public_tracks(demo_copy, start, end)
    published_now = {int(i) for i in tracks["patrol_no"]}
    assert short not in published_now
    # The record of the patrol itself still counts and is listed; only its line is withheld.
    assert short in set(public.public_patrols(demo_copy, start, end)["patrol_no"])
    assert barely in published_now
    kept = tracks[tracks["patrol_no"] == barely].to_crs(crs.metric_epsg()).geometry.iloc[0]
    # Its middle 60 m, give or take the bends of the 25 m grid it is snapped to.
    assert kept.length <= 60 + 2 * public.GRID_M


def far_from_zones(
    engine: Engine, metric: gpd.GeoDataFrame, exclude: int, clear_m: float = 150.0
) -> tuple[int, shapely.Point, tuple[float, float]]:
    """A drawn patrol, a point on its line at least `clear_m` outside every zone of its
    deputy, and the line's direction there (a unit vector, metric CRS)."""
    with engine.connect() as conn:
        zones = conn.execute(
            text(
                "SELECT z.deputy_id, ST_X(z.centre), ST_Y(z.centre), z.radius_m "
                f"FROM ({privacy.zone_centres_sql()}) z"
            ),
            {"epsg": crs.metric_epsg()},
        ).all()
        deputy_of = {
            int(p): int(d) for p, d in conn.execute(text("SELECT id, deputy_id FROM patrol"))
        }
    for patrol_no, geom in zip(metric["patrol_no"], metric.geometry, strict=True):
        if int(patrol_no) == exclude:
            continue
        mine = [(x, y, r) for d, x, y, r in zones if d == deputy_of[int(patrol_no)]]
        for part in geom.geoms:
            for along in np.arange(10.0, part.length - 10.0, 10.0):
                here = part.interpolate(along)
                if all(math.dist((here.x, here.y), (x, y)) - r >= clear_m for x, y, r in mine):
                    ahead = part.interpolate(along + 10.0)
                    dx, dy = ahead.x - here.x, ahead.y - here.y
                    norm = math.hypot(dx, dy)
                    return int(patrol_no), here, (dx / norm, dy / norm)
    raise AssertionError("no drawn line passes clear of its zones")


def straight_track(
    engine: Engine,
    patrol_id: int,
    middle: shapely.Point,
    heading: tuple[float, float],
    metres: float,
) -> None:
    """Replace a stored track by a straight line of `metres` centred on `middle` (metric CRS),
    with times (M) one second per metre, as uploads store them."""
    half = metres / 2
    a = (middle.x - heading[0] * half, middle.y - heading[1] * half)
    b = (middle.x + heading[0] * half, middle.y + heading[1] * half)
    wkt = f"LINESTRING M ({a[0]} {a[1]} 1700000000, {b[0]} {b[1]} {1700000000 + metres})"
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE patrol_track SET geom = ST_Multi(ST_Transform(ST_Segmentize("
                "ST_SetSRID(ST_GeomFromText(:w), :e), 10), 4326)) WHERE patrol_id = :p"
            ),
            {"w": wkt, "e": crs.metric_epsg(), "p": patrol_id},
        )


def test_flagged_patrols_are_absent_until_accepted(demo_copy: Engine) -> None:
    start, end = with_patrols(demo_copy)
    before = public.public_figures(demo_copy, start, end)
    # A patrol whose track is drawn (about half lie wholly inside their deputy's zone).
    patrol_id = int(public.public_tracks(demo_copy, start, end)["patrol_no"].iloc[0])
    with demo_copy.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO patrol_flag (patrol_id, code, message) "
                "VALUES (:p, 'copied_shape', 'test')"
            ),
            {"p": patrol_id},
        )

    def published() -> tuple[set[int], set[int]]:
        return (
            {int(i) for i in public.public_patrols(demo_copy, start, end)["patrol_no"]},
            {int(i) for i in public.public_tracks(demo_copy, start, end)["patrol_no"]},
        )

    records, tracks = published()
    assert patrol_id not in records and patrol_id not in tracks
    assert public.public_figures(demo_copy, start, end).patrols == before.patrols - 1
    for decision, shown in (("reject", False), ("accept", True)):
        with demo_copy.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO patrol_review (patrol_id, decision, reason) "
                    "VALUES (:p, :d, 'test')"
                ),
                {"p": patrol_id, "d": decision},
            )
        records, tracks = published()
        assert (patrol_id in records) is shown and (patrol_id in tracks) is shown
    assert public.public_figures(demo_copy, start, end) == before


def test_township_filter_and_figures_agree(demo_copy: Engine) -> None:
    start, end = with_patrols(demo_copy)
    everything = public.public_patrols(demo_copy, start, end)
    figures = public.public_figures(demo_copy, start, end)
    assert figures.patrols == len(everything)
    assert figures.visits >= figures.sites >= 1
    assert figures.sites == len(public.public_sites(demo_copy, start, end))
    with demo_copy.connect() as conn:
        township_id, name = conn.execute(
            text("SELECT id, name FROM township WHERE name = :n"),
            {"n": everything["township"].iloc[0]},
        ).one()
        other = conn.scalar(
            text("SELECT id FROM township WHERE id <> :t ORDER BY code LIMIT 1"),
            {"t": township_id},
        )
    mine = public.public_patrols(demo_copy, start, end, township_id)
    assert len(mine) >= 1 and set(mine["township"]) <= set(everything["township"])
    assert (mine["township"] == name).any()
    none = public.public_patrols(demo_copy, start, end, other)
    assert len(none) < len(everything)
    # An empty month gives empty frames, not errors.
    empty_start, empty_end = public.month_period(2020, 1)
    assert public.public_patrols(demo_copy, empty_start, empty_end).empty
    assert public.public_tracks(demo_copy, empty_start, empty_end).empty
    assert public.public_figures(demo_copy, empty_start, empty_end).patrols == 0
    months, opening = public.archive_months(demo_copy, clock.today())
    assert opening == (start.year, start.month)
    assert len(public.township_outlines(demo_copy)) == 14
    assert (start.year, start.month) in months and months == sorted(months, reverse=True)


# --------------------------------------------------------------------------- the page


def _as_app_database(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """``engine`` as the app's database, no basemap key, caches fresh before and after."""
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield engine
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def page_db(demo_copy: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The demo county with a month of patrols, as the app's database; fresh caches."""
    with_patrols(demo_copy)
    yield from _as_app_database(demo_copy, monkeypatch)


def rendered(at: AppTest) -> list[str]:
    """Everything the page put on screen as text, the table's cells and the map's script."""
    parts = [
        str(e.value)
        for e in (*at.title, *at.subheader, *at.markdown, *at.caption, *at.error, *at.warning)
    ]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    for frame in at.dataframe:
        parts += [str(c) for c in frame.value.columns] + strings_of(frame.value)
    for component in at.get("component_instance"):
        args = json.loads(component.proto.json_args)
        parts.append(args["script"])
    return parts


def test_the_public_page_is_listed_for_everyone() -> None:
    assert PUBLIC in pages_for(None)
    assert pages_for(None)[0].path == "views/login.py"  # an anonymous visitor lands on sign-in
    assert pages_for(None)[-2:] == [PUBLIC, PUBLIC_REPORT]  # the archive, and 我要举报
    for role in ("leader", "analyst", "deputy", "admin", "township"):
        user = SignedIn(
            1, role, role, 1 if role == "deputy" else None, role, 1 if role == "township" else None
        )
        specs = pages_for(user)
        assert specs[-2:] == [PUBLIC, PUBLIC_REPORT] and specs[0] != PUBLIC


def test_a_link_s_language_is_taken_by_an_anonymous_visitor(page_db: Engine) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["lang"] = "en"
    at.run()
    at.switch_page("views/public.py").run()
    assert not at.exception
    assert [t.value for t in at.title] == [i18n.text("public_heading", "en")]


def test_an_anonymous_visitor_opens_the_archive(page_db: Engine) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert [t.value for t in at.title] == ["登录水监"]
    at.switch_page("views/public.py").run()
    assert not at.exception
    assert session.USER not in at.session_state
    assert [t.value for t in at.title] == ["人大代表巡查存档公示"]
    assert not at.error and not at.warning
    metrics = {m.label: int(m.value) for m in at.metric}
    assert metrics["计入巡查"] >= 5 and metrics["到访点位"] >= 1
    table = at.dataframe[0].value
    assert len(table) == metrics["计入巡查"]
    assert {"巡查编号", "代表", "代表层级", "到访点位"} <= set(table.columns)
    maps = at.get("component_instance")
    assert len(maps) == 1
    args = json.loads(maps[0].proto.json_args)
    assert "L.geoJson" in args["script"]
    assert args["js_links"] == ["/app/static/vendor/leaflet/leaflet.js"]
    assert_no_phone(rendered(at), phones(page_db))


def test_a_leader_sees_the_archive_and_the_filters_work(page_db: Engine) -> None:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT)
    at.session_state[session.USER] = LEADER
    at.run()
    assert not at.exception and not at.error
    assert_no_phone(rendered(at), phones(page_db))
    county = int(at.metric[0].value)
    towns = at.selectbox(key="shuijian_public_township")
    assert towns.options[0] == "全县" and len(towns.options) == 15
    busy = str(at.dataframe[0].value["乡镇"].iloc[0])
    towns.select(busy).run()
    assert not at.exception
    assert 1 <= int(at.metric[0].value) <= county
    at.session_state[session.ENGLISH] = True
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Public archive of deputies' patrols"]
    assert "Patrol no." in at.dataframe[0].value.columns
    assert_no_phone(rendered(at), phones(page_db))


# --------------------------------------------------------------------------- paging


def busy_month(engine: Engine, deputies: int = 90) -> tuple[date, date]:
    """The last complete month with more than two pages of counting patrols, and the month
    before it patrolled too (so there is something beyond the period to leave out)."""
    until = clock.today().replace(day=1) - timedelta(days=1)
    add_demo_patrols(engine, 2026, until, months=2, limit=deputies)
    return public.month_period(until.year, until.month)


def counting_in(engine: Engine, start: date, end: date) -> set[int]:
    """Counting patrols whose local start day lies in start..end, straight from the tables."""
    sql = """
        SELECT p.id FROM patrol p JOIN patrol_state ps ON ps.patrol_id = p.id
        WHERE ps.counts AND (p.started_at AT TIME ZONE :tz)::date BETWEEN :s AND :e
    """
    with engine.connect() as conn:
        rows = conn.scalars(text(sql), {"tz": "Asia/Shanghai", "s": start, "e": end})
        return {int(i) for i in rows}


def move_start(engine: Engine, patrol_id: int, local_start: datetime) -> None:
    """Move a patrol (its start and end together) to begin at a local moment."""
    sql = """
        UPDATE patrol SET ended_at = :t + (ended_at - started_at), started_at = :t
        WHERE id = :p
    """
    with engine.begin() as conn:
        conn.execute(text(sql), {"t": local_start, "p": patrol_id})


def test_every_patrol_of_a_busy_month_is_on_exactly_one_page(demo_copy: Engine) -> None:
    start, end = busy_month(demo_copy)
    zone = clock.zone()
    before = counting_in(demo_copy, start - timedelta(days=40), start - timedelta(days=1))
    assert before, "the month before holds counting patrols too"
    inside = sorted(counting_in(demo_copy, start, end))
    # The edges of the period: local midnight opens it, the next local midnight is outside.
    first_in, last_out = inside[0], inside[1]
    move_start(demo_copy, first_in, datetime.combine(start, time(0), zone))
    move_start(demo_copy, last_out, datetime.combine(end + timedelta(days=1), time(0), zone))
    just_before = min(before)
    opening = datetime.combine(start, time(0), zone)
    move_start(demo_copy, just_before, opening - timedelta(seconds=1))
    expected = counting_in(demo_copy, start, end)
    assert first_in in expected and last_out not in expected and just_before not in expected

    figures = public.public_figures(demo_copy, start, end)
    assert figures.patrols == len(expected) > 2 * public.PAGE_SIZE
    pages = public.page_count(figures.patrols)
    assert pages == -(-figures.patrols // public.PAGE_SIZE) >= 3
    last_size = figures.patrols - (pages - 1) * public.PAGE_SIZE
    records: list[int] = []
    drawn: list[int] = []
    days: list[date] = []
    for page in range(1, pages + 1):
        rows = public.public_patrols(demo_copy, start, end, page=page, page_size=public.PAGE_SIZE)
        lines = public.public_tracks(demo_copy, start, end, page=page, page_size=public.PAGE_SIZE)
        assert len(rows) == (public.PAGE_SIZE if page < pages else last_size), page
        assert set(lines["patrol_no"]) <= set(rows["patrol_no"])  # the page's map, no other
        records += [int(i) for i in rows["patrol_no"]]
        drawn += [int(i) for i in lines["patrol_no"]]
        days += list(rows["date"])
    assert public.public_patrols(demo_copy, start, end, page=pages + 1, page_size=50).empty
    # Every counting patrol of the period exactly once, nothing from before or after it.
    assert len(records) == len(set(records)) and set(records) == expected
    assert days == sorted(days, reverse=True) and min(days) == start and max(days) <= end
    # The pages' tracks together are the period's tracks, in the same order.
    everything = public.public_tracks(demo_copy, start, end)
    assert drawn == [int(i) for i in everything["patrol_no"]]
    assert len(drawn) > public.PAGE_SIZE  # more tracks than one page could draw
    # A township's patrols page the same way (small pages: many of them).
    town = public.public_patrols(demo_copy, start, end)["township"].iloc[0]
    with demo_copy.connect() as conn:
        township_id = conn.scalar(text("SELECT id FROM township WHERE name = :n"), {"n": town})
    mine = public.public_patrols(demo_copy, start, end, township_id)
    paged = [
        int(i)
        for page in range(1, public.page_count(len(mine), 7) + 1)
        for i in public.public_patrols(demo_copy, start, end, township_id, page=page, page_size=7)[
            "patrol_no"
        ]
    ]
    assert paged == [int(i) for i in mine["patrol_no"]]
    assert public.public_figures(demo_copy, start, end, township_id).patrols == len(mine)
    with pytest.raises(ValueError):
        public.public_patrols(demo_copy, start, end, page=0, page_size=50)


@pytest.fixture
def busy_db(demo_copy: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The demo county with a busy month of patrols, as the app's database; fresh caches."""
    busy_month(demo_copy)
    yield from _as_app_database(demo_copy, monkeypatch)


def drawn_patrols(at: AppTest) -> set[int]:
    """Patrol numbers in the map's track tooltips (the GeoJSON properties in its script)."""
    script = json.loads(at.get("component_instance")[0].proto.json_args)["script"]
    return {int(n) for n in re.findall(r'"patrol_no": (\d+)', script)}


def test_the_page_turns_through_every_patrol(busy_db: Engine) -> None:
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception and not at.error
    total = int(at.metric[0].value)
    pages = public.page_count(total)
    assert pages >= 3
    picker = at.selectbox(key="shuijian_public_page")
    assert picker.options == [f"第 {p} 页，共 {pages} 页" for p in range(1, pages + 1)]
    assert len(at.dataframe[0].value) == public.PAGE_SIZE
    captions = [c.value for c in at.caption]
    assert f"共 {total} 条，本页为第 1–{public.PAGE_SIZE} 条（最新在前）。" in captions
    assert any(c.startswith(f"地图显示本页第 1–{public.PAGE_SIZE} 条") for c in captions)
    first_page = {int(i) for i in at.dataframe[0].value["巡查编号"]}
    assert drawn_patrols(at) and drawn_patrols(at) <= first_page

    seen = set(first_page)
    for page in range(2, pages + 1):
        at.selectbox(key="shuijian_public_page").set_value(page).run()
        assert not at.exception and not at.error
        rows = {int(i) for i in at.dataframe[0].value["巡查编号"]}
        assert not rows & seen and drawn_patrols(at) <= rows
        seen |= rows
    assert len(seen) == total
    last_first = (pages - 1) * public.PAGE_SIZE + 1
    assert f"共 {total} 条，本页为第 {last_first}–{total} 条（最新在前）。" in [
        c.value for c in at.caption
    ]
    assert_no_phone(rendered(at), phones(busy_db))
    # Another township starts at page 1 again.
    towns = at.selectbox(key="shuijian_public_township")
    towns.select(towns.options[1]).run()
    assert not at.exception
    picker = at.get("selectbox")
    page_pickers = [p for p in picker if p.key == "shuijian_public_page"]
    assert not page_pickers or page_pickers[0].value == 1


@pytest.mark.parametrize(
    ("today", "found", "opening"),
    [
        # Young: the last complete month, though this one has patrols already.
        (date(2026, 12, 2), {(2026, 11), (2026, 12)}, (2026, 11)),
        (date(2026, 12, 10), {(2026, 10), (2026, 12)}, (2026, 10)),
        # From the 11th: this month, once it has a patrol.
        (date(2026, 12, 11), {(2026, 11), (2026, 12)}, (2026, 12)),
        (date(2026, 12, 20), {(2026, 11)}, (2026, 11)),
        # Nothing earlier: what there is, else this month; a future month never opens.
        (date(2026, 12, 3), {(2026, 12)}, (2026, 12)),
        (date(2026, 12, 3), set(), (2026, 12)),
        (date(2027, 1, 5), {(2026, 12), (2027, 2)}, (2026, 12)),
    ],
)
def test_the_page_opens_on_the_last_complete_month_while_this_one_is_young(
    today: date, found: set[tuple[int, int]], opening: tuple[int, int]
) -> None:
    assert public.opening_month(found, today) == opening
