"""Tickets in words: the read models of tickets.queries carry codes and both names of a
category or platform; these put them in one language (the page passes its own)."""

from __future__ import annotations

import pandas as pd

import i18n


def _given(value: object) -> str:
    """A cell as text; a missing one (None or NaN in a frame) as ""."""
    return "" if value is None or pd.isna(value) else str(value)


def _name(row: object, stem: str, lang: str) -> str:
    return _given(getattr(row, f"{stem}_{lang}", None))


def with_labels(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Category, platform and status in ``lang``, for tables and popups."""
    out = frame.copy()
    out["category"] = out[f"category_{lang}"]
    out["platform"] = out[f"platform_{lang}"]
    out["status_label"] = [i18n.label("ticket_status", s, lang) for s in out["status"]]
    return out


def header(row: dict, lang: str) -> dict:
    """One ticket's header row with its words."""
    return with_labels(pd.DataFrame([row]), lang).iloc[0].to_dict()


def _who(row: object, lang: str) -> str:
    if _given(row.user_name):
        behalf = _name(row, "behalf", lang)
        suffix = i18n.text("timeline.on_behalf", lang, platform=behalf) if behalf else ""
        return str(row.user_name) + suffix
    return _name(row, "platform", lang) or i18n.text("timeline.system", lang)


def _comment(row: object, lang: str) -> str:
    parts = [_given(row.comment)] if _given(row.comment) else []
    target = _name(row, "to", lang)
    if target:
        parts.insert(0, i18n.text("timeline.to_platform", lang, platform=target))
    if _given(row.rating):
        parts.insert(0, i18n.label("rating", row.rating, lang))
    if _given(getattr(row, "designated", None)):
        parts.insert(0, i18n.text("timeline.designated", lang, name=row.designated))
    if _given(row.proof_kind):
        kind = "timeline.proof_track" if row.proof_kind == "track" else "timeline.proof_photo"
        parts.append(i18n.text("timeline.proof", lang, kind=i18n.text(kind, lang)))
    return ("；" if lang == "zh" else "; ").join(parts)


TIMELINE_COLUMNS = ["at", "who", "action", "change", "comment", "attachments"]


def timeline_table(events: pd.DataFrame, lang: str) -> pd.DataFrame:
    """tickets.queries.timeline in words: when, who, what, status change, comment,
    attachments."""
    records = [
        {
            "at": r.at,
            "who": _who(r, lang),
            "action": i18n.label("ticket_action", r.action, lang),
            "change": f"{i18n.label('ticket_status', r.from_status, lang)} → "
            f"{i18n.label('ticket_status', r.to_status, lang)}",
            "comment": _comment(r, lang),
            "attachments": _given(r.attachments),
        }
        for r in events.itertuples()
    ]
    return pd.DataFrame(records, columns=TIMELINE_COLUMNS)
