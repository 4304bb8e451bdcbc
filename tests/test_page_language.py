"""Chinese everywhere in the Chinese pages, English everywhere in the English ones.

Every page is rendered (AppTest) for a role that may open it, on a demo county with a month
of patrols and tickets, in zh and in en; every text it shows — titles, captions, metrics,
messages, buttons, pickers and their options, table headers and cells — is checked for words
of the other language. What may stand in either: codes (S0001, D0001, ticket numbers), numbers,
dates, units, file formats, and the county's own names (townships, sites, deputies, what
people wrote), read from the database.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from accounts.auth import SignedIn
from data.demo_tickets import add_demo_tickets
from data.demo_tracks import add_demo_patrols
from ui import session

ROOT = Path(__file__).resolve().parent.parent
VIEWS = ROOT / "views"
TIMEOUT = 120
UNTIL = date(2026, 11, 25)

CJK = re.compile(r"[\u3400-\u9fff]+")
WORD = re.compile(r"[A-Za-z][A-Za-z'’]{2,}")
# Words that are the same in both languages: formats, units, standards, products.
EITHER = {
    "GPX", "PDF", "Word", "Excel", "docx", "xlsx", "pdf", "gpx", "csv", "CSV", "JPEG", "PNG",
    "jpg", "png", "EXIF", "GPS", "API", "WGS", "GCJ", "UTF", "XML", "DOCTYPE", "ENTITY",
    "English", "Shuijian", "DingTalk", "SMS", "OpenStreetMap", "Leaflet", "km", "MB",
    "Tianditu", "GeoJSON", "Open", "GeoReport", "min", "OGC",
}  # fmt: skip


def _strings(at: AppTest) -> list[str]:
    """Every text the page put on screen."""
    out: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "error",
                 "warning", "info", "success", "exception"):  # fmt: skip
        out += [str(e.value) for e in getattr(at, kind)]
    for metric in at.metric:
        out += [str(metric.label), str(metric.value)]
    for block in at.get("html"):  # labelled facts (ui.figures.show_facts): words, not markup
        out.append(re.sub(r"<style>.*?</style>|<[^>]+>", " ", block.proto.body, flags=re.S))
    for widget in (*at.button, *at.text_input, *at.date_input, *at.toggle, *at.checkbox,
                   *at.text_area, *at.number_input):  # fmt: skip
        out.append(str(widget.label))
    for pills in at.get("button_group"):  # st.pills, st.segmented_control
        out.append(str(pills.proto.label))
        out += [str(o.content) for o in pills.proto.options]
    for picker in (*at.selectbox, *at.radio, *at.multiselect):
        out.append(str(picker.label))
        out += [str(o) for o in picker.options]
    for frame in at.dataframe:
        value = frame.value
        value = getattr(value, "data", value)  # a Styler holds its frame as .data
        out += [str(c) for c in value.columns]
        out += [str(v) for v in value.astype(str).to_numpy().ravel()]
    for tab in at.tabs:
        out.append(str(tab.label))
    for expander in at.expander:
        out.append(str(expander.label))
    return out


@pytest.fixture(scope="module")
def county(demo_url: str, server_url: str) -> Iterator[tuple[str, set[str]]]:
    """A demo county with a month of patrols and tickets (its own database), and its names."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    name = f"page_language_{os.getpid()}"  # two runs at once must not share it
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    source = demo_url.rsplit("/", 1)[1]
    with admin.connect() as conn:
        # A page test before this module may keep a cached engine on the demo database,
        # which PostgreSQL refuses to copy while anyone is connected.
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :d AND pid <> pg_backend_pid()"
            ),
            {"d": source},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
    url = server_url.rsplit("/", 1)[0] + f"/{name}"
    engine = create_engine(url, poolclass=NullPool)
    add_demo_patrols(engine, 2026, UNTIL, months=1, limit=20)
    add_demo_tickets(engine, 2026, date(2026, 11, 1), UNTIL)
    from data.demo_supervision import add_demo_supervision

    add_demo_supervision(engine, 2026, date(2026, 11, 1), UNTIL)
    from data.demo_water import add_demo_water

    add_demo_water(engine, 2026, UNTIL)
    names: set[str] = set()
    with engine.connect() as conn:
        for sql in (
            "SELECT name FROM township", "SELECT name FROM site", "SELECT name FROM deputy",
            "SELECT description FROM ticket", "SELECT comment FROM ticket_event",
            "SELECT display_name FROM app_user", "SELECT name FROM county",
            "SELECT filename FROM ticket_attachment", "SELECT filename FROM gpx_upload",
            "SELECT name FROM supervision_group", "SELECT name FROM supervision_member",
            "SELECT title FROM supervision_member", "SELECT place FROM supervision_visit",
            "SELECT text FROM supervision_finding", "SELECT name FROM volunteer_team",
            "SELECT name FROM volunteer_member", "SELECT name FROM water_section",
        ):  # fmt: skip
            names |= {str(v) for v in conn.scalars(text(sql)) if v}
    from core import settings

    names.add(settings.text("city_name"))  # the city's own name, in either language
    engine.dispose()
    yield url, names
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _user(url: str, username: str) -> SignedIn:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT id, username, role, deputy_id, COALESCE(display_name, username) "
                "FROM app_user WHERE username = :u"
            ),
            {"u": username},
        ).one()
        number = conn.scalar(text("SELECT number FROM ticket ORDER BY id LIMIT 1"))
    engine.dispose()
    user = SignedIn(*row)
    user.__dict__["_ticket"] = number  # frozen dataclass: keep the ticket for the ticket page
    return user


PAGES = [
    ("supervision", "leader"),
    ("volunteers", "analyst"),
    ("glance", "leader"),
    ("overview", "leader"),
    ("account", "d0001"),
    ("my_sites", "d0001"),
    ("coverage", "leader"),
    ("due", "analyst"),
    ("due", "d0001"),
    ("evaluation", "analyst"),
    ("issues_map", "leader"),
    ("patrols", "analyst"),
    ("public", None),
    ("report", "d0001"),
    ("ticket", "analyst"),
    ("upload", "d0001"),
    ("worklist", "analyst"),
    ("worklist", "d0001"),
    ("register", "leader"),
    ("warnings", "analyst"),
    ("city_ranking", "admin"),
    ("city_ranking_public", None),
    ("water_quality", "analyst"),
]


def _stray(strings: list[str], lang: str, names: set[str]) -> list[str]:
    """The words of the other language in what the page shows."""
    found = []
    for shown in strings:
        rest = shown
        for name in sorted(names, key=len, reverse=True):
            if name and name in rest:
                rest = rest.replace(name, " ")
        if lang == "en":
            found += [f"{m!r} in {shown[:80]!r}" for m in CJK.findall(rest)]
        else:
            found += [
                f"{m!r} in {shown[:80]!r}"
                for m in WORD.findall(rest)
                if m not in EITHER and not re.fullmatch(r"[SDTF]\d+", m)
            ]
    return found


@pytest.fixture
def app_database(county: tuple[str, set[str]], monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url, _ = county
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    st.cache_resource.clear()
    st.cache_data.clear()
    yield url
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(("page", "username"), PAGES)
def test_a_page_speaks_one_language(
    app_database: str, county: tuple[str, set[str]], page: str, username: str | None, lang: str
) -> None:
    _, names = county
    at = AppTest.from_file(str(VIEWS / f"{page}.py"), default_timeout=TIMEOUT)
    at.session_state[session.ENGLISH] = lang == "en"
    if username is not None:
        user = _user(app_database, username)
        at.session_state[session.USER] = user
        if page == "ticket":
            at.query_params["number"] = user.__dict__["_ticket"]
    at.run()
    assert not at.exception, at.exception
    stray = _stray(_strings(at), lang, names)
    assert not stray, f"{page} ({lang}): " + "; ".join(sorted(set(stray))[:15])
