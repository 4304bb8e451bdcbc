"""我的点位 / My sites: a deputy's landing page, made for a phone (390 px wide).

One large button to upload a patrol track, then a card per assigned site, overdue first: its
state, deadline, days left, last visit and a button that opens it in the phone's map app
(``geo:`` URI). The data comes from ``duty.my_sites.my_sites``; the page only lays it out.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import streamlit as st

from core import clock
from core.errors import ShuijianError
from db.database import session_scope
from duty.my_sites import STATES, my_sites
from ui import session
from ui.i18n import day, label, t
from ui.page import MY_SITES, UPLOAD, guard, page_link, show_error

# Colours of a card's edge and background, by state (the due page's palette, stronger edges).
STATE_COLOURS = {
    "overdue": ("#d73027", "#fdecea"),
    "due_soon": ("#e08214", "#fff5e0"),
    "never": ("#5e3c99", "#f3effa"),
    "done": ("#1a9850", "#edf7ee"),
}
UPLOAD_KEY = "my_sites_upload"
CARD_KEY = "my_site"


def _css() -> str:
    """Styles scoped to this page's own keyed containers: the upload button large and full
    width, each card's edge and background by its state, nothing wider than the screen."""
    upload = f".st-key-{UPLOAD_KEY}"
    rules = [
        f'{upload} [data-testid="stElementContainer"], {upload} [data-testid="stPageLink"]'
        " {width: 100% !important; max-width: 100%}",
        f"{upload} a {{display: flex; justify-content: center; align-items: center;"
        " width: 100%; max-width: 100%; box-sizing: border-box; min-height: 3.5rem;"
        " padding: .75rem 1rem; border-radius: .75rem; background: #1c64b4;"
        " text-decoration: none}",
        f"{upload} a:hover {{background: #174f8f}}",
        f"{upload} a span, {upload} a p {{color: #fff !important; font-size: 1.25rem;"
        " font-weight: 600; white-space: normal; text-align: center}",
    ]
    for state, (edge, fill) in STATE_COLOURS.items():
        rules.append(
            f'[class*="st-key-{CARD_KEY}_{state}_"] {{border-left: 6px solid {edge} !important;'
            f" background: {fill}; overflow-wrap: anywhere}}"
        )
    return "<style>" + "\n".join(rules) + "</style>"


def _plain(text: object) -> str:
    """A name from the database shown as itself, not as Markdown."""
    return re.sub(r"([\\`*_{}\[\]<>()#+\-.!|~])", r"\\\1", str(text))


def _days(days_left: int) -> str:
    if days_left < 0:
        return t("my_sites_day_over") if days_left == -1 else t("my_sites_days_over", n=-days_left)
    if days_left == 0:
        return t("my_sites_due_today")
    return t("my_sites_day_left") if days_left == 1 else t("my_sites_days_left", n=days_left)


def _card(row: Any) -> None:
    with st.container(border=True, key=f"{CARD_KEY}_{row.state}_{int(row.site_id)}"):
        st.markdown(f"**{t('my_sites_state_' + row.state)}** · **{_plain(row.site_name)}**")
        where = [label("site_kind", row.kind), label("site_class", int(row.site_class))]
        if isinstance(row.township, str) and row.township:
            where.append(row.township)
        st.caption(" · ".join(where))
        last = (
            t("my_sites_last_visit", day=day(row.last_visit))
            if pd.notna(row.last_visit)
            else t("my_sites_no_visit")
        )
        st.markdown(
            f"{t('my_sites_deadline', day=day(row.deadline))} · "
            f"**{_days(int(row.days_left))}**  \n{last}"
        )
        st.link_button(t("my_sites_open_map"), row.geo_uri, width="stretch")


user = guard(MY_SITES)
st.html(_css())
st.title(t("my_sites_heading"))
with st.container(key=UPLOAD_KEY):
    page_link(UPLOAD, t("my_sites_upload"))

try:
    with session_scope(session.engine()) as s:
        frame = my_sites(s, user, clock.today())
except ShuijianError as error:
    show_error(error)
    st.stop()

if frame.empty:
    st.info(t("my_sites_empty"))
    st.stop()
counts = frame["state"].value_counts()
st.caption(t("my_sites_summary", n=len(frame), **{k: int(counts.get(k, 0)) for k in STATES[:2]}))
for row in frame.itertuples(index=False):
    _card(row)
st.caption(t("my_sites_map_hint"))
