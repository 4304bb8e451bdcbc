"""A refused file on a page: the refusal, then every fault by line and column, in the page's
language (an importer that gathers its faults, like ``water.table.WaterImportRefused``, puts
them in ``faults``; ``more`` counts those not listed)."""

from __future__ import annotations

import re

import streamlit as st

from core.errors import ShuijianError
from ui.i18n import describe, t

_MARKDOWN = re.compile(r"([\\`*_\[\]{}()#+!|~<>$-])")


def _escaped(text: str) -> str:
    """A sentence shown as markdown, its file-given values kept as typed."""
    return _MARKDOWN.sub(r"\\\1", text)


def refusal_lines(error: ShuijianError) -> list[str]:
    """The refusal's sentence, then one per fault (and how many more were not listed)."""
    lines = [describe(f) for f in getattr(error, "faults", ())]
    more = error.params.get("more")
    if more:
        lines.append(t("water_refusal_more", n=more))
    return [describe(error), *lines]


def show_refusal(error: ShuijianError) -> None:
    head, *faults = refusal_lines(error)
    st.error(_escaped(head) + "".join(f"\n- {_escaped(line)}" for line in faults))


__all__ = ["refusal_lines", "show_refusal"]
