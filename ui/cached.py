"""Cached reads for the pages. `_engine` is not hashed: the database URL and the county scope
(``db_key``) are the cache key."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import geopandas as gpd
import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from accounts.auth import SignedIn
from accounts.scope import confined_to, narrow
from db import scope
from db.database import session_scope
from duty.coverage_map import CoverageMap, coverage_map, today_coverage_map
from duty.register import registered_site_codes
from geo import overview
from reports import glance as glance_service
from tickets import queries as ticket_queries
from tracks import patrol_queries
from ui import session

TTL_SECONDS = 300


def db_key(engine: Engine) -> str:
    """The cache key of a read: the database and the county scope it runs in (db.scope), so
    one county's cached figures are never served to another county's users."""
    return f"{engine.url.render_as_string(hide_password=True)}|{scope.current()}"


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _county_options(_engine: Engine, db: str) -> list[tuple[int, str]]:
    with scope.within(scope.ALL):
        return overview.county_options(_engine)


def county_options(engine: Engine) -> list[tuple[int, str]]:
    """The city's counties (id, name), for a city account's picker."""
    return _county_options(engine, db_key(engine))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _township_options(_engine: Engine, db: str) -> list[tuple[int, str]]:
    return overview.township_options(_engine)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _key_figures(_engine: Engine, db: str, township_id: int | None) -> overview.KeyFigures:
    return overview.key_figures(_engine, township_id)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _map_layers(_engine: Engine, db: str, township_id: int | None) -> overview.MapLayers:
    return overview.map_layers(_engine, township_id)


def township_options(engine: Engine) -> list[tuple[int, str]]:
    return _township_options(engine, db_key(engine))


def key_figures(engine: Engine, township_id: int | None) -> overview.KeyFigures:
    return _key_figures(engine, db_key(engine), township_id)


def map_layers(
    engine: Engine,
    township_id: int | None,
    user: SignedIn | None = None,
    *,
    everyone: bool = False,
) -> overview.MapLayers:
    """County outline, township outlines, cells and sites for a map (of one township if given).

    A township account — ``user``, else whoever is signed in — gets its own township only:
    its outline and name, never another's (``accounts.scope``), so a page cannot forget it.
    ``everyone``: an open page's map, the same for anyone who opens it (有奖举报)."""
    viewer = None if everyone else (user if user is not None else session.current_user())
    own = confined_to(viewer)
    if own is None:
        return _map_layers(engine, db_key(engine), township_id)
    township_id = narrow(viewer, township_id, "map")
    layers = _map_layers(engine, db_key(engine), township_id)
    towns = layers.townships
    return replace(layers, townships=towns[towns["id"] == own].reset_index(drop=True))


# Patrol data changes with every upload, so it is cached briefly.
PATROL_TTL_SECONDS = 60


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _deputy_options(_engine: Engine, db: str, township_id: int | None) -> list[tuple[int, str]]:
    with session_scope(_engine) as s:
        return patrol_queries.deputy_options(s, township_id)


def deputy_options(engine: Engine, township_id: int | None = None) -> list[tuple[int, str]]:
    """(id, "code name") of every deputy, or of one township's."""
    return _deputy_options(engine, db_key(engine), township_id)


@st.cache_data(ttl=PATROL_TTL_SECONDS, show_spinner=False)
def _coverage_map(
    _engine: Engine,
    db: str,
    year: int,
    month: int,
    level: int,
    township_id: int | None,
    role: str | None,
    _viewer: SignedIn | None = None,
) -> CoverageMap:
    with session_scope(_engine) as s:
        return coverage_map(s, year, month, level, township_id, viewer=_viewer)


def coverage(
    engine: Engine,
    year: int,
    month: int,
    level: int,
    township_id: int | None,
    user: SignedIn | None = None,
) -> CoverageMap:
    """The coverage page's data for a month, level and township (codes and counts: one
    cache entry serves both languages). The township is narrowed for ``user`` before the
    cache is asked (its key), and the service narrows it again (its own guard); so it is
    below for the glance. The role is part of the key too: it decides whether grid heads'
    phones come along, so a leader's entry never holds them."""
    township_id = narrow(user, township_id)
    role = user.role if user is not None else None
    return _coverage_map(engine, db_key(engine), year, month, level, township_id, role, user)


# Problem categories and platforms are configuration: they change rarely.
@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _category_options(_engine: Engine, db: str) -> list[tuple[str, str, str]]:
    with session_scope(_engine) as s:
        return ticket_queries.category_options(s)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _platform_options(_engine: Engine, db: str) -> list[tuple[str, str, str, bool]]:
    with session_scope(_engine) as s:
        return ticket_queries.platform_options(s)


def category_options(engine: Engine) -> list[tuple[str, str, str]]:
    """(code, Chinese name, English name) of the active problem categories."""
    return _category_options(engine, db_key(engine))


def platform_options(engine: Engine) -> list[tuple[str, str, str, bool]]:
    """(code, Chinese name, English name, has an API) of the four platforms."""
    return _platform_options(engine, db_key(engine))


# The leader's glance: keyed by the day (a new day is a new entry) and cached like patrols.
@st.cache_data(ttl=PATROL_TTL_SECONDS, show_spinner=False)
def _glance(
    _engine: Engine, db: str, on: date, township_id: int | None, _viewer: SignedIn | None = None
) -> glance_service.Glance:
    with session_scope(_engine) as s:
        return glance_service.glance(s, on, township_id, viewer=_viewer)


@st.cache_data(ttl=PATROL_TTL_SECONDS, show_spinner=False)
def _glance_trend(
    _engine: Engine, db: str, on: date, township_id: int | None, _viewer: SignedIn | None = None
) -> pd.DataFrame:
    with session_scope(_engine) as s:
        return glance_service.monthly_trend(s, on, township_id, viewer=_viewer)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _township_standing(_engine: Engine, db: str, on: date) -> glance_service.Ranking:
    with session_scope(_engine) as s:
        return glance_service.township_standing(s, on)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def _site_shapes(
    _engine: Engine, db: str, township_id: int | None, _viewer: SignedIn | None = None
) -> gpd.GeoDataFrame:
    with session_scope(_engine) as s:
        return glance_service.site_shapes(s, township_id, viewer=_viewer)


@st.cache_data(ttl=PATROL_TTL_SECONDS, show_spinner=False)
def _coverage_today(
    _engine: Engine,
    db: str,
    on: date,
    level: int,
    township_id: int | None,
    role: str | None,
    _viewer: SignedIn | None = None,
) -> CoverageMap:
    with session_scope(_engine) as s:
        return today_coverage_map(s, level, township_id, as_of=on, viewer=_viewer)


def glance(
    engine: Engine, on: date, township_id: int | None, user: SignedIn | None = None
) -> glance_service.Glance:
    """Today's figures of the landing page (numbers and codes: both languages share it)."""
    township_id = narrow(user, township_id)
    return _glance(engine, db_key(engine), on, township_id, user)


def glance_trend(
    engine: Engine, on: date, township_id: int | None, user: SignedIn | None = None
) -> pd.DataFrame:
    """On-time share and 处置率 per month, the 12 months ending with ``on``'s."""
    township_id = narrow(user, township_id)
    return _glance_trend(engine, db_key(engine), on, township_id, user)


def township_standing(engine: Engine, on: date) -> glance_service.Ranking:
    """The bulletin's township ranking of the month before ``on``'s."""
    return _township_standing(engine, db_key(engine), on)


def today_sites(
    engine: Engine, on: date, township_id: int | None, user: SignedIn | None = None
) -> gpd.GeoDataFrame:
    """Every site with its geometry and state on ``on``, for the glance map: the shapes
    (cached longer) joined to the glance's own site states, so both read one due list."""
    township_id = narrow(user, township_id)
    shapes = _site_shapes(engine, db_key(engine), township_id, user)
    return glance_service.map_sites(shapes, glance(engine, on, township_id, user).sites_today)


def coverage_today(
    engine: Engine, on: date, level: int, township_id: int | None, user: SignedIn | None = None
) -> CoverageMap:
    """The coverage page "as of today": current windows, overdue sites as gaps (keyed by
    township and role like ``coverage``)."""
    township_id = narrow(user, township_id)
    role = user.role if user is not None else None
    return _coverage_today(engine, db_key(engine), on, level, township_id, role, user)


@st.cache_data(ttl=PATROL_TTL_SECONDS, show_spinner=False)
def _registered_codes(_engine: Engine, db: str) -> frozenset[str]:
    with session_scope(_engine) as s:
        return frozenset(registered_site_codes(s))


def registered_codes(engine: Engine) -> frozenset[str]:
    """Codes of the sites registered now (挂号): the maps ring them. Kept as briefly as patrol
    data, since the daily scan and every sync may change them."""
    return _registered_codes(engine, db_key(engine))
