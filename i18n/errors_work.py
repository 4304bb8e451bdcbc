"""Error sentences: see i18n/errors.py."""

from __future__ import annotations

ERRORS_WORK: dict[str, tuple[str, str]] = {}
