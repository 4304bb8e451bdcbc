"""挂号销号: a site is registered when a platform accepts a ticket there, and cancelled after K
consecutive clean patrols or passed re-inspections; every period is kept.

On the tiny county of test_due, with patrols, checklists and ticket events inserted by SQL so
the test controls every fact the register reads; the clock is set to a fixed day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pandas as pd
import pytest
import time_machine
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from accounts.auth import SignedIn
from core.errors import ConfigurationError, PermissionDenied
from duty.register import (
    periods,
    register_for,
    register_frame,
    registered_site_ids,
    sync_register,
)
from tests.test_due import build_county
from tests.test_evaluation import _patrol

NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
_numbers = iter(range(1, 10_000))


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def ticket(
    session: Session,
    ids: dict[str, int],
    site: str,
    events: list[tuple[str, str]],
    category: str = "sewage",
) -> int:
    """A ticket at ``site`` with (action, local 'YYYY-MM-DD HH:MM') events."""
    statuses = {
        "report": "reported",
        "dispatch": "assigned",
        "accept": "accepted",
        "feedback": "fed_back",
        "reinspect": "reinspected",
        "reinspect_fail": "assigned",
        "withdraw": "withdrawn",
    }
    number = f"330822-202601-{next(_numbers):04d}"
    ticket_id = session.execute(
        text(
            "INSERT INTO ticket (number, category_code, platform_code, township_id, site_id, "
            "description, deadline, geom, created_at) VALUES (:n, :c, 'zhifa', :t, :s, 'x', "
            "'2026-12-31', ST_SetSRID(ST_MakePoint(117.55, 28.95), 4326), :at) RETURNING id"
        ),
        {
            "n": number,
            "c": category,
            "t": ids["T1"],
            "s": ids[site],
            "at": f"{events[0][1]}+08",
        },
    ).scalar_one()
    for action, at in events:
        session.execute(
            text(
                "INSERT INTO ticket_event (ticket_id, to_status, action, at) "
                "VALUES (:t, :s, :a, :at)"
            ),
            {"t": ticket_id, "s": statuses[action], "a": action, "at": f"{at}+08"},
        )
    return ticket_id


def checklist_yes(session: Session, patrol: int, site_id: int) -> None:
    session.execute(
        text(
            "INSERT INTO checklist_answer (patrol_id, site_id, item, answer) "
            "VALUES (:p, :s, 'floating_debris', true)"
        ),
        {"p": patrol, "s": site_id},
    )


CONFIRMED = [("report", "2026-03-03 09:00"), ("dispatch", "2026-03-03 09:05")]


def _rows(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(
                    "SELECT site_id, opened_on, closed_on, clean_streak, clean_needed "
                    "FROM site_registration ORDER BY opened_at"
                )
            )
        ]


def test_a_report_alone_registers_nothing_acceptance_does(engine: Engine) -> None:
    with Session(engine) as s:
        ids = build_county(s)
        ticket(s, ids, "S1", CONFIRMED)  # dispatched, never accepted
        ticket(s, ids, "S2", [*CONFIRMED, ("withdraw", "2026-03-04 09:00")])
        assert sync_register(s, 3).opened == 0
        ticket(s, ids, "S1", [*CONFIRMED, ("accept", "2026-03-04 10:00")])
        report = sync_register(s, 3)
        s.commit()
        assert (report.opened, report.cancelled, report.open_now) == (1, 0, 1)
        assert registered_site_ids(s) == {ids["S1"]}
    assert _rows(engine) == [(ids["S1"], date(2026, 3, 4), None, 0, 3)]


def test_k_clean_in_a_row_cancel_a_dirty_one_restarts_and_history_is_kept(
    engine: Engine,
) -> None:
    with Session(engine) as s:
        ids = build_county(s)
        first = ticket(s, ids, "S1", [*CONFIRMED, ("accept", "2026-03-04 10:00")])
        _patrol(s, ids, "D1", "2026-03-01 09:00", ["S1"])  # before: counts for nothing
        _patrol(s, ids, "D1", "2026-03-05 09:00", ["S1"])  # clean 1
        dirty = _patrol(s, ids, "D1", "2026-03-06 09:00", ["S1"])
        checklist_yes(s, dirty, ids["S1"])  # a "yes": the count starts again
        _patrol(s, ids, "D2", "2026-03-07 09:00", ["S1"])  # clean 1 (any deputy's visit)
        _patrol(s, ids, "D1", "2026-03-08 09:00", ["S1"], flagged=True)  # not counted
        _patrol(s, ids, "D1", "2026-03-09 09:00", ["S1"])  # clean 2
        sync_register(s, 3)
        s.commit()
        assert _rows(engine) == [(ids["S1"], date(2026, 3, 4), None, 2, 3)]
        # A passed re-inspection is the third clean observation: cancelled that day.
        s.execute(
            text(
                "INSERT INTO ticket_event (ticket_id, to_status, action, at) "
                "VALUES (:t, 'reinspected', 'reinspect', '2026-03-10 15:00+08')"
            ),
            {"t": first},
        )
        report = sync_register(s, 3)
        s.commit()
        assert (report.opened, report.cancelled, report.open_now) == (0, 1, 0)
        assert _rows(engine) == [(ids["S1"], date(2026, 3, 4), date(2026, 3, 10), 3, 3)]
        assert sync_register(s, 3).cancelled == 0  # idempotent
        # A new confirmed problem opens a second period; the first stays as it was.
        ticket(s, ids, "S1", [*CONFIRMED, ("accept", "2026-04-02 10:00")])
        sync_register(s, 3)
        s.commit()
        frame = register_frame(s)
    assert _rows(engine) == [
        (ids["S1"], date(2026, 3, 4), date(2026, 3, 10), 3, 3),
        (ids["S1"], date(2026, 4, 2), None, 0, 3),
    ]
    assert list(frame["state"]) == ["open", "cancelled"]
    assert frame["tickets"].str.count("330822").tolist() == [1, 1]


def test_a_failed_reinspection_is_dirty_and_a_second_problem_joins_the_period(
    engine: Engine,
) -> None:
    with Session(engine) as s:
        ids = build_county(s)
        one = ticket(s, ids, "S2", [*CONFIRMED, ("accept", "2026-03-04 10:00")])
        _patrol(s, ids, "D2", "2026-03-05 09:00", ["S2"])
        s.execute(
            text(
                "INSERT INTO ticket_event (ticket_id, to_status, action, at) "
                "VALUES (:t, 'assigned', 'reinspect_fail', '2026-03-06 09:00+08')"
            ),
            {"t": one},
        )
        _patrol(s, ids, "D2", "2026-03-07 09:00", ["S2"])
        ticket(s, ids, "S2", [*CONFIRMED, ("accept", "2026-03-08 10:00")], "floating_litter")
        _patrol(s, ids, "D2", "2026-03-09 09:00", ["S2"])
        _patrol(s, ids, "D2", "2026-03-10 09:00", ["S2"])
        sync_register(s, 3)
        s.commit()
        frame = register_frame(s, state="open")
    assert _rows(engine) == [(ids["S2"], date(2026, 3, 4), None, 2, 3)]
    assert frame.loc[0, "tickets"].count("330822") == 2  # both problems of the period


def test_the_rule_as_a_plain_function_boundaries() -> None:
    at = pd.Timestamp

    def events(*rows: tuple[str, str]) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "site_id": 1,
                    "at": at(t, tz="UTC"),
                    "kind": k,
                    "ticket_id": 9 if k == "confirm" else None,
                }
                for k, t in rows
            ]
        )

    # A clean visit at the very instant of the confirmation does not count.
    same = periods(events(("clean", "2026-01-01 10:00"), ("confirm", "2026-01-01 10:00")), 1)
    assert same[0].closed_at is None
    # K = 1: the first clean observation after it cancels.
    one = periods(events(("confirm", "2026-01-01"), ("clean", "2026-01-02")), 1)
    assert one[0].closed_at == at("2026-01-02", tz="UTC")
    # Events after ``until`` are not seen yet.
    later = periods(
        events(("confirm", "2026-01-01"), ("clean", "2026-01-05")),
        1,
        until=datetime(2026, 1, 3, tzinfo=UTC),
    )
    assert later[0].closed_at is None
    assert periods(pd.DataFrame(columns=["site_id", "at", "kind", "ticket_id"]), 3) == []


def test_the_setting_and_its_refusal(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    with Session(engine) as s:
        ids = build_county(s)
        ticket(s, ids, "S1", [*CONFIRMED, ("accept", "2026-03-04 10:00")])
        _patrol(s, ids, "D1", "2026-03-05 09:00", ["S1"])
        monkeypatch.setenv("SHUIJIAN_REGISTER_CLEAN_STREAK", "1")
        assert sync_register(s).cancelled == 1
        monkeypatch.setenv("SHUIJIAN_REGISTER_CLEAN_STREAK", "0")
        with pytest.raises(ConfigurationError) as refused:
            sync_register(s)
        assert refused.value.code == "register_streak_invalid"


def test_reading_the_register_follows_the_permission_table(engine: Engine) -> None:
    leader = SignedIn(1, "leader", "leader", None, "领导")
    deputy = SignedIn(2, "d1", "deputy", 1, "张三")
    with Session(engine) as s:
        ids = build_county(s)
        ticket(s, ids, "S1", [*CONFIRMED, ("accept", "2026-03-04 10:00")])
        sync_register(s, 3)
        assert len(register_for(s, leader, township_id=ids["T1"])) == 1
        assert register_for(s, leader, township_id=ids["T1"] + 999).empty
        with pytest.raises(PermissionDenied):
            register_for(s, deputy)


def test_registered_sites_are_ringed_on_the_overview_map() -> None:
    """One more layer of rings and a legend row when a site on the map is registered; none
    otherwise (the ring marks the river section's representative point, not its line)."""
    import folium

    from layers.overview import overview_map
    from tests.test_layers import _has
    from tests.test_layers import layers as layers_fixture

    layers = layers_fixture.__wrapped__()  # type: ignore[attr-defined]
    plain = overview_map(layers)
    ringed = overview_map(layers, registered={"R1", "NOT-ON-THIS-MAP"})

    def geojsons(m: folium.Map) -> list[str]:
        return [c.layer_name for c in m._children.values() if isinstance(c, folium.GeoJson)]

    assert "挂号点位" not in geojsons(plain)
    assert geojsons(ringed).count("挂号点位") == 1
    html = ringed.get_root().render()
    assert _has(html, "挂号点位") and "#b2182b" in html
    assert not _has(plain.get_root().render(), "挂号点位")
    english = overview_map(layers, lang="en", registered={"S1"}).get_root().render()
    assert "Registered sites" in english
    assert (
        overview_map(layers, registered={"NOT-ON-THIS-MAP"}).get_root().render().count("#b2182b")
        == 0
    )


def test_the_coverage_map_legend_names_the_ring_only_when_drawn() -> None:
    from layers.coverage import legend_html

    assert "挂号点位" in legend_html("zh", registered=True)
    assert "挂号点位" not in legend_html("zh")
    assert "Registered sites" in legend_html("en", today=True, registered=True)
