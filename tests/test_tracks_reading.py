"""GPX reading as hostile input: the bad-input corpus, encodings, versions, times; GCJ-02."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from geo.crs import gcj02_to_wgs84, wgs84_to_gcj02
from tracks.gpx_input import GpxRefused
from tracks.reading import parse_gpx, read_gpx_file
from tracks.synth import to_gpx_bytes

HERE = Path(__file__).resolve().parent
SAMPLES = HERE / "gpx"
BOUNDARIES = HERE.parent.parent / "shared" / "data" / "boundaries"
NS11 = "http://www.topografix.com/GPX/1/1"
NS10 = "http://www.topografix.com/GPX/1/0"


def gpx(body: str, *, ns: str = NS11, version: str = "1.1", head: str = "") -> bytes:
    decl = '<?xml version="1.0" encoding="UTF-8"?>\n'
    return (
        f'{decl}{head}<gpx xmlns="{ns}" version="{version}" creator="test">\n{body}\n</gpx>\n'
    ).encode()


def trkpts(*pts: str) -> str:
    return "<trk><trkseg>" + "".join(pts) + "</trkseg></trk>"


def refused(data: bytes, reason: str, **kwargs: object) -> GpxRefused:
    with pytest.raises(GpxRefused) as info:
        parse_gpx(data, **kwargs)  # type: ignore[arg-type]
    assert info.value.reason == reason, str(info.value)
    assert str(info.value).startswith("refused: ")
    return info.value


# --- the bad-input corpus ------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<gpx xmlns="http://www.topografix.com/GPX/1/1" version="1.1"><metadata><name>&lol9;</name>
</metadata></gpx>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE gpx [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<gpx xmlns="http://www.topografix.com/GPX/1/1" version="1.1"><metadata><name>&xxe;</name>
</metadata><wpt lat="1" lon="1"/></gpx>
"""


def test_billion_laughs_refused_before_parsing() -> None:
    err = refused(BILLION_LAUGHS, "doctype")
    assert "DOCTYPE/ENTITY" in str(err) and "entity expansion is not allowed" in str(err)


def test_external_entity_refused() -> None:
    refused(XXE, "doctype")


def test_doctype_alone_refused() -> None:
    refused(gpx('<wpt lat="1" lon="1"/>', head="<!DOCTYPE gpx>\n"), "doctype")


def test_entity_hidden_in_utf16_refused() -> None:
    refused(BILLION_LAUGHS.decode().encode("utf-16"), "doctype")


def test_malformed_xml_names_the_line() -> None:
    err = refused(b'<?xml version="1.0"?>\n<gpx version="1.1">\n<trk>\n<trkseg>\n</gpx>', "not_xml")
    assert "not well-formed XML at line" in str(err)
    assert err.line is not None


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10",
        b"latitude,longitude\n28.9,118.5\n",
        b"just some plain text that a user uploaded by mistake",
    ],
    ids=["png", "csv", "text"],
)
def test_not_xml(data: bytes) -> None:
    err = refused(data, "not_xml")
    assert "not XML" in str(err)


@pytest.mark.parametrize("data", [b"", b"  \n\t "], ids=["empty", "whitespace"])
def test_empty(data: bytes) -> None:
    assert "empty" in str(refused(data, "empty"))


def test_oversize_refused_by_argument() -> None:
    data = gpx(trkpts('<trkpt lat="28.9" lon="118.5"/>' * 50))
    err = refused(data, "too_large", max_bytes=200)
    assert "MB" in str(err) and "limit" in str(err)


def test_oversize_refused_by_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHUIJIAN_GPX_MAX_MB", "0.0001")
    refused(gpx(trkpts('<trkpt lat="28.9" lon="118.5"/>' * 50)), "too_large")


def test_root_must_be_gpx() -> None:
    kml = b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document/></kml>'
    assert "<kml>" in str(refused(kml, "not_gpx"))


def test_unknown_gpx_namespace_refused() -> None:
    refused(gpx('<wpt lat="1" lon="1"/>', ns="http://example.com/gpx"), "not_gpx")


def test_nothing_at_all_is_no_points() -> None:
    refused(gpx("<metadata><name>empty</name></metadata>"), "no_points")


@pytest.mark.parametrize(
    ("point", "what"),
    [
        ('<trkpt lat="abc" lon="118.5"/>', "lat='abc'"),
        ('<trkpt lat="95.0" lon="118.5"/>', "lat='95.0'"),
        ('<trkpt lat="28.9"/>', "lon=None"),
        ('<trkpt lat="28.9" lon="nan"/>', "lon='nan'"),
    ],
)
def test_bad_coordinate_names_line(point: str, what: str) -> None:
    body = trkpts('<trkpt lat="28.9" lon="118.5"/>\n', '<trkpt lat="28.9" lon="118.5"/>\n', point)
    err = refused(gpx(body), "bad_coordinate")
    assert err.line == 5  # declaration, <gpx>, 2 good points, then the bad one
    assert "line 5" in str(err) and what in str(err)


def test_bad_coordinate_line_found_in_large_file() -> None:
    good = '<trkpt lat="28.9" lon="118.5"><time>2026-05-01T00:00:00Z</time></trkpt>\n'
    body = "<trk><trkseg>\n" + good * 5000 + '<trkpt lat="x" lon="1"/>\n</trkseg></trk>'
    err = refused(gpx(body), "bad_coordinate")
    assert err.line == 5004  # declaration, <gpx>, <trk><trkseg>, 5000 good points


def test_bad_time_names_line() -> None:
    body = trkpts(
        '<trkpt lat="28.9" lon="118.5"><time>2026-05-01T00:00:00Z</time></trkpt>\n',
        '<trkpt lat="28.9" lon="118.5"><time>yesterday at noon</time></trkpt>',
    )
    err = refused(gpx(body), "bad_time")
    assert "line 4" in str(err) and "yesterday" in str(err)


def test_refusals_are_shuijian_errors() -> None:
    from core.errors import ShuijianError

    assert issubclass(GpxRefused, ShuijianError)


# --- what must parse --------------------------------------------------------------------


def test_no_times_parses_without_times() -> None:
    p = parse_gpx(
        gpx(trkpts('<trkpt lat="28.9" lon="118.5"/>', '<trkpt lat="28.91" lon="118.5"/>'))
    )
    assert p.n_points == 2 and not p.has_times
    assert np.isnat(p.time).all() and np.isnan(p.t_s).all()


def test_some_times_missing_is_not_has_times() -> None:
    p = parse_gpx(
        gpx(
            trkpts(
                '<trkpt lat="28.9" lon="118.5"><time>2026-05-01T00:00:00Z</time></trkpt>',
                '<trkpt lat="28.91" lon="118.5"/>',
            )
        )
    )
    assert not p.has_times and np.isnat(p.time).tolist() == [False, True]


def test_gbk_file_keeps_chinese_name() -> None:
    lon = np.array([118.5, 118.501])
    lat = np.array([28.9, 28.901])
    data = to_gpx_bytes(lon, lat, np.array([1.7e9, 1.7e9 + 5]), name="东湖塘巡查", encoding="GBK")
    assert b'encoding="GBK"' in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    p = parse_gpx(data)
    assert p.name == "东湖塘巡查" and p.encoding == "GBK" and p.has_times


def test_gb2312_declared_with_gb18030_only_characters() -> None:
    # 䶮 is in GB18030 but not GB2312: apps mislabel; read as the superset
    body = "<metadata><name>䶮塘</name></metadata>" + trkpts('<trkpt lat="28.9" lon="118.5"/>')
    data = (
        f'<?xml version="1.0" encoding="GB2312"?>\n<gpx xmlns="{NS11}" version="1.1">{body}</gpx>'
    ).encode("gb18030")
    p = parse_gpx(data)
    assert p.name == "䶮塘" and p.encoding == "GB2312"


def test_undeclared_gb18030_detected() -> None:
    data = gpx("<metadata><name>水库</name></metadata>" + trkpts('<trkpt lat="28.9" lon="118.5"/>'))
    data = data.replace(b' encoding="UTF-8"', b"").decode().encode("gb18030")
    p = parse_gpx(data)
    assert p.name == "水库" and p.encoding.startswith("GB18030")


def test_utf8_bom_and_utf16() -> None:
    base = gpx("<metadata><name>河段</name></metadata>" + trkpts('<trkpt lat="28.9" lon="118.5"/>'))
    assert parse_gpx(b"\xef\xbb\xbf" + base).name == "河段"
    utf16 = base.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    p = parse_gpx(utf16)
    assert p.name == "河段" and p.encoding.startswith("UTF-16")


def test_unknown_encoding_refused() -> None:
    data = gpx(trkpts('<trkpt lat="28.9" lon="118.5"/>')).replace(b"UTF-8", b"X-MARTIAN")
    assert "X-MARTIAN" in str(refused(data, "encoding"))


@pytest.mark.parametrize("version", ["1.0", "1.1"])
def test_gpx_versions_round_trip(version: str) -> None:
    lon = 118.5 + np.arange(10) * 1e-4
    lat = 28.9 + np.arange(10) * 1e-4
    t = 1.78e9 + np.arange(10) * 5.0
    p = parse_gpx(to_gpx_bytes(lon, lat, t, name="v", version=version))
    assert p.version == version
    np.testing.assert_allclose(p.lon, lon, atol=1e-7)
    np.testing.assert_allclose(p.t_s, t)


def test_no_namespace_uses_version_attribute() -> None:
    data = b'<gpx version="1.0"><trk><trkseg><trkpt lat="28.9" lon="118.5"/></trkseg></trk></gpx>'
    p = parse_gpx(data)
    assert p.version == "1.0" and p.n_points == 1


def test_gpx10_namespace() -> None:
    p = parse_gpx(gpx("<name>旧版</name>" + trkpts('<trkpt lat="28.9" lon="118.5"/>'), ns=NS10))
    assert p.version == "1.0" and p.name == "旧版"


def test_sample_with_tracks_segments_waypoints_routes() -> None:
    p = read_gpx_file(SAMPLES / "mixed_features.gpx")
    assert p.name == "巡查 东湖塘" and p.creator == "手写样例"
    assert p.n_points == 5
    assert p.track.tolist() == [0, 0, 0, 1, 1]
    assert p.segment.tolist() == [0, 0, 1, 2, 2]
    assert p.ele[:2].tolist() == [120.5, 121.0] and np.isnan(p.ele[2:]).all()
    # Z, +08:00 offset, naive (Asia/Shanghai) with fractional seconds
    assert p.time[:3].astype(str).tolist() == [
        "2026-05-01T00:00:00.000000000",
        "2026-05-01T00:00:05.000000000",
        "2026-05-01T00:10:00.250000000",
    ]
    assert [w.name for w in p.waypoints] == ["排污口", "公示牌"]
    assert p.waypoints[0].time_s == pytest.approx(1777593900.0)
    assert p.waypoints[1].time_s is None
    assert len(p.routes) == 1 and p.routes[0].name == "计划路线"
    assert p.routes[0].lon.tolist() == [118.5, 118.505]


def test_waypoints_only_file_parses_without_track_points() -> None:
    p = parse_gpx(gpx('<wpt lat="28.9" lon="118.5"><name>塘</name></wpt>'))
    assert p.n_points == 0 and not p.has_times and len(p.waypoints) == 1


def test_naive_times_read_as_shanghai() -> None:
    body = trkpts('<trkpt lat="28.9" lon="118.5"><time>2026-05-01T08:00:00</time></trkpt>')
    p = parse_gpx(gpx(body))
    assert str(p.time[0]) == "2026-05-01T00:00:00.000000000"
    p_utc = parse_gpx(gpx(body), naive_tz="UTC")
    assert str(p_utc.time[0]) == "2026-05-01T08:00:00.000000000"


def test_naive_writer_round_trip() -> None:
    t = np.array([1.78e9, 1.78e9 + 5])
    data = to_gpx_bytes(np.array([118.5, 118.5]), np.array([28.9, 28.9001]), t, naive=True)
    assert b"Z</time>" not in data
    np.testing.assert_allclose(parse_gpx(data).t_s, t)


def test_large_file_with_irregular_times_stays_aligned() -> None:
    # > one parsing batch; every 7th point lacks a time, others carry their index as seconds
    n = 9000
    i = np.arange(n)
    lines = [
        f'<trkpt lat="28.9" lon="{118.5 + k * 1e-6:.6f}">'
        + ("" if k % 7 == 0 else f"<time>2026-05-01T00:00:00.{k:06d}Z</time>")
        + "</trkpt>"
        for k in i
    ]
    p = parse_gpx(gpx("<trk><trkseg>\n" + "\n".join(lines) + "\n</trkseg></trk>"))
    assert p.n_points == n and not p.has_times
    missing = np.isnat(p.time)
    assert (missing == (i % 7 == 0)).all()
    frac = (p.t_s[~missing] - p.t_s[~missing].astype(np.int64)) * 1e6
    np.testing.assert_allclose(frac, i[~missing], atol=0.5)
    np.testing.assert_allclose(p.lon, 118.5 + i * 1e-6, atol=1e-9)


def test_many_segments_over_batches() -> None:
    seg = "<trkseg>" + '<trkpt lat="28.9" lon="118.5"/>' * 3000 + "</trkseg>"
    p = parse_gpx(gpx("<trk>" + seg * 3 + "</trk><trk>" + seg + "</trk>"))
    assert p.n_points == 12000
    assert np.bincount(p.segment).tolist() == [3000] * 4
    assert np.bincount(p.track).tolist() == [9000, 3000]


# --- GCJ-02 ---------------------------------------------------------------------------------


def test_gcj02_offset_near_changshan() -> None:
    glon, glat = wgs84_to_gcj02(np.array([118.5]), np.array([28.9]))
    assert glon[0] - 118.5 == pytest.approx(0.005, abs=0.0005)
    assert glat[0] - 28.9 == pytest.approx(-0.003, abs=0.0005)


def test_gcj02_round_trip() -> None:
    rng = np.random.default_rng(3)
    lon = rng.uniform(74, 134, 10_000)
    lat = rng.uniform(18, 53, 10_000)
    back_lon, back_lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert np.abs(back_lon - lon).max() < 1e-6 and np.abs(back_lat - lat).max() < 1e-6


def test_gcj02_identity_outside_china() -> None:
    lon, lat = np.array([2.35, -74.0]), np.array([48.85, 40.7])
    for f in (wgs84_to_gcj02, gcj02_to_wgs84):
        out_lon, out_lat = f(lon, lat)
        assert (out_lon == lon).all() and (out_lat == lat).all()


def _vertices(path: Path) -> np.ndarray:
    geom = json.loads(path.read_text(encoding="utf-8"))["features"][0]["geometry"]
    return np.array(
        [v for poly in geom["coordinates"] for ring in poly for v in ring], dtype=np.float64
    )


@pytest.mark.skipif(
    not (BOUNDARIES / "changshan_county_gcj02.geojson").exists(), reason="no ../shared data"
)
def test_gcj02_matches_published_county_conversion() -> None:
    wgs = _vertices(BOUNDARIES / "changshan_county.geojson")
    gcj = _vertices(BOUNDARIES / "changshan_county_gcj02.geojson")
    lon, lat = gcj02_to_wgs84(gcj[:, 0], gcj[:, 1])
    # metres at 29°N; the files are rounded to 7 decimals (~1 cm)
    err_m = np.hypot((lon - wgs[:, 0]) * 97_400, (lat - wgs[:, 1]) * 110_900)
    assert err_m.max() < 0.01
