"""Filters that several pages share: one township select, one deputy select, and widgets
set from a link's query parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st
from sqlalchemy import Engine

from ui import cached
from ui.i18n import t


def township_filter(
    where: Any, engine: Engine, key: str, options: dict[int, str] | None = None
) -> int | None:
    """全县 (None) or one township's id; `where` is st, a column or the sidebar."""
    towns = options if options is not None else dict(cached.township_options(engine))
    return where.selectbox(
        t("township"),
        [None, *towns],
        key=key,
        format_func=lambda i: t("all_townships") if i is None else towns[i],
    )


def deputy_filter(where: Any, engine: Engine, key: str) -> int | None:
    """All deputies (None) or one deputy's id."""
    deputies = dict(cached.deputy_options(engine))
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
