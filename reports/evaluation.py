"""The monthly evaluation of every deputy: components, weights, score and ranks, as a table.

Everything the score is made of stays in the table, so anyone can recompute it by hand:
for each component ``c`` there is the raw count, the normalised value ``c_norm`` (0..1), the
weight ``w_c`` and the points ``pts_c = w_c * c_norm``; ``score`` is the sum of the points
minus the flagged-track penalty, rounded to two decimals.

Definitions (a month is [first day, last day] in ``SHUIJIAN_TIMEZONE``; the *reference day* is
min(last day, as_of); for a closed month as_of is after it and the month is complete)
- Assigned sites: the sites the deputy held at any time in the month up to the reference day
  (their duties, ``duty.coverage.duty_period_status``: one per assignment period). Deputies
  without any are not evaluated (they have nothing to patrol, and a zero would rank them
  unfairly). A site handed over mid-month is in both deputies' rows, each for their own part.
- On time: those sites where the deputy met every deadline of their own duty that fell in the
  month and passed before as_of — only their own visits count (定人定点), the window in which
  a duty starts is owed only under the handover grace, and a window still open when the duty
  ends is the next holder's (``duty.windows``).
- Visits: verified visits (``verified_visit``: unflagged or accepted tracks) by the deputy to
  those sites in the month, inside their duty; they earn points up to ``visits_cap_per_site``
  per site. 协查 (assist visits): verified visits to sites the deputy did not hold that day —
  shown for the visitor, no points (they discharge nobody's duty).
- Records (巡查记录): of the deputy's distinct duty visits in the month (patrol × site), those
  whose yes/no checklist is complete — every item of the site kind's list answered
  (``tracks.records``). ``records_norm`` = complete / visits, 0 with no visit.
- Problems reported: tickets whose reporter is the deputy, created in the month. *Confirmed*:
  those the platform has fed back on at least once (a 反馈 ``fed_back`` event by as_of) — the
  platform took the problem as real. This is not the 处置率's "handled"
  (``tickets.figures``), which a failed re-inspection or a reopening undoes: the deputy
  found a real problem either way, and must not lose the point for honestly reporting that
  the platform's handling failed. Withdrawn or never-fed-back reports are not confirmed; only
  confirmed ones earn points (up to ``problems_cap``), so many doubtful reports earn nothing.
- Re-inspections: every 反馈 in the month on a ticket the deputy reported — the first and
  every later one after a failed re-inspection or a reopening, each on its own — asks for a 复查
  (action ``reinspect`` or ``reinspect_fail``) by the reporter within ``reinspect_workdays``
  working days (Monday–Friday, as ticket deadlines) of the feedback's local day. One is *due*
  once done or once its deadline has passed before as_of; *on time* when done by the deadline.
  With none due the component is 1: nothing was missed.
- Flagged tracks: the deputy's patrols started in the month that carry a plausibility flag and
  whose latest review is not an acceptance; each takes ``flagged_per_track`` points off, at most
  ``flagged_cap`` in all.
- Ranks: by score, highest first, within the deputy's township and within the county, as
  *competition ranking*: equal scores share a rank and the next rank skips (1, 2, 2, 4).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from accounts.auth import SignedIn
from accounts.scope import narrow
from core import clock, settings
from core.errors import ConfigurationError
from core.vocab import checklist_for
from db.query import county_clause, query_frame, township_label
from duty.coverage import duty_period_status, month_bounds
from tickets.calendar import add_working_days

SHIPPED_WEIGHTS = Path(__file__).resolve().parent / "weights.toml"

COMPONENTS: tuple[str, ...] = ("on_time_share", "visits", "records", "problems", "reinspections")
"""The weighted components, in the order of the table; the flagged penalty comes after."""

EVALUATION_COLUMNS: tuple[str, ...] = (
    "deputy_id",
    "deputy_code",
    "deputy_name",
    "level",
    "township_id",
    "township",
    "assigned_sites",
    "sites_on_time",
    "on_time_share",
    "visits",
    "assist_visits",
    "record_visits",
    "complete_records",
    "problems_reported",
    "problems_confirmed",
    "reinspections_due",
    "reinspections_on_time",
    "flagged_tracks",
    *(f"{c}_norm" for c in COMPONENTS),
    *(f"w_{c}" for c in COMPONENTS),
    *(f"pts_{c}" for c in COMPONENTS),
    "flagged_penalty",
    "score",
    "rank_township",
    "rank_county",
)

TOWNSHIP_COLUMNS: tuple[str, ...] = (
    "township",
    "deputies",
    "assigned_sites",
    "sites_on_time",
    "on_time_share",
    "visits",
    "problems_reported",
    "problems_confirmed",
    "flagged_tracks",
    "mean_score",
    "rank",
)


class WeightsError(ConfigurationError):
    """The weights file is unreadable, names an unknown key or holds a forbidden value."""


@dataclass(frozen=True)
class Weights:
    """Points per component and the caps that normalise them (see weights.toml)."""

    on_time_share: float
    visits: float
    visits_cap_per_site: float
    records: float
    problems: float
    problems_cap: float
    reinspections: float
    reinspect_workdays: int
    flagged_per_track: float
    flagged_cap: float

    def weight(self, component: str) -> float:
        return float(getattr(self, component))


# Caps divide a count, so they must be positive; weights and penalties may be zero.
_POSITIVE = frozenset({"visits_cap_per_site", "problems_cap", "reinspect_workdays"})


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise WeightsError(
            f"weights file {path} does not exist", code="weights_file_missing", source=str(path)
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise WeightsError(
            f"weights file {path} is not valid TOML: {exc}",
            code="weights_not_toml",
            source=str(path),
            detail=str(exc),
        ) from None


def parse_weights(raw: dict[str, Any], source: str, base: Weights | None = None) -> Weights:
    """Weights from a mapping: unknown keys, non-numbers and negative values are refused by
    name; keys left out keep ``base``'s value (the shipped defaults)."""
    known = {f.name: f for f in fields(Weights)}
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise WeightsError(
            f"{source}: unknown key(s) {', '.join(unknown)}; known keys: {', '.join(known)}",
            code="weights_unknown_key",
            source=source,
            keys=", ".join(unknown),
            known=", ".join(known),
        )
    values: dict[str, Any] = asdict(base) if base is not None else {}
    for key, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise WeightsError(
                f"{source}: {key} must be a number, not {value!r}",
                code="weights_not_number",
                source=source,
                key=key,
                value=repr(value),
            )
        if value < 0:
            raise WeightsError(
                f"{source}: {key} must not be negative (got {value})",
                code="weights_negative",
                source=source,
                key=key,
                value=value,
            )
        if key in _POSITIVE and value == 0:
            raise WeightsError(
                f"{source}: {key} must be greater than 0 (it divides a count)",
                code="weights_not_positive",
                source=source,
                key=key,
            )
        if key == "reinspect_workdays" and value != int(value):
            raise WeightsError(
                f"{source}: reinspect_workdays must be a whole number of days",
                code="weights_not_whole",
                source=source,
                key=key,
                value=value,
            )
        values[key] = int(value) if key == "reinspect_workdays" else float(value)
    missing = sorted(set(known) - set(values))
    if missing:
        raise WeightsError(
            f"{source}: missing key(s) {', '.join(missing)}",
            code="weights_missing_key",
            source=source,
            keys=", ".join(missing),
        )
    return Weights(**values)


def load_weights(path: str | Path | None = None) -> Weights:
    """The shipped weights, overlaid with the file ``path`` (default: the setting
    ``SHUIJIAN_EVALUATION_WEIGHTS``, which itself defaults to the shipped file)."""
    shipped = parse_weights(_read_toml(SHIPPED_WEIGHTS), str(SHIPPED_WEIGHTS))
    chosen = Path(path or settings.optional_text("evaluation_weights") or SHIPPED_WEIGHTS)
    if chosen.resolve() == SHIPPED_WEIGHTS:
        return shipped
    return parse_weights(_read_toml(chosen), str(chosen), base=shipped)


# ------------------------------------------------------------------ reading the month


_DEPUTIES_SQL = f"""
SELECT d.id AS deputy_id, d.code AS deputy_code, d.name AS deputy_name, d.level,
       d.township_id, coalesce({township_label("t")}, '') AS township
FROM deputy d LEFT JOIN township t ON t.id = d.township_id AND t.county_id = d.county_id
WHERE {{county}}
"""

_VISITS_SQL = """
SELECT v.deputy_id,
       count(*) FILTER (WHERE a.id IS NOT NULL) AS visits,
       count(*) FILTER (WHERE a.id IS NULL) AS assist_visits
FROM verified_visit v
LEFT JOIN assignment a ON a.deputy_id = v.deputy_id AND a.site_id = v.site_id
 AND a.county_id = v.county_id
 AND a.valid_from <= v.visit_date AND (a.valid_to IS NULL OR a.valid_to > v.visit_date)
WHERE {county} AND v.visit_date BETWEEN :start AND :ref
GROUP BY v.deputy_id
"""

# 巡查记录: each duty visit (patrol × site) of the month and whether its checklist is complete
# (every item of the kind answered; tracks.records stores a site's checklist only whole).
_RECORDS_SQL = """
SELECT v.deputy_id, count(*) AS record_visits,
       count(*) FILTER (WHERE (
           SELECT count(*) FROM checklist_answer c
           WHERE c.patrol_id = v.patrol_id AND c.site_id = v.site_id
             AND c.county_id = v.county_id
       ) >= CASE WHEN s.kind = 'livestock_farm' THEN :farm_items ELSE :water_items END
       ) AS complete_records
FROM (
    SELECT DISTINCT v.deputy_id, v.patrol_id, v.site_id, v.county_id
    FROM verified_visit v
    JOIN assignment a ON a.deputy_id = v.deputy_id AND a.site_id = v.site_id
     AND a.county_id = v.county_id
     AND a.valid_from <= v.visit_date AND (a.valid_to IS NULL OR a.valid_to > v.visit_date)
    WHERE {county} AND v.visit_date BETWEEN :start AND :ref
) v JOIN site s ON s.id = v.site_id AND s.county_id = v.county_id
GROUP BY v.deputy_id
"""

_PROBLEMS_SQL = """
SELECT t.reporter_deputy_id AS deputy_id, count(*) AS problems_reported,
       count(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM ticket_event e WHERE e.ticket_id = t.id AND e.county_id = t.county_id
           AND e.to_status = 'fed_back' AND e.at < :as_of_ts)) AS problems_confirmed
FROM ticket t
WHERE {county} AND t.reporter_deputy_id IS NOT NULL
  AND (t.created_at AT TIME ZONE :tz)::date BETWEEN :start AND :ref
GROUP BY t.reporter_deputy_id
"""

# Each feedback of the month on a deputy's ticket, with the first re-inspection after it.
_FEEDBACKS_SQL = """
SELECT t.reporter_deputy_id AS deputy_id, e.id AS event_id,
       (e.at AT TIME ZONE :tz)::date AS fed_back_on,
       (SELECT (r.at AT TIME ZONE :tz)::date FROM ticket_event r
         WHERE r.ticket_id = e.ticket_id AND r.county_id = e.county_id AND r.id > e.id
           AND r.action IN ('reinspect', 'reinspect_fail') AND r.at < :as_of_ts
         ORDER BY r.id LIMIT 1) AS reinspected_on
FROM ticket_event e JOIN ticket t ON t.id = e.ticket_id AND t.county_id = e.county_id
WHERE {county} AND e.to_status = 'fed_back' AND t.reporter_deputy_id IS NOT NULL
  AND (e.at AT TIME ZONE :tz)::date BETWEEN :start AND :ref
"""

_FLAGGED_SQL = """
SELECT p.deputy_id, count(*) AS flagged_tracks
FROM patrol p JOIN patrol_state s ON s.patrol_id = p.id AND s.county_id = p.county_id
WHERE {county} AND s.flagged AND s.review IS DISTINCT FROM 'accept'
  AND (coalesce(p.started_at, p.created_at) AT TIME ZONE :tz)::date BETWEEN :start AND :ref
GROUP BY p.deputy_id
"""


def reinspection_counts(feedbacks: pd.DataFrame, workdays: int, as_of: date) -> pd.DataFrame:
    """Per deputy: re-inspections due and on time, from (deputy_id, fed_back_on,
    reinspected_on) rows. Due once done or once the deadline is before as_of."""
    if feedbacks.empty:
        return pd.DataFrame(columns=["reinspections_due", "reinspections_on_time"], dtype="int64")
    deadlines = [add_working_days(d, workdays) for d in feedbacks["fed_back_on"]]
    done = feedbacks["reinspected_on"].notna().to_numpy()
    pairs = zip(done, feedbacks["reinspected_on"], deadlines, strict=True)
    on_time = np.array([bool(ok) and r <= dl for ok, r, dl in pairs])
    due = done | np.array([dl < as_of for dl in deadlines])
    frame = pd.DataFrame(
        {
            "deputy_id": feedbacks["deputy_id"].to_numpy(),
            "reinspections_due": due.astype("int64"),
            "reinspections_on_time": on_time.astype("int64"),
        }
    )
    return frame.groupby("deputy_id").sum()


def month_components(
    session: Session, year: int, month: int, weights: Weights, as_of: date | None = None
) -> pd.DataFrame:
    """The raw counts per deputy with at least one assigned site on the reference day."""
    start, end = month_bounds(year, month)
    as_of = as_of or clock.today()
    ref = min(end, as_of)
    tz = settings.text("timezone")
    as_of_ts = datetime.combine(as_of, datetime.min.time(), ZoneInfo(tz))
    params = {
        "start": start,
        "ref": ref,
        "tz": tz,
        "as_of_ts": as_of_ts,
        "farm_items": len(checklist_for("livestock_farm")),
        "water_items": len(checklist_for("pond")),
    }

    duties = duty_period_status(session, start, end, as_of)
    held = duties.groupby(["deputy_id", "site_id"])["on_time"].all().reset_index()
    per_deputy = held.groupby("deputy_id").agg(
        assigned_sites=("site_id", "nunique"), sites_on_time=("on_time", "sum")
    )
    deputies = query_frame(session, _DEPUTIES_SQL.format(county=county_clause("d")))
    deputies = deputies.set_index("deputy_id")
    frame = deputies.join(per_deputy, how="inner")
    for sql, alias in (
        (_VISITS_SQL, "v"),
        (_RECORDS_SQL, "v"),
        (_PROBLEMS_SQL, "t"),
        (_FLAGGED_SQL, "p"),
    ):
        extra = query_frame(session, sql.format(county=county_clause(alias)), params)
        frame = frame.join(extra.set_index("deputy_id"), how="left")
    feedbacks = query_frame(session, _FEEDBACKS_SQL.format(county=county_clause("e")), params)
    frame = frame.join(reinspection_counts(feedbacks, weights.reinspect_workdays, as_of))
    counts = [
        "assigned_sites",
        "sites_on_time",
        "visits",
        "assist_visits",
        "record_visits",
        "complete_records",
        "problems_reported",
        "problems_confirmed",
        "reinspections_due",
        "reinspections_on_time",
        "flagged_tracks",
    ]
    frame[counts] = frame[counts].fillna(0).astype("int64")
    return frame.reset_index().sort_values("deputy_code", kind="stable").reset_index(drop=True)


# ------------------------------------------------------------------ scoring


def competition_rank(scores: pd.Series) -> pd.Series:
    """1, 2, 2, 4: equal scores share the best rank, and the ranks after a tie are skipped."""
    return scores.rank(method="min", ascending=False).astype("int64")


def score_frame(components: pd.DataFrame, weights: Weights) -> pd.DataFrame:
    """Normalise the counts, weigh them, add the score and both ranks (pure, no database).

    ``components`` needs deputy_id, township (for the township rank), assigned_sites,
    sites_on_time, visits, record_visits, complete_records, problems_confirmed,
    reinspections_due, reinspections_on_time and flagged_tracks; other columns of
    EVALUATION_COLUMNS are kept when present.
    """
    frame = components.copy()
    sites = frame["assigned_sites"].to_numpy(dtype=float)
    frame["on_time_share"] = np.where(
        sites > 0, frame["sites_on_time"].to_numpy(dtype=float) / np.maximum(sites, 1), np.nan
    )
    visit_cap = weights.visits_cap_per_site * sites
    due = frame["reinspections_due"].to_numpy(dtype=float)
    norms = {
        "on_time_share": np.nan_to_num(frame["on_time_share"].to_numpy(dtype=float)),
        "visits": np.where(
            visit_cap > 0,
            np.minimum(frame["visits"].to_numpy(dtype=float), visit_cap) / np.maximum(visit_cap, 1),
            0.0,
        ),
        "records": np.where(
            frame["record_visits"].to_numpy(dtype=float) > 0,
            frame["complete_records"].to_numpy(dtype=float)
            / np.maximum(frame["record_visits"].to_numpy(dtype=float), 1),
            0.0,
        ),
        "problems": np.minimum(
            frame["problems_confirmed"].to_numpy(dtype=float), weights.problems_cap
        )
        / weights.problems_cap,
        "reinspections": np.where(
            due > 0, frame["reinspections_on_time"].to_numpy(dtype=float) / np.maximum(due, 1), 1.0
        ),
    }
    total = np.zeros(len(frame))
    for name in COMPONENTS:
        frame[f"{name}_norm"] = norms[name].round(4)
        frame[f"w_{name}"] = weights.weight(name)
        frame[f"pts_{name}"] = (weights.weight(name) * frame[f"{name}_norm"]).round(2)
        total += frame[f"pts_{name}"].to_numpy()
    frame["flagged_penalty"] = np.minimum(
        weights.flagged_per_track * frame["flagged_tracks"].to_numpy(dtype=float),
        weights.flagged_cap,
    ).round(2)
    # Rounded once here, so that scores a person sees as equal are equal and share a rank.
    frame["score"] = (total - frame["flagged_penalty"].to_numpy()).round(2)
    frame["rank_county"] = competition_rank(frame["score"])
    frame["rank_township"] = frame.groupby("township")["score"].transform(competition_rank)
    frame["rank_township"] = frame["rank_township"].astype("int64")
    return frame[[c for c in EVALUATION_COLUMNS if c in frame.columns]]


def evaluate_month(
    session: Session,
    year: int,
    month: int,
    weights: Weights | None = None,
    as_of: date | None = None,
) -> pd.DataFrame:
    """One row per deputy with assigned sites: counts, normalised components, weights, points,
    score and ranks (EVALUATION_COLUMNS), sorted by county rank then code."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1–12, not {month}")
    weights = weights or load_weights()
    components = month_components(session, year, month, weights, as_of)
    scored = score_frame(components, weights)
    return scored.sort_values(["rank_county", "deputy_code"], kind="stable").reset_index(drop=True)


def township_ranking(evaluation: pd.DataFrame) -> pd.DataFrame:
    """Per township (the deputies' township): mean score, and the on-time share recomputed from
    the site counts (on-time sites / assigned sites), never a mean of the deputies' shares,
    which would weigh a deputy with one site like a deputy with ten."""
    sums = evaluation.groupby("township", sort=True).agg(
        deputies=("deputy_id", "count"),
        assigned_sites=("assigned_sites", "sum"),
        sites_on_time=("sites_on_time", "sum"),
        visits=("visits", "sum"),
        problems_reported=("problems_reported", "sum"),
        problems_confirmed=("problems_confirmed", "sum"),
        flagged_tracks=("flagged_tracks", "sum"),
        mean_score=("score", "mean"),
    )
    sums = sums.reset_index()
    sites = sums["assigned_sites"].to_numpy(dtype=float)
    sums["on_time_share"] = np.where(
        sites > 0, sums["sites_on_time"].to_numpy(dtype=float) / np.maximum(sites, 1), np.nan
    )
    sums["mean_score"] = sums["mean_score"].round(2)
    sums["rank"] = competition_rank(sums["mean_score"])
    sums = sums.sort_values(["rank", "township"], kind="stable").reset_index(drop=True)
    return sums[list(TOWNSHIP_COLUMNS)]


def evaluation_for(
    evaluation: pd.DataFrame, user: SignedIn | None, chosen: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The deputies' rows and the township ranking ``user`` may see of a month's county
    ``evaluation``, for the township chosen (None: the county). Ranks stay the county's: a
    township's deputies keep the places they hold among all deputies, and its row its place
    among towns. A township account gets its own township's only (``accounts.scope``), so no
    other township's deputies' names reach its page."""
    township_id = narrow(user, chosen, "evaluation")
    ranking = township_ranking(evaluation)
    if township_id is None:
        return evaluation, ranking
    frame = evaluation[evaluation["township_id"] == township_id]
    return frame, ranking[ranking["township"].isin(frame["township"])]


def opening_month(session: Session, today: date) -> tuple[int, int]:
    """The month the evaluation page opens on: the last closed month, the one a bulletin is
    written for — unless no assignment had begun by its end (a county loaded this month),
    where it would show nothing: then this month."""
    last_closed = previous_months(today.year, today.month, 2)[0]
    first = session.scalar(text(f"SELECT min(valid_from) FROM assignment WHERE {county_clause()}"))
    if first is not None and first < month_after(*last_closed):
        return last_closed
    return (today.year, today.month)


def previous_months(year: int, month: int, count: int) -> list[tuple[int, int]]:
    """The ``count`` months ending with (year, month), oldest first."""
    index = year * 12 + month - 1
    return [((index - k) // 12, (index - k) % 12 + 1) for k in range(count - 1, -1, -1)]


def trend(
    session: Session,
    deputy_id: int,
    months: int,
    end: tuple[int, int] | None = None,
    weights: Weights | None = None,
    as_of: date | None = None,
) -> pd.DataFrame:
    """A deputy's score, on-time share and county rank over the ``months`` months ending with
    ``end`` (default: the current month); a month without assigned sites has no row."""
    if months < 1:
        raise ValueError(f"months must be 1 or more, not {months}")
    as_of = as_of or clock.today()
    year, month = end or (as_of.year, as_of.month)
    weights = weights or load_weights()
    rows = []
    for y, m in previous_months(year, month, months):
        if date(y, m, 1) > as_of:
            continue
        frame = evaluate_month(session, y, m, weights, as_of)
        mine = frame[frame["deputy_id"] == deputy_id]
        if not mine.empty:
            row = mine.iloc[0]
            rows.append(
                {
                    "month": f"{y}-{m:02d}",
                    "score": float(row["score"]),
                    "on_time_share": float(row["on_time_share"]),
                    "visits": int(row["visits"]),
                    "rank_county": int(row["rank_county"]),
                    "deputies": len(frame),
                }
            )
    columns = ["month", "score", "on_time_share", "visits", "rank_county", "deputies"]
    return pd.DataFrame(rows, columns=columns)


def formula_params(weights: Weights) -> dict[str, str]:
    """The weights as the catalogue's ``evaluation_formula_text`` names them (``{x:g}``)."""
    return {key: f"{value:g}" for key, value in asdict(weights).items()}


def parse_month(text: str) -> tuple[int, int]:
    """'2026-11' → (2026, 11), refused with the expected form otherwise."""
    try:
        first = datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        raise ConfigurationError(
            f"month {text!r} is not YYYY-MM, e.g. 2026-11", code="month_invalid", value=text
        ) from None
    return first.year, first.month


def month_after(year: int, month: int) -> date:
    """The first day after the month: the as_of that makes a month complete."""
    return month_bounds(year, month)[1] + timedelta(days=1)


__all__ = [
    "COMPONENTS",
    "EVALUATION_COLUMNS",
    "SHIPPED_WEIGHTS",
    "TOWNSHIP_COLUMNS",
    "Weights",
    "WeightsError",
    "competition_rank",
    "evaluate_month",
    "formula_params",
    "load_weights",
    "month_after",
    "month_components",
    "parse_month",
    "parse_weights",
    "opening_month",
    "previous_months",
    "reinspection_counts",
    "score_frame",
    "township_ranking",
    "trend",
]
