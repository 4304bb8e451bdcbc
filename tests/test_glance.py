"""A leader's today (`reports.glance`, `duty.today`): each figure equals the service that
defines it — the due list's overdue count, the coverage page's month share, the ticket rates,
the bulletin's township ranking — on a hand-built county, on the demo, and on the page.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

import i18n
from accounts.auth import SignedIn
from core import clock
from duty.coverage import month_bounds, site_period_status
from duty.coverage_map import coverage_map, today_coverage_map
from duty.due import due_list
from duty.today import TODAY_COLUMNS, site_today_status, today_status_frame
from reports.evaluation import evaluate_month, township_ranking
from reports.glance import (
    glance,
    map_sites,
    monthly_trend,
    site_shapes,
    ticket_figures,
    township_standing,
)
from tests.test_due import POND, SQUARE, build_county
from tests.test_evaluation import _patrol
from tickets.figures import county_rates, overdue_tickets, ticket_rates
from ui import session as ui_session

D = date
ON = D(2026, 3, 18)  # a Wednesday in the 2nd 旬 of March
VIEWS = Path(__file__).resolve().parent.parent / "views"


def _site(session: Session, ids: dict[str, int], code: str, site_class: int) -> None:
    ids[code] = session.execute(
        text(
            "INSERT INTO site (code, name, kind, site_class, township_id, grid_cell_id, geom) "
            "VALUES (:code, :name, 'pond', :class, :township, :cell, "
            "ST_GeomFromText(:wkt, 4326)) RETURNING id"
        ),
        {
            "code": code,
            "name": f"{code}塘",
            "class": site_class,
            "township": ids["T1"],
            "cell": ids["L1M1S1"],
            "wkt": POND,
        },
    ).scalar_one()


def _assign(session: Session, ids: dict[str, int], deputy: str, site: str, on: date) -> None:
    session.execute(
        text("INSERT INTO assignment (deputy_id, site_id, valid_from) VALUES (:d, :s, :on)"),
        {"d": ids[deputy], "s": ids[site], "on": on},
    )


def build_today(session: Session) -> dict[str, int]:
    """test_due's county on 18 March 2026, one site in each state today:

    S1 class 1, 张三 visited 12 Mar (this 旬) → done; S2 class 2, visited 1 Mar → overdue since
    the 15th; F1 class 3, 张三 visited 10 Mar before 李四 took it on the 15th → pending (the
    visit is not 李四's, but it was patrolled); S3 nobody's → unassigned; S4 class 1, 张三's
    from 16 Mar, never visited → due soon (20 Mar); S5 class 3, 李四's from 16 Mar, never
    visited → never."""
    ids = build_county(session)
    for code, site_class in (("S3", 1), ("S4", 1), ("S5", 3)):
        _site(session, ids, code, site_class)
    _assign(session, ids, "D1", "S4", D(2026, 3, 16))
    _assign(session, ids, "D2", "S5", D(2026, 3, 16))
    _patrol(session, ids, "D1", "2026-03-12 09:00", ["S1"])
    _patrol(session, ids, "D2", "2026-03-01 09:00", ["S2"])
    _patrol(session, ids, "D1", "2026-03-10 09:00", ["F1"])
    return ids


@pytest.fixture
def county(engine: Engine) -> Iterator[tuple[Session, dict[str, int]]]:
    with Session(engine) as session:
        yield session, build_today(session)


def test_each_site_gets_one_state_today(county: tuple[Session, dict[str, int]]) -> None:
    session, ids = county
    frame = site_today_status(session, ON)
    assert list(frame.columns) == list(TODAY_COLUMNS)
    states = dict(zip(frame["site_id"], frame["today"], strict=True))
    expected = {"S1": "done", "S2": "overdue", "F1": "pending", "S3": "unassigned",
                "S4": "due_soon", "S5": "never"}  # fmt: skip
    assert {code: states[ids[code]] for code in expected} == expected
    rows = frame.set_index("site_id")
    assert rows.loc[ids["S2"], "on_time"] == False and rows.loc[ids["S2"], "missed"] == 1  # noqa: E712
    assert rows.loc[ids["S3"], "on_time"] == False and rows.loc[ids["S3"], "missed"] == 0  # noqa: E712
    assert bool(rows.loc[ids["F1"], "ever_patrolled"]) and pd.isna(
        rows.loc[ids["F1"], "last_visit"]
    )


def test_the_state_rules_on_plain_frames() -> None:
    """No database: the precedence and the class windows of `today_status_frame`."""
    sites = pd.DataFrame(
        {
            "site_id": [1, 2, 3, 4, 5],
            "grid_cell_id": [9] * 5,
            "township_id": [1] * 5,
            "site_class": [1, 2, 3, 2, 1],
            "ever_patrolled": [True, True, True, False, False],
        }
    )
    day = pd.Timestamp
    due = pd.DataFrame(
        {
            "site_id": [1, 2, 3, 4],
            "deputy_id": [7, 7, 7, 7],
            "deputy_name": ["甲"] * 4,
            # class 1 visited 10 Mar: the 旬 before → pending; class 2 visited 10 days ago →
            # done; class 3 visited 1 Mar → done; class 2 never visited, overdue.
            "last_visit": [day(2026, 3, 10), day(2026, 3, 8), day(2026, 3, 1), pd.NaT],
            "deadline": [day(2026, 3, 20), day(2026, 3, 22), day(2026, 4, 30), day(2026, 3, 14)],
            "status": ["due_soon", "ok", "ok", "overdue"],
            "days_left": [2, 4, 43, -4],
        }
    )
    frame = today_status_frame(sites, due, ON)
    assert frame["today"].tolist() == ["due_soon", "done", "done", "overdue", "unassigned"]
    assert frame["on_time"].tolist() == [True, True, True, False, False]
    assert frame["missed"].tolist() == [0, 0, 0, 1, 0]


def test_the_glance_equals_the_due_list_and_the_coverage_page(
    county: tuple[Session, dict[str, int]],
) -> None:
    session, ids = county
    data = glance(session, ON)
    due = due_list(session, ON)
    assert data.overdue == int((due["status"] == "overdue").sum()) == 1
    assert data.oldest_deadline == D(2026, 3, 15) and data.longest_overdue_days == 3
    assert data.overdue_sites["site_code"].tolist() == ["S2"]
    assert data.due_soon == 1 and data.unassigned == 1
    assert data.never_patrolled == 3  # S3, S4, S5: nobody has ever been there
    assert data.sites == 6
    # The month shares are the coverage page's, for this month and the last.
    for share in (data.this_month, data.last_month):
        page = coverage_map(session, share.year, share.month, 3, as_of=ON, with_tracks=False)
        assert (share.sites, share.sites_on_time) == (
            page.figures.sites,
            page.figures.sites_on_time,
        )
    assert (data.this_month.year, data.this_month.month) == (2026, 3)
    assert (data.last_month.year, data.last_month.month) == (2026, 2)
    # One township: the same figures, narrowed; another township has none of them.
    assert glance(session, ON, ids["T1"]).overdue == 1
    other = session.execute(
        text(
            "INSERT INTO township (code, name, geom) VALUES ('T2', '西乡', "
            "ST_GeomFromText(:wkt, 4326)) RETURNING id"
        ),
        {"wkt": SQUARE},
    ).scalar_one()
    empty = glance(session, ON, other)
    assert (empty.sites, empty.overdue, empty.oldest_deadline) == (0, 0, None)
    assert math.isnan(empty.this_month.share)


def test_as_of_today_an_overdue_site_is_a_gap(county: tuple[Session, dict[str, int]]) -> None:
    """The month view of March says S2 missed a window too; as of today, so does the cell,
    and the unassigned S3 — DESIGN.md's dead corner "as of today"."""
    session, ids = county
    today = today_coverage_map(session, 3, as_of=ON, with_tracks=False)
    assert today.figures.sites == 6
    assert today.figures.sites_on_time == 4  # held and not overdue: S1, F1, S4, S5
    assert today.figures.dead_corners == {1: 1, 2: 1, 3: 1}
    cell = today.cells.iloc[0]
    assert (cell["sites_missed"], cell["sites_unassigned"]) == (1, 1)
    assert today.period == (D(2026, 3, 1), ON)
    sites = today.sites.set_index("code")
    assert bool(sites.loc["S2", "on_time"]) is False and sites.loc["S2", "status"] == "overdue"


def _ticket(
    session: Session,
    ids: dict[str, int],
    number: str,
    deadline: date,
    events: list[tuple[str, str, str]],
    rating: str | None = None,
) -> None:
    """A ticket in 东镇 with (action, to_status, local day) events; a 'rate' event carries
    ``rating``."""
    ticket = session.execute(
        text(
            "INSERT INTO ticket (number, category_code, platform_code, township_id, "
            "reporter_deputy_id, description, deadline, geom, created_at) VALUES (:n, 'sewage', "
            "'zhifa', :t, :d, '排污', :deadline, ST_SetSRID(ST_MakePoint(117.55, 28.95), 4326),"
            " :at) RETURNING id"
        ),
        {
            "n": number,
            "t": ids["T1"],
            "d": ids["D1"],
            "deadline": deadline,
            "at": f"{events[0][2]} 10:00+08",
        },
    ).scalar_one()
    for action, status, day in events:
        payload = {"rating": rating} if action == "rate" else {}
        session.execute(
            text(
                "INSERT INTO ticket_event (ticket_id, to_status, action, at, payload) "
                "VALUES (:t, :s, :a, :at, CAST(:p AS jsonb))"
            ),
            {
                "t": ticket,
                "s": status,
                "a": action,
                "at": f"{day} 10:00+08",
                "p": json.dumps(payload),
            },
        )


def test_ticket_figures_are_the_ticket_services(county: tuple[Session, dict[str, int]]) -> None:
    session, ids = county
    dispatched = [("report", "reported", "2026-03-03"), ("dispatch", "assigned", "2026-03-03")]
    # Handled and rated 满意; dispatched and accepted but past its deadline; only reported;
    # withdrawn (not open).
    _ticket(
        session,
        ids,
        "K1",
        D(2026, 3, 13),
        [*dispatched, ("feedback", "fed_back", "2026-03-06"), ("rate", "rated", "2026-03-09")],
        rating="satisfied",
    )
    _ticket(session, ids, "K2", D(2026, 3, 10), [*dispatched, ("accept", "accepted", "2026-03-04")])
    _ticket(session, ids, "K3", D(2026, 3, 30), [("report", "reported", "2026-03-16")])
    _ticket(
        session,
        ids,
        "K4",
        D(2026, 3, 30),
        [("report", "reported", "2026-03-02"), ("withdraw", "withdrawn", "2026-03-02")],
    )
    figures = ticket_figures(session, ON)
    assert (figures.open, figures.overdue) == (3, len(overdue_tickets(session, ON))) == (3, 1)
    county_row = county_rates(session, figures.start, figures.end)
    assert (figures.dispatched, figures.handled) == (2, 1)
    assert figures.handling_rate == county_row["handling_rate"] == 0.5
    assert figures.satisfaction == county_row["satisfaction"] == 1.0
    town = ticket_figures(session, ON, ids["T1"])
    row = ticket_rates(session, "township", town.start, town.end).set_index("key").loc["东镇"]
    assert (town.open, town.overdue, town.handling_rate) == (3, 1, row["handling_rate"])


def test_the_trend_and_the_ranking_are_the_months_figures(
    county: tuple[Session, dict[str, int]],
) -> None:
    session, _ = county
    trend = monthly_trend(session, ON)
    # Assignments began on 1 January: no month before it is shown.
    assert [m.isoformat() for m in trend["month"]] == ["2026-01-01", "2026-02-01", "2026-03-01"]
    march = site_period_status(session, *month_bounds(2026, 3), ON)
    last = trend.iloc[-1]
    assert last["on_time_share"] == pytest.approx(march["on_time"].mean())
    assert trend["handling_rate"].isna().all()  # no ticket at all
    standing = township_standing(session, D(2026, 4, 5))
    assert (standing.year, standing.month, standing.as_of) == (2026, 3, D(2026, 4, 1))
    expected = township_ranking(evaluate_month(session, 2026, 3, as_of=D(2026, 4, 1)))
    pd.testing.assert_frame_equal(standing.townships, expected)


def test_the_map_sites_carry_their_state(county: tuple[Session, dict[str, int]]) -> None:
    session, ids = county
    sites = map_sites(site_shapes(session), glance(session, ON).sites_today)
    assert len(sites) == 6 and sites.crs.to_epsg() == 4326
    assert dict(zip(sites["code"], sites["today"], strict=True))["S5"] == "never"
    from layers.today import today_map

    html = today_map(sites, lang="en").get_root().render()
    assert "Never patrolled, not yet due (1)" in html and "unpkg" not in html


# --------------------------------------------------------------------------- the demo


@pytest.mark.clock
def test_the_glance_agrees_with_the_due_list_on_the_demo(demo_engine: Engine) -> None:
    today = clock.today()
    with Session(demo_engine) as session:
        town = session.scalar(text("SELECT id FROM township ORDER BY code LIMIT 1"))
        for township_id in (None, town):
            data = glance(session, today, township_id)
            due = due_list(session, today, township_id=township_id)
            assert data.overdue == int((due["status"] == "overdue").sum())
            assert data.sites == session.scalar(
                text("SELECT count(*) FROM site WHERE CAST(:t AS int) IS NULL OR township_id = :t"),
                {"t": township_id},
            )


# --------------------------------------------------------------------------- the page


def _user(engine: Engine, username: str) -> SignedIn:
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT id, username, role, deputy_id, COALESCE(display_name, username) "
                "FROM app_user WHERE username = :u"
            ),
            {"u": username},
        ).one()
    return SignedIn(*row)


@pytest.fixture
def app_database(demo_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("DATABASE_URL", demo_engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield demo_engine
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.mark.clock
def test_the_page_shows_the_due_lists_overdue_count(app_database: Engine) -> None:
    at = AppTest.from_file(str(VIEWS / "glance.py"), default_timeout=120)
    at.session_state[ui_session.USER] = _user(app_database, "leader")
    at.run()
    assert not at.exception, at.exception
    with Session(app_database) as session:
        due = due_list(session, clock.today())
    overdue = int((due["status"] == "overdue").sum())
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[i18n.text("glance_overdue", "zh")] == i18n.number(overdue, "zh")
    assert i18n.text("glance_month_share", "zh") in metrics
    assert at.title[0].value == i18n.text("glance_heading", "zh")


def test_a_deputy_may_not_open_the_page(app_database: Engine) -> None:
    at = AppTest.from_file(str(VIEWS / "glance.py"), default_timeout=120)
    at.session_state[ui_session.USER] = _user(app_database, "d0001")
    at.run()
    assert not at.exception and at.error and not at.metric


def test_the_coverage_page_opens_as_of_today_from_a_link(app_database: Engine) -> None:
    at = AppTest.from_file(str(VIEWS / "coverage.py"), default_timeout=120)
    at.session_state[ui_session.USER] = _user(app_database, "leader")
    with app_database.connect() as conn:
        town = conn.scalar(text("SELECT id FROM township ORDER BY code LIMIT 1"))
    at.query_params["view"] = "today"
    at.query_params["township"] = str(town)
    at.run()
    assert not at.exception, at.exception
    assert at.radio(key="shuijian_coverage_view").value == "today"
    assert at.selectbox(key=ui_session.COVERAGE_TOWNSHIP).value == town
    assert at.metric[0].label == i18n.text("coverage_today_share", "zh")
    # The user's own choice then stands: the same link is not applied again.
    at.radio(key="shuijian_coverage_view").set_value("month").run()
    assert not at.exception, at.exception
    assert at.metric[0].label == i18n.text("share_on_time", "zh")


def test_the_page_on_a_county_with_nothing_yet(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh installation: no site, no deputy, no ticket — figures of zero, no traceback."""
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        at = AppTest.from_file(str(VIEWS / "glance.py"), default_timeout=120)
        at.session_state[ui_session.USER] = SignedIn(1, "leader", "leader", None, "领导")
        at.run()
        assert not at.exception, at.exception
        metrics = {m.label: m.value for m in at.metric}
        assert metrics[i18n.text("glance_overdue", "zh")] == "0"
        assert at.caption[1].value == i18n.text("glance_nothing_overdue", "zh")
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_today_view_speaks_one_language(app_database: Engine, lang: str) -> None:
    """test_page_language renders the coverage page's month view; this, its "as of today"."""
    from tests.test_page_language import _stray, _strings

    at = AppTest.from_file(str(VIEWS / "coverage.py"), default_timeout=120)
    at.session_state[ui_session.USER] = _user(app_database, "leader")
    at.session_state[ui_session.ENGLISH] = lang == "en"
    at.query_params["view"] = "today"
    at.run()
    assert not at.exception, at.exception
    assert at.metric[0].label == i18n.text("coverage_today_share", lang)
    with app_database.connect() as conn:
        names = {
            str(v)
            for sql in (
                "SELECT name FROM township",
                "SELECT name FROM site",
                "SELECT name FROM deputy",
            )
            for v in conn.scalars(text(sql))
        }
    stray = _stray(_strings(at), lang, names)
    assert not stray, stray
