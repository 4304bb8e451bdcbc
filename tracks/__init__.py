"""Track processing: GPX reading, cleaning, visit detection and plausibility checks.

Pure functions over numpy arrays and dataclasses. The database edge lives in
``tracks.ingest``; synthetic tracks for the demo and tests in ``tracks.synth`` (imported on
its own: it pulls in scipy and gpxpy).
"""

from tracks.cleaning import CleanResult, clean_track, split_segments, zero_island_mask
from tracks.gpx_input import GpxRefused
from tracks.plausibility import (
    DEFAULT_CHECKS,
    Flag,
    Limits,
    TrackFacts,
    fingerprint,
    run_checks,
    shape_signature,
)
from tracks.reading import ParsedGpx, Route, Waypoint, parse_gpx, read_gpx_file
from tracks.visits import detect_visits

__all__ = [
    "DEFAULT_CHECKS",
    "CleanResult",
    "Flag",
    "GpxRefused",
    "Limits",
    "ParsedGpx",
    "Route",
    "TrackFacts",
    "Waypoint",
    "clean_track",
    "detect_visits",
    "fingerprint",
    "parse_gpx",
    "read_gpx_file",
    "run_checks",
    "shape_signature",
    "split_segments",
    "zero_island_mask",
]
