"""What the problem register (挂号销号) and early warnings (预警管理) say: their pages, the map
legend, the bulletin's words and the push to township offices (sent in Chinese)."""

from __future__ import annotations

PAGES_REGISTER: dict[str, tuple[str, str]] = {
    # The register page.
    "page_register": ("挂号销号", "Problem register"),
    "register_heading": ("问题点位挂号销号台账", "Register of sites with confirmed problems"),
    "register_rule": (
        "平台承办（确认）点位问题之日起挂号；此后连续 {k} 次无问题巡查或复查合格即销号。"
        "每次挂号为一个时段，历史全部保留。",
        "A site is registered from the day a platform accepts (confirms) a problem there, and "
        "cancelled after {k} consecutive clean patrols or passed re-inspections. Each "
        "registration is a period; all are kept.",
    ),
    "register_state_filter": ("状态", "State"),
    "register_state.open": ("挂号中", "Registered"),
    "register_state.cancelled": ("已销号", "Cancelled"),
    "register_open_count": ("挂号中点位", "Sites registered"),
    "register_cancelled_count": ("已销号", "Cancelled"),
    "register_empty": ("没有符合条件的挂号记录。", "No registration matches."),
    "register_col_site": ("点位", "Site"),
    "register_col_opened": ("挂号日期", "Registered on"),
    "register_col_closed": ("销号日期", "Cancelled on"),
    "register_col_state": ("状态", "State"),
    "register_col_streak": ("连续无问题", "Clean in a row"),
    "register_col_tickets": ("交办单", "Tickets"),
    "register_streak": ("{streak} / {k}", "{streak} / {k}"),
    # The warnings page.
    "page_warnings": ("预警管理", "Early warnings"),
    "warnings_heading": ("预警管理", "Early warnings"),
    "warnings_intro": (
        "预警规则以数据文件配置，每日扫描；每条预警只发出一次，推送至乡镇人大办公室，"
        "签收后填写处理情况办结。",
        "The rules are kept as data and scanned daily; each warning is raised once, pushed to "
        "the township's people's congress office, acknowledged, and closed with a note.",
    ),
    "warnings_rule_filter": ("预警类型", "Rule"),
    "warnings_state_filter": ("状态", "State"),
    "warnings_empty": ("没有符合条件的预警。", "No warning matches."),
    "warnings_col_raised": ("预警日期", "Raised on"),
    "warnings_col_rule": ("类型", "Rule"),
    "warnings_col_what": ("内容", "Warning"),
    "warnings_col_state": ("状态", "State"),
    "warnings_col_pushed": ("已推送", "Pushed"),
    "warnings_col_handling": ("签收 / 办结", "Acknowledged / closed"),
    "warnings_handled_by": ("{who} {when}：{note}", "{who} {when}: {note}"),
    "warnings_act_heading": ("签收与办结", "Acknowledge and close"),
    "warnings_pick": ("预警", "Warning"),
    "warnings_note": ("处理情况", "Note"),
    "warnings_acknowledge": ("签收", "Acknowledge"),
    "warnings_close": ("办结", "Close"),
    "warnings_acknowledged": ("已签收。", "Acknowledged."),
    "warnings_closed": ("已办结。", "Closed."),
    "warnings_count": ("{state}：{n}", "{state}: {n}"),
    "warning_state.open": ("待签收", "Open"),
    "warning_state.acknowledged": ("已签收", "Acknowledged"),
    "warning_state.closed": ("已办结", "Closed"),
    "warning_rule.overdue_in_a_row": ("连续逾期未巡", "Overdue windows in a row"),
    "warning_rule.repeat_problem": ("同类问题反复", "Same problem again"),
    "warning_rule.flagged_deputy": ("轨迹屡被标记", "Patrols keep being flagged"),
    "warning_rule.registered_unpatrolled": ("挂号点位久未巡查", "Registered site unpatrolled"),
    "warning_rule.water_quality": ("交接断面水质连续不达标", "Cross-section quality missed"),
    "warning_line.overdue_in_a_row": (
        "{site}（代表{deputy}）连续 {windows} 个巡查周期逾期，"
        "首个截止日 {first_deadline}，最近 {last_deadline}",
        "{site} (deputy {deputy}) missed {windows} patrol windows in a row, from "
        "{first_deadline} to {last_deadline}",
    ),
    "warning_line.repeat_problem": (
        "{site} {days_apart} 天内再次出现同类问题（{category}）：{ticket}，前次 {earlier_ticket}",
        "{site}: the same problem ({category}) again within {days_apart} days: {ticket}, "
        "earlier {earlier_ticket}",
    ),
    "warning_line.flagged_deputy": (
        "代表{deputy}最近 {patrols} 次巡查中 {flagged} 次轨迹被标记异常",
        "Deputy {deputy}: {flagged} of the last {patrols} patrols flagged",
    ),
    "warning_line.registered_unpatrolled": (
        "挂号点位{site}自 {since} 起 {days} 天未巡查",
        "Registered site {site} not patrolled for {days} days since {since}",
    ),
    "warning_line.water_quality": (
        "{township}交接断面水质自 {first_month} 起连续 {misses} 个月未达到目标类别"
        "（至 {last_month}；断面：{sections}），应约谈乡镇领导",
        "{township}: cross-section water quality missed its target {misses} months in a row "
        "from {first_month} to {last_month} (sections: {sections}); its leaders are to be "
        "summoned",
    ),
    # The push to a township office (sent in Chinese through the reminder channel).
    "warning_push.title": ("预警通知：{township}", "Warnings: {township}"),
    "warning_push.heading": ("#### 预警通知（{date}）", "#### Warnings ({date})"),
    "warning_push.intro": (
        "{office}：{township}有 {count} 条新预警，请签收并督促处理：",
        "{office}: {township} has {count} new warning(s); please acknowledge and follow up:",
    ),
    "warning_push.more": ("- ……另有 {count} 条预警", "- … and {count} more warning(s)"),
    "warning_push.closing": (
        "请登录水监系统“预警管理”页签收、办结。",
        "Acknowledge and close them on the Early warnings page.",
    ),
    "warning_push.sms": (
        "{office}：{township}有 {count} 条新预警（{first} 等），请登录水监系统签收处理。",
        "{office}: {township} has {count} new warning(s) ({first} …); please acknowledge them "
        "in Shuijian.",
    ),
    # Maps: registered sites drawn apart.
    "map_registered": ("挂号点位", "Registered sites"),
    "map_registered_legend": (
        "红圈：挂号中的问题点位（挂号销号）",
        "Red ring: a site on the problem register",
    ),
}
