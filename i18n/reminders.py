"""What the reminders say (duty.reminders.message). They go out in Chinese — their readers are
the county's deputies and township offices — so the code reads the "zh" column; the English
column is there for the catalogue's rule and for whoever reads a log."""

from __future__ import annotations

from i18n.grid_heads import REMINDERS_GRID_HEADS

REMINDERS: dict[str, tuple[str, str]] = {
    # The step a site's line names (duty.reminders.schedule.STEPS).
    "reminder.step.due_soon": ("即将到期", "Due soon"),
    "reminder.step.overdue": ("已逾期 {days} 天", "Overdue {days} day(s)"),
    "reminder.step.overdue_again": (
        "已逾期 {days} 天（再次提醒）",
        "Overdue {days} day(s) (reminded again)",
    ),
    "reminder.step.escalation": ("逾期 {days} 天，提请督办", "Overdue {days} day(s), escalated"),
    "reminder.class.1": ("一类", "class 1"),
    "reminder.class.2": ("二类", "class 2"),
    "reminder.class.3": ("三类", "class 3"),
    "reminder.short_date": ("{month}月{day}日", "{month}/{day}"),
    "reminder.due_today": ("，今天到期", ", due today"),
    "reminder.days_left": ("，还剩 {days} 天", ", {days} day(s) left"),
    # The deputy's message (DingTalk markdown).
    "reminder.title": ("巡查提醒：{count} 个点位", "Patrol reminder: {count} site(s)"),
    "reminder.heading": ("#### 巡查提醒（{date}）", "#### Patrol reminder ({date})"),
    "reminder.intro": (
        "{name}代表：您负责的 {count} 个点位需要巡查{overdue}：",
        "{name}: {count} of your sites need a patrol{overdue}:",
    ),
    "reminder.intro_overdue": ("（其中 {count} 个已逾期）", " ({count} of them overdue)"),
    "reminder.line": (
        "- **{step}** {site}（{site_class}，截止 {deadline}{when}）",
        "- **{step}** {site} ({site_class}, deadline {deadline}{when})",
    ),
    "reminder.more": ("- ……另有 {count} 个点位", "- … and {count} more site(s)"),
    "reminder.closing": ("请尽快巡查并上传轨迹。", "Please patrol soon and upload the tracks."),
    # The deputy's message (SMS).
    "reminder.sms": (
        "【水监】{name}代表，截至{date}，您负责的点位需要巡查：{sites}{more}。请尽快巡查并"
        "上传轨迹。",
        "[Shuijian] {name}, as of {date} your sites need a patrol: {sites}{more}. Please "
        "patrol soon and upload the tracks.",
    ),
    "reminder.sms_site": (
        "{site}（{step}，截止{deadline}）",
        "{site} ({step}, deadline {deadline})",
    ),
    "reminder.sms_more": ("等{count}个点位", " and more, {count} sites in all"),
    "reminder.sms_separator": ("；", "; "),
    # The escalation to a township's people's congress office (乡镇人大办公室).
    "reminder.escalation_title": (
        "督办提醒：{township} {count} 个点位逾期未巡查",
        "For supervision: {count} site(s) in {township} not patrolled in time",
    ),
    "reminder.escalation_heading": ("#### 督办提醒（{date}）", "#### For supervision ({date})"),
    "reminder.escalation_intro": (
        "{office}：{township}以下 {count} 个点位逾期未巡查，已到督办期限，请督促责任代表尽快巡查：",
        "{office}: these {count} site(s) in {township} are overdue past the escalation limit; "
        "please urge the responsible deputies to patrol them:",
    ),
    "reminder.escalation_line": (
        "- **{step}** {site}（{site_class}，责任代表 {deputy}，截止 {deadline}）",
        "- **{step}** {site} ({site_class}, deputy {deputy}, deadline {deadline})",
    ),
    "reminder.escalation_closing": (
        "每个点位的每个巡查期限只提请督办一次；代表巡查后即恢复正常。",
        "Each deadline of a site is escalated once; a patrol by the deputy clears it.",
    ),
    "reminder.escalation_sms": (
        "【水监】{office}：截至{date}，{township}以下点位逾期未巡查，请督促责任代表尽快巡查："
        "{sites}{more}。",
        "[Shuijian] {office}: as of {date} these sites in {township} are overdue; please urge "
        "the responsible deputies to patrol them: {sites}{more}.",
    ),
    "reminder.escalation_sms_site": (
        "{site}（{deputy}代表，{step}）",
        "{site} (deputy {deputy}, {step})",
    ),
    "reminder.no_township": ("未划入乡镇的点位", "sites outside every township"),
}

# The dead-corner reminder to a cell's grid head (duty.reminders.grid_heads).
REMINDERS.update(REMINDERS_GRID_HEADS)
