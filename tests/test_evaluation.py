"""The monthly evaluation: a hand-computed month on a tiny database, ties, township ranking
recomputed from site counts, and the weights file's validation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from reports.evaluation import (
    EVALUATION_COLUMNS,
    WeightsError,
    competition_rank,
    evaluate_month,
    load_weights,
    parse_weights,
    score_frame,
    township_ranking,
    trend,
)
from tests.test_due import build_county

D = date
AS_OF = D(2026, 4, 3)
_upload = 0


def _patrol(
    session: Session,
    ids: dict[str, int],
    deputy: str,
    at: str,
    sites: list[str],
    review: str | None = None,
    flagged: bool = False,
) -> int:
    """One patrol with visits to `sites` at local time `at` (+08), optionally flagged and
    reviewed; inserted by SQL so the test controls every fact the evaluation reads."""
    global _upload
    _upload += 1
    upload = session.execute(
        text(
            "INSERT INTO gpx_upload (sha256, filename, size_bytes, content, encoding, "
            "gpx_version, declared_crs, naive_timezone) VALUES (:sha, 'x.gpx', 1, '\\x00', "
            "'utf-8', '1.1', 'wgs84', 'Asia/Shanghai') RETURNING id"
        ),
        {"sha": f"{_upload:064d}"},
    ).scalar_one()
    patrol = session.execute(
        text(
            "INSERT INTO patrol (upload_id, deputy_id, started_at, ended_at, n_points, n_kept, "
            "has_times, fingerprint) VALUES (:u, :d, :at, :at, 10, 10, true, :fp) RETURNING id"
        ),
        {"u": upload, "d": ids[deputy], "at": f"{at}+08", "fp": f"fp{_upload}"},
    ).scalar_one()
    for site in sites:
        session.execute(
            text(
                'INSERT INTO visit (patrol_id, site_id, arrived, "left", dwell_s, n_points, '
                "is_assigned) VALUES (:p, :s, :at, :at, 300, 5, true)"
            ),
            {"p": patrol, "s": ids[site], "at": f"{at}+08"},
        )
    if flagged:
        session.execute(
            text("INSERT INTO patrol_flag (patrol_id, code, message) VALUES (:p, 'jump', 'x')"),
            {"p": patrol},
        )
    if review:
        session.execute(
            text("INSERT INTO patrol_review (patrol_id, decision, reason) VALUES (:p, :d, 'r')"),
            {"p": patrol, "d": review},
        )
    return patrol


def _ticket(
    session: Session, ids: dict[str, int], number: str, deputy: str, events: list[tuple[str, str]]
) -> None:
    """A ticket reported by `deputy`; `events` are (action, local day) with the statuses the
    lifecycle gives them; the ticket is created on the first event's day."""
    target = {
        "report": "reported",
        "dispatch": "assigned",
        "accept": "accepted",
        "feedback": "fed_back",
        "reinspect": "reinspected",
        "withdraw": "withdrawn",
    }
    ticket = session.execute(
        text(
            "INSERT INTO ticket (number, category_code, platform_code, township_id, "
            "reporter_deputy_id, description, deadline, geom, created_at) VALUES (:n, 'sewage', "
            "'zhifa', :t, :d, '排污', '2026-12-31', ST_SetSRID(ST_MakePoint(117.55, 28.95), 4326),"
            " :at) RETURNING id"
        ),
        {"n": number, "t": ids["T1"], "d": ids[deputy], "at": f"{events[0][1]} 10:00+08"},
    ).scalar_one()
    for action, day in events:
        session.execute(
            text(
                "INSERT INTO ticket_event (ticket_id, to_status, action, at) "
                "VALUES (:t, :s, :a, :at)"
            ),
            {"t": ticket, "s": target[action], "a": action, "at": f"{day} 10:00+08"},
        )


def build_month(session: Session) -> dict[str, int]:
    """March 2026 on the tiny county of test_due (张三 D1 → S1; 李四 D2 → S2 and, from 15 Mar,
    F1, which D1 held before). The expected figures are worked out in the test below."""
    ids = build_county(session)
    _patrol(session, ids, "D1", "2026-02-25 09:00", ["S1"])
    _patrol(session, ids, "D1", "2026-03-05 09:00", ["S1"])
    _patrol(session, ids, "D1", "2026-03-25 09:00", ["S1"])
    _patrol(session, ids, "D1", "2026-03-10 09:00", ["F1"])  # D1's site then, not on 31 Mar
    _patrol(session, ids, "D2", "2026-03-01 09:00", ["S2"])
    _patrol(session, ids, "D2", "2026-03-20 09:00", ["S2"], flagged=True)  # unreviewed
    _patrol(session, ids, "D2", "2026-03-22 09:00", ["S2"], flagged=True, review="accept")
    _patrol(session, ids, "D2", "2026-03-28 09:00", ["S2"], flagged=True, review="reject")
    fed = [("report", "2026-03-03"), ("dispatch", "2026-03-03"), ("accept", "2026-03-04")]
    # Fed back Fri 6 Mar, re-inspected Thu 12 Mar: within 5 working days (by 13 Mar).
    _ticket(
        session, ids, "A1", "D1", [*fed, ("feedback", "2026-03-06"), ("reinspect", "2026-03-12")]
    )
    # Fed back Fri 20 Mar, re-inspected 31 Mar: after the deadline of 27 Mar.
    _ticket(
        session, ids, "A2", "D1", [*fed, ("feedback", "2026-03-20"), ("reinspect", "2026-03-31")]
    )
    _ticket(session, ids, "A3", "D1", [("report", "2026-03-15"), ("dispatch", "2026-03-15")])
    # Fed back Mon 30 Mar: the re-inspection may wait until 6 Apr, after as_of — not yet due.
    _ticket(session, ids, "A4", "D1", [("report", "2026-03-20"), ("feedback", "2026-03-30")])
    _ticket(session, ids, "B1", "D2", [("report", "2026-03-02"), ("withdraw", "2026-03-02")])
    # Reported in February, fed back 2 Mar, never re-inspected: due (by 9 Mar) and missed.
    _ticket(session, ids, "B2", "D2", [("report", "2026-02-20"), ("feedback", "2026-03-02")])
    return ids


def test_a_month_scored_by_hand(engine: Engine) -> None:
    with Session(engine) as session:
        ids = build_month(session)
        frame = evaluate_month(session, 2026, 3, as_of=AS_OF)
    assert list(frame.columns) == list(EVALUATION_COLUMNS)
    rows = frame.set_index("deputy_code")
    d1, d2 = rows.loc["D1"], rows.loc["D2"]
    # 张三 held S1 all month and F1 until 14 Mar (duty per assignment period): S1 (class 1)
    # missed the 11–20 旬; F1's March window closes after his duty ended, so it is not his →
    # 1 of 2 on time; 3 verified visits inside his duties (S1 5 and 25 Mar, F1 10 Mar);
    # 4 problems, 3 fed back; 2 re-inspections due (A4's is not yet), 1 on time; no flag.
    assert d1[
        [
            "assigned_sites",
            "sites_on_time",
            "visits",
            "problems_reported",
            "problems_confirmed",
            "reinspections_due",
            "reinspections_on_time",
            "flagged_tracks",
        ]
    ].tolist() == [2, 1, 3, 4, 3, 2, 1, 0]
    # 李四: S2 missed 15 Mar; F1, his from 15 Mar, owed March (17 days left, more than the
    # grace) and 张三's visit of the 10th is not his (定人定点) → 0 of 2; verified visits 1 Mar
    # and the accepted 22 Mar; the withdrawn report is not confirmed; B2's re-inspection was
    # missed; the unreviewed and the rejected track are flagged.
    assert d2[
        [
            "assigned_sites",
            "sites_on_time",
            "visits",
            "problems_reported",
            "problems_confirmed",
            "reinspections_due",
            "reinspections_on_time",
            "flagged_tracks",
        ]
    ].tolist() == [2, 0, 2, 1, 0, 1, 0, 2]
    assert (frame["assist_visits"] == 0).all()
    # No checklist was answered: 3 and 2 duty visits to record, none complete.
    assert frame.set_index("deputy_code")["record_visits"].to_dict() == {"D1": 3, "D2": 2}
    assert (frame["complete_records"] == 0).all()
    # 张三: 45·(1/2) + 15·(3/6) + 10·0 + 15·min(3,2)/2 + 15·(1/2) − 0
    #     = 22.5 + 7.5 + 0 + 15 + 7.5 = 52.5
    assert d1[
        [
            "pts_on_time_share",
            "pts_visits",
            "pts_records",
            "pts_problems",
            "pts_reinspections",
            "flagged_penalty",
            "score",
        ]
    ].tolist() == [22.5, 7.5, 0.0, 15.0, 7.5, 0.0, 52.5]
    # 李四: 45·0 + 15·(2/6) + 10·0 + 0 + 15·0 − 2·10 = 5 − 20 = −15
    assert d2[
        [
            "pts_on_time_share",
            "pts_visits",
            "pts_records",
            "pts_problems",
            "pts_reinspections",
            "flagged_penalty",
            "score",
        ]
    ].tolist() == [0.0, 5.0, 0.0, 0.0, 0.0, 20.0, -15.0]
    # Anyone can recompute the score from the table's own columns.
    for _, row in frame.iterrows():
        weighed = sum(
            row[f"w_{c}"] * row[f"{c}_norm"]
            for c in ("on_time_share", "visits", "records", "problems", "reinspections")
        )
        assert row["score"] == pytest.approx(weighed - row["flagged_penalty"], abs=0.02)
    assert rows["rank_county"].to_dict() == {"D1": 1, "D2": 2}
    assert rows["rank_township"].to_dict() == {"D1": 1, "D2": 2}
    assert (rows["township"] == "东镇").all()
    assert ids["D1"] in frame["deputy_id"].tolist()


def test_trend_and_a_month_in_progress(engine: Engine) -> None:
    with Session(engine) as session:
        ids = build_month(session)
        series = trend(session, ids["D2"], 3, end=(2026, 4), as_of=AS_OF)
        early = evaluate_month(session, 2026, 3, as_of=D(2026, 3, 12)).set_index("deputy_code")
    assert series["month"].tolist() == ["2026-02", "2026-03", "2026-04"]
    assert series.set_index("month").loc["2026-03", "score"] == -15.0
    # On 12 March 张三 still holds F1 (until the 15th) and visited it on the 10th; S1's 11–20
    # 旬 is still open, so both sites are on time so far.
    assert early.loc["D1", ["assigned_sites", "sites_on_time", "visits"]].tolist() == [2, 2, 2]
    # Events are known before as_of: A1's re-inspection on the 12th is not yet, and its
    # deadline (13 Mar) has not passed, so nothing is due for 张三; B2's deadline (9 Mar) has.
    assert early.loc["D1", ["reinspections_due", "problems_confirmed"]].tolist() == [0, 1]
    assert early.loc["D2", ["reinspections_due", "reinspections_on_time"]].tolist() == [1, 0]


def _components(rows: list[tuple[str, str, int, int, int]]) -> pd.DataFrame:
    """(code, township, sites, on time, visits) with nothing else to score."""
    frame = pd.DataFrame(
        rows, columns=["deputy_code", "township", "assigned_sites", "sites_on_time", "visits"]
    )
    frame["deputy_id"] = range(1, len(frame) + 1)
    for column in (
        "record_visits",
        "complete_records",
        "problems_reported",
        "problems_confirmed",
        "reinspections_due",
        "reinspections_on_time",
        "flagged_tracks",
    ):
        frame[column] = 0
    return frame


def test_equal_scores_share_a_rank_and_the_next_is_skipped() -> None:
    assert competition_rank(pd.Series([90.0, 80.0, 80.0, 70.0])).tolist() == [1, 2, 2, 4]
    weights = load_weights()
    frame = score_frame(
        _components(
            [
                ("A", "东镇", 1, 1, 3),  # 45 + 15 + 0 + 15 (no re-inspection due) = 75
                ("B", "东镇", 2, 1, 6),  # 22.5 + 15 + 15 = 52.5
                ("C", "西乡", 2, 1, 6),  # 52.5: ties with B in the county
                ("E", "西乡", 4, 1, 0),  # 11.25 + 0 + 15 = 26.25
            ]
        ),
        weights,
    ).set_index("deputy_code")
    assert frame["score"].tolist() == [75.0, 52.5, 52.5, 26.25]
    assert frame["rank_county"].tolist() == [1, 2, 2, 4]
    assert frame["rank_township"].tolist() == [1, 2, 1, 2]


def test_township_share_is_recomputed_from_site_counts() -> None:
    frame = score_frame(
        _components([("A", "东镇", 1, 1, 3), ("B", "东镇", 9, 0, 0), ("C", "西乡", 4, 2, 0)]),
        load_weights(),
    )
    towns = township_ranking(frame).set_index("township")
    # 东镇: (1 + 0) / (1 + 9) = 0.1, not the mean of the deputies' shares (0.5).
    assert towns.loc["东镇", "on_time_share"] == pytest.approx(0.1)
    assert towns.loc["东镇", ["deputies", "assigned_sites", "sites_on_time"]].tolist() == [2, 10, 1]
    assert towns.loc["西乡", "on_time_share"] == pytest.approx(0.5)
    # Mean scores: 东镇 (75 + 15) / 2 = 45; 西乡 22.5 + 15 = 37.5.
    assert towns["mean_score"].to_dict() == {"东镇": 45.0, "西乡": 37.5}
    assert towns["rank"].to_dict() == {"东镇": 1, "西乡": 2}


def test_the_shipped_weights_and_a_partial_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = load_weights()
    components = (shipped.on_time_share, shipped.visits, shipped.records, shipped.problems)
    assert (*components, shipped.reinspections) == (45.0, 15.0, 10.0, 15.0, 15.0)
    assert shipped.reinspect_workdays == 5 and shipped.flagged_cap == 30.0
    custom = tmp_path / "w.toml"
    custom.write_text("visits = 30\nflagged_cap = 0\n", encoding="utf-8")
    monkeypatch.setenv("SHUIJIAN_EVALUATION_WEIGHTS", str(custom))
    weights = load_weights()
    assert (weights.visits, weights.flagged_cap, weights.on_time_share) == (30.0, 0.0, 45.0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("visit = 20\n", "unknown key.*visit\\b.*known keys"),
        ("visits_cap_per_site = -1\n", "visits_cap_per_site must not be negative"),
        ("flagged_cap = -5\n", "flagged_cap must not be negative"),
        ("problems_cap = 0\n", "problems_cap must be greater than 0"),
        ("visits = 'a lot'\n", "visits must be a number"),
        ("reinspect_workdays = 2.5\n", "reinspect_workdays must be a whole number"),
        ("visits = \n", "not valid TOML"),
    ],
)
def test_a_bad_weights_file_is_refused_naming_the_key(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(WeightsError, match=message):
        load_weights(path)


def test_a_missing_weights_file_and_missing_keys_are_named(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="does not exist"):
        load_weights(tmp_path / "nowhere.toml")
    with pytest.raises(WeightsError, match="missing key.*flagged_cap"):
        parse_weights({"visits": 1}, "inline")
