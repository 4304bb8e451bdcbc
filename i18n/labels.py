"""Labels of codes: statuses, ratings, reasons, column headers, map legends.

Keys are ``<family>.<code>``, so ``i18n.label(family, code, lang)`` and ``i18n.labels(family,
lang)`` read a family without a helper per module."""

from __future__ import annotations

LABELS: dict[str, tuple[str, str]] = {
    # Where a fault sits in a file (filled into an error's {where}).
    "where_line": ("（第 {line} 行）", " (line {line})"),
    "where_feature": ("（{feature}）", " ({feature})"),
}
