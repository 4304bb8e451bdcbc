"""Filters that several pages share: one township select, one deputy select, and widgets
set from a link's query parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st
from sqlalchemy import Engine

from accounts.auth import SignedIn
from accounts.scope import confined_to, narrow
from db import scope
from ui import cached
from ui.i18n import t


def township_filter(
    where: Any,
    engine: Engine,
    key: str,
    options: dict[int, str] | None = None,
    user: SignedIn | None = None,
) -> int | None:
    """全县 (None) or one township's id; `where` is st, a column or the sidebar. A township
    account is offered its own township only (and ``accounts.scope.narrow`` refuses any
    other a stale session or a link put in the widget)."""
    towns = options if options is not None else dict(cached.township_options(engine))
    own = confined_to(user)
    if own is not None:
        towns = {own: towns.get(own, str(own))}
        if st.session_state.get(key) != own:
            st.session_state[key] = own
        chosen = where.selectbox(
            t("township"), [own], key=key, format_func=towns.get, disabled=True
        )
        return narrow(user, chosen)
    whole = t("city_whole") if city_view(engine) else t("all_townships")
    return where.selectbox(
        t("township"),
        [None, *towns],
        key=key,
        format_func=lambda i: whole if i is None else towns[i],
    )


def city_view(engine: Engine) -> bool:
    """Whether this run sees a city of counties (a city account on 全市, the open pages of a
    city), where "the whole" is the city's, not a county's."""
    return scope.current() == scope.ALL and len(cached.county_options(engine)) > 1


def deputy_filter(
    where: Any, engine: Engine, key: str, township_id: int | None = None
) -> int | None:
    """All deputies (None) or one deputy's id; of one township when ``township_id`` is given
    (a township account's filter never lists another township's deputies)."""
    deputies = dict(cached.deputy_options(engine, township_id))
    return where.selectbox(
        t("col_deputy"),
        [None, *deputies],
        key=key,
        format_func=lambda i: t("all_deputies") if i is None else deputies[i],
    )


def seed_from_link(choices: Mapping[str, tuple[str, Mapping[str, Any]]]) -> None:
    """Set widgets from the URL's query parameters, then drop those parameters, so a link from
    another page (今日概况's "overdue sites" → the due list) opens on what it names every time
    it is followed, and the user's later choices stick until the next link. ``choices``:
    parameter → (widget key, {text in the URL: the widget's value}); a value the page does
    not offer is ignored."""
    params = st.query_params
    for name, (key, values) in choices.items():
        given = params.get(name)
        if given is None:
            continue
        if given in values:
            st.session_state[key] = values[given]
        del params[name]
