"""What the glance pages say (kept apart so each part of the app has its own file): the leader's
landing page, its map, and the coverage page's "as of today" view."""

from __future__ import annotations

PAGES_GLANCE: dict[str, tuple[str, str]] = {
    "page_glance": ("今日概况", "Today"),
    "glance_heading": ("今日水环境监督概况", "Water-environment supervision today"),
    "glance_as_of": ("截至 {day}", "As of {day}"),
    # Patrols today.
    "glance_patrols": ("巡查状态", "Patrols"),
    "glance_overdue": ("逾期未巡点位", "Sites overdue"),
    "glance_overdue_help": (
        "巡查截止日已过仍未巡查的点位，与巡查到期清单中“已逾期”的数目一致。",
        "Sites whose patrol deadline has passed without a visit: the count the due list "
        "shows as overdue.",
    ),
    "glance_overdue_since": (
        "逾期最久的一处截止于 {day}，已逾期 {days} 天。",
        "The longest overdue missed its deadline on {day}, {days} days ago.",
    ),
    "glance_nothing_overdue": ("今日没有逾期未巡的点位。", "No site is overdue today."),
    "glance_overdue_list": ("逾期点位清单（{n} 处）", "Overdue sites ({n})"),
    "glance_days_overdue": ("逾期天数", "Days overdue"),
    "glance_due_soon": ("即将到期点位", "Sites due soon"),
    "glance_due_soon_help": (
        "{days} 天内到期、尚未巡查的点位。",
        "Sites whose deadline is within {days} days and not yet visited.",
    ),
    "glance_never": ("从未巡查点位", "Sites never patrolled"),
    "glance_never_help": (
        "至今没有任何一次经轨迹核验的到访（任何代表）。",
        "No verified visit by any deputy so far.",
    ),
    "glance_unassigned": ("无联系代表点位", "Sites without a deputy"),
    "glance_month_share": ("本月按期巡查占比", "On time this month"),
    "glance_month_share_help": (
        "{month}截至今日：{on_time} / {sites} 处点位按期，口径同覆盖缺口地图的月视图。",
        "{month} so far: {on_time} of {sites} sites on time, counted as in the coverage "
        "map's month view.",
    ),
    "glance_last_month_share": ("上月按期巡查占比", "On time last month"),
    "glance_last_month_help": (
        "{month}：{on_time} / {sites} 处点位按期。",
        "{month}: {on_time} of {sites} sites on time.",
    ),
    # Tickets.
    "glance_tickets": ("问题交办", "Tickets"),
    "glance_open_tickets": ("在办问题", "Open tickets"),
    "glance_open_help": (
        "尚未办结或撤回的交办单（当前所有）。",
        "Tickets neither closed nor withdrawn, whenever reported.",
    ),
    "glance_overdue_tickets": ("超期未反馈", "Tickets overdue"),
    "glance_overdue_tickets_help": (
        "已过办理期限、平台尚未反馈的交办单。",
        "Past their deadline with no feedback from the platform yet.",
    ),
    "glance_rates_window": (
        "处置率与满意率按 {start} 至 {end} 创建的问题计（近 {days} 天，同问题地图的默认范围）。",
        "The handling rate and satisfaction count the tickets created from {start} to {end} "
        "(the last {days} days, the issues map's default range).",
    ),
    # Ranking.
    "glance_ranking": ("乡镇（街道）排名 · {month}", "Township ranking, {month}"),
    "glance_ranking_note": (
        "与月度通报一致：按代表平均得分排序，按期巡查率按点位数重新计算。",
        "As in the monthly bulletin: by the deputies' mean score; the on-time share is "
        "recomputed from site counts.",
    ),
    "glance_rank_of": ("本乡镇排名", "This township's rank"),
    "glance_rank_value": ("{rank} / {of}", "{rank} of {of}"),
    "glance_ranking_empty": ("该月没有参评代表。", "No deputy was evaluated that month."),
    # Trend.
    "glance_trend": ("近 12 个月趋势", "The last 12 months"),
    "glance_trend_month": ("月份", "Month"),
    "glance_trend_value": ("占比", "Share"),
    "glance_trend_figure": ("指标", "Figure"),
    "glance_trend_on_time": ("按期巡查占比", "Share on time"),
    "glance_trend_handling": ("交办处置率", "Handling rate"),
    "glance_trend_note": (
        "按期巡查占比同覆盖缺口地图的月视图；处置率按当月创建的问题、截至月末的办理情况计"
        "（即当月通报的口径），本月截至今日。",
        "The share on time as in the coverage map's month view; the handling rate counts the "
        "tickets created in the month as handled by its end (the month's bulletin figure), "
        "this month so far.",
    ),
    "glance_trend_empty": ("尚无可比较的月份。", "No month to show yet."),
    # Map.
    "glance_map": ("今日点位状态", "Sites today"),
    "glance_map_note": (
        "每处点位一种颜色，按图例自上而下取第一种符合的状态。",
        "One colour per site: the first state in the legend's order that applies.",
    ),
    "today_status.overdue": ("已逾期", "Overdue"),
    "today_status.due_soon": ("即将到期", "Due soon"),
    "today_status.never": ("从未巡查、未到期", "Never patrolled, not yet due"),
    "today_status.pending": ("本期待巡", "Window open, not yet visited"),
    "today_status.done": ("本期已巡", "Done this window"),
    "today_status.unassigned": ("无联系代表", "No deputy"),
    "glance_map.legend": ("今日状态", "State today"),
    "glance_map.layer": ("{status}（{n}）", "{status} ({n})"),
    "glance_map.name": ("名称", "Name"),
    "glance_map.code": ("编码", "Code"),
    "glance_map.kind": ("类型", "Kind"),
    "glance_map.class": ("类别", "Class"),
    "glance_map.township": ("乡镇", "Township"),
    "glance_map.deputy": ("联系代表", "Deputy"),
    "glance_map.last_visit": ("联系代表最近到访", "Last visit by the deputy"),
    "glance_map.deadline": ("下次截止", "Next deadline"),
    "glance_map.state": ("今日状态", "State today"),
    "glance_map.none": ("无", "none"),
    # Links to the pages that explain each figure.
    "glance_link_due": ("巡查到期清单 →", "Due list →"),
    "glance_link_coverage_today": ("截至今日的覆盖缺口 →", "Coverage gaps as of today →"),
    "glance_link_coverage_month": ("本月覆盖缺口 →", "Coverage gaps this month →"),
    "glance_link_coverage_last": ("上月覆盖缺口 →", "Coverage gaps last month →"),
    "glance_link_issues": ("问题地图 →", "Issues map →"),
    "glance_link_evaluation": ("履职评价与通报 →", "Evaluation and bulletin →"),
    # The coverage page's two views.
    "coverage_view": ("视图", "View"),
    "coverage_view_month": ("按月", "By month"),
    "coverage_view_today": ("截至今日", "As of today"),
    "coverage_today_share": ("今日未逾期占比", "Share not overdue today"),
    "coverage_today_note": (
        "截至今日：看各点位当前的巡查窗口。有联系代表且未逾期的点位计为按期；逾期点位与无代表"
        "点位所在的网格为死角。轨迹为本月以来的。",
        "As of today: each site's current patrol window. A site with a deputy and not overdue "
        "counts as on time; a cell holding an overdue site or one without a deputy is a dead "
        "corner. Tracks are this month's so far.",
    ),
}
