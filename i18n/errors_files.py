"""Error sentences: see i18n/errors.py."""

from __future__ import annotations

ERRORS_FILES: dict[str, tuple[str, str]] = {}
