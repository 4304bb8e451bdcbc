"""Volunteer patrols: the 骑行河长 (cycling) and 老骥常青 (veteran) teams, their members, their
tracks and their duty of twice a month (``duty.volunteer_dates``).

A volunteer's GPX goes through the patrols' ingestion — the same reader, cleaning,
plausibility checks and visit finder (``tracks.ingest``) and the same file store — and is
stored in its own tables (``volunteer_patrol``, ``volunteer_visit``). Nothing that counts a
deputy's duty, coverage or evaluation reads them: the volunteers are counted apart.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from accounts.audit import Actor, Operator, authorize
from core import clock
from core.errors import FeatureRef, ImportRefused, ShuijianError
from db.models import VolunteerMember, VolunteerTeam
from db.query import county_clause, query_frame
from duty.volunteer_dates import duty_days_between
from geo.importers import require_columns, require_unique_codes, require_values
from geo.readers import _decode_text
from tracks.ingest import (
    IngestParams,
    plausibility_flags,
    read_track,
    refuse_stored_elsewhere,
    site_visits,
    store_upload,
    track_wkb,
)

# A team's kind by its code or its name as a file may give it.
KIND_ALIASES = {
    "cycling": "cycling",
    "骑行河长": "cycling",
    "骑行": "cycling",
    "veteran": "veteran",
    "老骥常青": "veteran",
    "老骥": "veteran",
}
DUTY_STATUSES = ("done", "missed", "today", "upcoming")


class VolunteerRefused(ShuijianError):
    """A volunteer record or track was refused; nothing of it was stored."""


@dataclass
class VolunteerIngestResult:
    filename: str
    patrol_id: int
    duplicate: bool
    n_points: int = 0
    n_kept: int = 0
    visits: int = 0
    flags: list[str] = field(default_factory=list)

    @property
    def counts(self) -> bool:
        return not self.flags


def _read_csv(data: bytes, source: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(io.StringIO(_decode_text(data, source)), dtype=str)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ImportRefused(
            source, f"not a readable CSV table: {exc}", code="not_a_csv", detail=str(exc)
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.fillna("")


def _dates(frame: pd.DataFrame, column: str, source: str, optional: bool) -> list[date | None]:
    out: list[date | None] = []
    for pos, value in enumerate(frame[column] if column in frame.columns else [""] * len(frame)):
        value = str(value).strip()
        if not value and optional:
            out.append(None)
            continue
        try:
            out.append(date.fromisoformat(value[:10]))
        except ValueError:
            raise ImportRefused(
                source,
                f"{value!r} is not a date (YYYY-MM-DD)",
                feature=FeatureRef(pos + 1, str(frame["code"].iloc[pos])),
                code="not_a_date",
                value=value,
            ) from None
    return out


def import_teams(session: Session, actor: Actor, data: bytes, source: str) -> int:
    """Teams from a CSV (code, name, kind[, township]); the whole file or nothing."""
    authorize(actor, "manage_volunteers")
    frame = _read_csv(data, source)
    require_columns(frame, ("code", "name", "kind"), source)
    require_values(frame, ("code", "name", "kind"), source)
    kinds = frame["kind"].str.strip().map(KIND_ALIASES)
    if kinds.isna().any():
        pos = int(np.argmax(kinds.isna().to_numpy()))
        raise ImportRefused(
            source,
            f"unknown team kind {frame['kind'].iloc[pos]!r}",
            feature=FeatureRef(pos + 1, str(frame["code"].iloc[pos])),
            code="unknown_team_kind",
            value=str(frame["kind"].iloc[pos]),
        )
    towns = {
        **dict(session.execute(text("SELECT name, id FROM township")).all()),
        **dict(session.execute(text("SELECT code, id FROM township")).all()),
    }
    given = (
        frame["township"].str.strip()
        if "township" in frame.columns
        else pd.Series([""] * len(frame))
    )
    ids = given.map(lambda v: towns.get(v) if v else 0)
    if ids.isna().any():
        pos = int(np.argmax(ids.isna().to_numpy()))
        raise ImportRefused(
            source,
            f"unknown township {given.iloc[pos]!r}",
            feature=FeatureRef(pos + 1, str(frame["code"].iloc[pos])),
            code="unknown_township",
            value=str(given.iloc[pos]),
        )
    frame["code"] = frame["code"].str.strip()
    require_unique_codes(session, frame, VolunteerTeam, source)
    session.add_all(
        VolunteerTeam(
            code=r.code[:40],
            name=r.name.strip()[:120],
            kind=kind,
            township_id=int(town) or None,
        )
        for r, kind, town in zip(frame.itertuples(), kinds, ids, strict=True)
    )
    session.flush()
    return len(frame)


def import_members(session: Session, actor: Actor, data: bytes, source: str) -> int:
    """Members from a CSV (code, name, team, joined_on[, contact, left_on]); all or nothing."""
    authorize(actor, "manage_volunteers")
    frame = _read_csv(data, source)
    require_columns(frame, ("code", "name", "team", "joined_on"), source)
    require_values(frame, ("code", "name", "team", "joined_on"), source)
    frame["code"] = frame["code"].str.strip()
    teams = dict(session.execute(select(VolunteerTeam.code, VolunteerTeam.id)).all())
    team_ids = frame["team"].str.strip().map(teams)
    if team_ids.isna().any():
        pos = int(np.argmax(team_ids.isna().to_numpy()))
        raise ImportRefused(
            source,
            f"unknown team {frame['team'].iloc[pos]!r}",
            feature=FeatureRef(pos + 1, str(frame["code"].iloc[pos])),
            code="unknown_team",
            value=str(frame["team"].iloc[pos]),
        )
    joined = _dates(frame, "joined_on", source, optional=False)
    left = _dates(frame, "left_on", source, optional=True)
    for pos, (a, b) in enumerate(zip(joined, left, strict=True)):
        if b is not None and a is not None and b <= a:
            raise ImportRefused(
                source,
                "left_on must come after joined_on",
                feature=FeatureRef(pos + 1, str(frame["code"].iloc[pos])),
                code="left_before_joined",
            )
    require_unique_codes(session, frame, VolunteerMember, source)
    contact = frame["contact"] if "contact" in frame.columns else pd.Series([""] * len(frame))
    session.add_all(
        VolunteerMember(
            code=r.code[:40],
            team_id=int(team),
            name=r.name.strip()[:40],
            contact=str(c).strip()[:80] or None,
            joined_on=a,
            left_on=b,
        )
        for r, team, a, b, c in zip(
            frame.itertuples(), team_ids, joined, left, contact, strict=True
        )
    )
    session.flush()
    return len(frame)


def member_id_by_code(session: Session, code: str) -> int:
    found = session.scalar(select(VolunteerMember.id).where(VolunteerMember.code == code.strip()))
    if found is None:
        raise VolunteerRefused(f"no volunteer {code!r}", code="no_volunteer", volunteer=code)
    return int(found)


def _ts(seconds: float) -> datetime:
    return datetime.fromtimestamp(float(seconds), tz=UTC)


def ingest_volunteer_gpx(
    session: Session,
    data: bytes,
    filename: str,
    *,
    member_id: int,
    uploader: Actor,
    gcj02: bool = False,
    params: IngestParams | None = None,
    now: datetime | None = None,
) -> VolunteerIngestResult:
    """A volunteer's track through the patrols' ingestion, stored apart from ``patrol``.
    A re-upload of the same file is a no-op; a refusal stores nothing."""
    authorize(uploader, "upload_volunteer_patrol")
    params = params or IngestParams.from_settings()
    member = session.get(VolunteerMember, member_id)
    if member is None:
        raise VolunteerRefused(
            f"no volunteer with id {member_id}", code="no_volunteer", volunteer=member_id
        )
    digest = hashlib.sha256(data).hexdigest()
    existing = session.execute(
        text(
            "SELECT p.id FROM volunteer_patrol p JOIN gpx_upload u ON u.id = p.upload_id "
            "WHERE u.sha256 = :d"
        ),
        {"d": digest},
    ).scalar()
    if existing is not None:
        return VolunteerIngestResult(filename, int(existing), duplicate=True)
    refuse_stored_elsewhere(session, digest, filename)
    now_s = (now or clock.now()).timestamp()
    parsed, track = read_track(session, data, gcj02=gcj02, params=params, now_s=now_s)
    flags = plausibility_flags(session, track, now_s)
    found = site_visits(session, track, params) if parsed.has_times else None
    user_id = None if isinstance(uploader, Operator) else uploader.user_id
    upload = store_upload(session, data, filename, parsed, gcj02, params, user_id)
    patrol_id = session.execute(
        text(
            "INSERT INTO volunteer_patrol (upload_id, member_id, started_at, ended_at, "
            "distance_m, n_points, n_kept, has_times, fingerprint, flags, uploaded_by, geom, "
            "created_at) VALUES (:u, :m, :s, :e, :d, :n, :k, :h, :f, CAST(:flags AS jsonb), "
            ":by, ST_GeomFromWKB(CAST(:w AS bytea), 4326), :now) RETURNING id"
        ),
        {
            "u": upload.id,
            "m": member_id,
            "s": _ts(np.nanmin(track.t_s)) if parsed.has_times else None,
            "e": _ts(np.nanmax(track.t_s)) if parsed.has_times else None,
            "d": track.distance_m,
            "n": parsed.n_points,
            "k": len(track.x),
            "h": parsed.has_times,
            "f": track.fingerprint,
            "flags": json.dumps([f.code for f in flags]),
            "by": user_id,
            "w": track_wkb(track),
            "now": clock.now(),
        },
    ).scalar_one()
    n_visits = 0 if found is None else len(found)
    if n_visits:
        session.execute(
            text(
                'INSERT INTO volunteer_visit (patrol_id, site_id, arrived, "left", dwell_s) '
                "VALUES (:p, :s, :a, :l, :d)"
            ),
            [
                {
                    "p": patrol_id,
                    "s": int(v.site_id),
                    "a": _ts(v.arrived_s),
                    "l": _ts(v.left_s),
                    "d": float(v.dwell_s),
                }
                for v in found.itertuples(index=False)
            ],
        )
    session.flush()
    return VolunteerIngestResult(
        filename,
        int(patrol_id),
        False,
        parsed.n_points,
        len(track.x),
        n_visits,
        [f.code for f in flags],
    )


# ------------------------------------------------------------------ reading


def teams_frame(session: Session, user: Actor, on: date) -> pd.DataFrame:
    """Each team with its kind, township and number of members on ``on``."""
    authorize(user, "read_volunteers")
    return query_frame(
        session,
        "SELECT t.id, t.code, t.name, t.kind, coalesce(w.name, '') AS township, "
        "  count(m.id) FILTER (WHERE m.joined_on <= :on AND (m.left_on IS NULL OR "
        "  m.left_on > :on)) AS members "
        "FROM volunteer_team t "
        "LEFT JOIN township w ON w.id = t.township_id AND w.county_id = t.county_id "
        "LEFT JOIN volunteer_member m ON m.team_id = t.id AND m.county_id = t.county_id "
        f"WHERE {county_clause('t')} GROUP BY t.id, w.name ORDER BY t.code",
        {"on": on},
    )


def members_frame(session: Session, user: Actor, team_id: int | None = None) -> pd.DataFrame:
    """Members with their team and period (no contact: a page lists names only)."""
    authorize(user, "read_volunteers")
    return query_frame(
        session,
        "SELECT m.id, m.code, m.name, t.name AS team, t.kind, m.joined_on, m.left_on "
        "FROM volunteer_member m "
        "JOIN volunteer_team t ON t.id = m.team_id AND t.county_id = m.county_id "
        f"WHERE {county_clause('m')} AND (CAST(:t AS int) IS NULL OR m.team_id = :t) "
        "ORDER BY t.code, m.code",
        {"t": team_id},
    )


def duty_frame(
    session: Session, user: Actor, first: date, last: date, *, team_id: int | None = None
) -> pd.DataFrame:
    """Each member's duty days in ``first``..``last`` with its status: ``done`` when an
    unflagged, timed track of theirs started on that local day, ``missed`` when the day
    has passed without one, ``today`` or ``upcoming`` otherwise."""
    authorize(user, "read_volunteers")
    days = duty_days_between(first, last)
    members = query_frame(
        session,
        "SELECT m.id AS member_id, m.code, m.name, t.id AS team_id, t.name AS team, t.kind, "
        "m.joined_on, m.left_on FROM volunteer_member m JOIN volunteer_team t "
        "ON t.id = m.team_id AND t.county_id = m.county_id "
        f"WHERE {county_clause('m')} AND (CAST(:t AS int) IS NULL OR t.id = :t)",
        {"t": team_id},
    )
    columns = [*members.columns, "day", "kinds", "patrol_id", "status"]
    if members.empty or not days:
        return pd.DataFrame(columns=columns)
    calendar = pd.DataFrame(
        {"day": [d.day for d in days], "kinds": ["+".join(d.kinds) for d in days]}
    )
    grid = members.merge(calendar, how="cross")
    on_team = (grid["day"] >= grid["joined_on"]) & (
        grid["left_on"].isna() | (grid["day"] < grid["left_on"])
    )
    grid = grid[on_team].reset_index(drop=True)
    done = query_frame(
        session,
        "SELECT member_id, (started_at AT TIME ZONE :z)::date AS day, min(id) AS patrol_id "
        f"FROM volunteer_patrol WHERE {county_clause()} AND has_times AND flags = '[]'::jsonb "
        "AND started_at >= :s AND started_at < :e GROUP BY 1, 2",
        {
            "z": clock.zone().key,
            "s": clock.local_midnight(first),
            "e": clock.local_midnight(last + timedelta(days=1)),
        },
    )
    grid = grid.merge(done, on=["member_id", "day"], how="left")
    today = clock.today()
    grid["status"] = np.select(
        [grid["patrol_id"].notna(), grid["day"] < today, grid["day"] == today],
        ["done", "missed", "today"],
        "upcoming",
    )
    return grid[columns].sort_values(["day", "team", "code"]).reset_index(drop=True)


def duty_summary(duty: pd.DataFrame) -> pd.DataFrame:
    """Per team and duty day: members on duty, done, missed."""
    if duty.empty:
        return pd.DataFrame(columns=["team", "day", "kinds", "members", "done", "missed"])
    return (
        duty.assign(done=duty["status"].eq("done"), missed=duty["status"].eq("missed"), members=1)
        .groupby(["team", "day", "kinds"], as_index=False)[["members", "done", "missed"]]
        .sum()
    )


def tracks_geojson(session: Session, user: Actor, first: date, last: date) -> dict:
    """The period's volunteer tracks as one FeatureCollection (simplified), for the map."""
    authorize(user, "read_volunteers")
    doc = session.scalar(
        text(
            "SELECT json_build_object('type', 'FeatureCollection', 'features', "
            "coalesce(json_agg(json_build_object('type', 'Feature', "
            "'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(ST_Force2D(p.geom), 0.00005), "
            "6)::json, 'properties', json_build_object('team', t.name, 'kind', t.kind, "
            "'member', m.name, 'day', to_char(p.started_at AT TIME ZONE :z, 'YYYY-MM-DD')))), "
            "'[]'::json)) FROM volunteer_patrol p "
            "JOIN volunteer_member m ON m.id = p.member_id AND m.county_id = p.county_id "
            "JOIN volunteer_team t ON t.id = m.team_id AND t.county_id = m.county_id "
            f"WHERE {county_clause('p')} AND p.geom IS NOT NULL "
            "AND p.started_at >= :s AND p.started_at < :e"
        ),
        {
            "z": clock.zone().key,
            "s": clock.local_midnight(first),
            "e": clock.local_midnight(last + timedelta(days=1)),
        },
    )
    return doc or {"type": "FeatureCollection", "features": []}
