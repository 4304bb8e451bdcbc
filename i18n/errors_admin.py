"""Error sentences of administration (accounts.admin, duty.assignments, tickets.platforms):
see i18n/errors.py."""

from __future__ import annotations

ERRORS_ADMIN: dict[str, tuple[str, str]] = {
    # Time partitions (db.partitions).
    "error.bad_retention": (
        "{env} 须为 0（永久保留）或保留的月数，不能是 {value}。",
        "{env} must be 0 (keep for ever) or a number of months, not {value}.",
    ),
    "error.archive_short": (
        "归档 {partition} 只写出 {written} 行，而它有 {rows} 行：未删除该月。",
        "Archiving {partition} wrote {written} lines for {rows} rows: the month was not dropped.",
    ),
    # Accounts.
    "error.bad_username": (
        "用户名“{name}”无效：须为 1 至 {limit} 个字母、数字或 . _ - @，不含空格。",
        "The user name “{name}” is not valid: 1 to {limit} letters, digits or . _ - @, no spaces.",
    ),
    "error.account_exists": ("已有名为 {name} 的账户。", "An account named {name} exists already."),
    "error.unknown_role": (
        "未知的角色 {role}。角色为：{known}。",
        "Unknown role {role}; the roles are {known}.",
    ),
    "error.no_such_deputy": ("没有编码为 {deputy} 的代表。", "No deputy has the code {deputy}."),
    "error.deputy_code_needed": (
        "代表账户须填写所关联代表的编码。",
        "A deputy account needs the code of its deputy.",
    ),
    "error.deputy_only_for_deputy_role": (
        "只有代表账户可以关联代表，角色 {role} 不能。",
        "Only a deputy account is linked to a deputy, not a {role} account.",
    ),
    "error.no_such_township": (
        "没有编码为 {township} 的乡镇（街道）。",
        "No township has the code {township}.",
    ),
    "error.township_code_needed": (
        "乡镇账户须填写所属乡镇（街道）的编码。",
        "A township account needs the code of its township.",
    ),
    "error.township_only_for_township_role": (
        "只有乡镇账户属于某个乡镇，角色 {role} 不能。",
        "Only a township account belongs to a township, not a {role} account.",
    ),
    "error.deputy_has_account": (
        "代表 {deputy} 已有账户 {name}；每位代表只能有一个账户。",
        "Deputy {deputy} already has the account {name}; a deputy has one account.",
    ),
    "error.display_name_too_long": (
        "显示名称不能超过 {limit} 个字符。",
        "The display name may have at most {limit} characters.",
    ),
    "error.account_locked_already": (
        "账户 {name} 已被锁定。",
        "The account {name} is locked already.",
    ),
    "error.not_own_account": (
        "不能锁定或降级自己的账户，请由另一位管理员操作。",
        "You cannot lock or demote your own account; ask another administrator.",
    ),
    "error.last_admin": (
        "{name} 是最后一个可用的管理员账户，不能锁定或降级；请先另设一位管理员。",
        "{name} is the last active administrator and cannot be locked or demoted; make "
        "another administrator first.",
    ),
    "error.role_unchanged": (
        "账户 {name} 已经是这个角色。",
        "The account {name} has this role already.",
    ),
    # Assignments.
    "error.deputy_inactive": (
        "代表 {deputy} 的账户已被锁定，不能指派点位；请先解锁。",
        "Deputy {deputy}'s account is locked, so no site can be assigned to them; unlock it first.",
    ),
    "error.assignment_unchanged": (
        "{deputy} 已经是点位 {site} 的联系代表。",
        "{deputy} is the deputy of site {site} already.",
    ),
    "error.assignment_too_early": (
        "点位 {site}：新代表的起始日 {valid_from} 须晚于当前指派的起始日 {last}。",
        "Site {site}: the new deputy's first day {valid_from} must be after the current "
        "assignment's first day {last}.",
    ),
    "error.assignment_overlaps": (
        "点位 {site}：上一段指派至 {last} 才结束，新代表的起始日 {valid_from} 不能早于此日。",
        "Site {site}: the last assignment runs until {last}; the new deputy cannot start "
        "before that ({valid_from}).",
    ),
}
