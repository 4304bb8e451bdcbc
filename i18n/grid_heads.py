"""What the grid heads (网格长) part says: the admin section, the map popup, the import's
refusals and the dead-corner reminder (duty.grid_heads, duty.reminders.grid_heads). Kept in
one file so the part reads as one subject; each dict joins its part of the catalogue."""

from __future__ import annotations

PAGES_GRID_HEADS: dict[str, tuple[str, str]] = {
    "admin_section_grid_heads": ("网格长", "Grid heads"),
    "admin_grid_heads_filter": ("网格编码（留空为全部）", "Cell code (empty: all)"),
    "admin_grid_heads_history": ("含历任网格长", "Include former heads"),
    "admin_grid_heads_count": ("共 {count} 条。", "{count} rows."),
    "admin_grid_heads_empty": ("没有符合条件的网格长。", "No grid heads match."),
    "admin_grid_heads_cell": ("网格", "Cell"),
    "admin_grid_heads_township": ("乡镇", "Township"),
    "admin_grid_heads_name": ("网格长", "Grid head"),
    "admin_grid_heads_phone": ("手机", "Mobile"),
    "admin_grid_heads_from": ("起始日", "From"),
    "admin_grid_heads_to": ("截止日", "Until"),
    "admin_grid_heads_import": ("导入网格长", "Import grid heads"),
    "admin_grid_heads_import_note": (
        "CSV 或 Excel（.xlsx）表格，列：网格编码（小网格）、姓名、手机，可选 起始日"
        "（默认今天）。同一网格长重复导入不作改动；换人则上一任的任期于前一日结束。"
        "任何一行有误则整个文件不导入。",
        "A CSV or Excel (.xlsx) table with columns cell (a small cell's code), name, phone and "
        "optionally valid_from (first day, default today); Chinese headers work too. "
        "Importing the same head again changes nothing; a new head ends the previous one's "
        "period the day before. One bad row refuses the whole file.",
    ),
    "admin_grid_heads_file": ("表格文件", "Table file"),
    "admin_grid_heads_import_button": ("导入", "Import"),
    "admin_grid_heads_no_file": (
        "请先选择要导入的表格文件（CSV 或 Excel），再点“导入”。",
        "Choose the table file to import (CSV or Excel) first, then press Import.",
    ),
    "admin_grid_heads_imported": (
        "{source}：新增 {added} 名网格长，更换 {changed} 名，{unchanged} 名未变。",
        "{source}: {added} grid head(s) added, {changed} changed, {unchanged} unchanged.",
    ),
    "audit_action_grid_head_import": ("导入网格长", "grid heads imported"),
    "audit_detail_added": ("新增", "added"),
    "audit_detail_changed": ("更换", "changed"),
    "audit_detail_unchanged": ("未变", "unchanged"),
    # layers/coverage.py: the small cell's popup
    "map_coverage.grid_head": ("网格长", "Grid head"),
    "map_coverage.grid_head_phone": ("{name}（{phone}）", "{name} ({phone})"),
}

ERRORS_GRID_HEADS: dict[str, tuple[str, str]] = {
    "error.unsupported_table_type": (
        "{source}：未导入：不支持的表格类型 {suffix}，请使用 CSV 或 Excel（.xlsx）。",
        "{source}: refused: unsupported table type {suffix}; use CSV or Excel (.xlsx).",
    ),
    "error.grid_head_empty": (
        "{source}：未导入：第 {line} 行“{column}”列为空。",
        "{source}: refused: line {line}, column '{column}' is empty.",
    ),
    "error.grid_head_unknown_cell": (
        "{source}：未导入：第 {line} 行“{column}”列：网格“{value}”不存在。",
        "{source}: refused: line {line}, column '{column}': there is no grid cell '{value}'.",
    ),
    "error.grid_head_not_small": (
        "{source}：未导入：第 {line} 行“{column}”列：网格“{value}”是第 {level} 级网格，"
        "网格长只设在小网格（第 3 级）。",
        "{source}: refused: line {line}, column '{column}': cell '{value}' is a level {level} "
        "cell; grid heads are for small (level 3) cells.",
    ),
    "error.grid_head_duplicate_cell": (
        "{source}：未导入：第 {line} 行“{column}”列：网格“{value}”在第 {other} 行已有网格长。",
        "{source}: refused: line {line}, column '{column}': cell '{value}' already has a head "
        "on line {other}.",
    ),
    "error.grid_head_name_too_long": (
        "{source}：未导入：第 {line} 行“{column}”列：姓名超过 {limit} 个字。",
        "{source}: refused: line {line}, column '{column}': the name is longer than {limit} "
        "characters.",
    ),
    "error.grid_head_bad_phone": (
        "{source}：未导入：第 {line} 行“{column}”列：“{value}”不是电话号码。",
        "{source}: refused: line {line}, column '{column}': '{value}' is not a phone number.",
    ),
    "error.grid_head_bad_date": (
        "{source}：未导入：第 {line} 行“{column}”列：“{value}”不是日期（YYYY-MM-DD）。",
        "{source}: refused: line {line}, column '{column}': '{value}' is not a date (YYYY-MM-DD).",
    ),
    "error.grid_head_not_after": (
        "{source}：未导入：第 {line} 行“{column}”列：现任网格长自 {current} 起任职，"
        "新网格长的起始日须在此之后（{value}）。",
        "{source}: refused: line {line}, column '{column}': the current head's period began "
        "{current}; a new head must start after it ({value}).",
    ),
}

REMINDERS_GRID_HEADS: dict[str, tuple[str, str]] = {
    "reminder.grid_head.title": (
        "网格死角提醒：{cell} {count} 个点位",
        "Dead corner in cell {cell}: {count} site(s)",
    ),
    "reminder.grid_head.heading": (
        "#### 网格死角提醒（{date}）",
        "#### Dead corner in your grid cell ({date})",
    ),
    "reminder.grid_head.intro": (
        "{name}网格长：您负责的网格 {cell}（{township}）有以下 {count} 个点位无人按时巡查：",
        "{name}: these {count} site(s) of your grid cell {cell} ({township}) are not watched "
        "in time:",
    ),
    "reminder.grid_head.cause.overdue": (
        "逾期未巡查（截止 {deadline}）",
        "overdue (deadline {deadline})",
    ),
    "reminder.grid_head.cause.unassigned": ("无联系代表", "no deputy"),
    "reminder.grid_head.again": ("，再次提醒", ", reminded again"),
    "reminder.grid_head.line": ("- **{cause}{again}** {site}", "- **{cause}{again}** {site}"),
    "reminder.grid_head.closing": (
        "请就近查看，并提醒联系代表巡查；点位无人联系的，请报乡镇人大办公室。",
        "Please have a look, and remind the deputy to patrol; a site without a deputy, report "
        "to the township's people's congress office.",
    ),
    "reminder.grid_head.sms": (
        "【水监】{name}网格长，截至{date}，网格{cell}以下点位无人按时巡查：{sites}{more}。"
        "请就近查看并提醒联系代表。",
        "[Shuijian] {name}, as of {date} these sites of grid cell {cell} are not watched in "
        "time: {sites}{more}. Please have a look and remind the deputy.",
    ),
    "reminder.grid_head.sms_site": ("{site}（{cause}）", "{site} ({cause})"),
}
