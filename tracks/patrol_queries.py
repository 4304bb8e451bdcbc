"""What pages read about patrols: the list with its filters, one patrol's detail, the visits,
tracks and sites of some patrols, and the tracks of a period."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import geopandas as gpd
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from accounts.auth import SignedIn
from accounts.scope import narrow
from core import settings
from db.query import county_clause, query_frame, read_geoframe
from tracks.records import check_record_rights

# Tracks of a period are drawn simplified (~5 m) and capped, so a busy month stays light.
TRACK_TOLERANCE = 0.00005
TRACK_LIMIT = 300
LIST_LIMIT = 500


@dataclass
class PatrolDetail:
    """Everything the patrol page shows about one patrol."""

    header: dict[str, object]
    visits: pd.DataFrame
    flags: pd.DataFrame
    answers: pd.DataFrame
    photos: list[dict[str, object]] = field(default_factory=list)
    reviews: pd.DataFrame = field(default_factory=pd.DataFrame)
    track: gpd.GeoDataFrame | None = None


def _tz() -> str:
    return settings.text("timezone")


def deputy_options(session: Session, township_id: int | None = None) -> list[tuple[int, str]]:
    """(id, "code name") of every deputy (of one township), for select boxes."""
    rows = session.execute(
        text(
            "SELECT id, code, name FROM deputy "
            f"WHERE {county_clause()} AND (CAST(:t AS integer) IS NULL OR township_id = :t) "
            "ORDER BY code"
        ),
        {"t": township_id},
    )
    return [(int(r.id), f"{r.code} {r.name}") for r in rows]


def list_patrols(
    session: Session,
    *,
    viewer: SignedIn | None = None,
    township_id: int | None = None,
    deputy_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    flagged_only: bool = False,
    limit: int = LIST_LIMIT,
) -> pd.DataFrame:
    """Patrols, newest first: deputy, local start, distance, visits, flagged, review, counts.

    A township selects patrols of its deputies and patrols that visited a site in it. Dates are
    local days (inclusive) of the patrol's start. A township account (``viewer``) sees its own
    township's only, whatever it asked (``accounts.scope.narrow``).
    """
    township_id = narrow(viewer, township_id, "patrol")
    clauses = ["TRUE"]
    params: dict[str, object] = {"tz": _tz(), "limit": limit}
    if deputy_id is not None:
        clauses.append("p.deputy_id = :deputy_id")
        params["deputy_id"] = deputy_id
    if township_id is not None:
        clauses.append(
            "(d.township_id = :township_id OR EXISTS (SELECT 1 FROM visit v2 JOIN site s2 "
            "ON s2.id = v2.site_id AND s2.county_id = v2.county_id "
            "WHERE v2.patrol_id = p.id AND v2.county_id = p.county_id "
            f"AND {county_clause('v2')} "
            "AND s2.township_id = :township_id))"
        )
        params["township_id"] = township_id
    if date_from is not None:
        clauses.append("p.started_at >= (CAST(:date_from AS timestamp) AT TIME ZONE :tz)")
        params["date_from"] = date_from
    if date_to is not None:
        clauses.append("p.started_at < (CAST(:date_to AS timestamp) AT TIME ZONE :tz)")
        params["date_to"] = date_to + timedelta(days=1)
    if flagged_only:
        clauses.append("ps.flagged")
    sql = f"""
        SELECT p.id AS patrol_id, d.code AS deputy_code, d.name AS deputy_name,
               (p.started_at AT TIME ZONE :tz) AS started,
               round(CAST(p.distance_m / 1000.0 AS numeric), 2) AS distance_km,
               (SELECT count(*) FROM visit v
                 WHERE v.patrol_id = p.id AND v.county_id = p.county_id) AS visits,
               ps.flagged, ps.review, ps.counts, p.on_behalf
        FROM patrol p
        JOIN deputy d ON d.id = p.deputy_id AND d.county_id = p.county_id
        JOIN patrol_state ps ON ps.patrol_id = p.id AND ps.county_id = p.county_id
        WHERE {county_clause("p")} AND {" AND ".join(clauses)}
        ORDER BY p.started_at DESC NULLS LAST, p.id DESC
        LIMIT :limit
    """
    return query_frame(session, sql, params)


def visits_of(session: Session, patrol_ids: Sequence[int]) -> pd.DataFrame:
    """Visits of the given patrols with site code, name and kind; dwell in minutes."""
    if not patrol_ids:
        return pd.DataFrame(
            columns=[
                "patrol_id",
                "site_id",
                "site_code",
                "site_name",
                "kind",
                "arrived",
                "left",
                "dwell_min",
                "is_assigned",
            ]
        )
    return query_frame(
        session,
        """
        SELECT v.patrol_id, v.site_id, s.code AS site_code, s.name AS site_name, s.kind,
               (v.arrived AT TIME ZONE :tz) AS arrived, (v."left" AT TIME ZONE :tz) AS "left",
               round(CAST(v.dwell_s / 60.0 AS numeric), 1) AS dwell_min, v.is_assigned
        FROM visit v JOIN site s ON s.id = v.site_id AND s.county_id = v.county_id
        WHERE {county} AND v.patrol_id = ANY(:ids) ORDER BY v.patrol_id, v.arrived
        """.format(county=county_clause("v")),
        {"ids": [int(i) for i in patrol_ids], "tz": _tz()},
    )


def tracks_of(
    session: Session, patrol_ids: Sequence[int], tolerance: float = TRACK_TOLERANCE
) -> gpd.GeoDataFrame:
    """The given patrols' tracks, 2D and simplified for display."""
    if not patrol_ids:  # no query: the planner leaves the county out of a scan it finds empty
        empty = {c: pd.Series(dtype=object) for c in ("deputy_code", "deputy_name", "started")}
        return gpd.GeoDataFrame(
            {"patrol_id": pd.Series(dtype="int64"), **empty, "geom": gpd.GeoSeries(crs=4326)},
            geometry="geom",
            crs=4326,
        )
    return read_geoframe(
        session,
        "SELECT p.id AS patrol_id, d.code AS deputy_code, d.name AS deputy_name, "
        "to_char(p.started_at AT TIME ZONE :tz, 'YYYY-MM-DD HH24:MI') AS started, "
        "ST_Simplify(ST_Force2D(t.geom), :tol) AS geom "
        "FROM patrol p JOIN deputy d ON d.id = p.deputy_id AND d.county_id = p.county_id "
        "JOIN patrol_track t ON t.patrol_id = p.id AND t.county_id = p.county_id "
        f"WHERE {county_clause('p')} AND p.id = ANY(:ids) ORDER BY p.id",
        {"ids": [int(i) for i in patrol_ids], "tol": tolerance, "tz": _tz()},
    )


def sites_of(session: Session, site_ids: Sequence[int]) -> gpd.GeoDataFrame:
    """Sites by id, with code, name, kind and class, for highlighting visited sites."""
    return read_geoframe(
        session,
        "SELECT s.id AS site_id, s.code, s.name, s.kind, s.site_class, s.geom FROM site s "
        f"WHERE {county_clause('s')} AND s.id = ANY(:ids) ORDER BY s.code",
        {"ids": [int(i) for i in site_ids]},
    )


def period_tracks(
    session: Session,
    start: date,
    end: date,
    township_id: int | None = None,
    limit: int = TRACK_LIMIT,
    tolerance: float = TRACK_TOLERANCE,
) -> gpd.GeoDataFrame:
    """Tracks of patrols started on local days start..end (inclusive), newest first, capped."""
    listed = list_patrols(
        session, township_id=township_id, date_from=start, date_to=end, limit=limit
    )
    ids = [int(i) for i in listed["patrol_id"]] if len(listed) else []
    return tracks_of(session, ids, tolerance)


def patrol_detail(session: Session, patrol_id: int, user: SignedIn) -> PatrolDetail:
    """One patrol with visits, flags, checklist answers, photos, review history and track."""
    check_record_rights(session, patrol_id, user)
    tz = _tz()
    head = query_frame(
        session,
        """
        SELECT p.id AS patrol_id, d.code AS deputy_code, d.name AS deputy_name,
               (p.started_at AT TIME ZONE :tz) AS started, (p.ended_at AT TIME ZONE :tz) AS ended,
               p.distance_m, p.n_points, p.n_kept, p.notes, p.on_behalf,
               u.username AS uploaded_by, ps.flagged, ps.review, ps.counts
        FROM patrol p JOIN deputy d ON d.id = p.deputy_id
        JOIN patrol_state ps ON ps.patrol_id = p.id
        LEFT JOIN app_user u ON u.id = p.uploaded_by
        WHERE p.id = :p
        """,
        {"p": patrol_id, "tz": tz},
    )
    flags = query_frame(
        session,
        "SELECT code, message, details FROM patrol_flag WHERE patrol_id = :p ORDER BY id",
        {"p": patrol_id},
    )
    answers = query_frame(
        session,
        "SELECT s.code AS site_code, s.name AS site_name, s.kind, a.item, a.answer "
        "FROM checklist_answer a JOIN site s ON s.id = a.site_id WHERE a.patrol_id = :p "
        "ORDER BY s.code, a.id",
        {"p": patrol_id},
    )
    reviews = query_frame(
        session,
        "SELECT (r.created_at AT TIME ZONE :tz) AS at, r.decision, r.reason, "
        "u.username AS reviewer FROM patrol_review r LEFT JOIN app_user u ON u.id = r.reviewer_id "
        "WHERE r.patrol_id = :p ORDER BY r.id",
        {"p": patrol_id, "tz": tz},
    )
    photos = [
        {"filename": r.filename, "mime": r.mime, "caption": r.caption, "content": bytes(r.content)}
        for r in session.execute(
            text(
                "SELECT filename, mime, caption, content FROM patrol_photo "
                "WHERE patrol_id = :p ORDER BY id"
            ),
            {"p": patrol_id},
        )
    ]
    return PatrolDetail(
        header=head.iloc[0].to_dict(),
        visits=visits_of(session, [patrol_id]),
        flags=flags,
        answers=answers,
        photos=photos,
        reviews=reviews,
        track=tracks_of(session, [patrol_id]),
    )
