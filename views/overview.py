"""总览 / Overview: key figures and the county map, optionally for one township."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from core import settings
from core.errors import ShuijianError
from layers.basemap import has_basemap
from layers.overview import overview_map
from ui import cached, session
from ui.figures import show_figures
from ui.filters import city_view, township_filter
from ui.i18n import lang, t
from ui.page import OVERVIEW, guard, show_error

guard(OVERVIEW)

try:
    engine = session.engine()
    st.title(t("city_overview_heading") if city_view(engine) else t("overview_heading"))
    township_id = township_filter(st, engine, session.TOWNSHIP)
    figures = cached.key_figures(engine, township_id)
    layers = cached.map_layers(engine, township_id)
    registered = cached.registered_codes(engine)
except ShuijianError as error:
    show_error(error)
    st.stop()

show_figures(figures)

st.subheader(t("map_heading"))
key = settings.optional_text("tianditu_key")
if not has_basemap(key):
    st.caption(t("map_offline_note"))
st_folium(
    overview_map(layers, lang=lang(), tianditu_key=key, registered=registered),
    height=640,
    use_container_width=True,
    returned_objects=[],
    key=f"overview_map_{township_id}_{lang()}",
)
