"""What the deputy pages say (kept apart so each part of the app has its own file)."""

from __future__ import annotations

PAGES_DEPUTY: dict[str, tuple[str, str]] = {
    "page_my_sites": ("我的点位", "My sites"),
    # 我的点位 / My sites: a deputy's own sites as cards, on a phone.
    "my_sites_heading": ("我的点位", "My sites"),
    "my_sites_upload": ("上传巡查轨迹", "Upload a patrol track"),
    "my_sites_summary": (
        "共 {n} 处：已逾期 {overdue} 处，即将到期 {due_soon} 处",
        "Sites: {n}; overdue: {overdue}; due soon: {due_soon}",
    ),
    "my_sites_empty": ("目前没有分配给您的点位。", "No site is assigned to you at present."),
    "my_sites_state_overdue": ("已逾期", "Overdue"),
    "my_sites_state_due_soon": ("即将到期", "Due soon"),
    "my_sites_state_never": ("从未巡查", "Never patrolled"),
    "my_sites_state_done": ("本期已巡查", "Done this window"),
    "my_sites_deadline": ("截止日期 {day}", "Deadline {day}"),
    "my_sites_days_left": ("剩余 {n} 天", "{n} days left"),
    "my_sites_day_left": ("剩余 1 天", "1 day left"),
    "my_sites_due_today": ("今天截止", "Due today"),
    "my_sites_days_over": ("逾期 {n} 天", "{n} days overdue"),
    "my_sites_day_over": ("逾期 1 天", "1 day overdue"),
    "my_sites_last_visit": ("最近巡查 {day}", "Last visit {day}"),
    "my_sites_no_visit": ("尚未巡查过", "Not patrolled yet"),
    "my_sites_open_map": ("在地图中打开", "Open in maps"),
    "my_sites_map_hint": (
        "地图按钮在手机的地图应用中打开点位（WGS84 坐标）。",
        "The map button opens the site in your phone's map app (WGS84 coordinates).",
    ),
    # After an upload: the checklist of each site the track visited, right there.
    "upload_checklist_now": (
        "请为本次到访的每个点位填写巡查记录：",
        "Fill in the record of each site this track visited:",
    ),
}
