"""Shapes that take the streaming reader off its fast path: long segments read in pieces while
lxml is still parsing them, points without times or elevation among them, naive and aware times
in one segment, points outside any <trkseg>, and other elements among the points."""

from __future__ import annotations

import numpy as np

from tracks import reading
from tracks.reading import parse_gpx

NS11 = "http://www.topografix.com/GPX/1/1"


def gpx(body: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<gpx xmlns="{NS11}" version="1.1">\n'
        f"{body}\n</gpx>\n"
    ).encode()


def point(k: int, *, time: bool = True, ele: bool = False, naive: bool = False) -> str:
    stamp = f"2026-05-01T{8 if naive else 0:02d}:00:00.{k:06d}{'' if naive else 'Z'}"
    return (
        f'<trkpt lat="28.9" lon="{118.5 + k * 1e-6:.6f}">'
        + (f"<ele>{k % 500}.5</ele>" if ele else "")
        + (f"<time>{stamp}</time>" if time else "")
        + "</trkpt>"
    )


def test_long_segment_read_in_pieces_stays_aligned() -> None:
    # ~4 MB: several chunks, so most points are read while the segment is still open, and
    # chunk ends fall inside attributes, <ele> and <time> texts.
    n = 40_000
    i = np.arange(n)
    body = "\n".join(point(k, time=k % 5 != 0, ele=k % 3 == 0) for k in i)
    data = gpx(f"<trk><trkseg>\n{body}\n</trkseg></trk>")
    assert len(data) > 3 * reading._CHUNK
    p = parse_gpx(data)
    assert p.n_points == n and not p.has_times
    np.testing.assert_allclose(p.lon, 118.5 + i * 1e-6, atol=1e-9)
    missing = np.isnat(p.time)
    assert (missing == (i % 5 == 0)).all()
    frac = (p.t_s[~missing] - p.t_s[~missing].astype(np.int64)) * 1e6
    np.testing.assert_allclose(frac, i[~missing], atol=0.5)
    has_ele = ~np.isnan(p.ele)
    assert (has_ele == (i % 3 == 0)).all()
    np.testing.assert_allclose(p.ele[has_ele], i[has_ele] % 500 + 0.5)
    assert (p.segment == 0).all() and (p.track == 0).all()


def test_naive_and_aware_times_in_one_segment() -> None:
    pts = [point(k, naive=k % 2 == 1) for k in range(6)]
    p = parse_gpx(gpx("<trk><trkseg>" + "".join(pts) + "</trkseg></trk>"))
    # naive 08:00 in Asia/Shanghai is 00:00 UTC, the same instant as the aware ones
    assert p.has_times
    expected = np.datetime64("2026-05-01T00:00:00", "ns") + np.arange(6) * np.timedelta64(1, "us")
    assert (p.time == expected).all()


def test_bad_coordinate_deep_in_a_long_segment_names_line_and_count() -> None:
    n = 30_000
    lines = [point(k) for k in range(n)]
    lines[25_000] = '<trkpt lat="x" lon="118.5"/>'
    lines[27_000] = '<trkpt lat="28.9" lon="999"/>'
    body = "<trk><trkseg>\n" + "\n".join(lines) + "\n</trkseg></trk>"
    try:
        parse_gpx(gpx(body))
    except reading.GpxRefused as err:
        assert err.reason == "bad_coordinate"
        assert err.line == 3 + 1 + 25_000  # declaration, <gpx>, <trk><trkseg>, points before
        assert "lat='x'" in str(err) and "2 such point(s)" in str(err)
    else:
        raise AssertionError("a bad coordinate was accepted")


def test_points_outside_segments_and_other_children() -> None:
    body = (
        "<trk><name>t</name>"
        + point(0)
        + point(1)
        + "<trkseg>"
        + point(2)
        + "<extensions><x>1</x></extensions>"
        + point(3)
        + "</trkseg>"
        + "<trkseg>"
        + point(4)
        + "</trkseg>"
        + "</trk>"
        + "<trk><trkseg>"
        + point(5)
        + point(6)
        + "</trkseg></trk>"
    )
    p = parse_gpx(gpx(body))
    assert p.n_points == 7 and p.has_times and p.name == "t"
    # the loose points form their own segment; every point keeps its own time
    assert sorted(np.round((p.t_s % 1) * 1e6).astype(int).tolist()) == list(range(7))
    by_point = dict(zip(np.round((p.t_s % 1) * 1e6).astype(int), p.segment.tolist(), strict=True))
    assert by_point[0] == by_point[1]
    assert by_point[2] == by_point[3] != by_point[0]
    assert len({by_point[0], by_point[2], by_point[4], by_point[5]}) == 4
    assert by_point[5] == by_point[6]
    assert np.bincount(p.track).tolist() == [5, 2]


def test_many_short_segments_in_one_chunk() -> None:
    segs = "".join(
        "<trkseg>" + "".join(point(s * 3 + j) for j in range(3)) + "</trkseg>" for s in range(500)
    )
    p = parse_gpx(gpx(f"<trk>{segs}</trk>"))
    assert p.n_points == 1500
    assert np.bincount(p.segment).tolist() == [3] * 500
    assert p.segment.tolist() == sorted(p.segment.tolist())
