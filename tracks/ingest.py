"""From uploaded GPX bytes to a stored patrol with its verified visits, in one transaction.

Reading, cleaning, visit detection and plausibility are pure functions in this package; this
module is the database edge: rights, de-duplication by content hash, the county and the sites
near the track, and the rows written. A refusal raises before anything is written, so nothing
stored earlier is touched.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import psycopg
import shapely
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from accounts.auth import SignedIn
from accounts.permissions import may
from core import clock, settings
from core.errors import PermissionDenied, ShuijianError
from db.models import (
    Deputy,
    GpxUpload,
    Patrol,
    PatrolFeature,
    PatrolFlag,
)
from geo import crs as crs_helper
from tracks.cleaning import clean_track, zero_island_mask
from tracks.gpx_input import GpxRefused
from tracks.plausibility import (
    Flag,
    TrackFacts,
    check_copied_shape,
    fingerprint,
    run_checks,
    shape_signature,
)
from tracks.reading import ParsedGpx, parse_gpx
from tracks.visits import detect_visits

CANDIDATE_LIMIT = 200  # earlier tracks compared for near-copies, the latest first
BOX_SLACK_DEG = 0.003  # ~300 m: far more than a copy (mean distance ≤ 20 m) moves an edge
SAME_DEPUTY_COPY_M = 0.5  # mean distance below which a deputy's own earlier track was copied


class UploadRefused(ShuijianError):
    """The upload cannot be stored (rights, no track points); nothing was written."""


@dataclass(frozen=True)
class IngestParams:
    """The settings an ingestion uses, read once so a batch is consistent."""

    distance_m: float
    min_dwell_s: float
    max_speed_ms: float
    gap_split_s: float
    stay_radius_m: float
    margin_m: float
    max_bytes: int
    naive_tz: str
    metric_epsg: int

    @classmethod
    def from_settings(cls) -> IngestParams:
        return cls(
            distance_m=settings.number("visit_distance_m"),
            min_dwell_s=settings.number("visit_min_dwell_min") * 60.0,
            max_speed_ms=settings.number("max_speed_kmh") / 3.6,
            gap_split_s=settings.number("gap_split_min") * 60.0,
            stay_radius_m=settings.number("stay_radius_m"),
            margin_m=settings.number("county_margin_m"),
            max_bytes=int(settings.number("gpx_max_mb") * 1024 * 1024),
            naive_tz=settings.text("timezone"),
            metric_epsg=crs_helper.metric_epsg(),
        )


@dataclass
class IngestResult:
    filename: str
    patrol_id: int
    duplicate: bool
    n_points: int = 0
    n_kept: int = 0
    visits: pd.DataFrame = field(default_factory=pd.DataFrame)
    flags: list[Flag] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def counts(self) -> bool:
        """Counts toward patrol duty without review: not flagged and timed."""
        return not self.flags

    def summary(self) -> str:
        if self.duplicate:
            return f"{self.filename}: already uploaded as patrol #{self.patrol_id}; nothing changed"
        assigned = int(self.visits["is_assigned"].sum()) if len(self.visits) else 0
        state = "flagged for review" if self.flags else "verified"
        return (
            f"{self.filename}: patrol #{self.patrol_id}, {self.n_kept}/{self.n_points} points "
            f"kept, {len(self.visits)} visit(s) ({assigned} to assigned sites), {state}"
        )


def check_upload_rights(uploader: SignedIn | None, deputy_id: int) -> bool:
    """Deputies upload only as themselves; analysts and admins for anyone (recorded).
    Returns whether the upload is on someone else's behalf. None is the command line."""
    if uploader is None:
        return False
    if may(uploader.role, "upload_for_deputy"):
        return uploader.deputy_id != deputy_id
    if may(uploader.role, "upload_own_patrol"):
        if uploader.deputy_id != deputy_id:
            raise PermissionDenied(
                "a deputy may upload patrols only as themselves",
                code="not_allowed",
                action="upload_for_deputy",
            )
        return False
    raise PermissionDenied(
        f"role {uploader.role!r} may not upload patrols",
        code="not_allowed",
        action="upload_own_patrol",
    )


@dataclass(frozen=True)
class GpxFile:
    """One file of a batch: its bytes, its name, the deputy who walked it."""

    data: bytes
    filename: str
    deputy_id: int
    gcj02: bool = False
    notes: str | None = None


def ingest_gpx(
    session: Session,
    data: bytes,
    filename: str,
    *,
    deputy_id: int,
    uploader: SignedIn | None = None,
    gcj02: bool = False,
    notes: str | None = None,
    params: IngestParams | None = None,
    now: datetime | None = None,
) -> IngestResult:
    """Ingest one file in the session's transaction: a batch of one (the same steps, the same
    rows as :class:`IngestBatch`). A refusal raises before anything of the file is written."""
    batch = IngestBatch(session, uploader=uploader, params=params, now=now)
    return batch.add(GpxFile(data, filename, deputy_id, gcj02, notes))


class IngestBatch:
    """Many files in one transaction, each stored whole or refused (raising) before any of its
    rows is written; the caller wraps each :meth:`add` in a savepoint to keep going after a
    refusal (``tracks.batch.ingest_files``).

    What every file would read again is read once per batch: the settings, the county outline
    (projected and prepared), each deputy's county. The track geometry and the visits go in
    with COPY (``_copy_tracks``, ``_copy_visits``); the upload, patrol, flag and feature rows
    are one small INSERT each. Each file's rows are written before the next file is checked,
    so a batch stores exactly what the same files ingested one by one would (a duplicate or a
    copy within the batch is found as it would be across uploads)."""

    def __init__(
        self,
        session: Session,
        *,
        uploader: SignedIn | None = None,
        params: IngestParams | None = None,
        now: datetime | None = None,
    ) -> None:
        self.session = session
        self.uploader = uploader
        self.params = params or IngestParams.from_settings()
        self.now = now
        self._outline: object = _UNREAD
        self._deputy_county: dict[int, int | None] = {}
        _compress_with_lz4(session)
        _create_staging(_driver_connection(session))

    def outline(self):
        """The county outline in metres, prepared: read once per batch."""
        if self._outline is _UNREAD:
            self._outline = _county_outline(self.session, self.params.metric_epsg)
        return self._outline

    def deputy_county(self, deputy_id: int, filename: str) -> int | None:
        """The deputy's county (None: the scope's); an unknown or unseen deputy is refused."""
        if deputy_id not in self._deputy_county:
            row = self.session.execute(
                select(Deputy.id, Deputy.county_id).where(Deputy.id == deputy_id)
            ).first()
            if row is None:
                raise UploadRefused(
                    f"{filename}: no deputy with id {deputy_id}",
                    code="no_deputy",
                    deputy=deputy_id,
                    filename=filename,
                )
            self._deputy_county[deputy_id] = row[1]
        return self._deputy_county[deputy_id]

    def add(self, f: GpxFile) -> IngestResult:
        session, params, uploader = self.session, self.params, self.uploader
        on_behalf = check_upload_rights(uploader, f.deputy_id)
        county_id = self.deputy_county(f.deputy_id, f.filename)
        digest = hashlib.sha256(f.data).hexdigest()
        existing = session.scalar(
            select(Patrol.id)
            .join(GpxUpload, GpxUpload.id == Patrol.upload_id)
            .where(GpxUpload.sha256 == digest)
        )
        if existing is not None:
            return IngestResult(f.filename, existing, duplicate=True)
        refuse_stored_elsewhere(session, digest, f.filename)

        checks_now = (self.now or clock.now()).timestamp()
        parsed, track = read_track(
            session, f.data, gcj02=f.gcj02, params=params, now_s=checks_now, outline=self.outline()
        )
        flags = plausibility_flags(session, track, checks_now, deputy_id=f.deputy_id)
        visits = _visits(session, track, f.deputy_id, params) if parsed.has_times else _no_visits()

        upload = store_upload(
            session,
            f.data,
            f.filename,
            parsed,
            f.gcj02,
            params,
            uploader.user_id if uploader else None,
            county_id,
            digest=digest,
        )
        values = {
            "upload_id": upload.id,
            "deputy_id": f.deputy_id,
            "uploaded_by": upload.uploaded_by,
            "on_behalf": on_behalf,
            "started_at": _ts(np.nanmin(track.t_s)) if parsed.has_times else None,
            "ended_at": _ts(np.nanmax(track.t_s)) if parsed.has_times else None,
            "distance_m": track.distance_m,
            "n_points": parsed.n_points,
            "n_kept": len(track.x),
            "dropped": track.dropped,
            "has_times": parsed.has_times,
            "fingerprint": track.fingerprint,
            "shape_signature": (
                track.signature.ravel().tolist() if track.signature is not None else None
            ),
            "notes": f.notes,
        }
        if county_id is not None:
            values["county_id"] = county_id
        patrol_id = session.execute(
            insert(Patrol).values(**values).returning(Patrol.id)
        ).scalar_one()
        rows: list[object] = [
            PatrolFlag(
                patrol_id=patrol_id,
                code=flag.code,
                message=flag.message,
                details=[[code, said] for code, said in flag.details],
            )
            for flag in flags
        ]
        rows += _features(patrol_id, parsed, f.gcj02)
        if rows:
            session.add_all(rows)
            session.flush()
            # The session keeps no row of the file: a long batch holds only its results.
            for obj in rows:
                session.expunge(obj)
        conn = _driver_connection(session)
        ewkb = track_ewkb(track)
        if ewkb is not None:
            _copy_tracks(conn, [(patrol_id, county_id, ewkb)])
        _copy_visits(conn, patrol_id, county_id, visits)
        result_notes = (
            []
            if parsed.has_times
            else ["the track points have no timestamps, so this file cannot prove a visit"]
        )
        if parsed.encoding_note:
            result_notes.append(parsed.encoding_note)
        return IngestResult(
            f.filename, patrol_id, False, parsed.n_points, len(track.x), visits, flags, result_notes
        )


_UNREAD = object()


def _compress_with_lz4(session: Session) -> None:
    """For this transaction, compress what it stores out of line with lz4 when the server has
    it (the original files, the tracks): several times faster than the default pglz, read
    back the same way by every query. Only this transaction's new values are affected."""
    session.execute(
        text(
            "SELECT set_config('default_toast_compression', 'lz4', true) FROM pg_settings "
            "WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
        )
    )


# ------------------------------------------------------------------ steps
# Shared with the other sources of tracks (volunteer patrols, supervision visits: ``duty``),
# which read, clean and check a file exactly as a deputy's and store it in their own tables.


def refuse_stored_elsewhere(session: Session, digest: str, filename: str) -> None:
    """The same file is kept once (``gpx_upload.sha256``): a file already stored for another
    source (a deputy's patrol, a volunteer's, a supervision visit) is refused by name."""
    if session.scalar(select(GpxUpload.id).where(GpxUpload.sha256 == digest)) is not None:
        raise UploadRefused(
            f"{filename}: the same file is already stored for another patrol or visit",
            code="upload_stored_elsewhere",
            filename=filename,
        )


def read_track(
    session: Session,
    data: bytes,
    *,
    gcj02: bool,
    params: IngestParams,
    now_s: float,
    outline: object = _UNREAD,
) -> tuple[ParsedGpx, _Track]:
    """Parse and clean a file (refusing one with no usable point or a far-future clock).
    ``outline``: the county in metres when the caller has read it (a batch), else read here."""
    parsed = parse_gpx(data, naive_tz=params.naive_tz, max_bytes=params.max_bytes)
    if parsed.n_points == 0:
        raise GpxRefused(
            "no_points",
            "the file has no track points (waypoints and routes are stored with a track but "
            "are never proof of a visit)",
        )
    _refuse_far_future(parsed, now_s)
    if outline is _UNREAD:
        outline = _county_outline(session, params.metric_epsg)
    return parsed, _prepare(parsed, gcj02, params, outline)


def plausibility_flags(
    session: Session, track: _Track, now_s: float, *, deputy_id: int | None = None
) -> list[Flag]:
    """The plausibility checks against every earlier deputy track; a deputy's own earlier
    tracks are held to the tighter copy test (``deputy_id`` None: all tracks are others')."""
    others, own = _nearby_shapes(session, track, deputy_id)
    facts = TrackFacts(
        lon=track.lon,
        lat=track.lat,
        x=track.x,
        y=track.y,
        t_s=track.t_s,
        now_s=now_s,
        inside_share=track.inside_share,
        n_dropped_spikes=int(track.dropped.get("speed", 0)),
        earlier_fingerprints=_same_fingerprint(session, track.fingerprint),
        earlier_shapes=others,
    )
    flags = run_checks(facts)
    if own and not any(f.code == "copied_shape" for f in flags):
        # A deputy re-walking their own route is honest (resampled, two such walks still lie
        # ~1.5 m apart); only a near-verbatim copy of their own earlier track is flagged.
        tight = replace(
            facts, earlier_shapes=own, limits=replace(facts.limits, shape_mean_m=SAME_DEPUTY_COPY_M)
        )
        if (flag := check_copied_shape(tight)) is not None:
            flags.append(flag)
    return flags


def store_upload(
    session: Session,
    data: bytes,
    filename: str,
    parsed: ParsedGpx,
    gcj02: bool,
    params: IngestParams,
    uploaded_by: int | None,
    county_id: int | None = None,
    *,
    digest: str | None = None,
) -> StoredUpload:
    """The original file, byte for byte, with how it was read. Its county: ``county_id``
    (the deputy's or the group's), else its uploader's or the scope's (migration 0020).
    One INSERT, no ORM object: a batch does not keep every file's bytes in the session."""
    values = {
        "sha256": digest or hashlib.sha256(data).hexdigest(),
        "filename": filename[:255],
        "size_bytes": len(data),
        "content": data,
        "encoding": parsed.encoding[:20],
        "gpx_version": parsed.version,
        "declared_crs": "gcj02" if gcj02 else "wgs84",
        "naive_timezone": params.naive_tz,
        "uploaded_by": uploaded_by,
    }
    if county_id is not None:
        values["county_id"] = county_id
    upload_id = session.execute(
        insert(GpxUpload).values(**values).returning(GpxUpload.id)
    ).scalar_one()
    return StoredUpload(upload_id, uploaded_by)


@dataclass(frozen=True)
class StoredUpload:
    id: int
    uploaded_by: int | None


def track_wkb(track: _Track) -> bytes | None:
    """The kept points as MultiLineStringM WKB (M = epoch seconds); None for under 2 points."""
    return multilinestring_m_wkb(
        track.lon, track.lat, np.nan_to_num(track.t_s, nan=0.0), track.segment
    )


def track_ewkb(track: _Track) -> bytes | None:
    """The same as EWKB with SRID 4326: what a binary COPY sends for a geometry column."""
    return multilinestring_m_wkb(
        track.lon, track.lat, np.nan_to_num(track.t_s, nan=0.0), track.segment, srid=4326
    )


def site_visits(session: Session, track: _Track, params: IngestParams) -> pd.DataFrame:
    """The sites a timed track stayed at (distance and dwell as a deputy's), no assignment."""
    found = _found_visits(session, track, params)
    return found if found is not None else _no_visits().drop(columns="is_assigned")


@dataclass
class _Track:
    lon: np.ndarray
    lat: np.ndarray
    x: np.ndarray
    y: np.ndarray
    t_s: np.ndarray
    segment: np.ndarray
    dropped: dict[str, int]
    inside_share: float
    distance_m: float
    fingerprint: str
    signature: np.ndarray | None


def _prepare(parsed: ParsedGpx, gcj02: bool, params: IngestParams, outline) -> _Track:
    lon, lat = parsed.lon, parsed.lat
    if gcj02:
        lon, lat = crs_helper.gcj02_to_wgs84(lon, lat)
    t_s = parsed.t_s
    zero = zero_island_mask(lon, lat)
    x, y = crs_helper.lonlat_to_metric(lon, lat, params.metric_epsg)
    inside_share = (
        float(shapely.contains_xy(outline, x[~zero], y[~zero]).mean())
        if outline is not None and (~zero).any()
        else 1.0
    )
    keep = ~zero
    cleaned = clean_track(
        x[keep],
        y[keep],
        t_s[keep],
        parsed.segment[keep],
        outline_metric=outline,
        max_speed_ms=params.max_speed_ms,
        margin_m=params.margin_m,
        gap_split_s=params.gap_split_s,
        stay_radius_m=params.stay_radius_m,
    )
    dropped = {k: int(v) for k, v in cleaned.dropped.items() if v}
    if zero.any():
        dropped["zero_island"] = int(zero.sum())
    if not cleaned.kept.any():
        raise _nothing_kept(lon[keep], lat[keep], dropped, outline, params)
    k = cleaned.kept
    lon_k, lat_k = lon[keep][k], lat[keep][k]
    x_k, y_k, t_k, seg_k = x[keep][k], y[keep][k], t_s[keep][k], cleaned.segment
    step = np.hypot(np.diff(x_k), np.diff(y_k))
    same_segment = seg_k[1:] == seg_k[:-1] if len(seg_k) > 1 else np.zeros(0, bool)
    return _Track(
        lon=lon_k,
        lat=lat_k,
        x=x_k,
        y=y_k,
        t_s=t_k,
        segment=seg_k,
        dropped=dropped,
        inside_share=inside_share,
        distance_m=float(step[same_segment].sum()),
        fingerprint=fingerprint(lon, lat),
        signature=shape_signature(x_k, y_k) if len(x_k) >= 2 else None,
    )


FUTURE_REFUSE_S = 86_400.0  # a track ending more than a day after the upload: a wrong clock


def _refuse_far_future(parsed: ParsedGpx, now_s: float) -> None:
    """Times more than a day after now are a device clock set wrong, not a patrol: refused.
    (Up to a day ahead is flagged ``future_time`` by the plausibility checks instead.)"""
    t_s = parsed.t_s
    if not np.isfinite(t_s).any():
        return
    last = float(np.nanmax(t_s))
    if last <= now_s + FUTURE_REFUSE_S:
        return
    zone = clock.zone()
    when = datetime.fromtimestamp(last, tz=UTC).astimezone(zone)
    days = (last - now_s) / 86_400.0
    raise GpxRefused(
        "time_range",
        f"the track ends at {when:%Y-%m-%d %H:%M}, {days:,.1f} days in the future; check the "
        "device's clock",
        value=f"{when:%Y-%m-%d %H:%M}",
        days=round(days, 1),
    )


def _nothing_kept(
    lon: np.ndarray, lat: np.ndarray, dropped: dict[str, int], outline, params: IngestParams
) -> GpxRefused:
    """Why cleaning left no point: no position fix at all, or every point far from the
    county (naming how far the nearest one was), or (rarely) every point a speed spike."""
    if lon.size == 0:
        return GpxRefused("no_fix", "no track point has a position fix (all at 0,0 or missing)")
    margin_km = params.margin_m / 1000.0
    if outline is not None and dropped.get("outside_county", 0) > 0:
        nearest_km = nearest_distance_km(lon, lat, outline, params.metric_epsg)
        return GpxRefused(
            "far_away",
            f"no track point lies within {margin_km:g} km of the county; the nearest is "
            f"{nearest_km:,.0f} km away (was the file recorded elsewhere, or in GCJ-02?)",
            margin_km=f"{margin_km:g}",
            nearest_km=round(nearest_km),
        )
    counts = ", ".join(f"{k} {v}" for k, v in sorted(dropped.items()))
    return GpxRefused("no_points", f"cleaning dropped every track point ({counts})", dropped=counts)


_GEOD = None


def nearest_distance_km(lon: np.ndarray, lat: np.ndarray, outline_metric, epsg: int) -> float:
    """Great-circle distance from the track's nearest point to the county outline, in km.

    Measured on the ellipsoid, since a point on another continent is far outside the metric
    CRS's zone: the point nearest the county's centre first (one vectorised call over the
    points), then its distance to the outline's vertices (one call over the vertices)."""
    global _GEOD
    from pyproj import Geod

    _GEOD = _GEOD or Geod(ellps="WGS84")
    ring = shapely.get_coordinates(shapely.boundary(outline_metric))
    if ring.size == 0:
        return float("nan")
    olon, olat = crs_helper.metric_to_lonlat(ring[:, 0], ring[:, 1], epsg)
    c = shapely.centroid(outline_metric)
    clon, clat = crs_helper.metric_to_lonlat(np.array([c.x]), np.array([c.y]), epsg)
    _, _, to_centre = _GEOD.inv(np.full(lon.size, clon[0]), np.full(lat.size, clat[0]), lon, lat)
    i = int(np.argmin(to_centre))
    _, _, to_outline = _GEOD.inv(np.full(olon.size, lon[i]), np.full(olat.size, lat[i]), olon, olat)
    if shapely.contains_xy(
        outline_metric, *crs_helper.lonlat_to_metric(np.array([lon[i]]), np.array([lat[i]]), epsg)
    ).any():
        return 0.0
    return float(np.min(to_outline)) / 1000.0


def _ts(seconds: float) -> datetime:
    return datetime.fromtimestamp(float(seconds), tz=UTC)


def _county_outline(session: Session, epsg: int):
    """The county in metres, prepared; cached per database and county rows, since a batch
    asks for it once per file and it changes only when a county is (re)loaded."""
    key = session.execute(
        text(
            "SELECT count(*), COALESCE(max(id), 0), COALESCE(sum(ST_NPoints(geom)), 0) FROM county"
        )
    ).one()
    url = session.get_bind().url.render_as_string(hide_password=True)
    return _outline_cached(session, url, epsg, tuple(key))


_OUTLINES: dict[tuple, object] = {}


def _outline_cached(session: Session, url: str, epsg: int, key: tuple):
    cache_key = (url, epsg, key)
    if cache_key not in _OUTLINES:
        wkb = session.scalar(
            text("SELECT ST_AsBinary(ST_Transform(ST_Union(geom), :epsg)) FROM county"),
            {"epsg": epsg},
        )
        outline = None
        if wkb is not None:
            outline = shapely.from_wkb(bytes(wkb))
            shapely.prepare(outline)
        if len(_OUTLINES) > 16:
            _OUTLINES.clear()
        _OUTLINES[cache_key] = outline
    return _OUTLINES[cache_key]


def _visits(session: Session, track: _Track, deputy_id: int, params: IngestParams) -> pd.DataFrame:
    found = _found_visits(session, track, params)
    if found is None:
        return _no_visits()
    found["is_assigned"] = _assigned_on_arrival(session, deputy_id, found)
    return found


def _found_visits(session: Session, track: _Track, params: IngestParams) -> pd.DataFrame | None:
    if len(track.x) < 2:
        return None
    # Index-friendly: a bounding box in degrees (GiST on site.geom), padded by twice the
    # visit distance; the exact distance test is detect_visits' job.
    pad_lat = params.distance_m * 2 / 111_000.0
    pad_lon = pad_lat / max(np.cos(np.radians(float(np.mean(track.lat)))), 0.1)
    rows = session.execute(
        text(
            "SELECT s.id, ST_AsBinary(ST_Transform(s.geom, :epsg)) FROM site s "
            "WHERE s.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326)"
        ),
        {
            "epsg": params.metric_epsg,
            "x0": float(track.lon.min() - pad_lon),
            "y0": float(track.lat.min() - pad_lat),
            "x1": float(track.lon.max() + pad_lon),
            "y1": float(track.lat.max() + pad_lat),
        },
    ).all()
    if not rows:
        return None
    site_ids = np.array([r[0] for r in rows])
    geoms = shapely.from_wkb([bytes(r[1]) for r in rows])
    found = detect_visits(
        track.x,
        track.y,
        track.t_s,
        track.segment,
        geoms,
        site_ids,
        distance_m=params.distance_m,
        min_dwell_s=params.min_dwell_s,
    )
    if found.empty:
        return None
    return found.copy()


def _assigned_on_arrival(session: Session, deputy_id: int, found: pd.DataFrame) -> np.ndarray:
    """Whether the deputy held each visited site on the visit's local day (the county's zone,
    not UTC; a patrol across midnight can cross a handover). A handful of visits against a
    handful of assignments: compared all against all with numpy."""
    days = (
        pd.to_datetime(found["arrived_s"].to_numpy(dtype=float), unit="s", utc=True)
        .tz_convert(clock.zone())
        .tz_localize(None)
        .to_numpy()
        .astype("datetime64[D]")
    )
    held = session.execute(
        text(
            "SELECT site_id, valid_from, valid_to FROM assignment WHERE deputy_id = :d "
            "AND valid_from <= :last AND (valid_to IS NULL OR valid_to > :first)"
        ),
        {"d": deputy_id, "first": days.min().item(), "last": days.max().item()},
    ).all()
    if not held:
        return np.zeros(len(days), dtype=bool)
    site = np.array([r[0] for r in held])
    start = np.array([r[1] for r in held], dtype="datetime64[D]")
    end = np.array([r[2] or _OPEN_END for r in held], dtype="datetime64[D]")
    visited = found["site_id"].to_numpy()[:, None]
    day = days[:, None]
    return ((visited == site) & (day >= start) & (day < end)).any(axis=1)


_OPEN_END = date(9999, 12, 31)


def _no_visits() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "site_id": pd.Series(dtype=int),
            "arrived_s": pd.Series(dtype=float),
            "left_s": pd.Series(dtype=float),
            "dwell_s": pd.Series(dtype=float),
            "n_points": pd.Series(dtype=int),
            "is_assigned": pd.Series(dtype=bool),
        }
    )


def _same_fingerprint(session: Session, fp: str) -> list[int]:
    return list(session.scalars(select(Patrol.id).where(Patrol.fingerprint == fp)))


def _nearby_shapes(
    session: Session, track: _Track, deputy_id: int | None
) -> tuple[list[tuple[int, np.ndarray]], list[tuple[int, np.ndarray]]]:
    """Earlier tracks whose extent overlaps this one's: (other deputies', this deputy's)."""
    if len(track.lon) < 2:
        return [], []
    rows = session.execute(
        text(
            "SELECT p.id, p.deputy_id, p.shape_signature "
            "FROM patrol p JOIN patrol_track t ON t.patrol_id = p.id "
            "WHERE p.shape_signature IS NOT NULL "
            "AND t.geom && ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326) "
            # A copy spans nearly the same box: every edge within BOX_SLACK_DEG. This keeps
            # the costly shape comparison to a handful of candidates in a busy area.
            "AND abs(ST_XMin(t.geom) - :x0) < :d AND abs(ST_XMax(t.geom) - :x1) < :d "
            "AND abs(ST_YMin(t.geom) - :y0) < :d AND abs(ST_YMax(t.geom) - :y1) < :d "
            "ORDER BY p.id DESC LIMIT :n"
        ),
        {
            "x0": float(track.lon.min()),
            "y0": float(track.lat.min()),
            "x1": float(track.lon.max()),
            "y1": float(track.lat.max()),
            "n": CANDIDATE_LIMIT,
            "d": BOX_SLACK_DEG,
        },
    ).all()
    others, own = [], []
    for pid, dep, sig in rows:
        (own if dep == deputy_id else others).append((pid, np.asarray(sig, float).reshape(-1, 2)))
    return others, own


def _driver_connection(session: Session) -> psycopg.Connection:
    """The psycopg connection under the session's transaction (COPY is not in SQLAlchemy)."""
    return session.connection().connection.driver_connection


# COPY FROM is refused on a table under row-level security (as every county-owned table is for
# the app role), so the rows are COPYed into temporary tables of this transaction (no policy
# there) and moved with one INSERT ... SELECT or UPDATE ... FROM, which the policies' WITH
# CHECK and the county triggers see as any other write.
_STAGING = (
    "CREATE TEMP TABLE IF NOT EXISTS shuijian_track_in "
    "(patrol_id integer, county_id integer, geom geometry) ON COMMIT DROP",
    "CREATE TEMP TABLE IF NOT EXISTS shuijian_visit_in (patrol_id integer, site_id integer, "
    'arrived timestamptz, "left" timestamptz, dwell_s double precision, n_points integer, '
    "is_assigned boolean, county_id integer) ON COMMIT DROP",
)


def _create_staging(conn: psycopg.Connection) -> None:
    """The transaction's staging tables (dropped at commit), made once per batch."""
    with conn.cursor() as cur:
        for sql in _STAGING:
            cur.execute(sql)


def _copy_tracks(conn: psycopg.Connection, rows: list[tuple[int, int | None, bytes]]) -> None:
    """Store tracks, (patrol_id, county_id, EWKB of a MultiLineStringM in 4326) each, by a
    binary COPY (the EWKB goes over as it is: no per-point dumping). The one place that knows
    where a track is kept: ``patrol_track``, by one INSERT ... SELECT from the staging table."""
    if not rows:
        return
    with conn.cursor() as cur:
        with cur.copy(
            "COPY shuijian_track_in (patrol_id, county_id, geom) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["int4", "int4", "bytea"])
            for row in rows:
                copy.write_row(row)
        # patrol_track (0023): the month of the first point, else of the upload, picks the
        # partition; one INSERT from the staging table (COPY FROM refuses a table under
        # row-level security, so the policies and the county trigger check this one)
        cur.execute(
            "WITH t AS (DELETE FROM shuijian_track_in RETURNING patrol_id, county_id, geom) "
            "INSERT INTO patrol_track (patrol_id, county_id, recorded_at, geom) "
            "SELECT t.patrol_id, p.county_id, coalesce(p.started_at, p.created_at), t.geom "
            "FROM t JOIN patrol p ON p.id = t.patrol_id"
        )


VISIT_COLUMNS = (
    "patrol_id",
    "site_id",
    "arrived",
    "left",
    "dwell_s",
    "n_points",
    "is_assigned",
    "county_id",
)
_VISIT_TYPES = ["int4", "int4", "timestamptz", "timestamptz", "float8", "int4", "bool", "int4"]


def _copy_visits(
    conn: psycopg.Connection, patrol_id: int, county_id: int | None, visits: pd.DataFrame
) -> None:
    """A patrol's visits by a binary COPY, then into ``visit`` naming its columns (the id is
    the table's default; county_id is also what the insert trigger derives from the patrol)."""
    if not len(visits):
        return
    columns = ", ".join(f'"{c}"' for c in VISIT_COLUMNS)
    with conn.cursor() as cur:
        with cur.copy(f"COPY shuijian_visit_in ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(_VISIT_TYPES)
            for v in visits.itertuples(index=False):
                copy.write_row(
                    (
                        patrol_id,
                        int(v.site_id),
                        _ts(v.arrived_s),
                        _ts(v.left_s),
                        float(v.dwell_s),
                        int(v.n_points),
                        bool(v.is_assigned),
                        county_id,
                    )
                )
        cur.execute(
            f"WITH v AS (DELETE FROM shuijian_visit_in RETURNING {columns}) "
            f"INSERT INTO visit ({columns}) SELECT {columns} FROM v"
        )


def multilinestring_m_wkb(
    x: np.ndarray, y: np.ndarray, m: np.ndarray, segment: np.ndarray, *, srid: int | None = None
) -> bytes | None:
    """ISO WKB of a MultiLineString M, one line per run of equal segment ids (runs of fewer
    than two points are left out); None when no line remains. With ``srid``: PostGIS EWKB
    (the M and SRID flags on the outer type, the SRID after it), as a binary COPY sends it."""
    if len(x) < 2:
        return None
    cuts = np.flatnonzero(np.diff(segment)) + 1
    starts = np.concatenate(([0], cuts))
    ends = np.concatenate((cuts, [len(x)]))
    keep = (ends - starts) >= 2
    if not keep.any():
        return None
    coords = np.column_stack((x, y, m)).astype("<f8")
    if srid is None:
        parts = [struct.pack("<BII", 1, 2005, int(keep.sum()))]  # MultiLineString M
        line = 2002  # LineString M
    else:
        parts = [struct.pack("<BIiI", 1, _EWKB_M | _EWKB_SRID | 5, srid, int(keep.sum()))]
        line = _EWKB_M | 2
    for a, b in zip(starts[keep], ends[keep], strict=True):
        parts.append(struct.pack("<BII", 1, line, int(b - a)))
        parts.append(coords[a:b].tobytes())
    return b"".join(parts)


_EWKB_M = 0x40000000
_EWKB_SRID = 0x20000000


def _features(patrol_id: int, parsed: ParsedGpx, gcj02: bool) -> list[PatrolFeature]:
    from geoalchemy2.shape import from_shape

    features = []
    for wpt in parsed.waypoints:
        lon, lat = _convert(np.array([wpt.lon]), np.array([wpt.lat]), gcj02)
        features.append(
            PatrolFeature(
                patrol_id=patrol_id,
                kind="waypoint",
                name=wpt.name,
                time=_ts(wpt.time_s) if wpt.time_s is not None else None,
                geom=from_shape(shapely.Point(lon[0], lat[0]), srid=4326),
            )
        )
    for route in parsed.routes:
        if len(route.lon) < 2:
            continue
        lon, lat = _convert(np.asarray(route.lon), np.asarray(route.lat), gcj02)
        features.append(
            PatrolFeature(
                patrol_id=patrol_id,
                kind="route",
                name=route.name,
                geom=from_shape(shapely.linestrings(lon, lat), srid=4326),
            )
        )
    return features


def _convert(lon: np.ndarray, lat: np.ndarray, gcj02: bool) -> tuple[np.ndarray, np.ndarray]:
    return crs_helper.gcj02_to_wgs84(lon, lat) if gcj02 else (lon, lat)
