"""Error sentences of the supervision groups and the volunteer patrols (duty.supervision,
duty.volunteers): see i18n/errors.py."""

from __future__ import annotations

ERRORS_SUPERVISION: dict[str, tuple[str, str]] = {
    "error.upload_stored_elsewhere": (
        "{filename}：同一文件已作为另一条巡查或督查轨迹保存，未重复保存。",
        "{filename}: the same file is already stored as another patrol or visit; not stored again.",
    ),
    "error.no_group": ("督查组“{group}”不存在。", "There is no supervision group '{group}'."),
    "error.no_township_named": ("乡镇“{township}”不存在。", "There is no township '{township}'."),
    "error.group_incomplete": (
        "督查组须填写编码、名称和带队领导。",
        "A supervision group needs a code, a name and a leader.",
    ),
    "error.group_exists": ("督查组“{group}”已存在。", "Supervision group '{group}' exists."),
    "error.member_name_missing": ("请填写成员姓名。", "Give the member's name."),
    "error.leader_change_order": (
        "新带队领导的起始日期（{since}）须晚于现任领导的起始日期（{current}）。",
        "The new leader's first day ({since}) must come after the current leader's ({current}).",
    ),
    "error.township_already_assigned": (
        "督查组 {group} 已负责{township}。",
        "Group {group} already supervises {township}.",
    ),
    "error.township_not_assigned": (
        "督查组 {group} 当前不负责{township}，或结束日期不晚于开始日期。",
        "Group {group} does not currently supervise {township}, or the end is not after the start.",
    ),
    "error.township_not_supervised": (
        "{group}在 {day} 不负责{township}，未记录本次督查。",
        "{group} does not supervise {township} on {day}; the visit was not recorded.",
    ),
    "error.checkin_time_naive": ("签到时间缺少时区。", "The check-in time has no time zone."),
    "error.checkin_in_future": (
        "督查时间 {value} 晚于现在，请检查日期和时间。",
        "The visit's time {value} is in the future; check the date and time.",
    ),
    "error.checkin_place_missing": (
        "签到须填写督查地点。",
        "A check-in needs the place visited.",
    ),
    "error.checkin_place_too_long": (
        "督查地点过长（最多 {limit} 字）。",
        "The place is too long (at most {limit} characters).",
    ),
    "error.checkin_point_half": (
        "请同时填写经度和纬度，或都不填。",
        "Give both longitude and latitude, or neither.",
    ),
    "error.checkin_point_invalid": (
        "坐标（{lon}, {lat}）不是有效的经纬度。",
        "({lon}, {lat}) is not a valid longitude and latitude.",
    ),
    "error.checkin_point_elsewhere": (
        "签到位置不在{township}范围内。",
        "The check-in point lies outside {township}.",
    ),
    "error.finding_text_missing": (
        "第 {n} 条督查发现没有填写内容。",
        "Finding {n} has no text.",
    ),
    "error.finding_too_long": (
        "第 {n} 条督查发现过长（最多 {limit} 字）。",
        "Finding {n} is too long (at most {limit} characters).",
    ),
    "error.visit_track_untimed": (
        "{filename}：轨迹没有时间，不能证明督查时间。",
        "{filename}: the track has no times, so it cannot prove when the visit was.",
    ),
    "error.visit_track_short": (
        "{filename}：可用轨迹点不足两个。",
        "{filename}: fewer than two usable track points.",
    ),
    "error.visit_track_elsewhere": (
        "{filename}：轨迹未到达{township}。",
        "{filename}: the track does not reach {township}.",
    ),
    "error.no_supervision_visit": (
        "督查记录 #{visit} 不存在。",
        "Supervision visit #{visit} does not exist.",
    ),
    "error.unknown_team_kind": (
        "{source}：未导入{where}：队伍类型“{value}”未知（应为 骑行河长 或 老骥常青）。",
        "{source}: refused{where}: unknown team kind '{value}' (use cycling/骑行河长 or "
        "veteran/老骥常青).",
    ),
    "error.unknown_team": (
        "{source}：未导入{where}：队伍“{value}”不存在（请填写队伍编码）。",
        "{source}: refused{where}: unknown team '{value}' (give the team's code).",
    ),
    "error.left_before_joined": (
        "{source}：未导入{where}：退出日期须晚于加入日期。",
        "{source}: refused{where}: left_on must come after joined_on.",
    ),
    "error.no_volunteer": ("志愿者“{volunteer}”不存在。", "There is no volunteer '{volunteer}'."),
}
