"""Real GPX files from other open projects' test suites, each with its expected verdict.

tests/gpx/corpus/ holds 46 public test fixtures of permissively licensed GPX libraries (see
SOURCES.md there: project, path, commit, licence, what is odd about each). They were recorded
on other continents, so each file is ingested twice for a demo deputy: as it is (expected:
refused ``far_away``, or refused earlier for what the file is), and moved so that its first
coordinate lies at the county's centre, which sends its odd structure (waypoint- and
route-only files, empty segments, one point, no times, extensions without namespaces,
ISO-8859-1, shuffled and repeated times, bad values) through cleaning, the checks and
storage. Every file ends stored with its flags or refused by name; nothing else is allowed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, text

from tests.test_ingest import counts, deputy
from tracks import batch
from tracks.batch import FileVerdict

CORPUS = Path(__file__).resolve().parent / "gpx" / "corpus"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
COORD = re.compile(rb"""\b(lat|lon)\s*=\s*(["'])([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\2""")

# file: (verdict as it is, verdict moved into the county); "stored:" lists the flags.
EXPECTED: dict[str, tuple[str, str]] = {
    "commonsdost__sample_broken_1.gpx": ("refused:far_away", "stored:no_times,old_time"),
    "dougfales__with_empty_tracks.gpx": ("refused:far_away", "stored:old_time"),
    "dougfales__with_invalid_elev.gpx": ("refused:far_away", "stored:old_time"),
    "georust__badcharacter.xml.gpx": ("refused:not_xml", "refused:not_xml"),
    "georust__caltopo-export.gpx": ("refused:far_away", "stored:old_time,time_order"),
    "georust__empty_name_tag.gpx": ("refused:no_points", "refused:no_points"),
    "georust__mousehole_to_paul.gpx": ("refused:far_away", "stored:no_times"),
    "georust__strava_route_example.gpx": ("refused:far_away", "stored:no_times"),
    "georust__viking_with_route_extensions.gpx": ("refused:far_away", "stored:no_times"),
    "georust__wahoo_example.gpx": ("refused:far_away", "stored:old_time"),
    "georust__with_accuracy.gpx": ("refused:far_away", "stored:no_times,old_time"),
    "gpxgo__file.gpx": ("refused:far_away", "refused:bad_coordinate"),
    "gpxgo__gpx-without-root-attributes.gpx": ("refused:time_range", "refused:time_range"),
    "gpxgo__gpx-without-xml-declaration.gpx": ("refused:time_range", "refused:time_range"),
    "gpxgo__iso8859-1encoded.gpx": ("refused:no_points", "refused:no_points"),
    "gpxjs__test_with_cdata.gpx": ("refused:far_away", "stored:no_times"),
    "gpxpy__brouter_with_link.gpx": ("refused:far_away", "stored:no_times"),
    "gpxpy__garmin_extensions.gpx": ("refused:no_points", "refused:no_points"),
    "gpxpy__garmin_gpxtpx.gpx": ("refused:far_away", "stored:duplicate_upload,no_times,old_time"),
    "gpxpy__garmin_tpx.gpx": ("refused:far_away", "stored:no_times,old_time,outside_county"),
    "gpxpy__gpx1.0_with_all_fields.gpx": ("refused:no_points", "refused:no_points"),
    "gpxpy__gpx1.1_with_all_fields.gpx": ("refused:far_away", "refused:far_away"),
    "gpxpy__gpx1.1_with_extensions.gpx": ("refused:no_points", "refused:no_points"),
    "gpxpy__sloth-at-lemans.gpx": ("refused:far_away", "stored:old_time"),
    "gpxpy__track-with-small-floats.gpx": ("refused:far_away", "stored:no_times"),
    "gpxpy__validation_gpx10.gpx": ("refused:far_away", "refused:far_away"),
    "gpxstudio__self_closing_points.gpx": ("refused:far_away", "stored:no_times"),
    "gpxstudio__with_tracks_and_segments.gpx": ("refused:far_away", "stored:old_time"),
    "jpx__GPX_invalid_extensions.gpx": ("refused:not_xml", "refused:not_xml"),
    "jpx__ISSUE-170.gpx": ("refused:far_away", "stored:old_time"),
    "jpx__ISSUE-49.gpx": ("refused:far_away", "stored:no_times"),
    "jpx__ISSUE-78.gpx": ("refused:no_points", "refused:no_points"),
    "jpx__ISSUE-86.gpx": ("refused:time_range", "refused:time_range"),
    "phpgpx__minimal.gpx": ("refused:far_away", "refused:far_away"),
    "phpgpx__route.gpx": ("refused:no_points", "refused:no_points"),
    "phpgpx__timezero.gpx": ("refused:far_away", "stored:old_time"),
    "togeojson__bad.gpx": ("refused:bad_coordinate", "refused:bad_coordinate"),
    "togeojson__empty_ele.gpx": ("refused:far_away", "stored:old_time"),
    "togeojson__empty_trk.gpx": ("refused:no_points", "refused:no_points"),
    "togeojson__missing_hr.gpx": ("refused:far_away", "stored:old_time"),
    "togeojson__route.gpx": ("refused:no_points", "refused:no_points"),
    "togeojson__trek_no_rtept.gpx": ("refused:no_points", "refused:no_points"),
    "togeojson__trkpt-extensions.gpx": ("refused:far_away", "stored:old_time,time_order"),
    "togeojson__unique_trkpt.gpx": (
        "refused:far_away",
        "stored:duplicate_upload,no_times,old_time",
    ),
    "togeojson__wpt.gpx": ("refused:no_points", "refused:no_points"),
    "togeojson__zero_elevation.gpx": ("refused:far_away", "stored:old_time"),
}


def _moved(data: bytes, lon0: float, lat0: float) -> bytes:
    """The file with every lat/lon attribute shifted so its first position is (lon0, lat0);
    values that are no numbers (lat="undefined") are left as they are."""
    first: dict[bytes, float] = {}
    for m in COORD.finditer(data):
        first.setdefault(m.group(1), float(m.group(3)))
        if len(first) == 2:
            break
    if len(first) < 2:
        return data
    delta = {b"lon": lon0 - first[b"lon"], b"lat": lat0 - first[b"lat"]}

    def shift(m: re.Match[bytes]) -> bytes:
        value = f"{float(m.group(3)) + delta[m.group(1)]:.7f}".encode()
        return m.group(1) + b"=" + m.group(2) + value + m.group(2)

    return COORD.sub(shift, data)


def _verdict(v: FileVerdict) -> str:
    if v.result is None:
        return f"{v.status}:{v.reason}"
    return "stored:" + ",".join(sorted(f.code for f in v.result.flags))


def test_the_corpus_is_what_sources_lists() -> None:
    files = {p.name for p in CORPUS.glob("*.gpx")}
    sources = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    assert len(files) >= 30 and files == set(EXPECTED)
    assert all(name in sources for name in files)
    assert len({name.split("__")[0] for name in files}) >= 4  # from several projects


def test_every_real_file_is_stored_or_refused_as_expected(
    demo_copy: Engine,
) -> None:
    dep, _ = deputy(demo_copy, "D0001")
    with demo_copy.connect() as conn:
        lon0, lat0 = conn.execute(
            text("SELECT ST_X(ST_Centroid(geom)), ST_Y(ST_Centroid(geom)) FROM county")
        ).one()
    names = sorted(EXPECTED)
    got: dict[str, list[str]] = {}
    for moved in (False, True):
        for name in names:
            data = (CORPUS / name).read_bytes()
            label = name
            if moved:
                data, label = _moved(data, lon0, lat0), f"moved-{name}"
            before = counts(demo_copy)
            verdict = batch.ingest_file(demo_copy, data, label, deputy_id=dep, now=NOW)
            after = counts(demo_copy)
            if verdict.result is None:
                assert after == before, f"{label}: a refused file changed rows"
                assert "Traceback" not in verdict.message
            got.setdefault(name, []).append(_verdict(verdict))
    mismatches = {
        name: (tuple(got[name]), EXPECTED[name])
        for name in names
        if tuple(got[name]) != EXPECTED[name]
    }
    assert mismatches == {}
    outcomes = {v for pair in EXPECTED.values() for v in pair}
    assert not any(v.startswith(("error", "unavailable")) for v in outcomes)
