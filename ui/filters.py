"""Filters that several pages share: one township select, one deputy select."""

from __future__ import annotations

from typing import Any

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
