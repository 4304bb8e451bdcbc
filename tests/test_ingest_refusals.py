"""Every file ends stored (with its flags) or refused with a named reason; nothing half-stored.

The cases the issue "[1/8] no file crashes ingestion" measured: tracks far from the county,
no position fix, broken time order, times outside a sane range, GBK without a declaration,
encodings that are not ASCII-compatible, and a batch in which one file fails unexpectedly.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine, text

from core import clock
from core.errors import InternalError, log_unexpected
from tests.test_ingest import NOW, START, counts, deputy, ingest, track_through
from tracks import batch
from tracks.gpx_input import GpxRefused
from tracks.reading import parse_gpx
from tracks.synth import to_gpx_bytes

# Reads today's date: run again under each frozen date (tests/clock.py).
pytestmark = pytest.mark.clock

LJUBLJANA = (14.5058, 46.0569)  # ~8,900 km from the county


def _far_track(n: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lon = LJUBLJANA[0] + np.linspace(0, 0.01, n)
    lat = np.full(n, LJUBLJANA[1])
    return lon, lat, START + np.arange(n) * 5.0


def test_a_track_far_from_the_county_is_refused_naming_the_distance(demo_copy: Engine) -> None:
    dep, _ = deputy(demo_copy, "D0001")
    before = counts(demo_copy)
    with pytest.raises(GpxRefused) as info:
        ingest(demo_copy, to_gpx_bytes(*_far_track()), "ljubljana.gpx", dep)
    err = info.value
    assert err.reason == "far_away"
    assert err.params["margin_km"] == "5"
    assert 8_000 < err.params["nearest_km"] < 9_500  # great-circle, not UTM-distorted
    assert "within 5 km of the county" in str(err) and "km away" in str(err)
    assert counts(demo_copy) == before


def test_a_track_just_outside_the_margin_names_a_small_distance(demo_copy: Engine) -> None:
    """The nearest point 20 km outside: the sentence names about 20 km, not thousands."""
    dep, site = deputy(demo_copy, "D0001")
    with demo_copy.connect() as conn:
        west = conn.scalar(text("SELECT ST_XMin(geom) FROM county"))
        mid_lat = conn.scalar(text("SELECT ST_Y(ST_Centroid(geom)) FROM county"))
    lon0 = west - 20_000 / (111_320 * np.cos(np.radians(mid_lat)))  # 20 km west of the box
    lon = lon0 - np.linspace(0, 0.01, 40)
    lat = np.full(40, mid_lat)
    with pytest.raises(GpxRefused) as info:
        ingest(demo_copy, to_gpx_bytes(lon, lat, START + np.arange(40) * 5.0), "w.gpx", dep)
    assert info.value.reason == "far_away"
    assert 15 <= info.value.params["nearest_km"] <= 25


def test_no_position_fix_is_refused(demo_copy: Engine) -> None:
    dep, _ = deputy(demo_copy, "D0001")
    zeros = np.zeros(30)
    with pytest.raises(GpxRefused) as info:
        ingest(demo_copy, to_gpx_bytes(zeros, zeros, START + np.arange(30.0)), "z.gpx", dep)
    assert info.value.reason == "no_fix"


@pytest.mark.parametrize("disorder", ["reversed", "shuffled", "repeated"])
def test_broken_time_order_is_flagged_not_silently_verified(
    demo_copy: Engine, disorder: str
) -> None:
    dep, site = deputy(demo_copy, "D0001")
    lon, lat, t = track_through(demo_copy, site)
    if disorder == "reversed":
        t = t[::-1].copy()
    elif disorder == "shuffled":
        t = np.random.default_rng(3).permutation(t)
    else:
        t = np.repeat(t[::2], 2)[: len(t)]  # every time written twice
    result = ingest(demo_copy, to_gpx_bytes(lon, lat, t), f"{disorder}.gpx", dep)
    flags = {f.code: f.message for f in result.flags}
    assert "time_order" in flags, flags
    message = flags["time_order"]
    if disorder == "repeated":
        assert "steps repeat the previous time" in message
    else:
        assert "runs backwards" in message
    assert not result.counts  # flagged: counts only after an analyst accepts it
    with demo_copy.connect() as conn:
        assert (
            conn.scalar(
                text("SELECT count(*) FROM verified_visit WHERE patrol_id = :p"),
                {"p": result.patrol_id},
            )
            == 0
        )


def test_an_occasional_repeated_second_is_no_flag(demo_copy: Engine) -> None:
    dep, site = deputy(demo_copy, "D0001")
    lon, lat, t = track_through(demo_copy, site)
    t = t.copy()
    t[10] = t[9]  # one repeated second in hundreds of steps: a logger's hiccup
    result = ingest(demo_copy, to_gpx_bytes(lon, lat, t), "hiccup.gpx", dep)
    assert "time_order" not in {f.code for f in result.flags}


@pytest.mark.parametrize(
    ("when", "reason"),
    [
        ("9999-01-01T00:00:00Z", "time_range"),
        ("1816-03-29T00:00:00Z", "time_range"),
        ("1999-12-31T12:00:00Z", "time_range"),
        ("0001-01-01T00:00:00", "time_range"),
    ],
)
def test_times_outside_the_sane_range_are_refused_never_wrapped(
    demo_copy: Engine, when: str, reason: str
) -> None:
    dep, _ = deputy(demo_copy, "D0001")
    data = (
        '<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
        f'<trkpt lat="28.9" lon="118.5"><time>2026-11-10T01:00:00Z</time></trkpt>'
        f'<trkpt lat="28.9001" lon="118.5"><time>{when}</time></trkpt>'
        "</trkseg></trk></gpx>"
    ).encode()
    before = counts(demo_copy)
    with pytest.raises(GpxRefused) as info:
        ingest(demo_copy, data, "clock.gpx", dep)
    assert info.value.reason == reason
    assert when in str(info.value)
    assert counts(demo_copy) == before


def test_a_track_more_than_a_day_ahead_is_refused_a_few_hours_ahead_flagged(
    demo_copy: Engine,
) -> None:
    dep, site = deputy(demo_copy, "D0001")
    lon, lat, t = track_through(demo_copy, site)
    ahead = NOW.timestamp() + 3 * 86_400 - t[0]
    with pytest.raises(GpxRefused) as info:
        ingest(demo_copy, to_gpx_bytes(lon, lat, t + ahead), "ahead.gpx", dep)
    assert info.value.reason == "time_range" and "days in the future" in str(info.value)
    soon = NOW.timestamp() + 2 * 3600 - t[0]
    result = ingest(demo_copy, to_gpx_bytes(lon, lat, t + soon), "soon.gpx", dep)
    assert "future_time" in {f.code for f in result.flags}


def test_gbk_without_declaration_is_stored_with_its_codec(demo_copy: Engine) -> None:
    dep, site = deputy(demo_copy, "D0001")
    lon, lat, t = track_through(demo_copy, site)
    data = to_gpx_bytes(lon, lat, t, name="巡查 常山港 水塘", encoding="GBK")
    data = data.split(b"?>", 1)[1].lstrip()  # no XML declaration at all
    result = ingest(demo_copy, data, "gbk.gpx", dep)
    assert not result.duplicate and len(result.visits)
    assert any("GB18030" in note for note in result.notes)
    with demo_copy.connect() as conn:
        assert conn.scalar(text("SELECT encoding FROM gpx_upload")) == "GB18030"


@pytest.mark.parametrize("encoding", ["UTF-7", "UTF-16", "UTF-32", "cp500"])
def test_encodings_that_are_not_ascii_compatible_are_refused(encoding: str) -> None:
    # UTF-7 can spell "<!DOCTYPE" as "+ADw-!DOCTYPE": the ASCII pre-scan would not see it.
    body = f'<?xml version="1.0" encoding="{encoding}"?>+ADw-!DOCTYPE x+AD4-<gpx/>'.encode()
    with pytest.raises(GpxRefused) as info:
        parse_gpx(body)
    assert info.value.reason == "encoding" and "not ASCII-compatible" in str(info.value)


def test_a_doctype_is_found_in_every_decoded_text() -> None:
    latin = b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<!DOCTYPE gpx>\n<gpx/>'
    with pytest.raises(GpxRefused) as info:
        parse_gpx(latin)
    assert info.value.reason == "doctype"
    utf16 = "\ufeff<?xml version='1.0'?><!DOCTYPE gpx><gpx/>".encode("utf-16-le")
    with pytest.raises(GpxRefused) as info:
        parse_gpx(utf16)
    assert info.value.reason == "doctype"


def test_one_point_is_stored_but_flagged_as_unable_to_prove(demo_copy: Engine) -> None:
    dep, site = deputy(demo_copy, "D0001")
    lon, lat, t = track_through(demo_copy, site)
    result = ingest(demo_copy, to_gpx_bytes(lon[:1], lat[:1], t[:1]), "one.gpx", dep)
    assert result.visits.empty and result.n_kept == 1
    assert [f.code for f in result.flags] == ["no_times"]
    assert "only one track point" in result.flags[0].message


def test_an_unexpected_error_is_one_files_verdict_with_an_id(
    demo_copy: Engine, monkeypatch, tmp_path: Path
) -> None:
    """A bug while ingesting one file: that file's verdict names an id, the traceback is in
    the error log only, and the other files of the batch are stored."""
    monkeypatch.setenv("SHUIJIAN_LOG_DIR", str(tmp_path))
    _reset_error_log()
    dep, site = deputy(demo_copy, "D0001")
    good = to_gpx_bytes(*track_through(demo_copy, site))
    real = batch.IngestBatch.add

    def sometimes_broken(self, f):
        if f.filename == "boom.gpx":
            raise ZeroDivisionError("a bug")
        return real(self, f)

    monkeypatch.setattr(batch.IngestBatch, "add", sometimes_broken)
    verdicts = [
        batch.ingest_file(demo_copy, good, "boom.gpx", deputy_id=dep, now=NOW),
        batch.ingest_file(demo_copy, good, "good.gpx", deputy_id=dep, now=NOW),
        batch.ingest_file(demo_copy, b"garbage", "garbage.gpx", deputy_id=dep, now=NOW),
        batch.ingest_file(
            demo_copy, to_gpx_bytes(*_far_track()), "far.gpx", deputy_id=dep, now=NOW
        ),
    ]
    assert [v.status for v in verdicts] == ["error", "stored", "refused", "refused"]
    assert [v.reason for v in verdicts] == ["internal", None, "not_xml", "far_away"]
    boom = verdicts[0]
    assert boom.message == f"internal error, logged as {boom.error_id}"
    assert "Traceback" not in boom.message and "ZeroDivisionError" not in boom.message
    _flush_error_log()
    log = (tmp_path / "errors.log").read_text(encoding="utf-8")
    assert boom.error_id in log and "ZeroDivisionError: a bug" in log and "Traceback" in log
    _reset_error_log()


def test_an_outage_is_a_verdict_that_stores_nothing(demo_copy: Engine) -> None:
    from sqlalchemy import create_engine

    dep, site = deputy(demo_copy, "D0001")
    down = create_engine(
        demo_copy.url.set(host="127.0.0.1", port=1), connect_args={"connect_timeout": 2}
    )
    verdict = batch.ingest_file(
        down, to_gpx_bytes(*track_through(demo_copy, site)), "p.gpx", deputy_id=dep
    )
    assert (verdict.status, verdict.reason) == ("unavailable", "db_unavailable")
    assert "127.0.0.1" not in verdict.message


def test_cli_batch_gives_every_file_a_verdict_and_exit_2_on_a_bug(
    demo_copy: Engine, tmp_path: Path, monkeypatch
) -> None:
    from typer.testing import CliRunner

    from cli.main import app
    from db import database

    monkeypatch.setenv("SHUIJIAN_LOG_DIR", str(tmp_path / "logs"))
    _reset_error_log()
    dep, site = deputy(demo_copy, "D0001")
    recent = (clock.now() - timedelta(days=2)).timestamp()
    files = {
        "boom.gpx": to_gpx_bytes(*track_through(demo_copy, site, start_s=recent, seed=7)),
        "far.gpx": to_gpx_bytes(*_far_track()),
        "garbage.gpx": b"\x89PNG\r\n\x1a\n not a track",
        "good.gpx": to_gpx_bytes(*track_through(demo_copy, site, start_s=recent)),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    real = batch.IngestBatch.add

    def sometimes_broken(self, f):
        if f.filename == "boom.gpx":
            return {}["missing"]  # a KeyError deep inside
        return real(self, f)

    monkeypatch.setattr(batch.IngestBatch, "add", sometimes_broken)
    monkeypatch.setenv("DATABASE_URL", demo_copy.url.render_as_string(hide_password=False))
    database.get_engine.cache_clear()
    try:
        result = CliRunner().invoke(
            app, ["ingest", *(str(tmp_path / n) for n in files), "--deputy", "d0001"]
        )
    finally:
        database.get_engine.cache_clear()
        _flush_error_log()
        _reset_error_log()
    out = result.output
    assert result.exit_code == 2, out
    assert "boom.gpx: internal error, logged as " in out
    assert "far.gpx: refused: no track point lies within 5 km" in out
    assert "garbage.gpx: refused: the file is not XML" in out
    assert "good.gpx: patrol #" in out
    assert "Traceback" not in out and "KeyError" not in out
    assert "KeyError" in (tmp_path / "logs" / "errors.log").read_text(encoding="utf-8")


def test_log_unexpected_returns_an_error_with_a_fresh_id(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SHUIJIAN_LOG_DIR", str(tmp_path))
    _reset_error_log()
    try:
        raise ValueError("x")
    except ValueError as exc:
        first, second = log_unexpected(exc, "a"), log_unexpected(exc, "b")
    assert isinstance(first, InternalError) and first.exit_code == 2
    assert first.error_id != second.error_id and len(first.error_id) == 8
    _reset_error_log()


def _flush_error_log() -> None:
    for handler in logging.getLogger("shuijian.errors").handlers:
        handler.flush()


def _reset_error_log() -> None:
    """Detach the error log's handler, so the next error opens the file the test set."""
    logger = logging.getLogger("shuijian.errors")
    for handler in list(logger.handlers):
        handler.close()
        logger.removeHandler(handler)
