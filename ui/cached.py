"""Cached reads for the pages. `_engine` is not hashed, so the database URL is the cache key."""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from geo import overview

TTL_SECONDS = 300


def _db_key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


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
    return _township_options(engine, _db_key(engine))


def key_figures(engine: Engine, township_id: int | None) -> overview.KeyFigures:
    return _key_figures(engine, _db_key(engine), township_id)


def map_layers(engine: Engine, township_id: int | None) -> overview.MapLayers:
    return _map_layers(engine, _db_key(engine), township_id)
