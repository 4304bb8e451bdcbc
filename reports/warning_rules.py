"""The early-warning rules as data: reports/warnings.toml (beside the evaluation weights),
overlaid with the file SHUIJIAN_WARNING_RULES names. A bad file is refused as a whole, by
name: unknown rules or keys, values that are not whole numbers >= 1, ``enabled`` not true or
false, a flagged count larger than the patrols it is counted among."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import settings
from core.errors import ConfigurationError

SHIPPED_RULES = Path(__file__).resolve().parent / "warnings.toml"

# rule kind → its numeric keys. Codes only: their words are ``warning_rule.<kind>``.
RULE_KEYS: dict[str, tuple[str, ...]] = {
    "overdue_in_a_row": ("windows", "lookback_days"),
    "repeat_problem": ("days",),
    "flagged_deputy": ("flagged", "last"),
    "registered_unpatrolled": ("days",),
    "water_quality": ("misses",),  # fed by the cross-sections' monthly results (water/)
}
RULES: tuple[str, ...] = tuple(RULE_KEYS)
# Rule kinds reserved before their data exists (none now: water_quality is fed since [7/8]).
NOT_YET_FED: tuple[str, ...] = ()


class RulesError(ConfigurationError):
    """The rules file is unreadable or holds an unknown rule, key or a forbidden value."""


@dataclass(frozen=True)
class Rule:
    kind: str
    enabled: bool
    params: dict[str, int]

    def __getitem__(self, key: str) -> int:
        return self.params[key]


@dataclass(frozen=True)
class Rules:
    by_kind: dict[str, Rule]
    source: str

    def __getitem__(self, kind: str) -> Rule:
        return self.by_kind[kind]

    def enabled(self) -> list[Rule]:
        return [r for r in self.by_kind.values() if r.enabled]


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise RulesError(
            f"warning rules file {path} does not exist",
            code="warning_rules_missing",
            source=str(path),
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise RulesError(
            f"warning rules file {path} is not valid TOML: {exc}",
            code="warning_rules_not_toml",
            source=str(path),
            detail=str(exc),
        ) from None


def parse_rules(raw: dict[str, Any], source: str, base: Rules | None = None) -> Rules:
    """Rules from a mapping; what it leaves out keeps ``base``'s (the shipped file's)."""
    unknown = sorted(set(raw) - set(RULE_KEYS))
    if unknown:
        raise RulesError(
            f"{source}: unknown rule(s) {', '.join(unknown)}",
            code="warning_rules_unknown_rule",
            source=source,
            rules=", ".join(unknown),
            known=", ".join(RULES),
        )
    found: dict[str, Rule] = dict(base.by_kind) if base is not None else {}
    for kind, table in raw.items():
        if not isinstance(table, dict):
            raise RulesError(
                f"{source}: [{kind}] must be a table",
                code="warning_rules_not_table",
                source=source,
                rule=kind,
            )
        known = ("enabled", *RULE_KEYS[kind])
        extra = sorted(set(table) - set(known))
        if extra:
            raise RulesError(
                f"{source}: [{kind}] has unknown key(s) {', '.join(extra)}",
                code="warning_rules_unknown_key",
                source=source,
                rule=kind,
                keys=", ".join(extra),
                known=", ".join(known),
            )
        before = found.get(kind)
        enabled = table.get("enabled", before.enabled if before else None)
        if not isinstance(enabled, bool):
            raise RulesError(
                f"{source}: [{kind}] enabled must be true or false",
                code="warning_rules_not_bool",
                source=source,
                rule=kind,
                value=repr(enabled),
            )
        params = dict(before.params) if before else {}
        for key in RULE_KEYS[kind]:
            value = table.get(key, params.get(key))
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise RulesError(
                    f"{source}: [{kind}] {key} must be a whole number of at least 1, not {value!r}",
                    code="warning_rules_not_whole",
                    source=source,
                    rule=kind,
                    key=key,
                    value=repr(value),
                )
            params[key] = value
        found[kind] = Rule(kind, enabled, params)
    missing = sorted(set(RULE_KEYS) - set(found))
    if missing:
        raise RulesError(
            f"{source}: missing rule(s) {', '.join(missing)}",
            code="warning_rules_missing_rule",
            source=source,
            rules=", ".join(missing),
        )
    flagged = found["flagged_deputy"]
    if flagged["flagged"] > flagged["last"]:
        raise RulesError(
            f"{source}: [flagged_deputy] flagged ({flagged['flagged']}) exceeds last "
            f"({flagged['last']})",
            code="warning_rules_flagged_over_last",
            source=source,
            flagged=flagged["flagged"],
            last=flagged["last"],
        )
    return Rules(found, source)


def load_rules(path: str | Path | None = None) -> Rules:
    """The shipped rules, overlaid with ``path`` (default: SHUIJIAN_WARNING_RULES)."""
    shipped = parse_rules(_read(SHIPPED_RULES), str(SHIPPED_RULES))
    chosen = Path(path or settings.optional_text("warning_rules") or SHIPPED_RULES)
    if chosen.resolve() == SHIPPED_RULES:
        return shipped
    return parse_rules(_read(chosen), str(chosen), base=shipped)
