"""交接断面水质 / Cross-section water quality: a month's result per section (townships, every
parameter, class, target, attained), the sections on a map coloured by class, one section's
trend, the 约谈 list, and — for analysts and admins — the import of sections and results with
every refused row named. Township staff see the sections at their township's edges and their
own township's runs (``water.quality`` narrows with ``accounts.scope``)."""

from __future__ import annotations

import json
from decimal import Decimal

import altair as alt
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

import i18n
from accounts.permissions import may
from core import settings
from core.errors import ShuijianError
from db.database import session_scope
from geo.readers import read_table
from layers.water import water_map
from ui import cached, session
from ui.filters import township_filter
from ui.i18n import day, label, lang, month, percent, t
from ui.page import WATER_QUALITY, guard, show_error
from ui.refusals import show_refusal
from water import quality, samples, sections
from water.standard import PARAMETERS, WORSE_THAN_V, standard
from water.table import WaterImportRefused

TOWNSHIP_KEY = "shuijian_water_township"
MONTH_KEY = "shuijian_water_month"
SECTION_KEY = "shuijian_water_section"
PARAMETER_KEY = "shuijian_water_parameter"
UNITS = {p: "mg/L" for p in PARAMETERS if p != "ph"}


def _value(value: object) -> str:
    """A measured value as written (0.150 → 0.15), "—" when there is none."""
    if value is None or (isinstance(value, float) and value != value):
        return i18n.NONE
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return format(number.normalize(), "f")


def _parameter_title(parameter: str) -> str:
    name = label("water_param", parameter)
    unit = UNITS.get(parameter)
    return t("water_param_unit", name=name, unit=unit) if unit else name


def _yes_no(attained: bool) -> str:
    return t("water_attained_yes" if attained else "water_attained_no")


def _table(frame: pd.DataFrame) -> pd.DataFrame:
    """The month's results in the page's language: section, townships, parameters, class,
    target, attained, the items above target."""
    out = pd.DataFrame(
        {
            t("water_col.code"): frame["code"],
            t("water_col.name"): frame["name"],
            t("water_col.upstream"): frame["upstream"].fillna(t("water_no_upstream")),
            t("water_col.downstream"): frame["downstream"],
            t("water_col.sampled_on"): [day(v) for v in frame["sampled_on"]],
        }
    )
    for parameter in PARAMETERS:
        out[_parameter_title(parameter)] = [_value(v) for v in frame[parameter]]
    out[t("water_col.water_class")] = [label("water_class", c) for c in frame["water_class"]]
    out[t("water_col.target_class")] = [label("water_class", c) for c in frame["target_class"]]
    out[t("water_col.attained")] = [_yes_no(a) for a in frame["attained"]]
    out[t("water_col.exceeding")] = [
        "、".join(label("water_param", p) for p in e) or i18n.NONE for e in frame["exceeding"]
    ]
    return out


def _summons_table(runs: list[quality.Run]) -> pd.DataFrame:
    frame = quality.summons_frame(runs)
    return pd.DataFrame(
        {
            t("water_summons_col.township"): frame["township"],
            t("water_summons_col.first_month"): [month(m) for m in frame["first_month"]],
            t("water_summons_col.last_month"): [month(m) for m in frame["last_month"]],
            t("water_summons_col.misses"): frame["misses"],
            t("water_summons_col.sections"): frame["sections"],
            t("water_summons_col.ongoing"): [
                t("water_summons_ongoing" if o else "water_summons_ended") for o in frame["ongoing"]
            ],
        }
    )


def _class_axis() -> alt.Axis:
    """Classes 1–6 labelled Ⅰ类 … 劣Ⅴ类, the better up."""
    names = json.dumps(["", *(label("water_class", c) for c in range(1, WORSE_THAN_V + 1))])
    return alt.Axis(
        values=list(range(1, WORSE_THAN_V + 1)),
        labelExpr=f"{names}[datum.value]",
        labelOverlap=False,  # every class named, not every other one
    )


def trend(frame: pd.DataFrame, parameter: str) -> None:
    """The section's class over the months, its target dashed; then one parameter's values
    with the target class's limit dashed (when the parameter classes this water body)."""
    months = [month(m) for m in frame["month"]]
    target = int(frame["target_class"].iloc[0])
    waterbody = str(frame["waterbody"].iloc[0])
    month_title = t("water_trend_month")
    x = alt.X("label:O", title=month_title, sort=None, axis=alt.Axis(labelAngle=0))
    classes = pd.DataFrame({"label": months, "water_class": frame["water_class"].astype(int)})
    classes["name"] = [label("water_class", c) for c in classes["water_class"]]
    line = (
        alt.Chart(classes)
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y(
                "water_class:Q",
                title=t("water_trend_class"),
                scale=alt.Scale(domain=[WORSE_THAN_V, 1]),
                axis=_class_axis(),
            ),
            tooltip=[alt.Tooltip("label:O", title=month_title), alt.Tooltip("name:N", title="")],
        )
    )
    goal = alt.Chart(pd.DataFrame({"y": [target]})).mark_rule(strokeDash=[6, 4]).encode(y="y:Q")
    st.altair_chart((line + goal).properties(height=220), width="stretch")
    values = pd.DataFrame(
        {
            "label": months,
            "value": [None if v is None else float(v) for v in frame[parameter]],
        }
    ).dropna()
    title = _parameter_title(parameter)
    chart = (
        alt.Chart(values)
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y("value:Q", title=title),
            tooltip=[
                alt.Tooltip("label:O", title=month_title),
                alt.Tooltip("value:Q", title=title),
            ],
        )
    )
    limit = standard()[parameter]
    if limit.direction != "range" and limit.applies_to(waterbody):
        bound = float(limit.limits_for(waterbody)[target - 1])
        rule = alt.Chart(pd.DataFrame({"y": [bound]})).mark_rule(strokeDash=[6, 4])
        chart = chart + rule.encode(y="y:Q")
        st.altair_chart(chart.properties(height=220), width="stretch")
        st.caption(t("water_trend_limit", target=label("water_class", target)))
    else:
        st.altair_chart(chart.properties(height=220), width="stretch")


def import_form(user) -> None:
    """Sections, then monthly results, each refused whole with every bad row named."""
    st.subheader(t("water_import_heading"))
    st.caption(t("water_import_note"))
    left, right = st.columns(2)
    with left.form("water_import_sections"):
        upload = st.file_uploader(t("water_import_sections"), type=["csv", "xlsx"])
        if st.form_submit_button(t("water_import_button")):
            _import(upload, lambda s, f, name: sections.import_sections(s, user, f, name))
    with right.form("water_import_samples"):
        upload = st.file_uploader(t("water_import_samples"), type=["csv", "xlsx"])
        replace = st.checkbox(t("water_import_replace"))
        if st.form_submit_button(t("water_import_button")):
            _import(
                upload,
                lambda s, f, name: samples.import_samples(s, user, f, name, replace=replace),
            )


def _import(upload, call) -> None:
    if upload is None:
        st.warning(t("water_import_no_file"))
        return
    try:
        frame = read_table(upload.getvalue(), upload.name)
        with session_scope(engine) as s:
            result = call(s, frame, upload.name)
    except WaterImportRefused as error:
        show_refusal(error)
        return
    except ShuijianError as error:
        show_error(error)
        return
    if isinstance(result, sections.SectionImport):
        st.success(
            t(
                "water_import_sections_done",
                added=result.added,
                changed=result.changed,
                unchanged=result.unchanged,
            )
        )
    else:
        st.success(t("water_import_samples_done", stored=result.stored, replaced=result.replaced))


user = guard(WATER_QUALITY)
st.title(t("water_heading"))
st.caption(t("water_intro", n=quality.SUMMONS_AFTER))
engine = session.engine()
towns = dict(cached.township_options(engine))
cols = st.columns(2)
township_id = township_filter(cols[1], engine, TOWNSHIP_KEY, towns, user)
try:
    with session_scope(engine) as s:
        months = quality.months_for(s, user, township_id)
        shown = quality.sections_for(s, user, township_id)
        runs = quality.summons_for(s, user, township_id)
except ShuijianError as error:
    show_error(error)
    st.stop()

if not months:
    st.info(t("water_no_samples") if len(shown) else t("water_no_sections"))
    chosen = None
else:
    chosen = cols[0].selectbox(t("water_month"), months, key=MONTH_KEY, format_func=month)
if chosen is not None:
    try:
        with session_scope(engine) as s:
            results = quality.monthly_results(s, user, chosen, township_id)
    except ShuijianError as error:
        show_error(error)
        st.stop()
    attained = int(results["attained"].sum()) if len(results) else 0
    metrics = st.columns(4)
    metrics[0].metric(t("water_metric_sampled"), len(results))
    metrics[1].metric(t("water_metric_attained"), attained)
    metrics[2].metric(
        t("water_metric_share"), percent(attained / len(results), 1) if len(results) else i18n.NONE
    )
    metrics[3].metric(t("water_metric_summons"), len(runs))

    st.subheader(t("water_table_heading", month=month(chosen)))
    if results.empty:
        st.info(t("water_table_empty"))
    else:
        st.dataframe(_table(results), hide_index=True, width="stretch")
        st.caption(t("water_tn_note"))

    st.subheader(t("water_map_heading"))
    shapes = cached.map_layers(engine, township_id, user)
    st_folium(
        water_map(
            quality.map_frame(shown, results),
            t("water_map_legend", month=month(chosen)),
            county=shapes.county,
            townships=shapes.townships,
            lang=lang(),
            tianditu_key=settings.optional_text("tianditu_key"),
            bounds=shapes.bounds,
        ),
        height=460,
        width="stretch",
        returned_objects=[],
        key=f"water_map_{chosen}_{township_id}_{lang()}",
    )

    st.subheader(t("water_trend_heading"))
    names = {
        int(i): f"{code} {name}"
        for i, code, name in zip(shown["id"], shown["code"], shown["name"], strict=True)
    }
    pick = st.columns(2)
    section_id = pick[0].selectbox(
        t("water_trend_section"), list(names), key=SECTION_KEY, format_func=names.get
    )
    parameter = pick[1].selectbox(
        t("water_trend_parameter"),
        list(PARAMETERS),
        key=PARAMETER_KEY,
        format_func=lambda p: label("water_param", p),
    )
    if section_id is not None:
        try:
            with session_scope(engine) as s:
                history = quality.section_trend(s, user, section_id)
        except ShuijianError as error:
            show_error(error)
            st.stop()
        if history.empty:
            st.info(t("water_trend_empty"))
        else:
            trend(history, parameter)

st.subheader(t("water_summons_heading"))
st.caption(t("water_summons_rule", n=quality.SUMMONS_AFTER))
if runs:
    st.dataframe(_summons_table(runs), hide_index=True, width="stretch")
else:
    st.info(t("water_summons_empty"))

if may(user.role, "import_water_quality"):
    import_form(user)
