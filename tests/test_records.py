"""Patrol records: checklist answers, photos and notes, with their rights and validation."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, text

from core.errors import PermissionDenied
from core.photos import PHOTO_MAX_BYTES, PhotoRefused
from core.vocab import checklist_for
from db.database import session_scope
from tests.test_ingest import deputy, ingest, signed_in, track_through
from tracks import patrol_queries
from tracks.records import Photo, RecordRefused, record_status, save_record
from tracks.synth import to_gpx_bytes

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def patrol(demo_copy: Engine) -> tuple[int, int, str]:
    """(patrol id, visited site id, site kind) of a verified upload by deputy D0001."""
    dep, site = deputy(demo_copy, "D0001")
    lon, lat, t = track_through(demo_copy, site)
    result = ingest(demo_copy, to_gpx_bytes(lon, lat, t), "p.gpx", dep)
    assert site in set(result.visits["site_id"])
    with demo_copy.connect() as conn:
        kind = conn.scalar(text("SELECT kind FROM site WHERE id = :s"), {"s": site})
    return result.patrol_id, site, kind


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text(f"SELECT count(*) FROM {table}")))


def test_answers_are_stored_once_per_patrol_site_and_item(
    demo_copy: Engine, patrol: tuple[int, int, str]
) -> None:
    pid, site, kind = patrol
    items = checklist_for(kind)
    owner = signed_in(demo_copy, "d0001")
    first = {item: False for item in items}
    with session_scope(demo_copy) as s:
        assert save_record(s, pid, owner, answers={site: first})["answers"] == len(items)
    changed = dict(first) | {next(iter(items)): True}
    with session_scope(demo_copy) as s:
        save_record(s, pid, owner, answers={site: changed}, notes="岸边有少量垃圾")
    with demo_copy.connect() as conn:
        rows = conn.execute(
            text("SELECT item, answer FROM checklist_answer WHERE patrol_id = :p"), {"p": pid}
        ).all()
        notes = conn.scalar(text("SELECT notes FROM patrol WHERE id = :p"), {"p": pid})
    assert len(rows) == len(items)
    assert dict(rows) == changed
    assert notes == "岸边有少量垃圾"


def test_unknown_item_and_unvisited_site_are_refused(
    demo_copy: Engine, patrol: tuple[int, int, str]
) -> None:
    pid, site, _ = patrol
    owner = signed_in(demo_copy, "d0001")
    with (
        pytest.raises(RecordRefused, match="unknown checklist item"),
        session_scope(demo_copy) as s,
    ):
        save_record(s, pid, owner, answers={site: {"no_such_item": True}})
    with demo_copy.connect() as conn:
        other = conn.scalar(
            text("SELECT min(id) FROM site WHERE id NOT IN (SELECT site_id FROM visit)")
        )
    with pytest.raises(RecordRefused, match="was not visited"), session_scope(demo_copy) as s:
        save_record(s, pid, owner, answers={other: {"odour": True}})
    assert _count(demo_copy, "checklist_answer") == 0


def test_photos_are_checked_by_content_and_size(
    demo_copy: Engine, patrol: tuple[int, int, str]
) -> None:
    pid, site, kind = patrol
    owner = signed_in(demo_copy, "d0001")
    answers = {site: {item: item == checklist_for(kind)[0] for item in checklist_for(kind)}}
    fake = Photo(b"just some text, not a picture", "pond.jpg")
    with (
        pytest.raises(PhotoRefused, match="pond.jpg: not a JPEG or PNG"),
        session_scope(demo_copy) as s,
    ):
        save_record(s, pid, owner, answers=answers, photos=[Photo(JPEG, "a.jpg"), fake])
    big = Photo(JPEG + b"\x00" * PHOTO_MAX_BYTES, "big.jpg")
    with pytest.raises(PhotoRefused, match="at most 10 MB"), session_scope(demo_copy) as s:
        save_record(s, pid, owner, photos=[big])
    # A refused call writes nothing, not even its valid parts.
    assert _count(demo_copy, "patrol_photo") == 0
    assert _count(demo_copy, "checklist_answer") == 0

    with session_scope(demo_copy) as s:
        saved = save_record(
            s,
            pid,
            owner,
            answers=answers,
            photos=[Photo(JPEG, "a.jpg", "排口", site), Photo(PNG, "b.png")],
        )
    assert saved["photos"] == 2
    with session_scope(demo_copy) as s:  # the same bytes again: kept once
        assert save_record(s, pid, owner, photos=[Photo(JPEG, "again.jpg")])["photos"] == 0
    with demo_copy.connect() as conn:
        rows = conn.execute(text("SELECT mime, length(sha256) FROM patrol_photo ORDER BY id")).all()
    assert rows == [("image/jpeg", 64), ("image/png", 64)]


def test_a_deputy_may_not_annotate_anothers_patrol(
    demo_copy: Engine, patrol: tuple[int, int, str]
) -> None:
    pid, site, kind = patrol
    whole = {site: {item: False for item in checklist_for(kind)}}
    with pytest.raises(PermissionDenied), session_scope(demo_copy) as s:
        save_record(s, pid, signed_in(demo_copy, "d0002"), answers=whole)
    with pytest.raises(PermissionDenied), session_scope(demo_copy) as s:
        save_record(s, pid, signed_in(demo_copy, "leader"), notes="x")
    with pytest.raises(PermissionDenied), session_scope(demo_copy) as s:
        patrol_queries.patrol_detail(s, pid, signed_in(demo_copy, "d0002"))
    with session_scope(demo_copy) as s:
        save_record(s, pid, signed_in(demo_copy, "analyst"), answers=whole)
    assert _count(demo_copy, "checklist_answer") == len(checklist_for(kind))


def test_list_and_detail(demo_copy: Engine, patrol: tuple[int, int, str]) -> None:
    pid, site, _ = patrol
    analyst = signed_in(demo_copy, "analyst")
    with session_scope(demo_copy) as s:
        everything = patrol_queries.list_patrols(s)
        in_nov = patrol_queries.list_patrols(
            s, date_from=date(2026, 11, 10), date_to=date(2026, 11, 10)
        )
        before = patrol_queries.list_patrols(s, date_to=date(2026, 11, 9))
        flagged = patrol_queries.list_patrols(s, flagged_only=True)
        township = s.scalar(text("SELECT township_id FROM site WHERE id = :s"), {"s": site})
        other = s.scalar(
            text(
                "SELECT min(id) FROM township WHERE id NOT IN (SELECT s.township_id FROM visit v "
                "JOIN site s ON s.id = v.site_id) AND id <> (SELECT township_id FROM deputy "
                "WHERE code = 'D0001')"
            )
        )
        elsewhere = patrol_queries.list_patrols(s, township_id=other)
        here = patrol_queries.list_patrols(s, township_id=township)
        detail = patrol_queries.patrol_detail(s, pid, analyst)
        tracks = patrol_queries.period_tracks(s, date(2026, 11, 1), date(2026, 11, 30))
    assert list(everything["patrol_id"]) == [pid] == list(in_nov["patrol_id"])
    assert before.empty and flagged.empty
    assert list(here["patrol_id"]) == [pid]
    assert bool(everything.loc[0, "counts"]) and int(everything.loc[0, "visits"]) >= 1
    assert site in set(detail.visits["site_id"])
    assert detail.track is not None and len(detail.track) == 1
    assert list(tracks["patrol_id"]) == [pid]
    assert elsewhere.empty


def test_a_checklist_is_saved_only_whole_and_nothing_is_pre_answered(
    demo_copy: Engine, patrol: tuple[int, int, str]
) -> None:
    """ "有/无" for every item of the kind or nothing: an unanswered item (None, as the page's
    radio leaves it) refuses the site's record and stores none of it."""
    pid, site, kind = patrol
    owner = signed_in(demo_copy, "d0001")
    items = checklist_for(kind)
    partial = {site: {item: (None if item == items[-1] else False) for item in items}}
    with session_scope(demo_copy) as s:
        assert record_status(s, pid)[0]["complete"] is False  # nothing answered yet
    with pytest.raises(RecordRefused) as refused, session_scope(demo_copy) as s:
        save_record(s, pid, owner, answers=partial)
    assert refused.value.code == "checklist_unanswered" and refused.value.params["n"] == 1
    assert _count(demo_copy, "checklist_answer") == 0
    whole = {site: {item: item == items[0] for item in items}}
    with session_scope(demo_copy) as s:
        save_record(s, pid, owner, answers=whole)
        (status,) = [r for r in record_status(s, pid) if r["site_id"] == site]
    assert status["complete"] and status["answered"] == len(items) == status["items"]
    assert status["yes"] == [items[0]]
