"""What the cross-section water quality (交接断面水质) says: its page, its map, the public
page's part, the classes and parameters, and the importers' refusals."""

from __future__ import annotations

PAGES_WATER: dict[str, tuple[str, str]] = {
    "page_water_quality": ("交接断面水质", "Cross-section water quality"),
    "water_heading": ("乡镇交接断面水质", "Water quality at township cross-sections"),
    "water_intro": (
        "每月监测，按《地表水环境质量标准》（GB 3838-2002）表1 逐项评价、以最差项目定类；"
        "水质类别不劣于目标类别为达标。断面考核其上游乡镇（出境水质）；"
        "连续 {n} 个月不达标的乡镇列入约谈名单，缺测的月份中断连续计数。",
        "Monthly monitoring, classed item by item by GB 3838-2002 Table 1, the worst item "
        "deciding; a month attains when its class is the target or better. A section assesses "
        "its upstream township (the water leaving it); {n} missed months in a row put the "
        "township on the summons list, and a month without a sample breaks the run.",
    ),
    "water_month": ("月份", "Month"),
    "water_no_samples": ("尚无监测结果。", "No monitoring results yet."),
    "water_no_sections": ("尚无交接断面。", "No cross-sections yet."),
    "water_metric_sampled": ("监测断面", "Sections sampled"),
    "water_metric_attained": ("达标断面", "Attained"),
    "water_metric_share": ("达标率", "Attainment"),
    "water_metric_summons": ("约谈乡镇（次）", "Summons (runs)"),
    "water_table_heading": ("{month}断面水质", "Results, {month}"),
    "water_table_empty": ("该月没有监测结果。", "No results in this month."),
    "water_col.code": ("断面编码", "Code"),
    "water_col.name": ("断面名称", "Section"),
    "water_col.upstream": ("上游乡镇（被考核）", "Upstream (assessed)"),
    "water_col.downstream": ("下游乡镇", "Downstream"),
    "water_col.sampled_on": ("采样日期", "Sampled on"),
    "water_col.waterbody": ("水体", "Water body"),
    "water_col.water_class": ("水质类别", "Class"),
    "water_col.target_class": ("目标类别", "Target"),
    "water_col.attained": ("达标", "Attained"),
    "water_col.exceeding": ("超标项目", "Above target"),
    "water_param_unit": ("{name}（{unit}）", "{name} ({unit})"),
    "water_param.do": ("溶解氧", "DO"),
    "water_param.codmn": ("高锰酸盐指数", "CODMn"),
    "water_param.cod": ("化学需氧量", "COD"),
    "water_param.bod5": ("五日生化需氧量", "BOD5"),
    "water_param.nh3n": ("氨氮", "NH3-N"),
    "water_param.tp": ("总磷", "TP"),
    "water_param.tn": ("总氮", "TN"),
    "water_param.ph": ("pH", "pH"),
    "water_class.1": ("Ⅰ类", "I"),
    "water_class.2": ("Ⅱ类", "II"),
    "water_class.3": ("Ⅲ类", "III"),
    "water_class.4": ("Ⅳ类", "IV"),
    "water_class.5": ("Ⅴ类", "V"),
    "water_class.6": ("劣Ⅴ类", "Worse than V"),
    "water_class_none": ("未监测", "Not sampled"),
    "waterbody.river": ("河流", "River"),
    "waterbody.lake": ("湖库", "Lake or reservoir"),
    "water_attained_yes": ("✓", "✓"),
    "water_attained_no": ("✗", "✗"),
    "water_no_upstream": ("—（入境或源头，不考核）", "— (inflow or source, assesses none)"),
    "water_tn_note": (
        "总氮只对湖库断面定类（GB 3838-2002 表1“总氮（湖、库）”）；湖库断面的总磷用湖、库限值。",
        "TN classes lake and reservoir sections only (GB 3838-2002 Table 1: “TN (lakes, "
        "reservoirs)”); their TP takes the lake and reservoir limits.",
    ),
    # The map.
    "water_map_heading": ("断面水质地图", "Map of the sections"),
    "water_map_legend": ("水质类别（{month}）", "Class ({month})"),
    "water_map_layer": ("{name}：{n} 个断面", "{name}: {n} section(s)"),
    "water_map.code": ("断面编码", "Code"),
    "water_map.name": ("断面", "Section"),
    "water_map.townships": ("上游 → 下游", "Upstream → downstream"),
    "water_map.class": ("水质类别", "Class"),
    "water_map.target": ("目标", "Target"),
    "water_map.attained": ("达标", "Attained"),
    # The trend.
    "water_trend_heading": ("断面趋势", "Trend of a section"),
    "water_trend_section": ("断面", "Section"),
    "water_trend_parameter": ("指标", "Parameter"),
    "water_trend_month": ("月份", "Month"),
    "water_trend_class": ("水质类别", "Class"),
    "water_trend_value": ("数值", "Value"),
    "water_trend_limit": (
        "虚线：目标类别（{target}）的限值",
        "Dashed line: the limit of the target class ({target})",
    ),
    "water_trend_empty": ("该断面尚无监测结果。", "No results for this section yet."),
    # The 约谈 list.
    "water_summons_heading": ("约谈名单", "Summons list"),
    "water_summons_rule": (
        "连续 {n} 个月（按日历月连续，缺测中断）不达标的乡镇，对其领导实行集中约谈；"
        "每段连续不达标列一次。",
        "A township that missed its target {n} months in a row (calendar months, a month "
        "without a sample breaking the run) has its leaders summoned; each run is listed once.",
    ),
    "water_summons_empty": ("目前没有乡镇达到约谈条件。", "No township has reached a summons."),
    "water_summons_col.township": ("乡镇", "Township"),
    "water_summons_col.first_month": ("起始月份", "From"),
    "water_summons_col.last_month": ("最近月份", "To"),
    "water_summons_col.misses": ("连续不达标（月）", "Months missed"),
    "water_summons_col.sections": ("不达标断面", "Sections that missed"),
    "water_summons_col.ongoing": ("状态", "State"),
    "water_summons_ongoing": ("持续中", "Ongoing"),
    "water_summons_ended": ("已中断", "Ended"),
    # Importing.
    "water_import_heading": ("导入断面与监测结果", "Import sections and results"),
    "water_import_note": (
        "断面表：断面编码、断面名称、经度、纬度、上游乡镇、下游乡镇、目标类别（可选：水体类型）。"
        "监测表：断面编码、采样日期、溶解氧、高锰酸盐指数、化学需氧量、五日生化需氧量、氨氮、"
        "总磷、总氮（可选 pH），单位写在列名中（如“氨氮（mg/L）”）或单独的“单位”列。"
        "列名中文或英文均可；任何一行有误则整个文件不导入，并逐行说明原因。",
        "Sections: code, name, lon, lat, upstream, downstream, target (optional: waterbody). "
        "Results: section, date, DO, CODMn, COD, BOD5, NH3-N, TP, TN (optional pH), with the "
        "unit in the header (e.g. “NH3-N (mg/L)”) or a unit column. Headers in Chinese or "
        "English; one bad row refuses the whole file, every fault named by its row.",
    ),
    "water_import_sections": ("断面表（CSV 或 Excel）", "Sections (CSV or Excel)"),
    "water_import_samples": ("月度监测结果（CSV 或 Excel）", "Monthly results (CSV or Excel)"),
    "water_import_replace": (
        "替换已有月份的数据（原数据记入审计日志）",
        "Replace months already stored (the old values go to the audit log)",
    ),
    "water_import_button": ("导入", "Import"),
    "water_import_no_file": ("请先选择文件。", "Choose a file first."),
    "water_import_sections_done": (
        "已导入断面：新增 {added} 个，更新 {changed} 个，未变 {unchanged} 个。",
        "Sections imported: {added} added, {changed} changed, {unchanged} unchanged.",
    ),
    "water_import_samples_done": (
        "已导入监测结果：新增 {stored} 条，替换 {replaced} 条。",
        "Results imported: {stored} stored, {replaced} replaced.",
    ),
    "water_refusal_more": ("……另有 {n} 处错误未列出。", "… and {n} more fault(s) not listed."),
    # The public page's part.
    "public_water_heading": ("交接断面水质公示", "Township cross-section water quality"),
    "public_water_intro": (
        "全县乡镇交接断面每月监测考核结果：水质类别按 GB 3838-2002 评价，不劣于目标类别为达标；"
        "连续 {n} 个月不达标的乡镇列入约谈名单。",
        "Each month's results at the township cross-sections: classed by GB 3838-2002, a month "
        "attains when its class is the target or better; a township that misses {n} months in "
        "a row is summoned.",
    ),
    "public_water_none": ("暂无公示的监测结果。", "No results published yet."),
    "public_water_summons": ("约谈名单", "Summons list"),
    # The audit log.
    "audit_action_water_section_import": ("导入交接断面", "cross-sections imported"),
    "audit_action_water_sample_import": ("导入断面监测结果", "cross-section results imported"),
}

ERRORS_WATER: dict[str, tuple[str, str]] = {
    "error.water_standard_malformed": (
        "水质标准限值表 {source} 格式有误：{detail}",
        "The limit table {source} is malformed: {detail}",
    ),
    "error.water_file_refused": (
        "{source}：未导入：共 {count} 处错误，文件中的数据均未保存。",
        "{source}: refused: {count} fault(s); nothing of the file was stored.",
    ),
    "error.water_missing_columns": (
        "{source}：未导入：缺少列 {columns}。",
        "{source}: refused: missing column(s) {columns}.",
    ),
    "error.water_empty_value": (
        "第 {line} 行“{column}”列为空。",
        "Line {line}, column '{column}': empty.",
    ),
    "error.water_too_long": (
        "第 {line} 行“{column}”列：超过 {limit} 个字。",
        "Line {line}, column '{column}': longer than {limit} characters.",
    ),
    "error.water_section_duplicate": (
        "第 {line} 行“{column}”列：断面“{value}”在第 {other} 行已出现。",
        "Line {line}, column '{column}': section '{value}' is already on line {other}.",
    ),
    "error.water_bad_coordinate": (
        "第 {line} 行“{column}”列：“{value}”不是有效的经纬度（WGS84，度）。",
        "Line {line}, column '{column}': '{value}' is not a coordinate (WGS84 degrees).",
    ),
    "error.water_unknown_township": (
        "第 {line} 行“{column}”列：没有编码或名称为“{value}”的乡镇。",
        "Line {line}, column '{column}': no township has the code or name '{value}'.",
    ),
    "error.water_same_township": (
        "第 {line} 行“{column}”列：上游与下游是同一个乡镇（“{value}”）。",
        "Line {line}, column '{column}': upstream and downstream are one township ('{value}').",
    ),
    "error.water_bad_target": (
        "第 {line} 行“{column}”列：“{value}”不是目标类别（Ⅰ～Ⅴ类）。",
        "Line {line}, column '{column}': '{value}' is not a target class (I to V).",
    ),
    "error.water_bad_waterbody": (
        "第 {line} 行“{column}”列：“{value}”不是水体类型（河流或湖库）。",
        "Line {line}, column '{column}': '{value}' is not a water body (river or lake).",
    ),
    "error.water_section_far": (
        "第 {line} 行“{column}”列：断面位置（{value}）距{township} {metres} 米，"
        "交接断面应在两乡镇交界 {limit} 米以内。",
        "Line {line}, column '{column}': the section ({value}) lies {metres} m from "
        "{township}; a cross-section lies within {limit} m of both townships.",
    ),
    "error.water_unknown_section": (
        "第 {line} 行“{column}”列：没有编码为“{value}”的断面（请先导入断面）。",
        "Line {line}, column '{column}': there is no section '{value}' (import the sections "
        "first).",
    ),
    "error.water_bad_date": (
        "第 {line} 行“{column}”列：“{value}”不是日期（如 2026-05-12）。",
        "Line {line}, column '{column}': '{value}' is not a date (e.g. 2026-05-12).",
    ),
    "error.water_future_date": (
        "第 {line} 行“{column}”列：采样日期 {value} 在今天之后。",
        "Line {line}, column '{column}': the sampling date {value} is in the future.",
    ),
    "error.water_missing_parameter": (
        "第 {line} 行“{column}”列：缺少必填的监测指标。",
        "Line {line}, column '{column}': a required parameter is missing.",
    ),
    "error.water_not_a_number": (
        "第 {line} 行“{column}”列：“{value}”不是数值。",
        "Line {line}, column '{column}': '{value}' is not a number.",
    ),
    "error.water_negative_value": (
        "第 {line} 行“{column}”列：{value} 为负数。",
        "Line {line}, column '{column}': {value} is negative.",
    ),
    "error.water_bad_ph": (
        "第 {line} 行“{column}”列：pH {value} 超出 0～14。",
        "Line {line}, column '{column}': pH {value} is outside 0 to 14.",
    ),
    "error.water_ph_unit": (
        "第 {line} 行“{column}”列：pH 无量纲，不应带单位“{value}”。",
        "Line {line}, column '{column}': pH has no unit, not '{value}'.",
    ),
    "error.water_unknown_unit": (
        "第 {line} 行“{column}”列：单位“{value}”未知（可用：{known}）。",
        "Line {line}, column '{column}': unknown unit '{value}' (known: {known}).",
    ),
    "error.water_no_unit": (
        "第 {line} 行“{column}”列：未注明单位。请写在列名中（如“氨氮（mg/L）”）"
        "或增加“单位”列（可用：{known}）。",
        "Line {line}, column '{column}': no unit. Put it in the header (e.g. 'NH3-N (mg/L)') "
        "or add a unit column (known: {known}).",
    ),
    "error.water_unit_conflict": (
        "第 {line} 行“{column}”列：单位“{value}”与列名“{header}”中的单位不一致。",
        "Line {line}, column '{column}': the unit '{value}' disagrees with the header '{header}'.",
    ),
    "error.water_duplicate_month": (
        "第 {line} 行“{column}”列：断面 {section} 的 {month} 在第 {other} 行已有结果"
        "（同一断面每月一条）。",
        "Line {line}, column '{column}': section {section} has {month} already on line "
        "{other} (one result per section and month).",
    ),
    "error.water_month_stored": (
        "第 {line} 行“{column}”列：断面 {section} 的 {month} 已有结果（采样于 {stored_on}，"
        "来自 {stored_from}）。如为更正，请选择“替换已有月份”后重新导入。",
        "Line {line}, column '{column}': section {section} already has {month} (sampled "
        "{stored_on}, from {stored_from}). To correct it, import again choosing to replace.",
    ),
}
