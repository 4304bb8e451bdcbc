"""What the city's monthly ranking of its counties (一月一排名、一月一通报) says: the city's page,
the public ranking page, the words its bulletin and the audit log use, and its refusals."""

from __future__ import annotations

PAGES_CITY_RANKING: dict[str, tuple[str, str]] = {
    "page_city_ranking": ("各县月度排名", "County ranking"),
    "page_city_ranking_public": ("月度排名公示", "Monthly ranking (public)"),
    "gate_ranking_link": ("月度排名公示（无需登录）", "Monthly ranking of the counties (public)"),
    # The indicators, their counts and their rules (also the bulletin's words).
    "city_indicator.on_time": ("按期巡查率", "Patrolled on time"),
    "city_indicator.handling": ("处置率", "Handling rate"),
    "city_indicator.water_quality": ("水质达标率", "Water quality attained"),
    "city_indicator.supervision": ("督查频次", "Supervision visits"),
    "city_count.sites": ("点位", "sites"),
    "city_count.sites_on_time": ("按期巡查点位", "sites on time"),
    "city_count.dispatched": ("交办", "dispatched"),
    "city_count.handled": ("已处置", "handled"),
    "city_count.visits": ("督查次数", "visits"),
    "city_count.townships": ("乡镇（街道）", "townships"),
    "city_value_supervision": ("{value}次/乡镇", "{value} per township"),
    "city_normalise.share": ("按比例折算，100%计满分", "as a share: 100 % earns full points"),
    "city_normalise.target": (
        "每个乡镇（街道）达到{target}次计满分，不足按比例折算",
        "{target} per township earns full points, less in proportion",
    ),
    "city_normalise.best": (
        "以当月最高的县（市、区）为满分，其余按比例折算",
        "the month's best county earns full points, the others in proportion",
    ),
    "city_missing_rule.renormalise": (
        "某县（市、区）当月缺少某项指标（无点位应巡查、无交办问题或无水质数据）的，该项不计分，"
        "其余指标的权重按比例放大至合计100分。",
        "An indicator a county lacks that month (no site owed a patrol, no ticket dispatched, "
        "no water-quality figure) is left out, and the weights of its other indicators are "
        "scaled up to add to 100 again.",
    ),
    "city_missing_rule.zero": (
        "某县（市、区）当月缺少某项指标（无点位应巡查、无交办问题或无水质数据）的，该项计0分。",
        "An indicator a county lacks that month (no site owed a patrol, no ticket dispatched, "
        "no water-quality figure) earns 0 points.",
    ),
    "city_ties_rule": (
        "综合得分保留两位小数，得分相同的并列同一名次，其后名次顺延（如1、2、2、4）；"
        "无可计分指标的县（市、区）不排名。",
        "Scores are rounded to 0.01; equal scores share a rank and the next rank is skipped "
        "(1, 2, 2, 4); a county with no indicator to score is not ranked.",
    ),
    # The city's page.
    "city_heading": (
        "{city}各县（市、区）水环境监督工作月度排名",
        "{city}: monthly ranking of the counties' water supervision",
    ),
    "city_intro": (
        "一月一督查、一月一排名、一月一通报：每月按按期巡查率、处置率、水质达标率和督查频次为各县"
        "（市、区）计分排名，经发布后向社会公示，公示内容即发布时的数据，此后不再变动。",
        "Each month the counties are scored and ranked on patrols on time, the handling rate, "
        "water quality and supervision visits; once published, the ranking is public exactly "
        "as published and does not change afterwards.",
    ),
    "city_month": ("月份", "Month"),
    "city_status_published": (
        "该月排名已于{day}发布（评分规则版本 {version}）。",
        "This month's ranking was published on {day} (rules version {version}).",
    ),
    "city_status_corrected": (
        "更正发布：替代{day}发布的排名。原因：{reason}",
        "A correction, replacing the ranking published on {day}. Reason: {reason}",
    ),
    "city_status_draft": (
        "草稿：该月排名尚未发布，数据仍可能变化。",
        "Draft: this month's ranking is not published; its figures may still change.",
    ),
    "city_show_draft": ("按现有数据重新计算（草稿）", "Recompute from today's data (draft)"),
    "city_empty": ("没有可排名的县（市、区）。", "No county to rank."),
    "city_col_rank": ("排名", "Rank"),
    "city_col_county": ("县（市、区）", "County"),
    "city_col_score": ("综合得分", "Score"),
    "city_col_change": ("较上月", "Since last month"),
    "city_col_points": ("{name}得分（权重）", "{name}: points (weight)"),
    "city_points": ("{points}（{weight}）", "{points} ({weight})"),
    "city_points_missing": ("缺项", "missing"),
    "city_rank_up": ("上升{n}位", "up {n}"),
    "city_rank_down": ("下降{n}位", "down {n}"),
    "city_rank_same": ("持平", "unchanged"),
    "city_previous_published": (
        "“较上月”与{month}已发布的排名比较。",
        "“Since last month” compares with {month} as published.",
    ),
    "city_previous_draft": (
        "{month}排名未发布，“较上月”与按现有数据计算的排名比较。",
        "{month} was not published; “since last month” compares with it as computed now.",
    ),
    "city_rules_heading": ("评分办法", "How the score is made"),
    "city_rule_part": ("{name}：权重 {weight}，{how}", "{name}: weight {weight}, {how}"),
    "city_version": (
        "评分规则版本 {version}（{digest}）。",
        "Rules version {version} ({digest}).",
    ),
    "city_publish_heading": ("发布（一月一通报）", "Publish (the monthly bulletin)"),
    "city_publish_button": ("发布该月排名", "Publish the ranking of this month"),
    "city_publish_month_open": (
        "{month}尚未结束，结束后方可发布。",
        "{month} has not ended; it can be published once it has.",
    ),
    "city_published_done": (
        "{month}排名已发布，公示页面即日可见。",
        "{month} is published and on the public page now.",
    ),
    "city_supersede_reason": ("更正原因（必填）", "Reason for the correction (required)"),
    "city_supersede_button": (
        "更正发布（替代已发布的排名）",
        "Publish a correction (replaces the published ranking)",
    ),
    "city_supersede_help": (
        "已发布的排名不能修改；如需更正，须说明原因后重新发布，原排名和更正记录均保留。",
        "A published ranking is never changed; a correction is published anew with its reason, "
        "and both stay on record.",
    ),
    "city_history": ("发布记录", "Publications"),
    "city_history_line": (
        "{day}发布（规则版本 {version}）",
        "Published on {day} (rules version {version})",
    ),
    "city_history_superseded": ("，已于{day}被更正", ", corrected on {day}"),
    "city_bulletin_heading": ("月度通报", "The bulletin"),
    "city_bulletin_build": ("生成通报", "Build the bulletin"),
    "city_bulletin_building": ("正在生成通报……", "Building the bulletin…"),
    "city_bulletin_draft": (
        "该月尚未发布，生成的通报标注为草稿。",
        "This month is not published: the bulletin is marked as a draft.",
    ),
    "city_download_docx": ("下载 Word", "Download Word"),
    "city_download_pdf": ("下载 PDF", "Download PDF"),
    "city_download_xlsx": ("下载 Excel", "Download Excel"),
    "city_bulletin_file": ("排名通报-{month}", "ranking-bulletin-{month}"),
    # The public page.
    "city_public_heading": (
        "{city}各县（市、区）水环境监督工作月度排名公示",
        "{city}: monthly ranking of the counties (public)",
    ),
    "city_public_intro": (
        "根据“一月一督查、一月一排名、一月一通报”要求，每月排名经发布后在此公示，"
        "内容与发布时一致。",
        "Each month's ranking is shown here once published, exactly as it was published.",
    ),
    "city_public_none": ("尚无已发布的排名。", "No ranking has been published yet."),
    "city_public_published": ("{day}发布", "Published on {day}"),
    "city_public_corrected": (
        "该月排名于{day}更正发布，替代此前发布的排名。",
        "This month's ranking was corrected on {day}, replacing the one published before.",
    ),
    # The audit log.
    "audit_action_city_ranking_publish": ("发布月度排名", "monthly ranking published"),
    "audit_action_city_ranking_supersede": ("更正月度排名", "monthly ranking corrected"),
    "audit_detail_publication": ("发布编号", "publication"),
    "audit_detail_weights_version": ("规则版本", "rules version"),
    "audit_detail_counties": ("县（市、区）数", "counties"),
    "audit_detail_supersedes": ("替代发布编号", "supersedes"),
    "audit_detail_reason": ("原因", "reason"),
}

ERRORS_CITY_RANKING: dict[str, tuple[str, str]] = {
    "error.city_rules_file_missing": (
        "排名评分规则文件 {source} 不存在。",
        "The ranking rules file {source} does not exist.",
    ),
    "error.city_rules_not_toml": (
        "排名评分规则文件 {source} 不是有效的 TOML 格式：{detail}",
        "The ranking rules file {source} is not valid TOML: {detail}",
    ),
    "error.city_rules_unknown_key": (
        "排名评分规则文件 {source} 含有未知的项：{keys}；可用的项：{known}。",
        "The ranking rules file {source} has unknown key(s) {keys}; the known keys are: {known}.",
    ),
    "error.city_rules_not_table": (
        "排名评分规则文件 {source} 中的 [{indicator}] 必须是一个表。",
        "In the ranking rules file {source}, [{indicator}] must be a table.",
    ),
    "error.city_rules_unknown_indicator_key": (
        "排名评分规则文件 {source} 的 [{indicator}] 含有未知的项：{keys}；可用的项：{known}。",
        "In the ranking rules file {source}, [{indicator}] has unknown key(s) {keys}; the "
        "known keys are: {known}.",
    ),
    "error.city_rules_weight_invalid": (
        "排名评分规则文件 {source} 中 [{indicator}] 的 weight 必须是不小于 0 的数"
        "（现为 {value}）。",
        "In the ranking rules file {source}, [{indicator}] weight must be a number of 0 or "
        "more (it is {value}).",
    ),
    "error.city_rules_normalise_unknown": (
        "排名评分规则文件 {source} 中 [{indicator}] 的 normalise 只能是 {known}（现为 {value}）。",
        "In the ranking rules file {source}, [{indicator}] normalise must be one of {known} "
        "(it is {value}).",
    ),
    "error.city_rules_target_invalid": (
        "排名评分规则文件 {source} 中 [{indicator}] 按目标折算，须给出大于 0 的 target"
        "（现为 {value}）。",
        "In the ranking rules file {source}, [{indicator}] is normalised against a target and "
        "needs a target greater than 0 (it is {value}).",
    ),
    "error.city_rules_target_unused": (
        "排名评分规则文件 {source} 中 [{indicator}] 按 {normalise} 折算，不使用 target，"
        "请删除该项。",
        "In the ranking rules file {source}, [{indicator}] is normalised by {normalise}, which "
        "reads no target: remove it.",
    ),
    "error.city_rules_version_invalid": (
        "排名评分规则文件 {source} 的 version 须为 1～{most} 个字符的文本（现为 {value}）。",
        "In the ranking rules file {source}, version must be a text of 1–{most} characters "
        "(it is {value}).",
    ),
    "error.city_rules_missing_policy_unknown": (
        "排名评分规则文件 {source} 的 missing 只能是 {known}（现为 {value}）。",
        "In the ranking rules file {source}, missing must be one of {known} (it is {value}).",
    ),
    "error.city_rules_indicator_absent": (
        "排名评分规则文件 {source} 缺少指标 {indicators}（不计该项请将权重设为 0）。",
        "The ranking rules file {source} does not give the indicator(s) {indicators} (a "
        "weight of 0 leaves one out).",
    ),
    "error.city_rules_weights_sum": (
        "排名评分规则文件 {source} 的权重合计为 {total}，应为 100。",
        "The weights in the ranking rules file {source} add up to {total}, not 100.",
    ),
    "error.city_ranking_month_open": (
        "{month} 尚未结束，不能发布当月排名。",
        "{month} has not ended; a running month is not published.",
    ),
    "error.city_ranking_already_published": (
        "{month} 的排名已于 {published_on} 发布；如需更正，请说明原因后更正发布。",
        "{month} was published on {published_on}; publish again only as a correction, with "
        "its reason.",
    ),
    "error.city_ranking_nothing_to_supersede": (
        "{month} 的排名尚未发布，无可更正。",
        "{month} has not been published; there is nothing to correct.",
    ),
    "error.city_ranking_reason_missing": (
        "更正发布须填写原因。",
        "A correction needs its reason.",
    ),
    "error.city_ranking_reason_too_long": (
        "更正原因不能超过 {most} 个字。",
        "The reason may be at most {most} characters long.",
    ),
    "error.city_ranking_no_county": (
        "本市尚无县（市、区）数据，无可排名。",
        "The city has no county to rank.",
    ),
    "error.city_bulletin_format_unknown": (
        "不支持的通报格式 {value}，可选 {known}。",
        "Format {value} is not offered; choose one of {known}.",
    ),
}
