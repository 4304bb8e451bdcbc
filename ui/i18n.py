"""Interface strings in Chinese (default) and English; `t(key)` picks by the sidebar switch."""

from __future__ import annotations

import streamlit as st

from ui.session import ENGLISH

STRINGS: dict[str, tuple[str, str]] = {
    "app_title": ("水监 · 人大水环境监督", "Shuijian · water-environment supervision"),
    "english": ("English", "English"),
    "signed_in_as": ("当前用户", "Signed in as"),
    "sign_out": ("退出登录", "Sign out"),
    "role_leader": ("领导", "Leader"),
    "role_analyst": ("分析员", "Analyst"),
    "role_deputy": ("人大代表", "Deputy"),
    "role_admin": ("管理员", "Administrator"),
    "page_login": ("登录", "Sign in"),
    "page_overview": ("总览", "Overview"),
    "page_account": ("我的账户", "My account"),
    "login_heading": ("登录水监", "Sign in to Shuijian"),
    "username": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "login_button": ("登录", "Sign in"),
    "login_failed": ("用户名或密码错误，请重新输入。", "Wrong user name or password. Try again."),
    "login_missing": ("请输入用户名和密码。", "Enter a user name and a password."),
    "need_sign_in": ("请先登录。", "Please sign in first."),
    "not_allowed": (
        "您的角色（{role}）无权查看此页面。",
        "Your role ({role}) may not open this page.",
    ),
    "service_error": ("无法完成操作：{error}", "Could not complete this: {error}"),
    "overview_heading": ("全县水环境监督总览", "County water-environment overview"),
    "township": ("乡镇（街道）", "Township"),
    "all_townships": ("全县", "Whole county"),
    "townships": ("乡镇（街道）", "Townships"),
    "deputies": ("人大代表", "Deputies"),
    "share_assigned": ("已落实联系代表", "Assigned"),
    "sites_total": ("监督点位", "Sites"),
    "grid_heading": ("网格", "Grid"),
    "kinds_heading": ("点位类型", "Sites by kind"),
    "classes_heading": ("点位类别", "Sites by class"),
    "map_heading": ("地图", "Map"),
    "map_offline_note": (
        "未配置天地图密钥：地图不加载底图，仅显示本地数据。",
        "No Tianditu key configured: the map shows local data without a basemap.",
    ),
    "account_heading": ("我的账户", "My account"),
    "role": ("角色", "Role"),
}


def lang() -> str:
    """'en' when the sidebar's English switch is on, else 'zh'."""
    return "en" if st.session_state.get(ENGLISH, False) else "zh"


def t(key: str, **values: object) -> str:
    """The string for `key` in the current language, formatted with `values`."""
    zh, en = STRINGS[key]
    text = en if lang() == "en" else zh
    return text.format(**values) if values else text
