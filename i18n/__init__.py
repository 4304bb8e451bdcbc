"""The one string catalogue: every sentence and label a person reads, in Chinese and English.

Domain code and services return codes with parameters (errors carry ``code`` and ``params``,
statuses and reasons are codes); the edges — pages, maps, the command line, the API — turn
them into text here and nowhere else. Dates, numbers and percentages are formatted by Babel
for zh_CN and en. A test fails when a code lacks its Chinese or English text, or when the two
texts name different parameters.

The catalogue is split by what it describes (``pages``, ``labels``, ``errors``, ``reminders``);
a key lives in exactly one of them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal, format_percent

from i18n.errors import ERRORS
from i18n.labels import LABELS
from i18n.pages import PAGES
from i18n.reminders import REMINDERS

LANGS = ("zh", "en")
LOCALES = {"zh": "zh_CN", "en": "en"}
CATALOGUE: dict[str, tuple[str, str]] = {**PAGES, **LABELS, **ERRORS, **REMINDERS}
SOURCES: dict[str, Mapping[str, tuple[str, str]]] = {
    "pages": PAGES,
    "labels": LABELS,
    "errors": ERRORS,
    "reminders": REMINDERS,
}
NONE = "—"


class _Blank(dict):
    """Format values with a fallback: a sentence never fails for want of a parameter."""

    def __missing__(self, key: str) -> str:
        return "?"


def _check(lang: str) -> int:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    return LANGS.index(lang)


def _dated(key: str, value: object, lang: str) -> object:
    """A day reads as the page's other days do (2026年12月6日 / Dec 6, 2026), not ISO; a
    parameter named for a month (``month``, ``first_month`` …) reads as a month (2026年3月)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return month(value, lang) if key.endswith("month") else day(value, lang)
    return value


def has(code: str) -> bool:
    return code in CATALOGUE


def text(code: str, lang: str, **params: object) -> str:
    """The catalogue's text for ``code`` in ``lang``, formatted with ``params`` (a missing
    parameter shows as "?", never as an exception on a page)."""
    pair = CATALOGUE[code]
    value = pair[_check(lang)]
    params = {k: _dated(k, v, lang) for k, v in params.items()}
    return value.format_map(_Blank(params)) if params or "{" in value else value


def label(prefix: str, code: object, lang: str) -> str:
    """The label of a code in a family (``site_status``, ``ticket_status`` ...); an unknown
    or empty code shows as itself (or "—") rather than failing a table."""
    if code is None or (isinstance(code, float) and math.isnan(code)) or code == "":
        return NONE
    key = f"{prefix}.{code}"
    return text(key, lang) if key in CATALOGUE else str(code)


def labels(prefix: str, lang: str) -> dict[str, str]:
    """Every code of a family with its label, in catalogue order (for legends and pickers)."""
    start = prefix + "."
    return {k[len(start) :]: v[_check(lang)] for k, v in CATALOGUE.items() if k.startswith(start)}


def headed(frame: Any, family: str, lang: str, values: Mapping[str, str] | None = None) -> Any:
    """A table for people: only the columns that have a label in ``family``, headed by it;
    the columns named in ``values`` (column → family) show their codes' labels."""
    keep = [c for c in frame.columns if f"{family}.{c}" in CATALOGUE]
    out = frame[keep].copy()
    for column, of in (values or {}).items():
        if column in out.columns:
            out[column] = [label(of, v, lang) for v in out[column]]
    return out.rename(columns={c: text(f"{family}.{c}", lang) for c in keep})


def details(family: str, parts: Any, lang: str) -> str:
    """(code, params) pairs — what a check measured — as one sentence of the family's texts
    (``flag_detail.<code>``), joined by the language's semicolon."""
    joiner = "；" if lang == "zh" else "; "
    return joiner.join(
        text(f"{family}.{code}", lang, **dict(params)) for code, params in parts or ()
    )


def describe(error: BaseException, lang: str) -> str:
    """The user's sentence for one of our errors (its ``code`` and ``params``)."""
    params = dict(getattr(error, "params", {}) or {})
    params.setdefault("message", str(error))
    return error_text(str(getattr(error, "code", "error")), params, lang)


def error_text(code: str | None, params: Mapping[str, object], lang: str) -> str:
    """``error.<code>`` with ``params``; a line or feature param becomes the sentence's
    ``{where}``; a code without text says its message (``error.other``)."""
    values: dict[str, Any] = {k: _dated(k, v, lang) for k, v in params.items() if v is not None}
    if "where" not in values:
        if "line" in values:
            values["where"] = text("where_line", lang, line=values["line"])
        elif "row" in values:
            key = "where_row_code" if values.get("row_code") else "where_row"
            values["where"] = text(key, lang, row=values["row"], row_code=values.get("row_code"))
        elif "feature" in values:
            values["where"] = text("where_feature", lang, feature=values["feature"])
        else:
            values["where"] = ""
    key = f"error.{code}"
    if key not in CATALOGUE:
        key = "error.other"
    return text(key, lang, **values)


def percent(value: object, lang: str, digits: int = 0) -> str:
    """A share as a percentage (0.875 → 88% / 87.5%); missing → "—"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NONE
    pattern = "#,##0%" if digits <= 0 else "#,##0." + "0" * digits + "%"
    return format_percent(float(value), pattern, locale=LOCALES[LANGS[_check(lang)]])


def number(value: object, lang: str, digits: int = 0) -> str:
    """A number with the locale's grouping; missing → "—"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NONE
    pattern = "#,##0" if digits <= 0 else "#,##0." + "0" * digits
    return format_decimal(float(value), pattern, locale=LOCALES[LANGS[_check(lang)]])


def day(value: date | datetime | None, lang: str) -> str:
    """A calendar day as people write it (2026年12月2日 / Dec 2, 2026); missing → "—"."""
    if value is None:
        return NONE
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, "medium", locale=LOCALES[LANGS[_check(lang)]])


def month(value: date | datetime, lang: str) -> str:
    """A month (2026年11月 / Nov 2026)."""
    return format_skeleton("yMMM", value, locale=LOCALES[LANGS[_check(lang)]])


__all__ = [
    "CATALOGUE",
    "LANGS",
    "NONE",
    "SOURCES",
    "day",
    "describe",
    "details",
    "error_text",
    "has",
    "headed",
    "label",
    "labels",
    "month",
    "number",
    "percent",
    "text",
]
