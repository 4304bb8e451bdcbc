"""Property: whatever GPX a generator writes, ingestion stores it or refuses it by name.

Hypothesis writes files with random point counts, positions in and far outside the county,
missing, repeated, reversed, shuffled and out-of-range times, several encodings, and track-,
route- or waypoint-only content. For every one: the verdict is "stored", "duplicate" or
"refused" with a known reason (never "error", never an exception), a refusal changes no row,
and a stored file adds exactly one upload and one patrol.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from tests.test_ingest import counts, deputy
from tracks import batch
from tracks.gpx_input import REASONS

BASE = datetime(2026, 11, 10, 1, 0, tzinfo=UTC).timestamp()
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ENCODINGS = ("utf-8", "utf-8-bom", "gbk-undeclared", "gb2312", "iso-8859-1", "utf-16")
TIME_MODES = ("none", "ascending", "reversed", "shuffled", "repeated", "some_missing", "far")


@st.composite
def gpx_files(draw: st.DrawFn, centre: tuple[float, float]) -> tuple[bytes, str]:
    n = draw(st.integers(min_value=0, max_value=120))
    near = draw(st.floats(min_value=0.0, max_value=1.0))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    in_county = rng.random(n) < near
    lon = np.where(in_county, centre[0] + rng.normal(0, 0.01, n), rng.uniform(-180, 180, n)).round(
        7
    )
    lat = np.where(in_county, centre[1] + rng.normal(0, 0.01, n), rng.uniform(-89, 89, n)).round(7)
    mode = draw(st.sampled_from(TIME_MODES))
    t = BASE + np.cumsum(rng.integers(1, 20, n)).astype(float)
    if mode == "reversed":
        t = t[::-1]
    elif mode == "shuffled":
        t = rng.permutation(t)
    elif mode == "repeated":
        t = np.repeat(t[::2], 2)[:n]
    times: list[str | None] = [
        datetime.fromtimestamp(v, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for v in t
    ]
    if mode == "none":
        times = [None] * n
    elif mode == "some_missing":
        times = [None if rng.random() < 0.3 else v for v in times]
    elif mode == "far" and n:
        times[int(rng.integers(0, n))] = draw(
            st.sampled_from(["9999-12-31T23:59:59Z", "1816-03-29T00:00:00Z", "0001-01-01T00:00:00"])
        )
    kind = draw(st.sampled_from(["trk"] * 6 + ["rte", "wpt", "empty_seg"]))
    name = draw(st.sampled_from(["巡查", "patrol", "café", ""]))
    points = "".join(
        f'<{{p}} lat="{la}" lon="{lo}">' + (f"<time>{tm}</time>" if tm else "") + "</{p}>"
        for lo, la, tm in zip(lon, lat, times, strict=True)
    )
    if kind == "trk":
        body = f"<trk><name>{name}</name><trkseg>{points.format(p='trkpt')}</trkseg></trk>"
    elif kind == "rte":
        body = f"<rte><name>{name}</name>{points.format(p='rtept')}</rte>"
    elif kind == "wpt":
        body = points.format(p="wpt")
    else:
        body = "<trk><trkseg></trkseg><trkseg/></trk>"
    xml = f'<gpx version="1.1" creator="hypothesis" xmlns="http://www.topografix.com/GPX/1/1">{body}</gpx>'
    encoding = draw(st.sampled_from(ENCODINGS))
    if encoding == "utf-8":
        data = ('<?xml version="1.0" encoding="UTF-8"?>\n' + xml).encode()
    elif encoding == "utf-8-bom":
        data = b"\xef\xbb\xbf" + xml.encode()
    elif encoding == "gbk-undeclared":
        data = xml.encode("gb18030")
    elif encoding == "gb2312":
        data = ('<?xml version="1.0" encoding="GB2312"?>' + xml).encode("gb18030")
    elif encoding == "iso-8859-1":
        data = ('<?xml version="1.0" encoding="ISO-8859-1"?>' + xml).encode(
            "iso-8859-1", errors="replace"
        )
    else:
        data = ('<?xml version="1.0" encoding="UTF-16"?>' + xml).encode("utf-16")
    return data, f"{mode}-{kind}-{encoding}-{n}"


@pytest.fixture
def county_centre(demo_copy: Engine) -> tuple[float, float]:
    with demo_copy.connect() as conn:
        lon, lat = conn.execute(
            text("SELECT ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM county")
        ).one()
    return float(lon), float(lat)


@pytest.mark.slow
def test_any_generated_gpx_is_stored_or_refused_by_name(
    demo_copy: Engine, county_centre: tuple[float, float]
) -> None:
    dep, _ = deputy(demo_copy, "D0001")
    known = set(REASONS)
    seen: Counter[str] = Counter()

    @settings(
        max_examples=70,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(gpx_files(county_centre))
    def check(file: tuple[bytes, str]) -> None:
        data, label = file
        before = counts(demo_copy)
        verdict = batch.ingest_file(
            demo_copy, data, f"{label}.gpx", deputy_id=dep, now=NOW
        )  # a fixed upload time: the generated tracks are of November 2026
        after = counts(demo_copy)
        seen[verdict.status] += 1
        seen[f"reason:{verdict.reason}"] += 1
        if verdict.result is not None:
            seen.update(f"flag:{f.code}" for f in verdict.result.flags)
        assert verdict.status in ("stored", "duplicate", "refused"), (label, verdict)
        if verdict.status == "refused":
            assert verdict.reason in known, (label, verdict)
            assert after == before, label
        elif verdict.status == "stored":
            assert after["gpx_upload"] == before["gpx_upload"] + 1
            assert after["patrol"] == before["patrol"] + 1
            result = verdict.result
            assert result is not None and result.n_kept >= 1
            if not result.flags:  # "verified": it must have had times in order
                assert result.n_kept >= 2
        else:
            assert after == before

    check()
    # Not vacuous: the generator reached both outcomes and the new refusals and flags.
    assert seen["stored"] >= 5 and seen["refused"] >= 5, seen
    assert seen["reason:far_away"] and seen["reason:time_range"] and seen["flag:time_order"], seen
