"""What the register's and the early warnings' refusals say (``error.<code>``)."""

from __future__ import annotations

ERRORS_REGISTER: dict[str, tuple[str, str]] = {
    "error.register_streak_invalid": (
        "SHUIJIAN_REGISTER_CLEAN_STREAK 至少为 1（现为 {value}）。",
        "SHUIJIAN_REGISTER_CLEAN_STREAK must be at least 1 (it is {value}).",
    ),
    "error.warning_rules_missing": (
        "预警规则文件 {source} 不存在。",
        "The warning rules file {source} does not exist.",
    ),
    "error.warning_rules_not_toml": (
        "预警规则文件 {source} 不是有效的 TOML 格式：{detail}",
        "The warning rules file {source} is not valid TOML: {detail}",
    ),
    "error.warning_rules_unknown_rule": (
        "预警规则文件 {source} 含有未知的规则：{rules}；可用的规则：{known}。",
        "The warning rules file {source} names unknown rule(s) {rules}; the known rules are: "
        "{known}.",
    ),
    "error.warning_rules_not_table": (
        "预警规则文件 {source} 中的 [{rule}] 必须是一个表。",
        "In the warning rules file {source}, [{rule}] must be a table.",
    ),
    "error.warning_rules_unknown_key": (
        "预警规则文件 {source} 的 [{rule}] 含有未知的项：{keys}；可用的项：{known}。",
        "In the warning rules file {source}, [{rule}] has unknown key(s) {keys}; the known "
        "keys are: {known}.",
    ),
    "error.warning_rules_not_bool": (
        "预警规则文件 {source} 的 [{rule}] 中 enabled 必须是 true 或 false（现为 {value}）。",
        "In the warning rules file {source}, [{rule}] enabled must be true or false (it is "
        "{value}).",
    ),
    "error.warning_rules_not_whole": (
        "预警规则文件 {source} 的 [{rule}] 中 {key} 必须是不小于 1 的整数（现为 {value}）。",
        "In the warning rules file {source}, [{rule}] {key} must be a whole number of at "
        "least 1 (it is {value}).",
    ),
    "error.warning_rules_missing_rule": (
        "预警规则文件 {source} 缺少规则：{rules}。",
        "The warning rules file {source} lacks rule(s) {rules}.",
    ),
    "error.warning_rules_flagged_over_last": (
        "预警规则文件 {source} 的 [flagged_deputy] 中 flagged（{flagged}）"
        "不能大于 last（{last}）。",
        "In the warning rules file {source}, [flagged_deputy] flagged ({flagged}) cannot "
        "exceed last ({last}).",
    ),
    "error.warning_not_found": ("没有编号为 {warning} 的预警。", "There is no warning {warning}."),
    "error.warning_already_acknowledged": (
        "预警 {warning} 已经签收。",
        "Warning {warning} is already acknowledged.",
    ),
    "error.warning_not_acknowledged": (
        "预警 {warning} 尚未签收，签收后才能办结。",
        "Warning {warning} must be acknowledged before it is closed.",
    ),
    "error.warning_already_closed": (
        "预警 {warning} 已经办结。",
        "Warning {warning} is already closed.",
    ),
    "error.warning_note_required": (
        "办结预警须填写处理情况。",
        "Closing a warning needs a note saying what was done.",
    ),
}
