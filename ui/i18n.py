"""The page's language and its door to the catalogue (``i18n``): `t(key)` picks by the sidebar
switch, `label` names a code, `describe` says an error, and numbers and dates go through
Babel."""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st

import i18n
from core import clock
from ui.session import ENGLISH


def lang() -> str:
    """'en' when the sidebar's English switch is on, else 'zh'."""
    return "en" if st.session_state.get(ENGLISH, False) else "zh"


def t(key: str, **values: object) -> str:
    """The string for `key` in the current language, formatted with `values`."""
    return i18n.text(key, lang(), **values)


def label(family: str, code: object) -> str:
    """The label of a status, rating, reason ... code in the current language."""
    return i18n.label(family, code, lang())


def labels(family: str) -> dict[str, str]:
    return i18n.labels(family, lang())


def describe(error: BaseException) -> str:
    """One of our errors as a sentence in the current language."""
    return i18n.describe(error, lang())


def refusal(reason: str | None, params: dict[str, object], message: str = "") -> str:
    """The sentence for a file's refusal code (tracks.batch's verdicts)."""
    return i18n.error_text(reason or "other", {"message": message, **params}, lang())


def percent(value: object, digits: int = 0) -> str:
    return i18n.percent(value, lang(), digits)


def number(value: object, digits: int = 0) -> str:
    return i18n.number(value, lang(), digits)


def day(value: date | datetime | None) -> str:
    """A day in the page's language; an instant (timestamptz) is the county's local day, not
    UTC's (between 00:00 and 08:00 Beijing time the two differ)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(clock.zone())
    return i18n.day(value, lang())


def month(value: date | datetime) -> str:
    return i18n.month(value, lang())


def year_month(ym: tuple[int, int]) -> str:
    """A (year, month) picker's option as the page writes months (2026年11月 / Nov 2026)."""
    return i18n.month(date(ym[0], ym[1], 1), lang())
