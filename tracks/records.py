"""The record side of a patrol: checklist answers, photos and notes, lists and details.

`tracks.ingest` turns a GPX file into a patrol with visits; what the deputy saw there (the
standard yes/no checklist, photos, a note) is added afterwards, here. The rules: only the
uploader's own patrol (a deputy's) or any patrol by an analyst/admin; checklist answers only for
sites the track proved a visit to and only for items of that site's kind; photos are JPEG or PNG
by their bytes (not their name) and at most 10 MB. Everything a page reads about patrols (list
with filters, one patrol's detail, the tracks of a period) is a plain function here too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import geopandas as gpd
import pandas as pd
from sqlalchemy import Engine, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from accounts.auth import SignedIn
from accounts.permissions import may
from core import settings
from core.errors import PermissionDenied, ShuijianError
from core.photos import photo_mime
from core.vocab import checklist_for
from db.models import ChecklistAnswer, Patrol, PatrolPhoto
from db.query import query_frame, read_geoframe
from tracks.batch import ingest_file
from tracks.ingest import IngestResult

NOTES_MAX_CHARS = 4000
# Tracks of a period are drawn simplified (~5 m) and capped, so a busy month stays light.
TRACK_TOLERANCE = 0.00005
TRACK_LIMIT = 300
LIST_LIMIT = 500


class RecordRefused(ShuijianError):
    """A checklist answer, photo or note cannot be stored; nothing of the call was written."""


@dataclass(frozen=True)
class Photo:
    """A photo as uploaded: its bytes, file name and an optional caption and site."""

    data: bytes
    filename: str
    caption: str | None = None
    site_id: int | None = None


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


@dataclass
class UploadOutcome:
    """One uploaded file's result as a page shows it: stored, duplicate, or not stored (why:
    ``reason`` a code the page translates, ``params`` its values, ``refused`` the English
    sentence)."""

    filename: str
    patrol_id: int | None = None
    duplicate: bool = False
    refused: str | None = None
    reason: str | None = None
    params: dict[str, object] = field(default_factory=dict)
    summary: str = ""
    n_points: int = 0
    n_kept: int = 0
    visits: pd.DataFrame = field(default_factory=pd.DataFrame)
    flags: list[tuple[str, str, str]] = field(default_factory=list)  # code, label_zh, message
    notes: list[str] = field(default_factory=list)

    @property
    def stored(self) -> bool:
        """A new patrol was written by this upload (not refused, not a re-upload)."""
        return self.patrol_id is not None and not self.duplicate


def ingest_upload(
    engine: Engine,
    data: bytes,
    filename: str,
    *,
    deputy_id: int,
    uploader: SignedIn,
    gcj02: bool = False,
) -> UploadOutcome:
    """Ingest one file in its own transaction, so a refused file stops none of the others;
    never raises (see :func:`tracks.batch.ingest_file`)."""
    read: dict[str, pd.DataFrame] = {}

    def read_visits(s: Session, result: IngestResult) -> None:
        read["visits"] = visits_of(s, [] if result.duplicate else [result.patrol_id])

    verdict = ingest_file(
        engine,
        data,
        filename,
        deputy_id=deputy_id,
        uploader=uploader,
        gcj02=gcj02,
        after=read_visits,
    )
    result = verdict.result
    if result is None:
        return UploadOutcome(
            filename, refused=verdict.message, reason=verdict.reason, params=verdict.params
        )
    return UploadOutcome(
        filename,
        patrol_id=result.patrol_id,
        duplicate=result.duplicate,
        summary=result.summary(),
        n_points=result.n_points,
        n_kept=result.n_kept,
        visits=read.get("visits", pd.DataFrame()),
        flags=[(f.code, f.label_zh, f.message) for f in result.flags],
        notes=list(result.notes),
    )


def _tz() -> str:
    return str(settings.get("timezone"))


# ------------------------------------------------------------------ rights and validation


def check_record_rights(session: Session, patrol_id: int, user: SignedIn) -> Patrol:
    """The patrol, if this user may annotate or read it: its own deputy, or analyst/admin."""
    patrol = session.get(Patrol, patrol_id)
    if patrol is None:
        raise RecordRefused(f"no patrol #{patrol_id}")
    if may(user.role, "read_any_patrol"):
        return patrol
    if user.deputy_id is not None and user.deputy_id == patrol.deputy_id:
        return patrol
    raise PermissionDenied(
        f"patrol #{patrol_id} is not yours; only its deputy or an analyst",
        code="not_your_patrol",
        patrol=patrol_id,
    )


def _visited_sites(session: Session, patrol_id: int) -> dict[int, str]:
    """site id → kind of every site this patrol's track proved a visit to."""
    rows = session.execute(
        text(
            "SELECT DISTINCT s.id, s.kind FROM visit v JOIN site s ON s.id = v.site_id "
            "WHERE v.patrol_id = :p"
        ),
        {"p": patrol_id},
    )
    return {int(r.id): str(r.kind) for r in rows}


def _check_answers(
    answers: Mapping[int, Mapping[str, bool]], visited: dict[int, str], patrol_id: int
) -> None:
    for site_id, items in answers.items():
        if site_id not in visited:
            raise RecordRefused(
                f"site #{site_id} was not visited on patrol #{patrol_id}; "
                "a checklist needs a visit proven by the track"
            )
        known = checklist_for(visited[site_id])
        unknown = sorted(set(items) - set(known))
        if unknown:
            raise RecordRefused(
                f"unknown checklist item(s) {', '.join(unknown)} for site #{site_id}"
            )


# ------------------------------------------------------------------ writing


def save_record(
    session: Session,
    patrol_id: int,
    user: SignedIn,
    *,
    answers: Mapping[int, Mapping[str, bool]] | None = None,
    photos: Sequence[Photo] = (),
    notes: str | None = None,
) -> dict[str, int]:
    """Checklist answers, photos and notes of one patrol, all checked before any is written.

    Answers are stored once per (patrol, site, item): saving again replaces the answer. A photo
    already stored for this patrol (same sha256) is skipped. Returns counts written.
    """
    check_record_rights(session, patrol_id, user)
    answers = answers or {}
    visited = _visited_sites(session, patrol_id)
    _check_answers(answers, visited, patrol_id)
    checked: list[tuple[Photo, str]] = []
    for photo in photos:
        if photo.site_id is not None and photo.site_id not in visited:
            raise RecordRefused(
                f"{photo.filename}: site #{photo.site_id} was not visited on patrol #{patrol_id}"
            )
        checked.append((photo, photo_mime(photo.data, photo.filename)))
    if notes is not None and len(notes) > NOTES_MAX_CHARS:
        raise RecordRefused(f"notes are {len(notes)} characters; at most {NOTES_MAX_CHARS}")

    rows = [
        {"patrol_id": patrol_id, "site_id": site_id, "item": item, "answer": bool(value)}
        for site_id, items in answers.items()
        for item, value in items.items()
    ]
    if rows:
        statement = insert(ChecklistAnswer).values(rows)
        session.execute(
            statement.on_conflict_do_update(
                constraint="checklist_answer_once", set_={"answer": statement.excluded.answer}
            )
        )
    stored_photos = 0
    for photo, mime in checked:
        digest = hashlib.sha256(photo.data).hexdigest()
        new_id = session.scalar(
            insert(PatrolPhoto)
            .values(
                patrol_id=patrol_id,
                site_id=photo.site_id,
                sha256=digest,
                filename=photo.filename[:255],
                mime=mime,
                content=photo.data,
                caption=photo.caption or None,
            )
            .on_conflict_do_nothing(constraint="patrol_photo_once")
            .returning(PatrolPhoto.id)
        )
        stored_photos += new_id is not None
    if notes is not None and notes.strip():
        session.execute(
            text("UPDATE patrol SET notes = :n WHERE id = :p"),
            {"n": notes.strip(), "p": patrol_id},
        )
    session.flush()
    noted = int(bool(notes and notes.strip()))
    return {"answers": len(rows), "photos": stored_photos, "notes": noted}


# ------------------------------------------------------------------ reading


def deputy_options(session: Session) -> list[tuple[int, str]]:
    """(id, "code name") of every deputy, for select boxes."""
    rows = session.execute(text("SELECT id, code, name FROM deputy ORDER BY code"))
    return [(int(r.id), f"{r.code} {r.name}") for r in rows]


def list_patrols(
    session: Session,
    *,
    township_id: int | None = None,
    deputy_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    flagged_only: bool = False,
    limit: int = LIST_LIMIT,
) -> pd.DataFrame:
    """Patrols, newest first: deputy, local start, distance, visits, flagged, review, counts.

    A township selects patrols of its deputies and patrols that visited a site in it. Dates are
    local days (inclusive) of the patrol's start.
    """
    clauses = ["TRUE"]
    params: dict[str, object] = {"tz": _tz(), "limit": limit}
    if deputy_id is not None:
        clauses.append("p.deputy_id = :deputy_id")
        params["deputy_id"] = deputy_id
    if township_id is not None:
        clauses.append(
            "(d.township_id = :township_id OR EXISTS (SELECT 1 FROM visit v2 JOIN site s2 "
            "ON s2.id = v2.site_id WHERE v2.patrol_id = p.id AND s2.township_id = :township_id))"
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
               (SELECT count(*) FROM visit v WHERE v.patrol_id = p.id) AS visits,
               ps.flagged, ps.review, ps.counts, p.on_behalf
        FROM patrol p
        JOIN deputy d ON d.id = p.deputy_id
        JOIN patrol_state ps ON ps.patrol_id = p.id
        WHERE {" AND ".join(clauses)}
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
        FROM visit v JOIN site s ON s.id = v.site_id
        WHERE v.patrol_id = ANY(:ids) ORDER BY v.patrol_id, v.arrived
        """,
        {"ids": [int(i) for i in patrol_ids], "tz": _tz()},
    )


def tracks_of(
    session: Session, patrol_ids: Sequence[int], tolerance: float = TRACK_TOLERANCE
) -> gpd.GeoDataFrame:
    """The given patrols' tracks, 2D and simplified for display."""
    return read_geoframe(
        session,
        "SELECT p.id AS patrol_id, d.code AS deputy_code, d.name AS deputy_name, "
        "to_char(p.started_at AT TIME ZONE :tz, 'YYYY-MM-DD HH24:MI') AS started, "
        "ST_Simplify(ST_Force2D(p.geom), :tol) AS geom "
        "FROM patrol p JOIN deputy d ON d.id = p.deputy_id "
        "WHERE p.id = ANY(:ids) AND p.geom IS NOT NULL ORDER BY p.id",
        {"ids": [int(i) for i in patrol_ids], "tol": tolerance, "tz": _tz()},
    )


def sites_of(session: Session, site_ids: Sequence[int]) -> gpd.GeoDataFrame:
    """Sites by id, with code, name, kind and class, for highlighting visited sites."""
    return read_geoframe(
        session,
        "SELECT s.id AS site_id, s.code, s.name, s.kind, s.site_class, s.geom FROM site s "
        "WHERE s.id = ANY(:ids) ORDER BY s.code",
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
        "SELECT code, message FROM patrol_flag WHERE patrol_id = :p ORDER BY id",
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


__all__ = [
    "Photo",
    "PatrolDetail",
    "RecordRefused",
    "UploadOutcome",
    "check_record_rights",
    "deputy_options",
    "list_patrols",
    "patrol_detail",
    "period_tracks",
    "ingest_upload",
    "save_record",
    "sites_of",
    "tracks_of",
    "visits_of",
]
