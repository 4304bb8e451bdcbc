"""Renders the overview's key figures as rows of metrics."""

from __future__ import annotations

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
