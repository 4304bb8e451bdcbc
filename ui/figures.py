"""Renders key figures as rows of metrics, and a record's facts as labelled values."""

from __future__ import annotations

from html import escape

import streamlit as st

from core.vocab import GRID_LEVELS, SITE_CLASSES, SITE_KINDS
from geo.overview import KeyFigures
from ui.i18n import label, percent, t


def show_figures(figures: KeyFigures) -> None:
    """Townships, cells per level, deputies and share assigned; then sites by kind and class."""
    head = st.columns(6)
    head[0].metric(t("townships"), figures.townships)
    for col, level in zip(head[1:4], GRID_LEVELS, strict=True):
        col.metric(label("grid_level", level), figures.cells.get(level, 0))
    head[4].metric(t("deputies"), figures.deputies)
    head[5].metric(
        t("share_assigned"),
        percent(figures.share_assigned),
        help=f"{figures.assigned_sites} / {figures.sites}",
    )
    st.caption(t("kinds_heading"))
    kinds = st.columns(len(SITE_KINDS) + 1)
    kinds[0].metric(t("sites_total"), figures.sites)
    for col, kind in zip(kinds[1:], SITE_KINDS, strict=True):
        col.metric(label("site_kind", kind), figures.sites_by_kind.get(kind, 0))
    st.caption(t("classes_heading"))
    classes = st.columns(len(SITE_CLASSES))
    for col, site_class in zip(classes, SITE_CLASSES, strict=True):
        col.metric(label("site_class", site_class), figures.sites_by_class.get(site_class, 0))


def show_facts(facts: list[tuple[str, object]]) -> None:
    """Label and value pairs that wrap instead of being cut: ``st.metric`` ends a long value
    (a ticket number, 「定阳街道·西…」) with "…", which hides what a record is. The grid
    reflows from four columns at desktop width to one on a phone."""
    cells = "".join(
        f'<div class="shuijian-fact"><div class="shuijian-fact-label">{escape(label_)}</div>'
        f'<div class="shuijian-fact-value">{escape(str(value))}</div></div>'
        for label_, value in facts
    )
    st.html(
        "<style>.shuijian-facts{display:grid;gap:.75rem 1.5rem;"
        "grid-template-columns:repeat(auto-fill,minmax(11rem,1fr));margin:.25rem 0 1rem}"
        ".shuijian-fact-label{font-size:.875rem;opacity:.7}"
        ".shuijian-fact-value{font-size:1.25rem;overflow-wrap:anywhere}</style>"
        f'<div class="shuijian-facts">{cells}</div>'
    )
