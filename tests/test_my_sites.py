"""我的点位: a deputy's own sites as cards — the data (states, order, WGS84 ``geo:`` links),
the page (AppTest), and deputy codes read in any case (CLI and services)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import unquote

import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from accounts.auth import SignedIn
from core import clock
from core.errors import PermissionDenied
from db.lookups import deputy_id_by_code
from duty.due import due_list
from duty.my_sites import MY_SITES_COLUMNS, STATES, geo_uri, my_sites
from tests.test_due import TEMP_VISITS, add_visits, build_county
from ui import session as ui_session

ON = date(2026, 3, 18)
VIEWS = Path(__file__).resolve().parent.parent / "views"


def deputy(ids: dict[str, int], code: str) -> SignedIn:
    return SignedIn(1, code.lower(), "deputy", ids[code], code)


@pytest.fixture
def county(engine: Engine) -> Iterator[tuple[Session, dict[str, int]]]:
    with Session(engine) as session:
        ids = build_county(session)
        # 李四 (D2): S2 (class 2) last visited 1 Mar → deadline 15 Mar, overdue by 3 days;
        # F1 (class 3) taken over on 15 Mar, visited by 张三 on the 10th (not 李四's duty),
        # so never patrolled by its holder, due 31 Mar. 张三 (D1): S1 due 20 Mar.
        add_visits(
            session,
            ids,
            [("S1", date(2026, 3, 5)), ("S2", date(2026, 3, 1)), ("F1", date(2026, 3, 10), "D1")],
        )
        yield session, ids


def test_each_site_of_the_deputy_with_its_state_overdue_first(
    county: tuple[Session, dict[str, int]],
) -> None:
    session, ids = county
    rows = my_sites(session, deputy(ids, "D2"), ON, visits_sql=TEMP_VISITS, due_soon_days=3)
    assert list(rows.columns) == list(MY_SITES_COLUMNS)
    assert rows["site_code"].tolist() == ["S2", "F1"]
    assert rows["state"].tolist() == ["overdue", "never"]
    assert rows["days_left"].tolist() == [-3, 13]
    assert rows["deadline"].dt.date.tolist() == [date(2026, 3, 15), date(2026, 3, 31)]
    assert rows.loc[0, "last_visit"].date() == date(2026, 3, 1)
    assert pd.isna(rows.loc[1, "last_visit"])
    # The same rules as the due list: the statuses agree row for row.
    due = due_list(session, ON, deputy_id=ids["D2"], visits_sql=TEMP_VISITS, due_soon_days=3)
    assert dict(zip(due["site_code"], due["status"], strict=True)) == dict(
        zip(rows["site_code"], rows["status"], strict=True)
    )

    # 李四 patrols F1 on the 16th: done this window, the next deadline the end of April.
    add_visits(session, ids, [("F1", date(2026, 3, 16), "D2")])
    rows = my_sites(session, deputy(ids, "D2"), ON, visits_sql=TEMP_VISITS, due_soon_days=3)
    assert rows["state"].tolist() == ["overdue", "done"]
    assert rows.loc[1, "last_visit"].date() == date(2026, 3, 16)

    mine = my_sites(session, deputy(ids, "D1"), ON, visits_sql=TEMP_VISITS, due_soon_days=3)
    assert mine["site_code"].tolist() == ["S1"]  # F1 was handed over on the 15th
    assert mine["state"].tolist() == ["due_soon"]


def test_the_order_is_overdue_due_soon_never_done(
    county: tuple[Session, dict[str, int]],
) -> None:
    session, ids = county
    # One deputy holds all three: S1 due soon, S2 overdue, F1 never patrolled by them.
    session.execute(text("UPDATE assignment SET deputy_id = :d"), {"d": ids["D1"]})
    rows = my_sites(session, deputy(ids, "D1"), ON, visits_sql=TEMP_VISITS, due_soon_days=3)
    assert rows["state"].tolist() == ["overdue", "due_soon", "never"]
    order = [STATES.index(s) for s in rows["state"]]
    assert order == sorted(order)


def test_a_deputy_without_current_sites_gets_an_empty_list(
    county: tuple[Session, dict[str, int]],
) -> None:
    session, ids = county
    session.execute(text("UPDATE assignment SET valid_to = '2026-03-16' WHERE valid_to IS NULL"))
    rows = my_sites(session, deputy(ids, "D1"), ON, visits_sql=TEMP_VISITS)
    assert rows.empty and list(rows.columns) == list(MY_SITES_COLUMNS)


def test_the_map_link_is_a_wgs84_geo_uri(county: tuple[Session, dict[str, int]]) -> None:
    session, ids = county
    rows = my_sites(session, deputy(ids, "D2"), ON, visits_sql=TEMP_VISITS).set_index("site_code")
    farm = rows.loc["F1"]  # POINT(117.55 28.95), stored in EPSG:4326
    assert (farm["lon"], farm["lat"]) == pytest.approx((117.55, 28.95))
    assert farm["geo_uri"].startswith("geo:28.950000,117.550000?q=28.950000,117.550000(")
    assert unquote(farm["geo_uri"]).endswith("(红星养殖场)")
    pond = rows.loc["S2"]  # a point on the pond itself, not its bounding box's centre
    assert 117.51 <= pond["lon"] <= 117.52 and 28.91 <= pond["lat"] <= 28.92
    match = re.fullmatch(r"geo:(-?[\d.]+),(-?[\d.]+)\?q=\1,\2\((.+)\)", pond["geo_uri"])
    assert match and float(match[1]) == pytest.approx(pond["lat"], abs=1e-6)
    # Brackets, spaces and commas in a name cannot break the URI.
    assert (
        geo_uri(117.5, 28.9, "塘 (东), 1")
        == "geo:28.900000,117.500000?q=28.900000,117.500000(%E5%A1%98%20%28%E4%B8%9C%29%2C%201)"
    )


def test_an_account_without_a_deputy_has_no_sites(county: tuple[Session, dict[str, int]]) -> None:
    session, _ = county
    with pytest.raises(PermissionDenied) as refused:
        my_sites(session, SignedIn(1, "d9", "deputy", None, "d9"), ON, visits_sql=TEMP_VISITS)
    assert refused.value.code == "no_deputy_linked"
    with pytest.raises(PermissionDenied):  # staff have no "my sites" even with a deputy id
        my_sites(session, SignedIn(2, "x", "analyst", 1, "x"), ON, visits_sql=TEMP_VISITS)


def test_the_demo_deputy_sees_exactly_their_current_sites(demo_engine: Engine) -> None:
    with Session(demo_engine) as session:
        row = session.execute(
            text(
                "SELECT id, username, role, deputy_id, username FROM app_user "
                "WHERE username = 'd0001'"
            )  # fmt: skip
        ).one()
        user = SignedIn(*row)
        on = date(2026, 11, 25)
        rows = my_sites(session, user, on)
        expected = set(
            session.scalars(
                text(
                    "SELECT site_id FROM assignment WHERE deputy_id = :d AND valid_from <= :on "
                    "AND (valid_to IS NULL OR valid_to > :on)"
                ),
                {"d": user.deputy_id, "on": on},
            )
        )
    assert len(rows) and set(rows["site_id"]) == expected
    assert set(rows["state"]) <= set(STATES)
    assert rows["lon"].between(117, 120).all() and rows["lat"].between(27, 31).all()
    assert rows["geo_uri"].str.match(r"geo:\d+\.\d{6},\d+\.\d{6}\?q=").all()


# ------------------------------------------------------------------ deputy codes in any case


def test_a_deputy_code_is_found_in_any_case(county: tuple[Session, dict[str, int]]) -> None:
    session, ids = county
    assert deputy_id_by_code(session, "d2") == ids["D2"]
    assert deputy_id_by_code(session, " D2 ") == ids["D2"]
    assert deputy_id_by_code(session, "d1") == ids["D1"]
    assert deputy_id_by_code(session, "d3") is None


def test_the_due_command_takes_a_lower_case_deputy_code(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cli.main import app
    from db import database

    with Session(engine) as session:
        build_county(session)
        session.commit()
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    database.get_engine.cache_clear()
    try:
        lower = CliRunner().invoke(app, ["due", "--deputy", "d2", "--date", "2026-03-18"])
        upper = CliRunner().invoke(app, ["due", "--deputy", "D2", "--date", "2026-03-18"])
        unknown = CliRunner().invoke(app, ["due", "--deputy", "d9", "--date", "2026-03-18"])
    finally:
        database.get_engine.cache_clear()
    assert lower.exit_code == 0, lower.output
    assert lower.output == upper.output
    assert "S2" in lower.output and "F1" in lower.output and "S1" not in lower.output
    assert unknown.exit_code != 0 and "no deputy with code 'd9'" in unknown.output


def test_assignments_import_with_lower_case_deputy_codes(
    county: tuple[Session, dict[str, int]],
) -> None:
    from geo.importers import import_assignments

    session, ids = county
    session.execute(
        text("UPDATE assignment SET valid_to = '2026-04-01' WHERE site_id = :s"), {"s": ids["S2"]}
    )
    frame = pd.DataFrame({"deputy_code": ["d1"], "site_code": ["S2"], "valid_from": ["2026-04-01"]})
    import_assignments(session, frame, "links.csv")
    holders = session.scalars(
        text("SELECT deputy_id FROM assignment WHERE site_id = :s AND valid_from = '2026-04-01'"),
        {"s": ids["S2"]},
    ).all()
    assert holders == [ids["D1"]]


# ------------------------------------------------------------------ the page


@pytest.fixture
def app_on_demo(demo_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", demo_url)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield demo_url
    st.cache_data.clear()
    st.cache_resource.clear()


def _deputy_user(url: str, username: str) -> SignedIn:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT id, username, role, deputy_id, COALESCE(display_name, username) "
                "FROM app_user WHERE username = :u"
            ),
            {"u": username},
        ).one()
    engine.dispose()
    return SignedIn(*row)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_shows_a_card_per_site_overdue_first(app_on_demo: str, lang: str) -> None:
    user = _deputy_user(app_on_demo, "d0001")
    at = AppTest.from_file(str(VIEWS / "my_sites.py"), default_timeout=120)
    at.session_state[ui_session.ENGLISH] = lang == "en"
    at.session_state[ui_session.USER] = user
    at.run()
    assert not at.exception, at.exception
    assert [e.value for e in at.title] == [{"zh": "我的点位", "en": "My sites"}[lang]]
    upload = {"zh": "上传巡查轨迹", "en": "Upload a patrol track"}[lang]
    assert at.markdown[0].value == upload  # the upload link (a label when run alone)
    links = at.get("link_button")
    engine = create_engine(app_on_demo, poolclass=NullPool)
    with Session(engine) as session:
        rows = my_sites(session, user, clock.today())
    engine.dispose()
    assert len(links) == len(rows) > 0
    assert [b.proto.url for b in links] == rows["geo_uri"].tolist()
    first_state = {"zh": "已逾期", "en": "Overdue"}[lang]
    states = [m.value for m in at.markdown if m.value.startswith("**")]
    assert len(states) == len(rows)
    if (rows["state"] == "overdue").any():
        assert states[0].startswith(f"**{first_state}**")


def test_the_page_says_when_the_account_has_no_deputy(app_on_demo: str) -> None:
    at = AppTest.from_file(str(VIEWS / "my_sites.py"), default_timeout=120)
    at.session_state[ui_session.USER] = SignedIn(999, "dx", "deputy", None, "dx")
    at.run()
    assert not at.exception
    assert len(at.error) == 1
