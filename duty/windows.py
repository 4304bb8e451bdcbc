"""Patrol windows and deadlines: the duty rules of DESIGN.md as pure functions over dates.

All dates are local calendar dates in Asia/Shanghai (the visit's local day); nothing here knows
about time zones or the database.

The rules
    class 1  at least one valid visit in every 旬 (days 1–10, 11–20, 21–end of month);
    class 2  at most 14 days between valid visits;
    class 3  at least one valid visit in every calendar month.

Semantics chosen (the tests pin each of them)
- Duty belongs to an assignment period (DESIGN.md, 定人定点): the *tracking start* is the
  assignment's ``valid_from`` and the *tracking end* the day before its ``valid_to``; a deputy
  answers only for the deadlines inside their own period, and only their own visits in it
  count (setting ``duty_visits``; ``duty.coverage`` and ``duty.due`` select the visits).
- ``deadline`` is the last day on which the next valid visit must happen.
  * Calendar classes (1, 3): after a visit, the end of the window *following* the window of the
    visit (a visit on 3 March, class 1, satisfies 1–10 March; the next is due by 20 March).
    With no visit yet, the end of the window containing the tracking start — *handover grace*:
    only when at least ``duty_grace_days`` (setting, default 5) of that window remain, the
    start day counted; otherwise the end of the next window. A site handed over on 28 Nov
    owes its first visit by 10 Dec (class 1) or 31 Dec (class 3), not by 30 Nov.
  * Class 2: after a visit on day v, v + 14 (so visits 14 days apart are on time, 15 days apart
    are late). With no visit yet, start + 13: fourteen days counting the start day itself.
- A window that ends after the tracking end is not the leaving deputy's: their chain stops at
  the tracking end, and the window is owed by the next holder under the grace above.
- A visit before the tracking start can only extend the deadline, never shorten it:
  ``deadline = max(deadline after that visit, deadline from start)``. The callers pass only
  the assigned deputy's visits inside the assignment, so this matters only for direct use.
- Status on day D: ``overdue`` when D > deadline; ``due_soon`` when 0 <= deadline − D <=
  due_soon_days (setting ``due_soon_days``, default 3); else ``ok``. ``days_left`` is
  deadline − D, negative once overdue.
- Missed deadlines of a period [period_start, period_end] as known on day ``as_of``: walk the
  chain of deadlines from the tracking start. A visit on or before the current deadline resets
  it (as above); a deadline with no visit by it is *missed*, and the next deadline is then the
  end of the next window (calendar classes) or the missed deadline + 14 (class 2), so a site
  left alone keeps missing one deadline per window / per 14 days, like the calendar classes.
  A missed deadline counts for the period when period_start <= deadline <= period_end and
  deadline < as_of: a deadline falling on ``as_of`` itself can still be met that day, exactly
  as ``site_status(on=as_of)`` says ``due_soon`` rather than ``overdue``. For a closed month,
  pass any ``as_of`` after the month's last day. For the calendar classes and a month-aligned
  period this is "each window (旬 or month) of the period that has ended before as_of and ends
  on or after the tracking start must contain a visit". A site is *patrolled within its
  windows* for the period when its list is empty. Visits after min(period_end, as_of) play no
  part: they cannot meet a deadline counted for the period.

Every rule has a scalar form (``next_deadline``, ``site_status``, ``missed_deadlines``) that
reads like the text above, and a vectorised form over numpy/pandas (``next_deadline_array``,
``site_status_frame``, ``missed_counts``) for whole counties and provinces; the tests check that
the two agree on thousands of random cases.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from core import settings

CLASSES: tuple[int, ...] = (1, 2, 3)
CLASS2_MAX_GAP_DAYS = 14
"""Class 2: at most this many days between two valid visits."""

STATUSES: tuple[str, ...] = ("ok", "due_soon", "overdue")
"""A site's patrol state on a day; labelled ``site_status.<code>`` in the catalogue."""

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class SiteStatus:
    """A site's patrol state on one day and the deadline that decides it."""

    status: str
    deadline: date
    days_left: int


def _check_class(site_class: int) -> int:
    if site_class not in CLASSES:
        raise ValueError(f"site class must be 1, 2 or 3, not {site_class!r}")
    return int(site_class)


def _due_soon_days(due_soon_days: int | None) -> int:
    days = settings.integer("due_soon_days") if due_soon_days is None else due_soon_days
    if days < 0:
        raise ValueError(f"due_soon_days must be 0 or more, not {days}")
    return int(days)


# --------------------------------------------------------------------------- scalar rules


def month_end(d: date) -> date:
    """Last day of d's month."""
    first_of_next = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return first_of_next - _DAY


def xun_of(d: date) -> tuple[date, date]:
    """The 旬 containing d: 1–10, 11–20 or 21–end of the month (28, 29, 30 or 31)."""
    if d.day <= 10:
        return d.replace(day=1), d.replace(day=10)
    if d.day <= 20:
        return d.replace(day=11), d.replace(day=20)
    return d.replace(day=21), month_end(d)


def window_of(site_class: int, d: date) -> tuple[date, date]:
    """The patrol window containing d: a 旬 for class 1, a calendar month for class 3.

    Class 2 has no calendar window (its rule is a gap between visits), so it is refused.
    """
    site_class = _check_class(site_class)
    if site_class == 1:
        return xun_of(d)
    if site_class == 3:
        return d.replace(day=1), month_end(d)
    raise ValueError("class 2 has no calendar window: its rule is at most 14 days between visits")


def _grace_days(grace_days: int | None) -> int:
    days = settings.integer("duty_grace_days") if grace_days is None else grace_days
    if days < 0:
        raise ValueError(f"duty_grace_days must be 0 or more, not {days}")
    return int(days)


def first_deadline(site_class: int, tracking_start: date, grace_days: int | None = None) -> date:
    """Deadline of the first visit when none has been made since tracking began: the end of
    the start's window if at least ``grace_days`` of it remain, else of the next window."""
    if _check_class(site_class) == 2:
        return tracking_start + timedelta(days=CLASS2_MAX_GAP_DAYS - 1)
    end = window_of(site_class, tracking_start)[1]
    if (end - tracking_start).days + 1 < _grace_days(grace_days):
        end = window_of(site_class, end + _DAY)[1]
    return end


def deadline_after_visit(site_class: int, visit: date) -> date:
    """Deadline of the next visit after a valid visit on ``visit``."""
    if _check_class(site_class) == 2:
        return visit + timedelta(days=CLASS2_MAX_GAP_DAYS)
    this_end = window_of(site_class, visit)[1]
    return window_of(site_class, this_end + _DAY)[1]


def following_deadline(site_class: int, deadline: date) -> date:
    """The deadline after one that was missed: end of the next window, or 14 days on."""
    if _check_class(site_class) == 2:
        return deadline + timedelta(days=CLASS2_MAX_GAP_DAYS)
    return window_of(site_class, deadline + _DAY)[1]


def next_deadline(
    site_class: int,
    last_visit: date | None,
    tracking_start: date,
    grace_days: int | None = None,
) -> date:
    """Last day on which the next valid visit must happen.

    ``last_visit`` is the latest valid visit known (None: never visited). A visit before the
    tracking start only extends the deadline from the start, never shortens it.
    """
    from_start = first_deadline(site_class, tracking_start, grace_days)
    if last_visit is None:
        return from_start
    return max(from_start, deadline_after_visit(site_class, last_visit))


def site_status(
    site_class: int,
    last_visit: date | None,
    tracking_start: date,
    on: date,
    due_soon_days: int | None = None,
    grace_days: int | None = None,
) -> SiteStatus:
    """Status of a site on day ``on`` given its latest valid visit up to that day."""
    if last_visit is not None and last_visit > on:
        raise ValueError(f"last visit {last_visit} is after the day asked about ({on})")
    deadline = next_deadline(site_class, last_visit, tracking_start, grace_days)
    days_left = (deadline - on).days
    if days_left < 0:
        status = "overdue"
    elif days_left <= _due_soon_days(due_soon_days):
        status = "due_soon"
    else:
        status = "ok"
    return SiteStatus(status, deadline, days_left)


def missed_deadlines(
    site_class: int,
    visit_dates: Iterable[date],
    period_start: date,
    period_end: date,
    tracking_start: date,
    as_of: date | None = None,
    tracking_end: date | None = None,
    grace_days: int | None = None,
) -> list[date]:
    """Deadlines in [period_start, period_end] that passed before ``as_of`` with no visit.

    ``as_of`` None means the period is closed (every deadline in it has passed). An empty list
    means the site was patrolled within its windows for the period. ``tracking_end`` is the
    last day of the assignment (None: still assigned): later deadlines are not this duty's.
    """
    site_class = _check_class(site_class)
    if period_end < period_start:
        raise ValueError(f"period ends ({period_end}) before it starts ({period_start})")
    cap = period_end if as_of is None else min(period_end, as_of - _DAY)
    if tracking_end is not None:
        cap = min(cap, tracking_end)
    visits = sorted(set(visit_dates))
    before = [v for v in visits if v < tracking_start]
    later = iter(v for v in visits if v >= tracking_start)
    last_before = before[-1] if before else None
    deadline = next_deadline(site_class, last_before, tracking_start, grace_days)
    upcoming = next(later, None)
    missed: list[date] = []
    while deadline <= cap:
        if upcoming is not None and upcoming <= deadline:
            deadline = deadline_after_visit(site_class, upcoming)
            upcoming = next(later, None)
            continue
        if deadline >= period_start:
            missed.append(deadline)
        deadline = following_deadline(site_class, deadline)
    return missed


# --------------------------------------------------------------------------- vectorised rules
# Dates travel as numpy datetime64[D] (NaT = none); classes as int arrays. Each function is the
# array twin of the scalar one above it, rule for rule.

_NAT = np.datetime64("NaT", "D")


def as_days(values: Any) -> np.ndarray:
    """Dates (date objects, strings, datetime64, Timestamps; None/NaT for none) → datetime64[D]."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "M":
        return values.astype("M8[D]")
    if (
        isinstance(values, pd.Series)
        and isinstance(values.dtype, np.dtype)
        and values.dtype.kind == "M"
    ):
        # already datetimes: no parsing (pandas' to_datetime costs ~1 ms a call even so)
        return values.to_numpy().astype("M8[D]")
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    if len(series) == 0:
        return np.array([], dtype="M8[D]")
    return pd.to_datetime(series).to_numpy().astype("M8[D]")


def _classes(site_class: Any, n: int) -> np.ndarray:
    cls = np.broadcast_to(np.asarray(site_class, dtype=np.int64), (n,))
    if cls.size and not np.isin(cls, CLASSES).all():
        bad = sorted(set(cls[~np.isin(cls, CLASSES)].tolist()))
        raise ValueError(f"site class must be 1, 2 or 3, not {bad}")
    return cls


def _month_end_arr(d: np.ndarray) -> np.ndarray:
    return (d.astype("M8[M]") + 1).astype("M8[D]") - 1


def _xun_end_arr(d: np.ndarray) -> np.ndarray:
    first = d.astype("M8[M]").astype("M8[D]")
    day0 = (d - first).astype(np.int64)  # 0-based day of month
    return np.where(day0 < 10, first + 9, np.where(day0 < 20, first + 19, _month_end_arr(d)))


def _window_end_arr(cls: np.ndarray, d: np.ndarray) -> np.ndarray:
    """End of the calendar window containing d (rows of class 2 get the month end, unused)."""
    return np.where(cls == 1, _xun_end_arr(d), _month_end_arr(d))


def _window_index_arr(cls: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Consecutive number of the calendar window containing d (旬 or month since 1970)."""
    months = d.astype("M8[M]").astype(np.int64)
    day0 = (d - d.astype("M8[M]").astype("M8[D]")).astype(np.int64)
    xun = months * 3 + np.minimum(day0 // 10, 2)
    return np.where(cls == 1, xun, months)


def _first_deadline_arr(cls: np.ndarray, start: np.ndarray, grace: int) -> np.ndarray:
    end = _window_end_arr(cls, start)
    short = (end - start).astype(np.int64) + 1 < grace
    end = np.where(short, _window_end_arr(cls, end + 1), end)
    return np.where(cls == 2, start + (CLASS2_MAX_GAP_DAYS - 1), end)


def _after_visit_arr(cls: np.ndarray, visit: np.ndarray) -> np.ndarray:
    following = _window_end_arr(cls, _window_end_arr(cls, visit) + 1)
    return np.where(cls == 2, visit + CLASS2_MAX_GAP_DAYS, following)


def next_deadline_array(
    site_class: Any, last_visit: Any, tracking_start: Any, grace_days: int | None = None
) -> np.ndarray:
    """Vectorised ``next_deadline``: arrays (or Series) in, datetime64[D] array out."""
    start = as_days(tracking_start)
    if np.isnat(start).any():
        raise ValueError("every row needs a tracking start (the assignment's valid_from)")
    last = as_days(last_visit)
    cls = _classes(site_class, len(start))
    from_start = _first_deadline_arr(cls, start, _grace_days(grace_days))
    never = np.isnat(last)
    after = _after_visit_arr(cls, np.where(never, start, last))
    return np.where(never, from_start, np.maximum(from_start, after))


def site_status_frame(
    site_class: Any,
    last_visit: Any,
    tracking_start: Any,
    on: date,
    due_soon_days: int | None = None,
    grace_days: int | None = None,
) -> pd.DataFrame:
    """Vectorised ``site_status``: a frame of status, deadline (datetime64) and days_left."""
    deadline = next_deadline_array(site_class, last_visit, tracking_start, grace_days)
    days_left = (deadline - np.datetime64(on, "D")).astype(np.int64)
    status = np.select(
        [days_left < 0, days_left <= _due_soon_days(due_soon_days)],
        ["overdue", "due_soon"],
        default="ok",
    )
    return pd.DataFrame(
        {
            "status": status.astype(object),
            "deadline": deadline.astype("M8[s]"),
            "days_left": days_left,
        }
    )


def _count_deadlines(
    cls: np.ndarray, first: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """How many deadlines of the chain first, following(first), ... fall in [lo, hi].

    ``lo`` must be >= ``first``. Class 2: an arithmetic series with step 14. Calendar classes:
    ``first`` is a window end and the chain is every later window end, so count window ends.
    """
    ok = hi >= lo
    span_lo = (lo - first).astype(np.int64)
    span_hi = (hi - first).astype(np.int64)
    step = CLASS2_MAX_GAP_DAYS
    gap = span_hi // step - (span_lo + step - 1) // step + 1
    hi_is_end = _window_end_arr(cls, hi) == hi
    windows = (
        _window_index_arr(cls, hi) - np.where(hi_is_end, 0, 1) - _window_index_arr(cls, lo) + 1
    )
    count = np.where(cls == 2, gap, windows)
    return np.where(ok, np.maximum(count, 0), 0)


def missed_counts(
    sites: pd.DataFrame,
    visits: pd.DataFrame,
    period_start: date,
    period_end: date,
    as_of: date | None = None,
    grace_days: int | None = None,
) -> pd.Series:
    """Vectorised ``len(missed_deadlines(...))`` for many sites at once.

    ``sites`` has site_id, site_class, tracking_start (NaT: never tracked → 0) and optionally
    tracking_end (the assignment's last day; NaT: open); ``visits`` has site_id, visit_date
    (any order, duplicates allowed). Returns the counts indexed by site_id in the order of
    ``sites``. "site_id" is the key of a duty: callers pass one row per assignment period
    (unique ids; a visit is matched to the row of its id).

    A frame-shaped door to ``missed_count_array``, which does the work on arrays.
    """
    ids = sites["site_id"].to_numpy()
    n = len(ids)
    key = pd.Index(ids)
    if not key.is_unique:
        raise ValueError("missed_counts takes one row per site_id (a duty's key)")
    pos = key.get_indexer(visits["site_id"].to_numpy()) if n else np.array([], dtype=np.int64)
    counts = missed_count_array(
        _classes(sites["site_class"].to_numpy(), n),
        as_days(sites["tracking_start"]),
        as_days(sites["tracking_end"]) if "tracking_end" in sites.columns else np.full(n, _NAT),
        pos,
        as_days(visits["visit_date"]),
        period_start,
        period_end,
        as_of,
        grace_days,
    )
    return pd.Series(counts, index=pd.Index(ids, name="site_id"))


def _run_edges(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For a sorted key array: whether each element starts, and whether it ends, its run."""
    first = np.ones(len(keys), dtype=bool)
    last = np.ones(len(keys), dtype=bool)
    if len(keys) > 1:
        same = keys[1:] == keys[:-1]
        first[1:] = ~same
        last[:-1] = ~same
    return first, last


def missed_count_array(
    site_class: np.ndarray,
    tracking_start: np.ndarray,
    tracking_end: np.ndarray,
    visit_of: np.ndarray,
    visit_day: np.ndarray,
    period_start: date,
    period_end: date,
    as_of: date | None = None,
    grace_days: int | None = None,
) -> np.ndarray:
    """``len(missed_deadlines(...))`` per duty, on plain arrays: one entry per duty (class,
    tracking start and end as datetime64[D], NaT: never tracked / open), and the visits as
    the position of their duty (``visit_of``; -1: none of these) with their day.

    The chain is cut into segments, one per event (the tracking start, then each visit on or
    after it), each running from the event's deadline to the day before the next visit; the
    missed deadlines of a segment are counted arithmetically, so no row-by-row loop is needed.
    Only the last visit before the period (and before the tracking start) matters for what
    happens inside it, so callers may pass just those and the visits in the period. One sort
    of the visits by (duty, day) gives every event's neighbours; no pandas on the way (its
    fixed costs per call are what a county's page would pay).
    """
    if period_end < period_start:
        raise ValueError(f"period ends ({period_end}) before it starts ({period_start})")
    n = len(site_class)
    out = np.zeros(n, dtype=np.int64)
    cap_date = period_end if as_of is None else min(period_end, as_of - _DAY)
    if cap_date < period_start or n == 0:
        return out
    cap = np.datetime64(cap_date, "D")
    cls = np.asarray(site_class, dtype=np.int64)
    start = np.asarray(tracking_start).astype("M8[D]")
    end = np.asarray(tracking_end).astype("M8[D]")
    tracked = ~np.isnat(start)

    pos = np.asarray(visit_of, dtype=np.int64)
    day = np.asarray(visit_day).astype("M8[D]")
    keep = (pos >= 0) & ~np.isnat(day) & (day <= cap)
    keep[keep] = tracked[pos[keep]]
    pos, day = pos[keep], day[keep]
    order = np.lexsort((day.astype(np.int64), pos))
    pos, day = pos[order], day[order]
    if len(pos) > 1:
        repeated = np.zeros(len(pos), dtype=bool)
        repeated[1:] = (pos[1:] == pos[:-1]) & (day[1:] == day[:-1])
        pos, day = pos[~repeated], day[~repeated]
    early = day < start[pos]

    # The last visit before each tracking start extends the deadline from the start.
    prior = np.full(n, _NAT)
    early_pos, early_day = pos[early], day[early]
    _, ends_run = _run_edges(early_pos)
    prior[early_pos[ends_run]] = early_day[ends_run]

    # Visit events: deadline after the visit, ended by the same duty's next visit.
    later_pos, later_day = pos[~early], day[~early]
    starts_run, ends_run = _run_edges(later_pos)
    first_visit = np.full(n, _NAT)
    first_visit[later_pos[starts_run]] = later_day[starts_run]
    next_visit = np.full(len(later_pos), _NAT)
    if len(later_pos) > 1:
        next_visit[:-1] = np.where(ends_run[:-1], _NAT, later_day[1:])

    # Start events: deadline from the start, ended by the first visit on or after it.
    held = np.flatnonzero(tracked)
    start_deadline = next_deadline_array(cls[held], prior[held], start[held], grace_days)

    event_pos = np.concatenate([held, later_pos])
    event_cls = cls[event_pos]
    first = np.concatenate([start_deadline, _after_visit_arr(cls[later_pos], later_day)])
    stop = np.concatenate([first_visit[held], next_visit])
    hi = np.where(np.isnat(stop), cap, np.minimum(stop - 1, cap))
    last_day = end[event_pos]
    hi = np.where(np.isnat(last_day), hi, np.minimum(hi, last_day))
    lo = np.maximum(first, np.datetime64(period_start, "D"))
    counts = _count_deadlines(event_cls, first, lo, hi)
    return np.bincount(event_pos, weights=counts, minlength=n).astype(np.int64)


__all__ = [
    "CLASS2_MAX_GAP_DAYS",
    "CLASSES",
    "STATUSES",
    "SiteStatus",
    "as_days",
    "deadline_after_visit",
    "first_deadline",
    "following_deadline",
    "missed_count_array",
    "missed_counts",
    "missed_deadlines",
    "month_end",
    "next_deadline",
    "next_deadline_array",
    "site_status",
    "site_status_frame",
    "window_of",
    "xun_of",
]
