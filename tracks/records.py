"""The record side of a patrol: checklist answers, photos and notes.

`tracks.ingest` turns a GPX file into a patrol with visits; what the deputy saw there (the
standard yes/no checklist, photos, a note) is added afterwards, here. The rules: only the
uploader's own patrol (a deputy's) or any patrol by an analyst/admin; checklist answers only for
sites the track proved a visit to and only for items of that site's kind; photos are JPEG or PNG
by their bytes (not their name) and at most 10 MB.

The checklist is the patrol's record (巡查描述标准化: 有/无, 是/否): nothing is pre-answered, a
site's checklist is saved only whole — every item of its kind answered — so a *complete
record* of a visited site is one with all its answers (``record_status``); the evaluation
counts those. A "yes" is a problem seen: the page offers the report with its category and the
site filled in, and the ticket keeps the patrol and site it came from."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from accounts.auth import SignedIn
from accounts.permissions import may
from accounts.scope import confined_to, outside_township
from core import settings
from core.errors import PermissionDenied, ShuijianError
from core.photos import photo_mime
from core.vocab import checklist_for
from db.models import ChecklistAnswer, Patrol, PatrolPhoto

NOTES_MAX_CHARS = 4000


class RecordRefused(ShuijianError):
    """A checklist answer, photo or note cannot be stored; nothing of the call was written."""


@dataclass(frozen=True)
class Photo:
    """A photo as uploaded: its bytes, file name and an optional caption and site."""

    data: bytes
    filename: str
    caption: str | None = None
    site_id: int | None = None


def _tz() -> str:
    return settings.text("timezone")


# ------------------------------------------------------------------ rights and validation


def patrol_in_township(session: Session, patrol_id: int, township_id: int) -> bool:
    """Whether a patrol is a township's: its deputy's township, or it visited a site there
    (the same rule as the patrol list's township filter, ``patrol_queries.list_patrols``)."""
    return bool(
        session.scalar(
            text(
                "SELECT EXISTS (SELECT 1 FROM patrol p JOIN deputy d ON d.id = p.deputy_id "
                "WHERE p.id = :p AND (d.township_id = :t OR EXISTS (SELECT 1 FROM visit v "
                "JOIN site s ON s.id = v.site_id WHERE v.patrol_id = p.id "
                "AND s.township_id = :t)))"
            ),
            {"p": patrol_id, "t": township_id},
        )
    )


def check_record_rights(session: Session, patrol_id: int, user: SignedIn) -> Patrol:
    """The patrol, if this user may annotate or read it: its own deputy, analyst/admin, or
    township staff when it is their township's (``patrol_in_township``)."""
    patrol = session.get(Patrol, patrol_id)
    if patrol is None:
        raise RecordRefused(f"no patrol #{patrol_id}", code="patrol_not_found", patrol=patrol_id)
    if may(user.role, "read_any_patrol"):
        own = confined_to(user)
        if own is not None and not patrol_in_township(session, patrol_id, own):
            raise outside_township(user, "patrol")
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
    answers: Mapping[int, Mapping[str, bool | None]], visited: dict[int, str], patrol_id: int
) -> None:
    for site_id, items in answers.items():
        if site_id not in visited:
            raise RecordRefused(
                f"site #{site_id} was not visited on patrol #{patrol_id}; "
                "a checklist needs a visit proven by the track",
                code="site_not_visited",
                site=site_id,
                patrol=patrol_id,
            )
        known = checklist_for(visited[site_id])
        unknown = sorted(set(items) - set(known))
        if unknown:
            raise RecordRefused(
                f"unknown checklist item(s) {', '.join(unknown)} for site #{site_id}",
                code="checklist_unknown_item",
                items=", ".join(unknown),
                site=site_id,
            )
        missing = [item for item in known if items.get(item) is None]
        if missing:
            raise RecordRefused(
                f"checklist for site #{site_id} leaves {len(missing)} item(s) unanswered: "
                f"{', '.join(missing)}",
                code="checklist_unanswered",
                site=site_id,
                n=len(missing),
            )


# ------------------------------------------------------------------ writing


def save_record(
    session: Session,
    patrol_id: int,
    user: SignedIn,
    *,
    answers: Mapping[int, Mapping[str, bool | None]] | None = None,
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
                f"{photo.filename}: site #{photo.site_id} was not visited on patrol #{patrol_id}",
                code="site_not_visited",
                site=photo.site_id,
                patrol=patrol_id,
                filename=photo.filename,
            )
        checked.append((photo, photo_mime(photo.data, photo.filename)))
    if notes is not None and len(notes) > NOTES_MAX_CHARS:
        raise RecordRefused(
            f"notes are {len(notes)} characters; at most {NOTES_MAX_CHARS}",
            code="notes_too_long",
            length=len(notes),
            limit=NOTES_MAX_CHARS,
        )

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

RECORD_SQL = """
SELECT DISTINCT v.site_id, s.kind FROM visit v JOIN site s ON s.id = v.site_id
WHERE v.patrol_id = :p ORDER BY v.site_id
"""


def record_status(session: Session, patrol_id: int) -> list[dict[str, object]]:
    """Per visited site of the patrol: items answered of the kind's list, whether the record
    is complete, and the items answered "yes" (problems seen, each worth a report)."""
    answers: dict[int, dict[str, bool]] = {}
    for row in session.execute(
        text("SELECT site_id, item, answer FROM checklist_answer WHERE patrol_id = :p"),
        {"p": patrol_id},
    ):
        answers.setdefault(int(row.site_id), {})[str(row.item)] = bool(row.answer)
    out = []
    for row in session.execute(text(RECORD_SQL), {"p": patrol_id}):
        items = checklist_for(str(row.kind))
        given = answers.get(int(row.site_id), {})
        out.append(
            {
                "site_id": int(row.site_id),
                "items": len(items),
                "answered": sum(item in given for item in items),
                "complete": all(item in given for item in items),
                "yes": [item for item in items if given.get(item)],
            }
        )
    return out
