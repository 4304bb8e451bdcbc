"""The indexed status queries ([8/8] Scale): a period's visits and one last verified visit per
duty instead of all history, and a county's queries naming the county.

- The fast form (``verified_visit``, the default) gives the same rows as the reference form
  (``REFERENCE_VISITS_SQL``: every visit read, then filtered) — the coverage status per site
  and per duty, the due list, the today codes — on a long history with flagged patrols and
  another deputy's visits just before the period.
- The 14-day chain (class 2) across a period boundary: only the last *verified* visit *by the
  duty's deputy* before the period decides the first deadline inside it.
- In one county's scope, status, due list, today codes and cells hold that county's rows only,
  though the test's superuser is not bound by row-level security: the SQL names the county.
- The ``counted_visit`` summary the fast form reads (migration 0027) stays equal to
  ``verified_visit`` on every path its triggers cover: a visit inserted (out of order too, and
  into an older month's partition), a patrol flagged, reviewed, re-reviewed, a flag removed, a
  patrol's times or deputy changed, visits deleted, a month dropped by retention; and the
  backfill gives the same rows.
- The array form of the status (``duty_status_frame``, ``period_status_frame`` over
  `duty.windows.missed_count_array`) equals the row-by-row rule (``missed_deadlines`` per duty,
  summed per site) on the edge cases: 旬 boundaries, month ends, 29 February, the 14-day chain
  across the period start, a site never visited, a site never assigned, several deputies on one
  site (a handover inside the period and two at once), and on random cases.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from db import partitions, scope
from duty.coverage import (
    DUTY_PERIOD_COLUMNS,
    duty_before_sql,
    duty_period_status,
    duty_status_frame,
    duty_visits_query,
    load_cells,
    month_bounds,
    nullable_ids,
    period_status_frame,
    site_period_status,
)
from duty.due import REFERENCE_VISITS_SQL, due_list, due_query
from duty.today import site_today_status
from duty.windows import missed_deadlines
from tests import factories
from tests.test_evaluation import _patrol

D = date
SQUARE = "MULTIPOLYGON(((117.5 28.9, 117.6 28.9, 117.6 29.0, 117.5 29.0, 117.5 28.9)))"
POND = "POLYGON((117.51 28.91, 117.52 28.91, 117.52 28.92, 117.51 28.91))"


def _county_rows(session: Session, prefix: str) -> dict[str, int]:
    """A township, a large ⊃ medium ⊃ small cell chain, sites S1/S2/F1 of classes 1/2/3 and
    deputies D1, D2 (D1 → S1, D2 → S2 and F1 since 1 Sep 2025), codes prefixed, in the county
    the transaction's scope names. Returns ids by unprefixed code."""
    ids: dict[str, int] = {}

    def insert(sql: str, **params: object) -> int:
        return session.execute(text(sql + " RETURNING id"), params).scalar_one()

    geom = "ST_GeomFromText(:wkt, 4326)"
    ids["T"] = insert(
        f"INSERT INTO township (code, name, geom) VALUES (:c, '东镇', {geom})",
        c=f"{prefix}T",
        wkt=SQUARE,
    )
    parent = None
    for level in (1, 2, 3):
        parent = ids[f"L{level}"] = insert(
            "INSERT INTO grid_cell (code, level, parent_id, township_id, geom) "
            f"VALUES (:code, :level, :parent, :township, {geom})",
            code=f"{prefix}L{level}",
            level=level,
            parent=parent,
            township=ids["T"],
            wkt=SQUARE,
        )
    for code, kind, site_class, wkt in (
        ("S1", "pond", 1, POND),
        ("S2", "reservoir", 2, POND),
        ("F1", "livestock_farm", 3, "POINT(117.55 28.95)"),
    ):
        ids[code] = insert(
            "INSERT INTO site (code, name, kind, site_class, township_id, grid_cell_id, geom) "
            f"VALUES (:code, :code, :kind, :class, :township, :cell, {geom})",
            code=f"{prefix}{code}",
            kind=kind,
            **{"class": site_class},
            township=ids["T"],
            cell=ids["L3"],
            wkt=wkt,
        )
    for code in ("D1", "D2"):
        ids[code] = insert(
            "INSERT INTO deputy (code, name, level, township_id) "
            "VALUES (:code, :code, 'county', :township)",
            code=f"{prefix}{code}",
            township=ids["T"],
        )
    for deputy, site in (("D1", "S1"), ("D2", "S2"), ("D2", "F1")):
        insert(
            "INSERT INTO assignment (deputy_id, site_id, valid_from) "
            "VALUES (:deputy, :site, '2025-09-01')",
            deputy=ids[deputy],
            site=ids[site],
        )
    return ids


def _history(session: Session, ids: dict[str, int]) -> None:
    """A long verified history, then the boundary case of November 2026 for S2 (class 2, D2):
    its last verified own visit before November is 20 Oct; after it a flagged patrol (31 Oct,
    never accepted) and 张三's 协查 visit (30 Oct) must not count; D2 comes back on 10 Nov."""
    day = D(2025, 9, 5)
    while day <= D(2026, 10, 20):
        _patrol(session, ids, "D2", f"{day} 09:00", ["S2", "F1"])
        _patrol(session, ids, "D1", f"{day} 15:00", ["S1"])
        day += timedelta(days=10 if day.month % 3 else 16)  # some gaps too: misses to count
    _patrol(session, ids, "D2", "2026-10-20 09:00", ["S2"])
    _patrol(session, ids, "D1", "2026-10-30 09:00", ["S2"])
    _patrol(session, ids, "D2", "2026-10-31 23:30", ["S2"], flagged=True)
    _patrol(session, ids, "D2", "2026-11-10 09:00", ["S2"])
    _patrol(session, ids, "D2", "2026-11-12 09:00", ["S1"], flagged=True, review="accept")


@pytest.fixture
def history(engine: Engine):
    with Session(engine) as session:
        factories.ensure_county(session)
        ids = _county_rows(session, "A")
        _history(session, ids)
        session.commit()
        yield session, ids


def _sorted(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    return frame.sort_values(key, kind="stable").reset_index(drop=True)


def test_the_chain_crosses_the_period_boundary_from_the_last_verified_own_visit(history) -> None:
    session, ids = history
    november = site_period_status(session, *month_bounds(2026, 11), D(2026, 12, 1))
    row = november.set_index("site_id").loc[ids["S2"]]
    # From 20 Oct: 3 Nov missed, then 17 Nov — met by 10 Nov — so 24 Nov, missed: 2. Had
    # the flagged 31 Oct or the 协查 30 Oct counted, 14 or 13 Nov would be met: 1.
    assert row["missed"] == 2
    assert row["last_visit"] == pd.Timestamp(2026, 11, 10)
    due = due_list(session, D(2026, 11, 1)).set_index("site_id").loc[ids["S2"]]
    assert due["last_visit"] == pd.Timestamp(2026, 10, 20)
    assert due["deadline"] == pd.Timestamp(2026, 11, 3)


@pytest.mark.parametrize(
    ("month", "as_of"),
    [
        ((2026, 11), D(2026, 12, 1)),
        ((2026, 11), D(2026, 11, 16)),
        ((2026, 10), D(2026, 11, 1)),
        ((2025, 9), D(2025, 10, 1)),
        ((2026, 12), D(2026, 11, 5)),
    ],
)
def test_the_fast_form_equals_the_reference(history, month, as_of) -> None:
    session, _ = history
    period = month_bounds(*month)
    fast = site_period_status(session, *period, as_of)
    reference = site_period_status(session, *period, as_of, visits_sql=REFERENCE_VISITS_SQL)
    pd.testing.assert_frame_equal(_sorted(fast, "site_id"), _sorted(reference, "site_id"))
    fast = duty_period_status(session, *period, as_of)
    reference = duty_period_status(session, *period, as_of, visits_sql=REFERENCE_VISITS_SQL)
    pd.testing.assert_frame_equal(_sorted(fast, "duty_id"), _sorted(reference, "duty_id"))
    due = due_list(session, as_of)
    due_reference = due_list(session, as_of, visits_sql=REFERENCE_VISITS_SQL)
    pd.testing.assert_frame_equal(due, due_reference)
    reference_today = site_today_status(session, as_of, due=due_reference)
    pd.testing.assert_frame_equal(site_today_status(session, as_of, due=due), reference_today)
    # the lean form (no due list: the recent range, probes, names for the sites' deputies)
    pd.testing.assert_frame_equal(site_today_status(session, as_of), reference_today)


def test_the_lean_today_form_across_a_handover(history) -> None:
    """D1 hands S1 over to D2 on 1 Nov 2026 (one deputy a site a day: the exclusion
    constraint), D1's visits then no longer count for it, D2's accepted visit of 12 Nov does;
    a site never visited and never assigned (S3, in no township and no cell) is ``unassigned``
    and not patrolled: the lean form equals the due list's form, dtypes included, before and
    after, on a 旬's first day and a month's."""
    session, ids = history
    session.execute(
        text("UPDATE assignment SET valid_to = '2026-11-01' WHERE site_id = :s1"),
        {"s1": ids["S1"]},
    )
    session.execute(
        text(
            "INSERT INTO assignment (deputy_id, site_id, valid_from) "
            "VALUES (:deputy, :site, '2026-11-01')"
        ),
        {"deputy": ids["D2"], "site": ids["S1"]},
    )
    session.execute(
        text(
            "INSERT INTO site (code, name, kind, site_class, township_id, grid_cell_id, geom) "
            "SELECT 'AS3', 'AS3', 'pond', 3, NULL, NULL, geom FROM site "
            "WHERE id = :s1"
        ),
        {"s1": ids["S1"]},
    )
    for on in (D(2026, 10, 31), D(2026, 11, 5), D(2026, 11, 21), D(2026, 12, 1), D(2027, 2, 1)):
        reference = site_today_status(
            session, on, due=due_list(session, on, visits_sql=REFERENCE_VISITS_SQL)
        )
        lean = site_today_status(session, on)
        pd.testing.assert_frame_equal(lean, reference)
        assert len(lean) == 4 and (lean["today"] == "unassigned").sum() == 1


def test_any_deputy_fast_form_equals_the_reference(history, monkeypatch) -> None:
    """With duty_visits = 'any' another deputy's visit discharges the duty, yet still counts
    as 协查 (the assist test is by deputy whatever the setting): both forms agree."""
    monkeypatch.setenv("SHUIJIAN_DUTY_VISITS", "any")
    session, _ = history
    for month, as_of in (((2026, 10), D(2026, 11, 1)), ((2026, 11), D(2026, 11, 16))):
        period = month_bounds(*month)
        fast = site_period_status(session, *period, as_of)
        reference = site_period_status(session, *period, as_of, visits_sql=REFERENCE_VISITS_SQL)
        pd.testing.assert_frame_equal(_sorted(fast, "site_id"), _sorted(reference, "site_id"))
        assert fast["assist_visits"].sum() == reference["assist_visits"].sum()
        # the today view's lean form: D1's 30 Oct visit to S2 discharges D2's duty too
        due_reference = due_list(session, as_of, visits_sql=REFERENCE_VISITS_SQL)
        pd.testing.assert_frame_equal(
            site_today_status(session, as_of),
            site_today_status(session, as_of, due=due_reference),
        )


def test_one_county_reads_no_other(engine: Engine) -> None:
    with Session(engine) as session:
        first = factories.ensure_county(session)
        a = _county_rows(session, "A")
        _history(session, a)
        second = session.execute(
            text(
                "INSERT INTO county (code, name, geom) VALUES ('999997', '邻县', "
                "ST_Multi(ST_MakeEnvelope(110, 20, 125, 35, 4326))) RETURNING id"
            )
        ).scalar_one()
        scope.switch(session, second)
        b = _county_rows(session, "B")
        _patrol(session, b, "D2", "2026-10-20 09:00", ["S2", "F1"])
        _patrol(session, b, "D2", "2026-11-10 09:00", ["S2"])
        session.commit()
        period, on = month_bounds(2026, 11), D(2026, 11, 16)
        with scope.within(scope.ALL):
            city = site_period_status(session, *period, on).set_index("site_id")
        assert len(city) == 6
        for county, ids in ((first, a), (second, b)):
            own = {ids["S1"], ids["S2"], ids["F1"]}
            session.rollback()  # a new transaction per scope, as a page run has
            with scope.within(county):
                status = site_period_status(session, *period, on)
                due = due_list(session, on)
                today = site_today_status(session, on)
                cells = load_cells(session)
                sql, _ = duty_visits_query(*period, on)
                before_sql = duty_before_sql()
                due_sql, _ = due_query(on)
            assert set(status["site_id"]) == own
            assert set(due["site_id"]) == own
            assert set(today["site_id"]) == own
            assert set(cells["id"]) == {ids["L1"], ids["L2"], ids["L3"]}
            named = f"county_id = {county}"
            assert f"c.{named}" in sql and f"s.{named}" in sql
            assert f"c.{named}" in before_sql and f"d.{named}" in before_sql
            assert f"c.{named}" in due_sql
            # The county's rows are the city's rows of its sites, unchanged.
            pd.testing.assert_frame_equal(
                _sorted(status, "site_id").set_index("site_id"),
                city.loc[sorted(own)],
                check_names=False,
            )


SUMMARY_SQL = (
    "SELECT patrol_id, visit_id, site_id, deputy_id, arrived, county_id FROM {} "
    "ORDER BY patrol_id, visit_id"
)


def _summary_is_true(session: Session) -> int:
    """Assert counted_visit holds exactly the rows verified_visit shows; their number."""
    summary = session.execute(text(SUMMARY_SQL.format("counted_visit"))).all()
    reference = session.execute(text(SUMMARY_SQL.format("verified_visit"))).all()
    assert summary == reference
    return len(summary)


def _agree_on(session: Session, month: tuple[int, int], as_of: date) -> None:
    """The fast forms (reading the summary) equal the reference forms."""
    period = month_bounds(*month)
    fast = site_period_status(session, *period, as_of)
    reference = site_period_status(session, *period, as_of, visits_sql=REFERENCE_VISITS_SQL)
    pd.testing.assert_frame_equal(_sorted(fast, "site_id"), _sorted(reference, "site_id"))
    due = due_list(session, as_of)
    pd.testing.assert_frame_equal(due, due_list(session, as_of, visits_sql=REFERENCE_VISITS_SQL))


def _counted(session: Session, patrol: int) -> int:
    return session.execute(
        text("SELECT count(*) FROM counted_visit WHERE patrol_id = :p"), {"p": patrol}
    ).scalar_one()


def test_the_summary_follows_flags_and_reviews(history) -> None:
    session, ids = history
    assert _summary_is_true(session) > 0
    patrol = _patrol(session, ids, "D2", "2026-11-20 09:00", ["S2", "F1"])
    assert _counted(session, patrol) == 2  # a visit inserted counts at once
    _agree_on(session, (2026, 11), D(2026, 12, 1))
    steps = [
        ("INSERT INTO patrol_flag (patrol_id, code, message) VALUES (:p, 'jump', 'x')", 0),
        ("INSERT INTO patrol_review (patrol_id, decision, reason) VALUES (:p, 'reject', 'r')", 0),
        ("INSERT INTO patrol_review (patrol_id, decision, reason) VALUES (:p, 'accept', 'r')", 2),
        # a second flag after the acceptance: the latest review still accepts
        ("INSERT INTO patrol_flag (patrol_id, code, message) VALUES (:p, 'copy', 'x')", 2),
        ("INSERT INTO patrol_review (patrol_id, decision, reason) VALUES (:p, 'reject', 'r')", 0),
        # the latest review undone: the acceptance before it decides again
        (
            "DELETE FROM patrol_review WHERE id = "
            "(SELECT max(id) FROM patrol_review WHERE patrol_id = :p)",
            2,
        ),
        ("DELETE FROM patrol_review WHERE patrol_id = :p", 0),  # flagged, never reviewed
        ("DELETE FROM patrol_flag WHERE patrol_id = :p", 2),  # the flags cleared
        ("UPDATE patrol SET has_times = false WHERE id = :p", 0),
        ("UPDATE patrol SET has_times = true WHERE id = :p", 2),
    ]
    for sql, expected in steps:
        session.execute(text(sql), {"p": patrol})
        assert _counted(session, patrol) == expected, sql
        _summary_is_true(session)
    _agree_on(session, (2026, 11), D(2026, 12, 1))
    session.execute(
        text("UPDATE patrol SET deputy_id = :d WHERE id = :p"), {"d": ids["D1"], "p": patrol}
    )
    _summary_is_true(session)
    _agree_on(session, (2026, 11), D(2026, 12, 1))


def test_the_summary_takes_out_of_order_and_old_month_visits(history) -> None:
    session, ids = history
    conn = session.connection()
    # an older month with its own partition, made before the late upload lands in it
    # (August 2025: no visit of the history sits in the default partition for it)
    conn.execute(text("SELECT shuijian_month_partition('visit', DATE '2025-08-01')"))
    late = [
        _patrol(session, ids, "D2", "2026-11-05 09:00", ["S2"]),  # before 10 Nov's, after
        _patrol(session, ids, "D2", "2026-10-27 09:00", ["S2"]),  # the chain's last visit
        _patrol(session, ids, "D2", "2025-08-20 09:00", ["S2", "F1"]),  # the old partition
    ]
    assert all(_counted(session, p) for p in late)
    place = session.execute(
        text("SELECT tableoid::regclass::text FROM visit WHERE patrol_id = :p"), {"p": late[2]}
    ).scalar()
    assert place == "visit_202508"
    _summary_is_true(session)
    for month, as_of in (((2026, 11), D(2026, 12, 1)), ((2025, 9), D(2025, 10, 1))):
        _agree_on(session, month, as_of)
    # deleted visits leave the summary; a month dropped by retention takes its rows with it
    session.execute(text("DELETE FROM visit WHERE patrol_id = :p"), {"p": late[0]})
    assert _counted(session, late[0]) == 0
    [old] = [m for m in partitions.month_partitions(conn, "visit") if m.name == "visit_202508"]
    partitions.drop(conn, old)
    assert _counted(session, late[2]) == 0
    _summary_is_true(session)
    _agree_on(session, (2026, 11), D(2026, 12, 1))


def test_the_backfill_gives_the_maintained_rows(history) -> None:
    session, _ = history
    before = session.execute(text(SUMMARY_SQL.format("counted_visit"))).all()
    n = session.execute(text("SELECT shuijian_counted_visit_backfill()")).scalar_one()
    assert n == len(before) > 0
    assert session.execute(text(SUMMARY_SQL.format("counted_visit"))).all() == before


def test_the_demo_reset_empties_the_summary(history) -> None:
    """The demo's reset truncates from county with CASCADE, which takes counted_visit in the
    same statement: the visit trigger must not truncate it again (PostgreSQL refuses a nested
    TRUNCATE of a table the statement holds)."""
    from data.loader import wipe
    from db.roles import truncate_guard_lifted

    session, _ = history
    assert _summary_is_true(session) > 0
    with truncate_guard_lifted(session):
        wipe(session)
    assert _summary_is_true(session) == 0


# --------------------------------------------------------------------------- the array form
# Duties as (duty_id, site_id, deputy_id, class, tracking start, tracking end or None) and
# their visits as {duty_id: [days]}; the row-by-row rule is missed_deadlines per duty.

EDGE_DUTIES: list[tuple[int, int, int, int, date, date | None]] = [
    (1, 1, 1, 1, D(2028, 1, 11), None),  # class 1 visits on every 旬's first and last day
    (2, 2, 2, 1, D(2028, 2, 21), None),  # starts in the 旬 of 21–29 Feb 2028
    (3, 3, 3, 3, D(2028, 1, 31), None),  # class 3 from a month's last day
    (4, 4, 4, 2, D(2027, 12, 1), None),  # 14-day chain across the period start
    (5, 5, 5, 2, D(2028, 1, 20), None),  # class 2, a visit 14 days before the period
    (6, 6, 6, 1, D(2027, 6, 1), None),  # never visited
    (7, 7, 7, 3, D(2028, 2, 29), None),  # starts on 29 Feb: the grace moves it to March
    (8, 8, 8, 1, D(2027, 12, 1), D(2028, 2, 14)),  # handed over on 15 Feb ...
    (9, 8, 9, 1, D(2028, 2, 15), None),  # ... to this deputy
    (10, 9, 10, 2, D(2028, 1, 1), None),  # two deputies at once on site 9
    (11, 9, 11, 3, D(2028, 1, 1), None),
    (12, 10, 12, 1, D(2028, 3, 1), None),  # starts after the period (as_of later)
]
EDGE_VISITS: dict[int, list[date]] = {
    1: [D(2028, 1, 20), D(2028, 1, 21), D(2028, 2, 1), D(2028, 2, 10), D(2028, 2, 29)],
    2: [D(2028, 2, 29), D(2028, 3, 1)],
    3: [D(2028, 1, 31), D(2028, 2, 29), D(2028, 3, 31)],
    4: [D(2027, 12, 30), D(2028, 1, 13), D(2028, 1, 27), D(2028, 2, 24)],
    5: [D(2028, 1, 18), D(2028, 2, 1), D(2028, 2, 29)],
    8: [D(2028, 1, 5), D(2028, 2, 10), D(2028, 2, 20)],  # the last one after its end
    9: [D(2028, 2, 20), D(2028, 2, 20)],  # a duplicate
    10: [D(2028, 1, 30), D(2028, 2, 13), D(2028, 2, 28)],
    11: [D(2028, 1, 3)],
}
NEVER_ASSIGNED_SITE = 11


def _frames(
    duties: list[tuple[int, int, int, int, date, date | None]], visits: dict[int, list[date]]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    duty_df = pd.DataFrame(
        duties,
        columns=["duty_id", "site_id", "deputy_id", "site_class", "tracking_start", "tracking_end"],
    )
    visit_df = pd.DataFrame(
        [(d, v) for d, days in visits.items() for v in days], columns=["duty_id", "visit_date"]
    )
    site_ids = sorted({d[1] for d in duties} | {NEVER_ASSIGNED_SITE})
    first = {
        s: min(d[4] for d in duties if d[1] == s) for s in site_ids if s != NEVER_ASSIGNED_SITE
    }
    sites = pd.DataFrame(
        {
            "site_id": site_ids,
            "grid_cell_id": [100 + s for s in site_ids],
            "township_id": [1] * len(site_ids),
            "site_class": [next((d[3] for d in duties if d[1] == s), 1) for s in site_ids],
            "tracking_start": [first.get(s) for s in site_ids],
            "assigned": [s in first for s in site_ids],
        }
    )
    return duty_df, visit_df, sites


def _row_by_row(
    duties: list[tuple[int, int, int, int, date, date | None]],
    visits: dict[int, list[date]],
    period: tuple[date, date],
    as_of: date,
) -> tuple[dict[int, tuple[int, date | None]], dict[int, tuple[int, date | None]]]:
    """Per duty and per site: missed deadlines (the scalar rule) and the last visit."""
    ref = min(period[1], as_of)
    per_duty: dict[int, tuple[int, date | None]] = {}
    per_site: dict[int, tuple[int, date | None]] = {}
    for duty_id, site_id, _, cls, start, end in duties:
        days = visits.get(duty_id, [])
        missed = len(missed_deadlines(cls, days, *period, start, as_of, end))
        last = max((v for v in days if v <= ref), default=None)
        per_duty[duty_id] = (missed, last)
        total, latest = per_site.get(site_id, (0, None))
        latest = max((x for x in (latest, last) if x is not None), default=None)
        per_site[site_id] = (total + missed, latest)
    return per_duty, per_site


def _day(value: object) -> date | None:
    return None if pd.isna(value) else pd.Timestamp(value).date()


def _check_array_form(
    duties: list[tuple[int, int, int, int, date, date | None]],
    visits: dict[int, list[date]],
    period: tuple[date, date],
    as_of: date,
) -> int:
    duty_df, visit_df, sites = _frames(duties, visits)
    per_duty, per_site = _row_by_row(duties, visits, period, as_of)
    got = duty_status_frame(duty_df, visit_df, *period, as_of)
    assert list(got["duty_id"]) == [d[0] for d in duties]
    for row in got.itertuples():
        assert (row.missed, _day(row.last_visit)) == per_duty[row.duty_id], row
        assert row.on_time == (row.missed == 0)
    status = period_status_frame(sites, got)
    for row in status.itertuples():
        missed, last = per_site.get(row.site_id, (0, None))
        assert (row.missed, _day(row.last_visit)) == (missed, last), row
        assert row.on_time == (row.site_id != NEVER_ASSIGNED_SITE and missed == 0)
    return int(got["missed"].sum())


@pytest.mark.parametrize(
    ("period", "as_of"),
    [
        (month_bounds(2028, 2), D(2028, 3, 1)),  # closed leap February
        (month_bounds(2028, 2), D(2028, 2, 29)),  # its last day: that day's deadlines open
        (month_bounds(2028, 2), D(2028, 2, 11)),  # the day after a 旬 ends
        (month_bounds(2028, 2), D(2028, 2, 10)),  # a 旬's last day
        (month_bounds(2028, 2), D(2028, 2, 1)),  # the period's first day
        (month_bounds(2028, 1), D(2028, 2, 1)),  # closed January (31 days)
        (month_bounds(2028, 3), D(2028, 4, 1)),  # closed March, duty 12 starts in it
        ((D(2028, 1, 15), D(2028, 2, 14)), D(2028, 2, 20)),  # a period off the windows
    ],
)
def test_array_form_equals_the_row_by_row_rule_on_edges(
    period: tuple[date, date], as_of: date
) -> None:
    _check_array_form(EDGE_DUTIES, EDGE_VISITS, period, as_of)


def test_array_form_equals_the_row_by_row_rule_on_random_duties() -> None:
    rng = random.Random(27)
    duties: list[tuple[int, int, int, int, date, date | None]] = []
    visits: dict[int, list[date]] = {}
    for duty_id in range(1, 1501):
        site = rng.randrange(1, 700)  # some sites hold two or three duties
        start = D(2027, 11, 1) + timedelta(days=rng.randrange(150))
        end = start + timedelta(days=rng.randrange(5, 120)) if rng.random() < 0.3 else None
        duties.append((duty_id, site, duty_id, rng.choice((1, 2, 3)), start, end))
        days = [
            D(2027, 10, 1) + timedelta(days=rng.randrange(220)) for _ in range(rng.randrange(12))
        ]
        if days:
            visits[duty_id] = days + days[:1]
    total = 0
    for period, as_of in [
        (month_bounds(2028, 2), D(2028, 3, 1)),
        (month_bounds(2028, 2), D(2028, 2, 21)),
        ((D(2027, 12, 15), D(2028, 3, 14)), D(2028, 3, 31)),
    ]:
        total += _check_array_form(duties, visits, period, as_of)
    assert total > 500  # the cases do miss deadlines


def test_array_form_takes_no_rows() -> None:
    duty_df, visit_df, sites = _frames([], {})
    got = duty_status_frame(duty_df, visit_df, *month_bounds(2028, 2), D(2028, 3, 1))
    assert got.empty and tuple(got.columns) == DUTY_PERIOD_COLUMNS
    status = period_status_frame(sites, got)
    assert status["missed"].tolist() == [0] and not status["on_time"].any()
    assert status["last_visit"].dtype == np.dtype("M8[s]")


def test_ids_read_back_as_pandas_reads_nulls() -> None:
    """``nullable_ids`` gives the column a frame read with NULLs has, so a frame read by arrays
    equals one read by rows: int64 with none missing, float64 NaN with some, None with all."""
    assert nullable_ids(np.array([3, 4])).dtype == np.int64
    some = nullable_ids(np.array([3, -1]))
    assert some.dtype == np.float64 and np.isnan(some[1])
    assert nullable_ids(np.array([-1, -1])).tolist() == [None, None]
    frame = pd.DataFrame.from_records([(1, None), (2, None)], columns=["id", "township_id"])
    pd.testing.assert_series_equal(
        pd.Series(nullable_ids(np.array([-1, -1])), name="township_id"), frame["township_id"]
    )
