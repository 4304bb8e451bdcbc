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
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import select, text
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
    Visit,
)
from db.query import query_frame
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
    params = params or IngestParams.from_settings()
    on_behalf = check_upload_rights(uploader, deputy_id)
    if session.get(Deputy, deputy_id) is None:
        raise UploadRefused(
            f"{filename}: no deputy with id {deputy_id}",
            code="no_deputy",
            deputy=deputy_id,
            filename=filename,
        )
    digest = hashlib.sha256(data).hexdigest()
    existing = session.scalar(
        select(Patrol.id)
        .join(GpxUpload, GpxUpload.id == Patrol.upload_id)
        .where(GpxUpload.sha256 == digest)
    )
    if existing is not None:
        return IngestResult(filename, existing, duplicate=True)
    refuse_stored_elsewhere(session, digest, filename)

    checks_now = (now or clock.now()).timestamp()
    parsed, track = read_track(session, data, gcj02=gcj02, params=params, now_s=checks_now)
    flags = plausibility_flags(session, track, checks_now, deputy_id=deputy_id)
    visits = _visits(session, track, deputy_id, params) if parsed.has_times else _no_visits()

    upload = store_upload(
        session,
        data,
        filename,
        parsed,
        gcj02,
        params,
        uploader.user_id if uploader else None,
        session.scalar(select(Deputy.county_id).where(Deputy.id == deputy_id)),
    )
    patrol = Patrol(
        upload_id=upload.id,
        deputy_id=deputy_id,
        uploaded_by=upload.uploaded_by,
        on_behalf=on_behalf,
        started_at=_ts(np.nanmin(track.t_s)) if parsed.has_times else None,
        ended_at=_ts(np.nanmax(track.t_s)) if parsed.has_times else None,
        distance_m=track.distance_m,
        n_points=parsed.n_points,
        n_kept=len(track.x),
        dropped=track.dropped,
        has_times=parsed.has_times,
        fingerprint=track.fingerprint,
        shape_signature=track.signature.ravel().tolist() if track.signature is not None else None,
        notes=notes,
    )
    session.add(patrol)
    session.flush()
    _store_geometry(session, patrol.id, track)
    session.add_all(
        PatrolFlag(
            patrol_id=patrol.id,
            code=f.code,
            message=f.message,
            details=[[code, params] for code, params in f.details],
        )
        for f in flags
    )
    session.add_all(_features(patrol.id, parsed, gcj02))
    if len(visits):
        session.execute(
            Visit.__table__.insert(),
            [
                {
                    "patrol_id": patrol.id,
                    "site_id": int(v.site_id),
                    "arrived": _ts(v.arrived_s),
                    "left": _ts(v.left_s),
                    "dwell_s": float(v.dwell_s),
                    "n_points": int(v.n_points),
                    "is_assigned": bool(v.is_assigned),
                }
                for v in visits.itertuples(index=False)
            ],
        )
    session.flush()
    result_notes = (
        []
        if parsed.has_times
        else ["the track points have no timestamps, so this file cannot prove a visit"]
    )
    if parsed.encoding_note:
        result_notes.append(parsed.encoding_note)
    return IngestResult(
        filename, patrol.id, False, parsed.n_points, len(track.x), visits, flags, result_notes
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
    session: Session, data: bytes, *, gcj02: bool, params: IngestParams, now_s: float
) -> tuple[ParsedGpx, _Track]:
    """Parse and clean a file (refusing one with no usable point or a far-future clock)."""
    parsed = parse_gpx(data, naive_tz=params.naive_tz, max_bytes=params.max_bytes)
    if parsed.n_points == 0:
        raise GpxRefused(
            "no_points",
            "the file has no track points (waypoints and routes are stored with a track but "
            "are never proof of a visit)",
        )
    _refuse_far_future(parsed, now_s)
    return parsed, _prepare(session, parsed, gcj02, params)


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
) -> GpxUpload:
    """The original file, byte for byte, with how it was read. Its county: ``county_id``
    (the deputy's or the group's), else its uploader's or the scope's (migration 0020)."""
    upload = GpxUpload(
        sha256=hashlib.sha256(data).hexdigest(),
        filename=filename[:255],
        size_bytes=len(data),
        content=data,
        encoding=parsed.encoding[:20],
        gpx_version=parsed.version,
        declared_crs="gcj02" if gcj02 else "wgs84",
        naive_timezone=params.naive_tz,
        uploaded_by=uploaded_by,
    )
    if county_id is not None:
        upload.county_id = county_id
    session.add(upload)
    session.flush()
    return upload


def track_wkb(track: _Track) -> bytes | None:
    """The kept points as MultiLineStringM WKB (M = epoch seconds); None for under 2 points."""
    return multilinestring_m_wkb(
        track.lon, track.lat, np.nan_to_num(track.t_s, nan=0.0), track.segment
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


def _prepare(session: Session, parsed: ParsedGpx, gcj02: bool, params: IngestParams) -> _Track:
    lon, lat = parsed.lon, parsed.lat
    if gcj02:
        lon, lat = crs_helper.gcj02_to_wgs84(lon, lat)
    t_s = parsed.t_s
    zero = zero_island_mask(lon, lat)
    x, y = crs_helper.lonlat_to_metric(lon, lat, params.metric_epsg)
    outline = _county_outline(session, params.metric_epsg)
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
    not UTC; a patrol across midnight can cross a handover)."""
    days = (
        pd.to_datetime(found["arrived_s"].to_numpy(dtype=float), unit="s", utc=True)
        .tz_convert(clock.zone())
        .tz_localize(None)
        .normalize()
    )
    held = query_frame(
        session,
        "SELECT site_id, valid_from, valid_to FROM assignment WHERE deputy_id = :d "
        "AND valid_from <= :last AND (valid_to IS NULL OR valid_to > :first)",
        {"d": deputy_id, "first": days.min().date(), "last": days.max().date()},
    )
    visits = pd.DataFrame({"site_id": found["site_id"].to_numpy(), "day": days})
    visits["row"] = np.arange(len(visits))
    pairs = visits.merge(held, on="site_id", how="inner")
    start = pd.to_datetime(pairs["valid_from"])
    end = pd.to_datetime(pairs["valid_to"])
    inside = (pairs["day"] >= start) & (end.isna() | (pairs["day"] < end))
    out = np.zeros(len(visits), dtype=bool)
    out[pairs.loc[inside, "row"].to_numpy(dtype=np.int64)] = True
    return out


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


def _store_geometry(session: Session, patrol_id: int, track: _Track) -> None:
    """The kept points as a MultiLineStringM (M = epoch seconds), sent as one WKB value built
    with numpy: no per-point Python object, and one parameter instead of four long arrays."""
    wkb = track_wkb(track)
    if wkb is None:
        return
    # patrol_track (0023): the month of the first point, else of the upload, picks the partition
    session.execute(
        text(
            "INSERT INTO patrol_track (patrol_id, county_id, recorded_at, geom) "
            "SELECT id, county_id, coalesce(started_at, created_at), ST_GeomFromWKB(:wkb, 4326) "
            "FROM patrol WHERE id = :id"
        ),
        {"wkb": wkb, "id": patrol_id},
    )


def multilinestring_m_wkb(
    x: np.ndarray, y: np.ndarray, m: np.ndarray, segment: np.ndarray
) -> bytes | None:
    """ISO WKB of a MultiLineString M, one line per run of equal segment ids (runs of fewer
    than two points are left out); None when no line remains."""
    if len(x) < 2:
        return None
    cuts = np.flatnonzero(np.diff(segment)) + 1
    starts = np.concatenate(([0], cuts))
    ends = np.concatenate((cuts, [len(x)]))
    keep = (ends - starts) >= 2
    if not keep.any():
        return None
    coords = np.column_stack((x, y, m)).astype("<f8")
    parts = [struct.pack("<BII", 1, 2005, int(keep.sum()))]  # MultiLineString M
    for a, b in zip(starts[keep], ends[keep], strict=True):
        parts.append(struct.pack("<BII", 1, 2002, int(b - a)))  # LineString M
        parts.append(coords[a:b].tobytes())
    return b"".join(parts)


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
