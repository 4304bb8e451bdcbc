"""督查组: supervision groups led by Standing Committee leaders (由常委会领导带队), their members
and townships over time, and their inspection visits with findings.

A visit is a check-in (a place and a time, optionally a point) or a GPX track read, cleaned
and checked by the patrols' ingestion (``tracks.ingest``: the same reader, the same file
store). Groups, members and townships are closed, never deleted; visits and findings are
appended only. Each service names its action in the permission table; the command line is
the shell's operator (``accounts.audit.Operator``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from accounts.audit import Actor, Operator, authorize
from core import clock
from core.errors import ShuijianError
from core.photos import photo_mime
from db.models import (
    SupervisionAssignment,
    SupervisionFinding,
    SupervisionGroup,
    SupervisionMember,
    SupervisionVisit,
    Township,
)
from db.query import county_clause, query_frame, township_label
from tracks.ingest import (
    IngestParams,
    read_track,
    refuse_stored_elsewhere,
    store_upload,
    track_wkb,
)

PLACE_MAX = 200
FINDING_MAX = 4000
FUTURE_SLACK = timedelta(minutes=10)  # a phone's clock a little ahead is no fault
NEAR_TOWNSHIP_M = 1000.0  # a visit's point or track must come this close to its township


class SupervisionRefused(ShuijianError):
    """A supervision record was refused; nothing of it was stored."""


@dataclass(frozen=True)
class NewFinding:
    text: str
    photo: bytes | None = None
    photo_name: str | None = None


def _user_id(actor: Actor | None) -> int | None:
    return None if actor is None or isinstance(actor, Operator) else actor.user_id


def _group(session: Session, code: str) -> SupervisionGroup:
    group = session.scalar(select(SupervisionGroup).where(SupervisionGroup.code == code.strip()))
    if group is None:
        raise SupervisionRefused(f"no supervision group {code!r}", code="no_group", group=code)
    return group


def _township(session: Session, name_or_code: str) -> Township:
    value = name_or_code.strip()
    town = session.scalar(
        select(Township).where((Township.name == value) | (Township.code == value))
    )
    if town is None:
        raise SupervisionRefused(f"no township {value!r}", code="no_township_named", township=value)
    return town


# ------------------------------------------------------------------ groups


def add_group(
    session: Session,
    actor: Actor,
    code: str,
    name: str,
    leader: str,
    leader_title: str | None,
    since: date,
) -> SupervisionGroup:
    """A new group with its leader from ``since``."""
    authorize(actor, "manage_supervision_groups")
    code, name, leader = code.strip(), name.strip(), leader.strip()
    if not code or not name or not leader:
        raise SupervisionRefused(
            "a group needs a code, a name and a leader", code="group_incomplete"
        )
    if session.scalar(select(SupervisionGroup.id).where(SupervisionGroup.code == code)):
        raise SupervisionRefused(f"group {code!r} exists", code="group_exists", group=code)
    group = SupervisionGroup(code=code[:40], name=name[:120])
    session.add(group)
    session.flush()
    session.add(
        SupervisionMember(
            group_id=group.id,
            name=leader[:40],
            title=(leader_title or "").strip()[:80] or None,
            role="leader",
            valid_from=since,
        )
    )
    session.flush()
    return group


def add_member(
    session: Session,
    actor: Actor,
    group_code: str,
    name: str,
    title: str | None,
    since: date,
    *,
    leader: bool = False,
) -> SupervisionMember:
    """A member (or a new leader, closing the former leader's period) from ``since``."""
    authorize(actor, "manage_supervision_groups")
    group = _group(session, group_code)
    if not name.strip():
        raise SupervisionRefused("a member needs a name", code="member_name_missing")
    if leader:
        current = session.scalar(
            select(SupervisionMember).where(
                SupervisionMember.group_id == group.id,
                SupervisionMember.role == "leader",
                SupervisionMember.valid_to.is_(None),
            )
        )
        if current is not None:
            if since <= current.valid_from:
                raise SupervisionRefused(
                    "a new leader must start after the current one did",
                    code="leader_change_order",
                    since=since.isoformat(),
                    current=current.valid_from.isoformat(),
                )
            current.valid_to = since
    member = SupervisionMember(
        group_id=group.id,
        name=name.strip()[:40],
        title=(title or "").strip()[:80] or None,
        role="leader" if leader else "member",
        valid_from=since,
    )
    session.add(member)
    session.flush()
    return member


def assign_township(
    session: Session, actor: Actor, group_code: str, township: str, since: date
) -> SupervisionAssignment:
    """The group supervises the township from ``since`` (kept until ``end_township``)."""
    authorize(actor, "manage_supervision_groups")
    group = _group(session, group_code)
    town = _township(session, township)
    open_row = session.scalar(
        select(SupervisionAssignment.id).where(
            SupervisionAssignment.group_id == group.id,
            SupervisionAssignment.township_id == town.id,
            SupervisionAssignment.valid_to.is_(None),
        )
    )
    if open_row is not None:
        raise SupervisionRefused(
            "the group already supervises this township",
            code="township_already_assigned",
            group=group.code,
            township=town.name,
        )
    row = SupervisionAssignment(group_id=group.id, township_id=town.id, valid_from=since)
    session.add(row)
    session.flush()
    return row


def end_township(session: Session, actor: Actor, group_code: str, township: str, on: date) -> None:
    """Close the group's current assignment to the township on ``on`` (history kept)."""
    authorize(actor, "manage_supervision_groups")
    group = _group(session, group_code)
    town = _township(session, township)
    row = session.scalar(
        select(SupervisionAssignment).where(
            SupervisionAssignment.group_id == group.id,
            SupervisionAssignment.township_id == town.id,
            SupervisionAssignment.valid_to.is_(None),
        )
    )
    if row is None or on <= row.valid_from:
        raise SupervisionRefused(
            "no open assignment of this group to this township ends on that day",
            code="township_not_assigned",
            group=group.code,
            township=town.name,
        )
    row.valid_to = on
    session.flush()


def groups_frame(session: Session, user: Actor, on: date) -> pd.DataFrame:
    """Each group with its leader and members and townships on ``on``."""
    authorize(user, "read_supervision")
    return query_frame(
        session,
        "SELECT g.id, g.code, g.name, "
        "  (SELECT m.name || coalesce('（' || m.title || '）', '') FROM supervision_member m "
        "   WHERE m.group_id = g.id AND m.county_id = g.county_id AND m.role = 'leader' "
        "   AND m.valid_from <= :on "
        "   AND (m.valid_to IS NULL OR m.valid_to > :on) ORDER BY m.valid_from DESC LIMIT 1) "
        "   AS leader, "
        "  (SELECT string_agg(m.name, '、' ORDER BY m.id) FROM supervision_member m "
        "   WHERE m.group_id = g.id AND m.county_id = g.county_id AND m.role = 'member' "
        "   AND m.valid_from <= :on "
        "   AND (m.valid_to IS NULL OR m.valid_to > :on)) AS members, "
        "  (SELECT string_agg(t.name, '、' ORDER BY t.name) FROM supervision_assignment a "
        "   JOIN township t ON t.id = a.township_id AND t.county_id = a.county_id "
        "   WHERE a.group_id = g.id AND a.county_id = g.county_id "
        "   AND a.valid_from <= :on AND (a.valid_to IS NULL OR a.valid_to > :on)) AS townships "
        f"FROM supervision_group g WHERE {county_clause('g')} ORDER BY g.code",
        {"on": on},
    )


def group_townships(session: Session, group_id: int, on: date) -> list[tuple[int, str]]:
    """(id, name) of the townships the group supervises on ``on``."""
    return [
        (int(i), str(n))
        for i, n in session.execute(
            text(
                "SELECT t.id, t.name FROM supervision_assignment a JOIN township t "
                "ON t.id = a.township_id WHERE a.group_id = :g AND a.valid_from <= :on "
                "AND (a.valid_to IS NULL OR a.valid_to > :on) ORDER BY t.name"
            ),
            {"g": group_id, "on": on},
        ).all()
    ]


# ------------------------------------------------------------------ visits


def _check_assigned(session: Session, group: SupervisionGroup, town: Township, day: date) -> None:
    if town.id not in {i for i, _ in group_townships(session, group.id, day)}:
        raise SupervisionRefused(
            f"group {group.code} does not supervise {town.name} on {day}",
            code="township_not_supervised",
            group=group.name,
            township=town.name,
            day=day.isoformat(),
        )


def _check_time(at: datetime, now: datetime) -> None:
    if at.tzinfo is None:
        raise SupervisionRefused("a visit's time needs its zone", code="checkin_time_naive")
    if at > now + FUTURE_SLACK:
        raise SupervisionRefused(
            f"the visit's time {at:%Y-%m-%d %H:%M} is in the future",
            code="checkin_in_future",
            value=f"{at.astimezone(clock.zone()):%Y-%m-%d %H:%M}",
        )


def _check_findings(findings: list[NewFinding]) -> list[tuple[str, bytes | None, str | None]]:
    """Each finding's text and photo checked before anything is stored."""
    out = []
    for i, f in enumerate(findings, 1):
        body = (f.text or "").strip()
        if not body:
            raise SupervisionRefused(f"finding {i} has no text", code="finding_text_missing", n=i)
        if len(body) > FINDING_MAX:
            raise SupervisionRefused(
                f"finding {i} is longer than {FINDING_MAX} characters",
                code="finding_too_long",
                n=i,
                limit=FINDING_MAX,
            )
        mime = photo_mime(f.photo, f.photo_name or "photo") if f.photo else None
        out.append((body, f.photo or None, mime))
    return out


def _near_township(session: Session, township_id: int, wkb: bytes) -> bool:
    return bool(
        session.scalar(
            text(
                "SELECT ST_DWithin(t.geom::geography, ST_Force2D(ST_GeomFromWKB(:w, 4326))"
                "::geography, :d) FROM township t WHERE t.id = :t"
            ),
            {"w": wkb, "t": township_id, "d": NEAR_TOWNSHIP_M},
        )
    )


def _add_findings(
    session: Session,
    visit_id: int,
    checked: list[tuple[str, bytes | None, str | None]],
    user_id: int | None,
    now: datetime,
) -> None:
    session.add_all(
        SupervisionFinding(
            visit_id=visit_id,
            text=body,
            photo=photo,
            photo_mime=mime,
            photo_sha256=hashlib.sha256(photo).hexdigest() if photo else None,
            recorded_by=user_id,
            created_at=now,
        )
        for body, photo, mime in checked
    )
    session.flush()


def _insert_visit(session: Session, *, wkb: bytes | None, **values: object) -> int:
    """One visit row with its geometry in the same INSERT: the table is append-only, so the
    app may not set the geometry afterwards."""
    return session.execute(
        text(
            "INSERT INTO supervision_visit (group_id, township_id, kind, started_at, ended_at, "
            "place, upload_id, distance_m, recorded_by, created_at, geom) VALUES (:group_id, "
            ":township_id, :kind, :started_at, :ended_at, :place, :upload_id, :distance_m, "
            ":recorded_by, :created_at, ST_Force2D(ST_GeomFromWKB(CAST(:wkb AS bytea), 4326)))"
            " RETURNING id"
        ),
        {**values, "wkb": wkb},
    ).scalar_one()


def record_checkin(
    session: Session,
    actor: Actor,
    group_code: str,
    township: str,
    place: str,
    at: datetime,
    findings: list[NewFinding],
    *,
    lon: float | None = None,
    lat: float | None = None,
) -> SupervisionVisit:
    """A check-in: the group was at ``place`` in ``township`` at ``at``, with its findings.
    Every part is checked before the first row is written."""
    authorize(actor, "record_supervision_visit")
    now = clock.now()
    group = _group(session, group_code)
    town = _township(session, township)
    place = (place or "").strip()
    if not place:
        raise SupervisionRefused("a check-in names its place", code="checkin_place_missing")
    if len(place) > PLACE_MAX:
        raise SupervisionRefused(
            "the place is too long", code="checkin_place_too_long", limit=PLACE_MAX
        )
    _check_time(at, now)
    _check_assigned(session, group, town, clock.local_date(at))
    checked = _check_findings(findings)
    wkb = None
    if (lon is None) != (lat is None):
        raise SupervisionRefused("give both longitude and latitude", code="checkin_point_half")
    if lon is not None and lat is not None:
        if not (np.isfinite(lon) and np.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            raise SupervisionRefused(
                "the point is not a longitude and latitude",
                code="checkin_point_invalid",
                lon=lon,
                lat=lat,
            )
        wkb = shapely.to_wkb(shapely.Point(lon, lat))
        if not _near_township(session, town.id, wkb):
            raise SupervisionRefused(
                "the point lies outside the township",
                code="checkin_point_elsewhere",
                township=town.name,
            )
    visit_id = _insert_visit(
        session,
        group_id=group.id,
        township_id=town.id,
        kind="checkin",
        started_at=at,
        ended_at=None,
        place=place,
        upload_id=None,
        distance_m=None,
        recorded_by=_user_id(actor),
        wkb=wkb,
        created_at=now,
    )
    _add_findings(session, visit_id, checked, _user_id(actor), now)
    return session.get(SupervisionVisit, visit_id)


def record_gpx_visit(
    session: Session,
    actor: Actor,
    group_code: str,
    township: str,
    data: bytes,
    filename: str,
    findings: list[NewFinding],
    *,
    place: str | None = None,
    gcj02: bool = False,
    params: IngestParams | None = None,
) -> SupervisionVisit:
    """A visit proven by a GPX track, read and cleaned as a deputy's patrol is."""
    authorize(actor, "record_supervision_visit")
    params = params or IngestParams.from_settings()
    now = clock.now()
    group = _group(session, group_code)
    town = _township(session, township)
    digest = hashlib.sha256(data).hexdigest()
    refuse_stored_elsewhere(session, digest, filename)
    parsed, track = read_track(session, data, gcj02=gcj02, params=params, now_s=now.timestamp())
    if not parsed.has_times:
        raise SupervisionRefused(
            f"{filename}: the track has no times", code="visit_track_untimed", filename=filename
        )
    wkb = track_wkb(track)
    if wkb is None:
        raise SupervisionRefused(
            f"{filename}: fewer than two usable points", code="visit_track_short", filename=filename
        )
    started = datetime.fromtimestamp(float(np.nanmin(track.t_s)), tz=clock.zone())
    ended = datetime.fromtimestamp(float(np.nanmax(track.t_s)), tz=clock.zone())
    _check_assigned(session, group, town, clock.local_date(started))
    if not _near_township(session, town.id, wkb):
        raise SupervisionRefused(
            f"{filename}: the track does not come near {town.name}",
            code="visit_track_elsewhere",
            filename=filename,
            township=town.name,
        )
    checked = _check_findings(findings)
    place = (place or "").strip()[:PLACE_MAX] or None
    upload = store_upload(
        session, data, filename, parsed, gcj02, params, _user_id(actor), group.county_id
    )
    visit_id = _insert_visit(
        session,
        group_id=group.id,
        township_id=town.id,
        kind="gpx",
        started_at=started,
        ended_at=ended,
        place=place,
        upload_id=upload.id,
        distance_m=track.distance_m,
        recorded_by=_user_id(actor),
        wkb=wkb,
        created_at=now,
    )
    _add_findings(session, visit_id, checked, _user_id(actor), now)
    return session.get(SupervisionVisit, visit_id)


def add_finding(
    session: Session, actor: Actor, visit_id: int, finding: NewFinding
) -> SupervisionFinding:
    """One more finding on an earlier visit."""
    authorize(actor, "record_supervision_visit")
    if session.get(SupervisionVisit, visit_id) is None:
        raise SupervisionRefused(
            f"no supervision visit #{visit_id}", code="no_supervision_visit", visit=visit_id
        )
    checked = _check_findings([finding])
    now = clock.now()
    _add_findings(session, visit_id, checked, _user_id(actor), now)
    return session.scalars(
        select(SupervisionFinding)
        .where(SupervisionFinding.visit_id == visit_id)
        .order_by(SupervisionFinding.id.desc())
    ).first()


def visits_frame(
    session: Session,
    user: Actor,
    first: date,
    last: date,
    *,
    township_id: int | None = None,
    group_id: int | None = None,
) -> pd.DataFrame:
    """The visits of local days ``first``..``last`` (newest first) with their findings."""
    authorize(user, "read_supervision")
    start, end = clock.local_midnight(first), clock.local_midnight(last + timedelta(days=1))
    return query_frame(
        session,
        "SELECT v.id, v.started_at, v.kind, g.name AS group_name, t.name AS township, "
        "  coalesce(v.place, '') AS place, v.distance_m, "
        "  count(f.id) AS findings, count(f.photo_sha256) AS photos, "
        "  coalesce(string_agg(f.text, '；' ORDER BY f.id), '') AS finding_text "
        "FROM supervision_visit v "
        "JOIN supervision_group g ON g.id = v.group_id AND g.county_id = v.county_id "
        "JOIN township t ON t.id = v.township_id AND t.county_id = v.county_id "
        "LEFT JOIN supervision_finding f ON f.visit_id = v.id AND f.county_id = v.county_id "
        f"WHERE {county_clause('v')} AND v.started_at >= :s AND v.started_at < :e "
        "AND (CAST(:t AS int) IS NULL OR v.township_id = :t) "
        "AND (CAST(:g AS int) IS NULL OR v.group_id = :g) "
        "GROUP BY v.id, g.name, t.name ORDER BY v.started_at DESC, v.id DESC",
        {"s": start, "e": end, "t": township_id, "g": group_id},
    )


def township_summary(session: Session, first: date, last: date) -> pd.DataFrame:
    """Per township: its groups, visits (check-ins, tracks) and findings in the period —
    the bulletin's supervision section. Every township is listed, a quiet one with zeros."""
    start, end = clock.local_midnight(first), clock.local_midnight(last + timedelta(days=1))
    return query_frame(
        session,
        "WITH v AS (SELECT * FROM supervision_visit "
        f"  WHERE {county_clause()} AND started_at >= :s AND started_at < :e) "
        f"SELECT {township_label('t')} AS township, "
        "  coalesce((SELECT string_agg(DISTINCT g.name, '、') FROM supervision_assignment a "
        "   JOIN supervision_group g ON g.id = a.group_id AND g.county_id = a.county_id "
        "   WHERE a.township_id = t.id AND a.county_id = t.county_id "
        "   AND a.valid_from <= :last AND (a.valid_to IS NULL OR a.valid_to > :first)), '') "
        "   AS groups, "
        "  (SELECT count(*) FROM v WHERE v.township_id = t.id) AS visits, "
        "  (SELECT count(*) FROM v WHERE v.township_id = t.id AND v.kind = 'checkin') "
        "   AS checkins, "
        "  (SELECT count(*) FROM v WHERE v.township_id = t.id AND v.kind = 'gpx') AS tracks, "
        "  (SELECT count(*) FROM supervision_finding f "
        "   JOIN v ON v.id = f.visit_id AND v.county_id = f.county_id "
        "   WHERE v.township_id = t.id AND f.county_id = t.county_id) AS findings, "
        "  coalesce((SELECT string_agg(f.text, '；' ORDER BY v.started_at, f.id) "
        "   FROM supervision_finding f JOIN v ON v.id = f.visit_id AND v.county_id = f.county_id "
        "   WHERE v.township_id = t.id AND f.county_id = t.county_id), '') AS finding_text "
        f"FROM township t WHERE {county_clause('t')} ORDER BY t.code",
        {"s": start, "e": end, "first": first, "last": last},
    )


def visit_geojson(
    session: Session, user: Actor, first: date, last: date, *, township_id: int | None = None
) -> dict:
    """The period's visits as one GeoJSON FeatureCollection (points and tracks), for a map."""
    authorize(user, "read_supervision")
    start, end = clock.local_midnight(first), clock.local_midnight(last + timedelta(days=1))
    doc = session.scalar(
        text(
            "SELECT json_build_object('type', 'FeatureCollection', 'features', "
            "coalesce(json_agg(json_build_object('type', 'Feature', "
            "'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(v.geom, 0.00002), 6)::json, "
            "'properties', json_build_object('id', v.id, 'group', g.name, "
            "'place', coalesce(v.place, ''), 'kind', v.kind))), '[]'::json)) "
            "FROM supervision_visit v "
            "JOIN supervision_group g ON g.id = v.group_id AND g.county_id = v.county_id "
            f"WHERE {county_clause('v')} AND v.geom IS NOT NULL "
            "AND v.started_at >= :s AND v.started_at < :e "
            "AND (CAST(:t AS int) IS NULL OR v.township_id = :t)"
        ),
        {"s": start, "e": end, "t": township_id},
    )
    return doc or {"type": "FeatureCollection", "features": []}
