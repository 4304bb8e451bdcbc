"""系统管理 / Administration (admin only): accounts, a site's deputy from a day on, the grid
heads, the platforms' endpoints and keys, the open interface's clients and the audit log — the
same services as ``shuijian user``, ``assignment``, ``grid-heads``, ``platform`` and
``ogc-client`` (accounts.admin, duty.assignments, duty.grid_heads, tickets.platforms,
archive.clients), which check the permission table and record every action in the audit log.

One section runs at a time (a radio, not tabs: tabs would run every section on each click). A
refusal is the service's sentence in the page's language; a refused action changes nothing.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import streamlit as st

from accounts import admin as accounts_admin
from accounts.audit import ACTIONS, audit_events
from archive import clients as ogc_clients
from core import clock
from core.errors import ShuijianError
from core.vocab import ROLES
from db.database import session_scope
from duty import assignments, grid_heads
from geo.readers import read_table
from tickets import platforms
from ui import session
from ui.i18n import day, lang, t
from ui.page import ADMIN, guard, show_error

SECTION = "shuijian_admin_section"
FLASH = "shuijian_admin_flash"  # (catalogue key, params) to say once after a change
NEW_KEY = "shuijian_admin_new_key"  # (platform, key): shown once, then forgotten
NEW_CLIENT_KEY = "shuijian_admin_new_client_key"  # (client code, key): likewise
USER_PICK = "shuijian_admin_user"
SITE_PICK = "shuijian_admin_site"
PLATFORM_PICK = "shuijian_admin_platform"
CLIENT_PICK = "shuijian_admin_ogc_client"
SECTIONS = ("users", "assignments", "grid_heads", "platforms", "open_interface", "audit")
ADD_INPUTS = tuple(
    f"shuijian_admin_add_{field}" for field in ("name", "deputy", "display", "pw", "pw2")
)

user = guard(ADMIN)
st.title(t("page_admin"))


def _done(key: str, forget: tuple[str, ...] = (), **params: object) -> None:
    """Say ``key`` once on the next run (forgetting the ``forget`` inputs), and rerun."""
    for name in forget:
        st.session_state.pop(name, None)
    st.session_state[FLASH] = (key, params)
    st.rerun()


def _act(action, *args):
    """Run one service action in its own transaction; a refusal is shown, None returned."""
    try:
        with session_scope(session.engine()) as db:
            return action(db, user, *args), True
    except ShuijianError as error:
        show_error(error)
        return None, False


def _read(reader, *args):
    with session_scope(session.engine()) as db:
        return reader(db, *args)


def _when(value) -> str:
    if value is None or pd.isna(value):
        return "—"
    local = pd.Timestamp(value).tz_convert(clock.zone())
    return f"{day(local.date())} {local:%H:%M}"


def _role(code: object) -> str:
    return t(f"role_{code}") if code in ROLES else str(code or "—")


flash = st.session_state.pop(FLASH, None)
if flash:
    st.success(t(flash[0], **flash[1]))

# Pickers name their options through dicts made in this run: a test (AppTest) formats an
# option outside the run, where a lambda calling t() would not know the page's language.
role_names = {code: t(f"role_{code}") for code in ROLES}
section = st.radio(
    t("admin_section"),
    SECTIONS,
    format_func={s: t(f"admin_section_{s}") for s in SECTIONS}.get,
    horizontal=True,
    key=SECTION,
)


# ------------------------------------------------------------------------------------ users
def users_section() -> None:
    frame = _read(accounts_admin.list_users, user)
    towns = dict(_read(accounts_admin.township_choices))
    town_codes = [None, *towns]
    town_names = {None: "—", **{c: f"{c} {n}" for c, n in towns.items()}}
    shown = pd.DataFrame(
        {
            t("username"): frame["username"],
            t("admin_display_name"): frame["display_name"].fillna("—"),
            t("role"): [_role(r) for r in frame["role"]],
            t("admin_deputy"): frame["deputy"].fillna("—"),
            t("col_township"): [towns.get(c, "—") for c in frame["township"]],
            t("admin_state"): [
                t("admin_state_active") if a else t("admin_state_locked") for a in frame["active"]
            ],
            t("admin_last_sign_in"): [_when(v) for v in frame["last_sign_in"]],
            t("admin_wait"): [
                t("admin_wait_seconds", seconds=int(w)) if w else "—" for w in frame["wait_s"]
            ],
        }
    )
    st.dataframe(shown, hide_index=True, width="stretch")

    with st.expander(t("admin_add_user")), st.form("shuijian_admin_add", clear_on_submit=False):
        name = st.text_input(t("username"), key="shuijian_admin_add_name")
        role = st.selectbox(
            t("role"), ROLES, format_func=role_names.get, key="shuijian_admin_add_role"
        )
        deputy = st.text_input(t("admin_deputy_code"), key="shuijian_admin_add_deputy")
        township = st.selectbox(
            t("admin_township_code"),
            town_codes,
            format_func=town_names.get,
            key="shuijian_admin_add_township",
        )
        shown_name = st.text_input(t("admin_display_name"), key="shuijian_admin_add_display")
        new = st.text_input(t("password_new"), type="password", key="shuijian_admin_add_pw")
        repeat = st.text_input(t("password_repeat"), type="password", key="shuijian_admin_add_pw2")
        if st.form_submit_button(t("admin_add_button")):
            if new != repeat:
                st.error(t("password_mismatch"))
            else:
                # the deputy's code counts for a deputy account only (a stale entry is dropped)
                code = deputy if role == "deputy" else None
                # and the township for a township account only (the service refuses it missing)
                town = township if role == "township" else None
                _, ok = _act(accounts_admin.add_user, name, role, new, code, shown_name, town)
                if ok:
                    _done("admin_user_added", ADD_INPUTS, name=name.strip())

    names = list(frame["username"])
    if not names:
        return
    picked = st.selectbox(t("admin_pick_user"), names, key=USER_PICK)
    row = frame[frame["username"] == picked].iloc[0]
    st.caption(
        t(
            "admin_user_summary",
            role=_role(row["role"]),
            state=t("admin_state_active") if row["active"] else t("admin_state_locked"),
        )
    )

    left, right = st.columns(2)
    with left:
        if row["active"] and st.button(t("admin_lock_button"), key="shuijian_admin_lock"):
            ended, ok = _act(accounts_admin.lock_user, picked)
            if ok:
                _done("admin_user_locked", name=picked, ended=ended)
        locked = not row["active"] or row["wait_s"]
        if locked and st.button(t("admin_unlock_button"), key="shuijian_admin_unlock"):
            _, ok = _act(accounts_admin.unlock_user, picked)
            if ok:
                _done("admin_user_unlocked", name=picked)
    with right, st.form("shuijian_admin_role"):
        new_role = st.selectbox(
            t("admin_new_role"),
            ROLES,
            index=ROLES.index(row["role"]) if row["role"] in ROLES else 0,
            format_func=role_names.get,
            key=f"shuijian_admin_role_role_{picked}",
        )
        deputy = st.text_input(
            t("admin_deputy_code"),
            value="" if pd.isna(row["deputy"]) else str(row["deputy"]),
            key=f"shuijian_admin_role_deputy_{picked}",
        )
        current = None if pd.isna(row["township"]) else row["township"]
        township = st.selectbox(
            t("admin_township_code"),
            town_codes,
            index=town_codes.index(current) if current in town_codes else 0,
            format_func=town_names.get,
            key=f"shuijian_admin_role_township_{picked}",
        )
        if st.form_submit_button(t("admin_role_button")):
            code = deputy if new_role == "deputy" else None
            town = township if new_role == "township" else None
            _, ok = _act(accounts_admin.change_role, picked, new_role, code, town)
            if ok:
                _done("admin_role_changed", name=picked, role=_role(new_role))

    with st.form("shuijian_admin_password", clear_on_submit=True):
        st.markdown(f"**{t('admin_reset_password')}**")
        new = st.text_input(t("password_new"), type="password", key="shuijian_admin_pw")
        repeat = st.text_input(t("password_repeat"), type="password", key="shuijian_admin_pw2")
        if st.form_submit_button(t("admin_password_button")):
            if new != repeat:
                st.error(t("password_mismatch"))
            else:
                ended, ok = _act(accounts_admin.reset_password, picked, new)
                if ok:
                    _done("admin_password_set", name=picked, ended=ended)


# ------------------------------------------------------------------------------ assignments
def assignments_section() -> None:
    sites = _read(assignments.sites_with_deputies)
    if sites.empty:
        st.info(t("admin_no_sites"))
        return
    labels = {
        code: f"{code} {name}" for code, name in zip(sites["code"], sites["name"], strict=True)
    }
    picked = st.selectbox(t("admin_pick_site"), list(labels), format_func=labels.get, key=SITE_PICK)
    row = sites[sites["code"] == picked].iloc[0]
    if pd.isna(row["deputy"]):
        st.caption(t("admin_site_no_deputy"))
    else:
        st.caption(
            t(
                "admin_site_deputy",
                deputy=f"{row['deputy']} {row['deputy_name']}",
                since=day(row["since"]),
            )
        )
    people = _read(assignments.deputies)
    active = people[~people["locked"]]
    names = dict(zip(active["code"], active["name"], strict=True))
    with st.form("shuijian_admin_assign"):
        deputy = st.selectbox(
            t("admin_new_deputy"),
            list(names),
            format_func=lambda c: f"{c} {names[c]}",
            key="shuijian_admin_assign_deputy",
        )
        first = st.date_input(
            t("admin_valid_from"), value=clock.today(), key="shuijian_admin_assign_from"
        )
        if st.form_submit_button(t("admin_assign_button")):
            _, ok = _act(assignments.assign_deputy, picked, deputy, first)
            if ok:
                _done("admin_assigned", site=picked, deputy=deputy, day=day(first))

    st.subheader(t("admin_site_history"))
    history = _read(assignments.site_history, picked)
    if history.empty:
        st.caption(t("admin_site_never"))
        return
    st.dataframe(
        pd.DataFrame(
            {
                t("admin_valid_from"): [day(v) for v in history["valid_from"]],
                t("admin_valid_to"): [
                    "—" if pd.isna(v) else day(v - timedelta(days=1)) for v in history["valid_to"]
                ],
                t("admin_deputy"): [
                    f"{c} {n}" for c, n in zip(history["deputy"], history["name"], strict=True)
                ],
            }
        ),
        hide_index=True,
        width="stretch",
    )


# ------------------------------------------------------------------------------- grid heads
def grid_heads_section() -> None:
    left, right = st.columns([3, 2])
    cell = left.text_input(t("admin_grid_heads_filter"), key="shuijian_admin_heads_cell")
    history = right.checkbox(t("admin_grid_heads_history"), key="shuijian_admin_heads_history")
    frame = _read(grid_heads.list_grid_heads, user, cell, history)
    if frame.empty:
        st.caption(t("admin_grid_heads_empty"))
    else:
        st.caption(t("admin_grid_heads_count", count=len(frame)))
        st.dataframe(
            pd.DataFrame(
                {
                    t("admin_grid_heads_cell"): frame["cell"],
                    t("admin_grid_heads_township"): frame["township"],
                    t("admin_grid_heads_name"): frame["name"],
                    t("admin_grid_heads_phone"): frame["phone"],
                    t("admin_grid_heads_from"): [day(v) for v in frame["valid_from"]],
                    t("admin_grid_heads_to"): [
                        "—" if pd.isna(v) else day(v - timedelta(days=1)) for v in frame["valid_to"]
                    ],
                }
            ),
            hide_index=True,
            width="stretch",
        )
    st.subheader(t("admin_grid_heads_import"))
    st.caption(t("admin_grid_heads_import_note"))
    with st.form("shuijian_admin_heads_import"):
        upload = st.file_uploader(
            t("admin_grid_heads_file"), type=["csv", "xlsx"], key="shuijian_admin_heads_file"
        )
        if st.form_submit_button(t("admin_grid_heads_import_button")):
            if upload is None:
                st.warning(t("admin_grid_heads_no_file"))
            else:
                _import_heads(upload.getvalue(), upload.name)


def _import_heads(data: bytes, name: str) -> None:
    """Read and import one table; a refusal (unreadable file or bad row) is said, nothing
    stored."""
    try:
        frame = read_table(data, name)
    except ShuijianError as error:
        show_error(error)
        return
    result, ok = _act(grid_heads.import_grid_heads, frame, name)
    if ok:
        _done(
            "admin_grid_heads_imported",
            source=name,
            added=result.added,
            changed=result.changed,
            unchanged=result.unchanged,
        )


# -------------------------------------------------------------------------------- platforms
def platforms_section() -> None:
    fresh = st.session_state.pop(NEW_KEY, None)
    if fresh:
        st.warning(t("admin_key_once", platform=fresh[0]))
        st.code(fresh[1], language=None)
    frame = _read(platforms.list_platforms, user)
    name_column = "name_zh" if lang() == "zh" else "name_en"
    st.dataframe(
        pd.DataFrame(
            {
                t("admin_platform"): frame[name_column],
                t("admin_endpoint"): frame["endpoint_url"].fillna("—"),
                t("admin_has_key"): [t("yes") if k else t("no") for k in frame["has_key"]],
                t("admin_key_issued"): [_when(v) for v in frame["key_issued_at"]],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    names = dict(zip(frame["code"], frame[name_column], strict=True))
    picked = st.selectbox(
        t("admin_pick_platform"), list(names), format_func=names.get, key=PLATFORM_PICK
    )
    current = frame.loc[frame["code"] == picked, "endpoint_url"].iloc[0]
    with st.form("shuijian_admin_endpoint"):
        url = st.text_input(
            t("admin_endpoint"),
            value="" if pd.isna(current) else str(current),
            key=f"shuijian_admin_endpoint_{picked}",
        )
        if st.form_submit_button(t("admin_endpoint_button")):
            _, ok = _act(platforms.set_endpoint, picked, url)
            if ok:
                _done("admin_endpoint_set", platform=names[picked])
    with st.form("shuijian_admin_key"):
        st.caption(t("admin_key_note"))
        sure = st.checkbox(t("admin_key_confirm"), key="shuijian_admin_key_sure")
        if st.form_submit_button(t("admin_key_button")):
            if not sure:
                st.error(t("admin_key_unconfirmed"))
            else:
                key, ok = _act(platforms.issue_key, picked)
                if ok:
                    st.session_state[NEW_KEY] = (names[picked], key)
                    st.rerun()


# ---------------------------------------------------------------------------- open interface
def open_interface_section() -> None:
    """The OGC API - Features clients: a key issued (a new client, or a new key replacing the
    old one) and shown once, or revoked at once."""
    fresh = st.session_state.pop(NEW_CLIENT_KEY, None)
    if fresh:
        st.warning(t("admin_ogc_key_once", client=fresh[0]))
        st.code(fresh[1], language=None)
    st.caption(t("admin_ogc_note"))
    rows = _read(ogc_clients.list_clients, user)
    if rows:
        st.dataframe(
            pd.DataFrame(
                {
                    t("admin_ogc_code"): [r["code"] for r in rows],
                    t("admin_ogc_name"): [r["name"] for r in rows],
                    t("admin_has_key"): [t("yes") if r["has_key"] else t("no") for r in rows],
                    t("admin_ogc_calls"): [int(r["calls"]) for r in rows],
                }
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        st.info(t("admin_ogc_empty"))
    with st.form("shuijian_admin_ogc_key"):
        code = st.text_input(t("admin_ogc_code"), key="shuijian_admin_ogc_code")
        name = st.text_input(t("admin_ogc_name_new"), key="shuijian_admin_ogc_name")
        st.caption(t("admin_key_note"))
        if st.form_submit_button(t("admin_key_button")):
            key, ok = _act(ogc_clients.issue_client_key, code, name)
            if ok:
                st.session_state[NEW_CLIENT_KEY] = (code.strip(), key)
                for field in ("shuijian_admin_ogc_code", "shuijian_admin_ogc_name"):
                    st.session_state.pop(field, None)
                st.rerun()
    holders = [r["code"] for r in rows if r["has_key"]]
    if holders:
        with st.form("shuijian_admin_ogc_revoke"):
            picked = st.selectbox(t("admin_ogc_pick"), holders, key=CLIENT_PICK)
            sure = st.checkbox(t("admin_ogc_revoke_confirm"), key="shuijian_admin_ogc_sure")
            if st.form_submit_button(t("admin_ogc_revoke_button")):
                if not sure:
                    st.error(t("admin_key_unconfirmed"))
                else:
                    _, ok = _act(ogc_clients.revoke_client, picked)
                    if ok:
                        _done("admin_ogc_revoked", client=picked)


# ------------------------------------------------------------------------------------ audit
def _detail(name: str, value: object) -> str:
    if isinstance(value, bool):
        shown = t("yes") if value else t("no")
    elif value is None:
        shown = "—"
    elif value in ROLES:
        shown = _role(value)
    else:
        shown = str(value)
    return t("audit_detail", name=t("audit_detail_" + name), value=shown)


def _details(details: object) -> str:
    if isinstance(details, str):
        details = json.loads(details)
    joiner = "；" if lang() == "zh" else "; "
    return joiner.join(_detail(k, v) for k, v in sorted((details or {}).items()))


def _actor(label: str) -> str:
    """``user:<name>`` shows as the name, ``cli:<os user>`` as the command line's."""
    kind, _, name = str(label).partition(":")
    if kind == "cli":
        return t("audit_actor_cli", name=name)
    return name if kind == "user" else str(label)


def audit_section() -> None:
    left, middle, right = st.columns(3)
    with left:
        actions = st.multiselect(
            t("admin_audit_action"),
            ACTIONS,
            format_func={a: t(f"audit_action_{a}") for a in ACTIONS}.get,
            key="shuijian_admin_audit_actions",
            placeholder=t("choose_any"),
        )
    with middle:
        actor = st.text_input(t("admin_audit_actor"), key="shuijian_admin_audit_actor")
    with right:
        today = clock.today()
        dates = st.date_input(
            t("admin_audit_dates"),
            value=(today - timedelta(days=30), today),
            key="shuijian_admin_audit_dates",
        )
    since, until = (dates[0], dates[-1]) if dates else (None, None)
    frame = _read(
        lambda db: audit_events(
            db, user, actions=actions, actor=actor, since=since, until=until, limit=500
        )
    )
    if frame.empty:
        st.info(t("admin_audit_empty"))
        return
    known = _read(platforms.list_platforms, user)
    platform_names = dict(
        zip(known["code"], known["name_zh" if lang() == "zh" else "name_en"], strict=True)
    )
    targets = [
        platform_names.get(target, target) if action.startswith("platform_") else target
        for action, target in zip(frame["action"], frame["target"], strict=True)
    ]
    st.caption(t("admin_audit_count", count=len(frame)))
    st.dataframe(
        pd.DataFrame(
            {
                t("admin_audit_at"): [_when(v) for v in frame["at"]],
                t("admin_audit_actor"): [_actor(a) for a in frame["actor"]],
                t("admin_audit_action"): [t(f"audit_action_{a}") for a in frame["action"]],
                t("admin_audit_target"): targets,
                t("admin_audit_details"): [_details(d) for d in frame["details"]],
            }
        ),
        hide_index=True,
        width="stretch",
    )


{
    "users": users_section,
    "assignments": assignments_section,
    "grid_heads": grid_heads_section,
    "platforms": platforms_section,
    "open_interface": open_interface_section,
    "audit": audit_section,
}[section]()
