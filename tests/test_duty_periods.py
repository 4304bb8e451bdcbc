"""Duty per assignment period and 定人定点, end to end on the database: whose miss it is after a
handover, the handover grace, and visits by another deputy (协查).

The due list, the coverage status and the evaluation read the same duty rows, so each case is
checked through all three.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from duty.coverage import duty_period_status, month_bounds, site_period_status
from duty.due import due_list
from reports.evaluation import evaluate_month
from tests.test_due import TEMP_VISITS, add_visits, build_county
from tests.test_evaluation import _patrol

D = date
NOVEMBER = month_bounds(2026, 11)
CLOSED = D(2026, 12, 1)  # as_of after the month: every November deadline has passed


def _hand_over(session: Session, ids: dict[str, int], site: str, to: str, on: date) -> None:
    """Close the site's open assignment the day before ``on`` and give it to ``to``."""
    session.execute(
        text("UPDATE assignment SET valid_to = :on WHERE site_id = :s AND valid_to IS NULL"),
        {"s": ids[site], "on": on},
    )
    session.execute(
        text("INSERT INTO assignment (deputy_id, site_id, valid_from) VALUES (:d, :s, :on)"),
        {"d": ids[to], "s": ids[site], "on": on},
    )


@pytest.fixture
def handed_over(engine: Engine):
    """S1 (class 1) held by 张三 (D1) since 1 Jan: visited 5 Nov, nothing in 11–20 Nov, handed
    to 李四 (D2) on 28 Nov — the case of the issue."""
    with Session(engine) as session:
        ids = build_county(session)
        _hand_over(session, ids, "S1", "D2", D(2026, 11, 28))
        add_visits(session, ids, [("S1", D(2026, 11, 5))])
        yield session, ids


def test_the_miss_stays_with_the_deputy_who_held_the_window(handed_over) -> None:
    session, ids = handed_over
    duties = duty_period_status(session, *NOVEMBER, CLOSED, visits_sql=TEMP_VISITS)
    s1 = duties[duties["site_id"] == ids["S1"]].set_index("deputy_id")
    assert s1.loc[ids["D1"], "missed"] == 1  # 11–20 Nov, in 张三's period
    assert s1.loc[ids["D1"], "tracking_end"] == pd.Timestamp(2026, 11, 27)
    assert s1.loc[ids["D2"], "missed"] == 0  # 21–30 Nov: 3 days left at handover → grace
    sites = site_period_status(session, *NOVEMBER, CLOSED, visits_sql=TEMP_VISITS)
    assert sites.set_index("site_id").loc[ids["S1"], "missed"] == 1  # the site did miss it


def test_the_new_holder_due_list_restarts_with_the_grace(handed_over) -> None:
    session, ids = handed_over
    due = due_list(session, D(2026, 11, 29), deputy_id=ids["D2"], visits_sql=TEMP_VISITS)
    row = due.set_index("site_code").loc["S1"]
    assert row["deadline"] == pd.Timestamp(2026, 12, 10)
    assert row["status"] == "ok" and pd.isna(row["last_visit"])
    assert "S1" not in set(due_list(session, D(2026, 11, 29), deputy_id=ids["D1"])["site_code"])


def test_the_evaluation_charges_each_deputy_for_their_own_part(engine: Engine) -> None:
    with Session(engine) as session:
        ids = build_county(session)
        _hand_over(session, ids, "S1", "D2", D(2026, 11, 28))
        _patrol(session, ids, "D1", "2026-11-05 09:00", ["S1"])
        _patrol(session, ids, "D1", "2026-11-25 09:00", ["S1"])
        frame = evaluate_month(session, 2026, 11, as_of=CLOSED).set_index("deputy_code")
    # 张三 held S1 until 27 Nov and missed 11–20: S1 counts against him, not against 李四.
    assert frame.loc["D1", ["assigned_sites", "sites_on_time", "visits"]].tolist() == [1, 0, 2]
    # 李四: S2 and F1 never visited (missed); S1 from the 28th, nothing owed yet (grace).
    assert frame.loc["D2", ["assigned_sites", "sites_on_time"]].tolist() == [3, 1]


def test_another_deputys_visits_are_assists_not_the_duty(engine: Engine) -> None:
    """Like site S0212 of the demo: no visit by its deputy, five by another → missed, and the
    five count as 协查 for the visitor."""
    with Session(engine) as session:
        ids = build_county(session)
        for day in (3, 9, 14, 22, 27):
            _patrol(session, ids, "D2", f"2026-11-{day:02d} 09:00", ["S1"])
        sites = site_period_status(session, *NOVEMBER, CLOSED).set_index("site_id")
        frame = evaluate_month(session, 2026, 11, as_of=CLOSED).set_index("deputy_code")
        due = due_list(session, D(2026, 11, 29), deputy_id=ids["D1"])
    assert sites.loc[ids["S1"], "missed"] == 3 and not sites.loc[ids["S1"], "on_time"]
    assert sites.loc[ids["S1"], "assist_visits"] == 5
    assert frame.loc["D2", "assist_visits"] == 5 and frame.loc["D1", "assist_visits"] == 0
    assert frame.loc["D1", "sites_on_time"] == 0
    assert pd.isna(due.set_index("site_code").loc["S1", "last_visit"])


def test_a_setting_lets_any_deputys_visit_count(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHUIJIAN_DUTY_VISITS", "any")
    with Session(engine) as session:
        ids = build_county(session)
        for day in (3, 14, 22):
            _patrol(session, ids, "D2", f"2026-11-{day:02d} 09:00", ["S1"])
        sites = site_period_status(session, *NOVEMBER, CLOSED).set_index("site_id")
        due = due_list(session, D(2026, 11, 23), deputy_id=ids["D1"])
    assert sites.loc[ids["S1"], "missed"] == 0 and sites.loc[ids["S1"], "on_time"]
    assert due.set_index("site_code").loc["S1", "last_visit"] == pd.Timestamp(2026, 11, 22)


# --------------------------------------------------------------------------- local days


def _visit_day(engine: Engine, visit_at: str) -> date:
    """The verified_visit day of a visit, read through a fresh engine of the app."""
    from db.database import get_engine

    fresh = get_engine.__wrapped__(engine.url.render_as_string(hide_password=False))
    try:
        with fresh.connect() as conn:
            return conn.scalar(
                text("SELECT visit_date FROM verified_visit WHERE arrived = :at"), {"at": visit_at}
            )
    finally:
        fresh.dispose()


def test_the_visit_day_follows_the_timezone_setting(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A visit at 30 Nov 20:00 UTC is on 1 Dec in Shanghai and on 30 Nov in London: the view
    reads the zone each connection of the app sets, not a setting nothing sets."""
    with Session(engine) as session:
        ids = build_county(session)
        _patrol(session, ids, "D1", "2026-12-01 04:00", ["S1"])  # +08 = 30 Nov 20:00 UTC
        session.commit()
    at = "2026-11-30 20:00+00"
    monkeypatch.setenv("SHUIJIAN_TIMEZONE", "Asia/Shanghai")
    assert _visit_day(engine, at) == D(2026, 12, 1)
    monkeypatch.setenv("SHUIJIAN_TIMEZONE", "Europe/London")
    assert _visit_day(engine, at) == D(2026, 11, 30)


def test_the_assigned_marker_uses_each_visits_local_day(engine: Engine) -> None:
    """S1 passes from 张三 to 李四 on 1 Dec (local). A patrol by 李四 across midnight: the visit
    at 23:50 on 30 Nov (15:50 UTC) is not at his site yet, the one at 00:10 on 1 Dec (16:10
    UTC, still 30 Nov in UTC) is."""
    from tracks.ingest import _assigned_on_arrival

    with Session(engine) as session:
        ids = build_county(session)
        _hand_over(session, ids, "S1", "D2", D(2026, 12, 1))
        before = pd.Timestamp("2026-11-30 15:50", tz="UTC").timestamp()
        after = pd.Timestamp("2026-11-30 16:10", tz="UTC").timestamp()
        found = pd.DataFrame({"site_id": [ids["S1"], ids["S1"]], "arrived_s": [before, after]})
        assert _assigned_on_arrival(session, ids["D2"], found).tolist() == [False, True]
        assert _assigned_on_arrival(session, ids["D1"], found).tolist() == [True, False]


def test_a_visit_counts_as_a_record_when_its_checklist_is_complete(engine: Engine) -> None:
    from core.vocab import checklist_for

    with Session(engine) as session:
        ids = build_county(session)
        whole = _patrol(session, ids, "D1", "2026-11-05 09:00", ["S1"])
        part = _patrol(session, ids, "D1", "2026-11-15 09:00", ["S1"])
        items = checklist_for("pond")
        answers = [(whole, item) for item in items] + [(part, items[0])]
        for patrol, item in answers:
            session.execute(
                text(
                    "INSERT INTO checklist_answer (patrol_id, site_id, item, answer) "
                    "VALUES (:p, :s, :i, false)"
                ),
                {"p": patrol, "s": ids["S1"], "i": item},
            )
        frame = evaluate_month(session, 2026, 11, as_of=CLOSED).set_index("deputy_code")
    assert frame.loc["D1", ["record_visits", "complete_records"]].tolist() == [2, 1]
    assert frame.loc["D1", "records_norm"] == 0.5
    assert frame.loc["D1", "pts_records"] == 5.0
