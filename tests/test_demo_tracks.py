"""Demo patrols: deterministic, plausible, sent through the real ingestion path."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from sqlalchemy import Engine, text

from data.demo_tracks import demo_trips, load_deputies, tracks_start
from db.database import session_scope
from tracks.ingest import ingest_gpx
from tracks.reading import parse_gpx

UNTIL = date(2026, 11, 25)
# Uploaded the day after: a fixed moment, so the tracks never age into "over a year old".
UPLOADED = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def test_tracks_start_counts_whole_months() -> None:
    assert tracks_start(UNTIL, 4) == date(2026, 8, 1)
    assert tracks_start(date(2026, 2, 3), 3) == date(2025, 12, 1)


def test_demo_trips_tell_the_story_and_the_fakes_are_caught(demo_copy: Engine) -> None:
    deputies = load_deputies(demo_copy)
    start = tracks_start(UNTIL, 1)
    trips = list(demo_trips(deputies, 2026, start, UNTIL))
    kinds = Counter(t.kind for t in trips)
    assert kinds["copy"] >= 5 and kinds["teleport"] >= 5
    assert kinds["patrol"] > 500
    assert any(t.gcj02 for t in trips)
    assert all(start <= t.day <= UNTIL for t in trips)
    # same seed, same files
    again = list(demo_trips(deputies[:5], 2026, start, UNTIL))
    assert [t.data for t in again] == [
        t.data for t in trips if t.code in {d.code for d in deputies[:5]}
    ]

    fakes = [t for t in trips if t.kind != "patrol"][:6]
    originals = {t.copied_from for t in fakes if t.copied_from}
    honest = [t for t in trips if t.kind == "patrol"][:30]
    honest += [t for t in trips if t.filename in originals and t not in honest]
    outcome = {}
    for trip in honest + fakes:
        with session_scope(demo_copy) as s:
            result = ingest_gpx(
                s,
                trip.data,
                trip.filename,
                deputy_id=trip.deputy_id,
                gcj02=trip.gcj02,
                now=UPLOADED,
            )
        outcome[trip.filename] = (trip.kind, {f.code for f in result.flags}, len(result.visits))
    honest_flagged = [f for f, (k, flags, _) in outcome.items() if k == "patrol" and flags]
    assert len(honest_flagged) <= 1, honest_flagged
    assert all(n > 0 for k, _, n in outcome.values() if k == "patrol")
    for kind, flags, _ in outcome.values():
        if kind == "teleport":
            assert "impossible_jump" in flags
        if kind == "copy":
            assert {"duplicate_upload", "copied_shape"} & flags
    with demo_copy.connect() as conn:
        verified = conn.scalar(text("SELECT count(DISTINCT patrol_id) FROM verified_visit"))
    assert verified >= 29


def test_demo_track_points_are_plausible(demo_copy: Engine) -> None:
    deputies = load_deputies(demo_copy, limit=3)
    trip = next(demo_trips(deputies, 7, date(2026, 11, 1), UNTIL))
    parsed = parse_gpx(trip.data)
    assert parsed.has_times and parsed.n_points > 50
    assert 28.0 < parsed.lat.mean() < 30.0 and 117.5 < parsed.lon.mean() < 119.5
