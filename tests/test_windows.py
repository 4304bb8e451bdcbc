"""The patrol rules on their boundaries, and the vectorised forms against the scalar ones."""

from __future__ import annotations

import random
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

import i18n
from duty.windows import (
    STATUSES,
    SiteStatus,
    missed_counts,
    missed_deadlines,
    next_deadline,
    next_deadline_array,
    site_status,
    site_status_frame,
    window_of,
    xun_of,
)

D = date


@pytest.fixture(autouse=True)
def no_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    """Most tests here pin the chain itself, with the start's window owed in full (a grace
    of one day); the handover grace has its own tests below, with the shipped default."""
    monkeypatch.setenv("SHUIJIAN_DUTY_GRACE_DAYS", "1")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 3, 1), (D(2026, 3, 1), D(2026, 3, 10))),
        (D(2026, 3, 10), (D(2026, 3, 1), D(2026, 3, 10))),
        (D(2026, 3, 11), (D(2026, 3, 11), D(2026, 3, 20))),
        (D(2026, 3, 20), (D(2026, 3, 11), D(2026, 3, 20))),
        (D(2026, 3, 21), (D(2026, 3, 21), D(2026, 3, 31))),
        (D(2026, 3, 31), (D(2026, 3, 21), D(2026, 3, 31))),
        (D(2026, 4, 30), (D(2026, 4, 21), D(2026, 4, 30))),
        (D(2026, 2, 21), (D(2026, 2, 21), D(2026, 2, 28))),
        (D(2026, 2, 28), (D(2026, 2, 21), D(2026, 2, 28))),
        (D(2028, 2, 28), (D(2028, 2, 21), D(2028, 2, 29))),
        (D(2028, 2, 29), (D(2028, 2, 21), D(2028, 2, 29))),
        (D(2026, 12, 31), (D(2026, 12, 21), D(2026, 12, 31))),
    ],
)
def test_xun_boundaries(day: date, expected: tuple[date, date]) -> None:
    assert xun_of(day) == expected
    assert window_of(1, day) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 1, 31), (D(2026, 1, 1), D(2026, 1, 31))),
        (D(2026, 2, 1), (D(2026, 2, 1), D(2026, 2, 28))),
        (D(2028, 2, 15), (D(2028, 2, 1), D(2028, 2, 29))),
        (D(2026, 4, 30), (D(2026, 4, 1), D(2026, 4, 30))),
        (D(2026, 12, 31), (D(2026, 12, 1), D(2026, 12, 31))),
    ],
)
def test_month_window(day: date, expected: tuple[date, date]) -> None:
    assert window_of(3, day) == expected


def test_class_2_has_no_calendar_window_and_classes_are_checked() -> None:
    with pytest.raises(ValueError, match="class 2"):
        window_of(2, D(2026, 1, 1))
    with pytest.raises(ValueError, match="1, 2 or 3"):
        next_deadline(4, None, D(2026, 1, 1))


START = D(2026, 1, 1)


@pytest.mark.parametrize(
    ("visit", "expected"),
    [
        # A visit covers its own 旬; the next is due by the end of the following one.
        (D(2026, 3, 10), D(2026, 3, 20)),
        (D(2026, 3, 11), D(2026, 3, 31)),
        (D(2026, 3, 20), D(2026, 3, 31)),
        (D(2026, 3, 21), D(2026, 4, 10)),
        (D(2026, 2, 15), D(2026, 2, 28)),
        (D(2028, 2, 15), D(2028, 2, 29)),
        (D(2026, 2, 28), D(2026, 3, 10)),
        (D(2026, 12, 25), D(2027, 1, 10)),
    ],
)
def test_class_1_deadline_after_visit(visit: date, expected: date) -> None:
    assert next_deadline(1, visit, START) == expected


@pytest.mark.parametrize(
    ("visit", "expected"),
    [
        (D(2026, 1, 1), D(2026, 2, 28)),
        (D(2026, 1, 31), D(2026, 2, 28)),
        (D(2028, 1, 31), D(2028, 2, 29)),
        (D(2026, 3, 31), D(2026, 4, 30)),
        (D(2026, 12, 31), D(2027, 1, 31)),
    ],
)
def test_class_3_deadline_after_visit(visit: date, expected: date) -> None:
    assert next_deadline(3, visit, START) == expected


def test_class_2_fourteen_days_on_time_fifteen_late() -> None:
    visit = D(2026, 3, 1)
    assert next_deadline(2, visit, START) == D(2026, 3, 15)
    assert site_status(2, visit, START, D(2026, 3, 15), 3).status == "due_soon"
    assert site_status(2, visit, START, D(2026, 3, 16), 3).status == "overdue"
    # The same in the period view: a visit 14 days later keeps the chain, 15 days later misses.
    period = (D(2026, 3, 1), D(2026, 3, 31))
    on_time = missed_deadlines(2, [visit, D(2026, 3, 15), D(2026, 3, 29)], *period, START)
    late = missed_deadlines(2, [visit, D(2026, 3, 16), D(2026, 3, 30)], *period, START)
    assert on_time == []
    assert late == [D(2026, 3, 15)]


@pytest.mark.parametrize(
    ("site_class", "start", "expected"),
    [
        (1, D(2026, 3, 5), D(2026, 3, 10)),
        (1, D(2026, 3, 10), D(2026, 3, 10)),
        (1, D(2026, 3, 11), D(2026, 3, 20)),
        (3, D(2026, 2, 1), D(2026, 2, 28)),
        (3, D(2028, 2, 29), D(2028, 2, 29)),
        # 14 days counting the start day.
        (2, D(2026, 3, 1), D(2026, 3, 14)),
        (2, D(2026, 12, 25), D(2027, 1, 7)),
    ],
)
def test_never_visited_deadline_from_tracking_start(
    site_class: int, start: date, expected: date
) -> None:
    assert next_deadline(site_class, None, start) == expected


def test_visit_before_tracking_start_only_extends() -> None:
    start = D(2026, 3, 15)
    # Class 3: a visit earlier in March (by the previous deputy) covers March.
    assert next_deadline(3, D(2026, 3, 2), start) == D(2026, 4, 30)
    # ... a visit in February does not shorten March's own deadline.
    assert next_deadline(3, D(2026, 2, 10), start) == D(2026, 3, 31)
    # Class 2: the new deputy keeps at least 14 days counting the start day.
    assert next_deadline(2, D(2026, 3, 1), start) == D(2026, 3, 28)
    assert next_deadline(2, D(2026, 3, 14), start) == D(2026, 3, 28)
    assert next_deadline(2, D(2026, 3, 15), start) == D(2026, 3, 29)


@pytest.mark.parametrize(
    ("on", "status", "days_left"),
    [
        (D(2026, 3, 16), "ok", 4),
        (D(2026, 3, 17), "due_soon", 3),
        (D(2026, 3, 20), "due_soon", 0),
        (D(2026, 3, 21), "overdue", -1),
    ],
)
def test_status_boundaries(on: date, status: str, days_left: int) -> None:
    # Class 1, visited on 5 March: due by 20 March; due soon from 3 days before.
    result = site_status(1, D(2026, 3, 5), START, on, due_soon_days=3)
    assert result == SiteStatus(status, D(2026, 3, 20), days_left)


def test_due_soon_days_zero_and_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert site_status(1, D(2026, 3, 5), START, D(2026, 3, 19), 0).status == "ok"
    assert site_status(1, D(2026, 3, 5), START, D(2026, 3, 20), 0).status == "due_soon"
    monkeypatch.setenv("SHUIJIAN_DUE_SOON_DAYS", "5")
    assert site_status(1, D(2026, 3, 5), START, D(2026, 3, 15)).status == "due_soon"
    assert site_status(1, D(2026, 3, 5), START, D(2026, 3, 14)).status == "ok"


def test_never_visited_status_and_bad_input() -> None:
    result = site_status(3, None, D(2026, 3, 20), D(2026, 4, 1), 3)
    assert result == SiteStatus("overdue", D(2026, 3, 31), -1)
    with pytest.raises(ValueError, match="after the day"):
        site_status(3, D(2026, 4, 2), START, D(2026, 4, 1), 3)


def test_status_labels() -> None:
    assert set(STATUSES) == {"ok", "due_soon", "overdue"}
    assert [i18n.label("site_status", "overdue", lang) for lang in i18n.LANGS] == [
        "已逾期",
        "Overdue",
    ]


# --------------------------------------------------------------------------- missed deadlines

MARCH = (D(2026, 3, 1), D(2026, 3, 31))


def test_class_1_missed_xun_in_a_closed_month() -> None:
    visits = [D(2026, 3, 10), D(2026, 3, 25)]  # nothing in 11–20
    assert missed_deadlines(1, visits, *MARCH, START) == [D(2026, 3, 20)]
    assert missed_deadlines(1, [D(2026, 3, 1), D(2026, 3, 11), D(2026, 3, 31)], *MARCH, START) == []
    assert missed_deadlines(1, [], *MARCH, START) == [
        D(2026, 3, 10),
        D(2026, 3, 20),
        D(2026, 3, 31),
    ]


def test_february_leap_year_windows() -> None:
    feb = (D(2028, 2, 1), D(2028, 2, 29))
    # A visit on the 29th covers the last 旬 of a leap February; the 28th does too.
    assert missed_deadlines(1, [D(2028, 2, 5), D(2028, 2, 15), D(2028, 2, 29)], *feb, START) == []
    assert missed_deadlines(1, [D(2028, 2, 5), D(2028, 2, 15)], *feb, START) == [D(2028, 2, 29)]
    assert missed_deadlines(3, [D(2028, 2, 29)], *feb, START) == []


def test_as_of_caps_deadlines_not_yet_passed() -> None:
    # On 20 March the second 旬 can still be met: only the first is counted.
    assert missed_deadlines(1, [], *MARCH, START, as_of=D(2026, 3, 20)) == [D(2026, 3, 10)]
    assert missed_deadlines(1, [], *MARCH, START, as_of=D(2026, 3, 21)) == [
        D(2026, 3, 10),
        D(2026, 3, 20),
    ]
    assert missed_deadlines(3, [], *MARCH, START, as_of=D(2026, 3, 31)) == []
    assert missed_deadlines(3, [], *MARCH, START, as_of=D(2026, 4, 1)) == [D(2026, 3, 31)]


def test_tracking_start_inside_the_period() -> None:
    start = D(2026, 3, 15)
    # Class 1 from the 15th: 1–10 is not owed, 11–20 is.
    assert missed_deadlines(1, [], *MARCH, start) == [D(2026, 3, 20), D(2026, 3, 31)]
    # Class 2 never visited: due by 28 March, then every 14 days while still unvisited.
    assert missed_deadlines(2, [], *MARCH, start) == [D(2026, 3, 28)]
    assert missed_deadlines(2, [], D(2026, 3, 1), D(2026, 4, 30), start) == [
        D(2026, 3, 28),
        D(2026, 4, 11),
        D(2026, 4, 25),
    ]
    # Deadlines before the period are not the period's.
    assert missed_deadlines(3, [], D(2026, 4, 1), D(2026, 4, 30), D(2026, 1, 5)) == [D(2026, 4, 30)]


def test_missed_class_2_chain_restarts_at_next_visit() -> None:
    visits = [D(2026, 2, 20), D(2026, 3, 20)]  # 28 days apart
    assert missed_deadlines(2, visits, *MARCH, START) == [D(2026, 3, 6)]
    # 6 March + 14 = 20 March: the visit that day meets the follow-up deadline itself.
    assert missed_deadlines(2, [D(2026, 2, 20), D(2026, 3, 21)], *MARCH, START) == [
        D(2026, 3, 6),
        D(2026, 3, 20),
    ]


def test_period_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        missed_deadlines(1, [], D(2026, 3, 31), D(2026, 3, 1), START)


# --------------------------------------------------------------------------- vectorised == scalar


def _random_day(rng: random.Random, first: date, span: int) -> date:
    return first + timedelta(days=rng.randrange(span))


def test_vectorised_status_agrees_with_scalar() -> None:
    rng = random.Random(20260301)
    rows = []
    for _ in range(4000):
        site_class = rng.choice((1, 2, 3))
        start = _random_day(rng, D(2027, 10, 1), 250)
        on = _random_day(rng, D(2027, 10, 1), 300)
        last = None if rng.random() < 0.2 else _random_day(rng, D(2027, 9, 1), 330)
        if last is not None and last > on:
            last = on
        rows.append((site_class, last, start, on))
    frame = pd.DataFrame(rows, columns=["site_class", "last_visit", "tracking_start", "on"])
    for on, group in frame.groupby("on"):
        got = site_status_frame(
            group["site_class"], group["last_visit"], group["tracking_start"], on, 3
        )
        for (_, row), status, deadline, days_left in zip(
            group.iterrows(), got["status"], got["deadline"], got["days_left"], strict=True
        ):
            last = None if pd.isna(row["last_visit"]) else row["last_visit"]
            expected = site_status(row["site_class"], last, row["tracking_start"], on, 3)
            assert (status, deadline.date(), days_left) == (
                expected.status,
                expected.deadline,
                expected.days_left,
            ), row.to_dict()
    deadlines = next_deadline_array(
        frame["site_class"], frame["last_visit"], frame["tracking_start"]
    )
    assert deadlines.dtype == np.dtype("M8[D]")


def test_vectorised_missed_counts_agree_with_scalar() -> None:
    rng = random.Random(7)
    sites, visits, expected = [], [], []
    period_start, period_end = D(2028, 2, 1), D(2028, 3, 31)
    as_of = D(2028, 3, 17)
    for site_id in range(3000):
        site_class = rng.choice((1, 2, 3))
        start = None if rng.random() < 0.05 else _random_day(rng, D(2027, 11, 1), 140)
        dates = [_random_day(rng, D(2027, 10, 1), 200) for _ in range(rng.randrange(0, 14))]
        if rng.random() < 0.1:
            dates += dates[:2]  # duplicates
        sites.append((site_id, site_class, start))
        visits += [(site_id, v) for v in dates]
        cap = None if site_id % 3 == 0 else as_of
        expected.append(
            0
            if start is None
            else len(missed_deadlines(site_class, dates, period_start, period_end, start, cap))
        )
    sites_df = pd.DataFrame(sites, columns=["site_id", "site_class", "tracking_start"])
    visits_df = pd.DataFrame(visits, columns=["site_id", "visit_date"])
    closed = sites_df["site_id"] % 3 == 0
    got_closed = missed_counts(sites_df[closed], visits_df, period_start, period_end)
    got_open = missed_counts(sites_df[~closed], visits_df, period_start, period_end, as_of)
    got = pd.concat([got_closed, got_open]).sort_index()
    assert got.tolist() == expected
    assert got.sum() > 1000  # the cases do exercise misses


def test_vectorised_handles_empty_input() -> None:
    empty_sites = pd.DataFrame({"site_id": [], "site_class": [], "tracking_start": []})
    empty_visits = pd.DataFrame({"site_id": [], "visit_date": []})
    assert missed_counts(empty_sites, empty_visits, *MARCH).empty
    assert site_status_frame([], [], [], D(2026, 3, 1), 3).empty
    one = pd.DataFrame({"site_id": [1], "site_class": [3], "tracking_start": [START]})
    assert missed_counts(one, empty_visits, *MARCH).tolist() == [1]


# --------------------------------------------------------------------------- handover grace


@pytest.mark.parametrize(
    ("site_class", "start", "grace", "expected"),
    [
        # 28 Nov: 3 days of the 旬 21–30 left, fewer than 5 → the next 旬 (1–10 Dec).
        (1, D(2026, 11, 28), 5, D(2026, 12, 10)),
        # 26 Nov: 5 days left (26..30), exactly the grace → this 旬 is owed.
        (1, D(2026, 11, 26), 5, D(2026, 11, 30)),
        (1, D(2026, 11, 27), 5, D(2026, 12, 10)),
        # Class 3 handed over on 28 Nov owes December, not November.
        (3, D(2026, 11, 28), 5, D(2026, 12, 31)),
        (3, D(2026, 11, 26), 5, D(2026, 11, 30)),
        # 29 Feb 2028: one day of the 旬 21–29 left.
        (1, D(2028, 2, 29), 5, D(2028, 3, 10)),
        # Class 2 has no window: fourteen days from the start whatever the grace.
        (2, D(2026, 11, 28), 5, D(2026, 12, 11)),
        # Grace 0 or 1: the start's window owed in full.
        (1, D(2026, 11, 30), 1, D(2026, 11, 30)),
        (1, D(2026, 11, 30), 0, D(2026, 11, 30)),
    ],
)
def test_handover_grace(site_class: int, start: date, grace: int, expected: date) -> None:
    assert next_deadline(site_class, None, start, grace) == expected
    vector = next_deadline_array([site_class], [None], [start], grace)
    assert vector[0] == np.datetime64(expected, "D")


def test_grace_default_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SHUIJIAN_DUTY_GRACE_DAYS")
    assert next_deadline(1, None, D(2026, 11, 28)) == D(2026, 12, 10)
    monkeypatch.setenv("SHUIJIAN_DUTY_GRACE_DAYS", "3")
    assert next_deadline(1, None, D(2026, 11, 28)) == D(2026, 11, 30)


def test_the_leaving_deputy_answers_only_up_to_their_last_day() -> None:
    """A (class 1, since 1 Nov) missed 11–20 Nov and handed over on 28 Nov: A owes 1–10 and
    11–20 (missed) and not 21–30; B, from 28 Nov, owes nothing in November (grace)."""
    a_visits = [D(2026, 11, 5)]
    missed_a = missed_deadlines(
        1,
        a_visits,
        D(2026, 11, 1),
        D(2026, 11, 30),
        D(2026, 11, 1),
        tracking_end=D(2026, 11, 27),
        grace_days=5,
    )
    assert missed_a == [D(2026, 11, 20)]
    missed_b = missed_deadlines(
        1, [], D(2026, 11, 1), D(2026, 11, 30), D(2026, 11, 28), grace_days=5
    )
    assert missed_b == []
    sites = pd.DataFrame(
        {
            "site_id": [1, 2],
            "site_class": [1, 1],
            "tracking_start": [D(2026, 11, 1), D(2026, 11, 28)],
            "tracking_end": [D(2026, 11, 27), None],
        }
    )
    visits = pd.DataFrame({"site_id": [1], "visit_date": [D(2026, 11, 5)]})
    counts = missed_counts(sites, visits, D(2026, 11, 1), D(2026, 11, 30), D(2026, 12, 1), 5)
    assert counts.tolist() == [1, 0]


def test_tracking_end_agrees_scalar_and_vector_on_random_cases() -> None:
    rng = random.Random(15)
    rows, visits, expected = [], [], []
    period = (D(2026, 10, 1), D(2026, 12, 31))
    for key in range(400):
        cls = rng.choice((1, 2, 3))
        start = D(2026, 9, 1) + timedelta(days=rng.randrange(100))
        end = None if rng.random() < 0.3 else start + timedelta(days=rng.randrange(1, 90))
        days = sorted(
            start + timedelta(days=rng.randrange(-20, 110)) for _ in range(rng.randrange(6))
        )
        rows.append((key, cls, start, end))
        visits += [(key, d) for d in days]
        expected.append(
            len(missed_deadlines(cls, days, *period, start, D(2027, 1, 1), end, grace_days=5))
        )
    sites = pd.DataFrame(rows, columns=["site_id", "site_class", "tracking_start", "tracking_end"])
    seen = pd.DataFrame(visits, columns=["site_id", "visit_date"])
    got = missed_counts(sites, seen, *period, D(2027, 1, 1), grace_days=5)
    assert got.tolist() == expected
