"""Error sentences: see i18n/errors.py."""

from __future__ import annotations

ERRORS_WORK: dict[str, tuple[str, str]] = {
    # Signing in and the permission table (accounts).
    "error.login_failed": ("用户名或密码错误。", "Wrong user name or password."),
    "error.not_signed_in": ("请先登录。", "Please sign in first."),
    "error.not_allowed": (
        "您的账号无权进行此操作（{action}）。",
        "Your account may not do this ({action}).",
    ),
    "error.outside_township": (
        "所选内容不在您所在的乡镇（街道）范围内；乡镇账号只能查看和处理本乡镇的事项。",
        "What you chose lies outside your township; a township account sees and acts only "
        "within its own township.",
    ),
    "error.county_code_invalid": (
        "县代码只能由字母和数字组成，而不是“{code_given}”。",
        "A county code is letters and digits, not {code_given!r}.",
    ),
    "error.outside_county": (
        "所选内容不在您所在的县（市、区）范围内；县级账号只能查看和处理本县的事项。",
        "What you chose lies outside your county; a county's account sees and acts only "
        "within its own county.",
    ),
    "error.no_township_linked": (
        "此乡镇账号未关联任何乡镇（街道），请联系管理员。",
        "This township account is linked to no township; ask an administrator.",
    ),
    "error.no_deputy_linked": (
        "此账号未关联任何代表，无法查看应巡查点位。",
        "This account is linked to no deputy, so it has no sites to patrol.",
    ),
    # Patrols: records and reviews (tracks).
    "error.patrol_not_found": ("巡查 #{patrol} 不存在。", "Patrol #{patrol} does not exist."),
    "error.not_your_patrol": (
        "巡查 #{patrol} 不是您的巡查；只有巡查的代表本人或分析员可以查看和记录。",
        "Patrol #{patrol} is not yours; only its deputy or an analyst may read or record it.",
    ),
    "error.site_not_visited": (
        "巡查 #{patrol} 的轨迹没有到访点位 #{site}，不能为该点位记录检查结果或照片。",
        "The track of patrol #{patrol} proves no visit to site #{site}, so nothing can be "
        "recorded for that site.",
    ),
    "error.checklist_unknown_item": (
        "检查表中有未知的项目：{items}。",
        "The checklist has unknown item(s): {items}.",
    ),
    "error.checklist_incomplete": (
        "请回答检查表的每一项，尚缺：{items}。",
        "Answer every checklist item; missing: {items}.",
    ),
    "error.checklist_unanswered": (
        "检查表须逐项回答“有/无”：还有 {n} 项未选，本点位的记录未保存。",
        "Answer every checklist item yes or no: {n} still unanswered; this site's record was "
        "not saved.",
    ),
    "error.notes_too_long": (
        "备注共 {length} 个字，最多 {limit} 个字。",
        "The notes are {length} characters long; at most {limit} are allowed.",
    ),
    "error.decision_invalid": (
        "审核结论只能是“认可”或“不认可”，不能是“{decision}”。",
        "The decision must be accept or reject, not “{decision}”.",
    ),
    "error.review_needs_reason": ("审核需要填写理由。", "A review needs a reason."),
    "error.patrol_not_flagged": (
        "巡查 #{patrol} 未被标记为异常，无需审核即计入。",
        "Patrol #{patrol} is not flagged; it counts without review.",
    ),
    # Problem reports and tickets (tickets).
    "error.category_unknown": (
        "问题类别“{category}”不存在；可选类别：{known}。",
        "There is no problem category “{category}”; the categories are: {known}.",
    ),
    "error.description_missing": ("请填写问题描述。", "A problem needs a description."),
    "error.location_invalid": (
        "位置 {lon}, {lat} 不是有效的经纬度。",
        "The location {lon}, {lat} is not a longitude and latitude.",
    ),
    "error.location_outside_county": (
        "位置 {lon}, {lat} 不在本县任何乡镇范围内。",
        "The location {lon}, {lat} lies outside every township of the county.",
    ),
    "error.ticket_not_found": ("交办单 {ticket} 不存在。", "There is no ticket {ticket}."),
    "error.ticket_not_open": (
        "交办单 {ticket} 已不在办理中，无法关注。",
        "Ticket {ticket} is no longer open, so it cannot be followed.",
    ),
    "error.ticket_not_visible": (
        "您无权查看交办单 {ticket}。",
        "You may not view ticket {ticket}.",
    ),
    "error.not_your_ticket": (
        "只有上报该问题的代表本人才能办理此交办单。",
        "Only the deputy who reported the problem may act on this ticket.",
    ),
    "error.reinspect_reporter_only": (
        "只有上报该问题的代表本人（平台上报的问题：点位联系代表或分析员指定的代表）才能复查"
        "交办单 {ticket}。",
        "Only the deputy who reported ticket {ticket} (for a platform's ticket: the site's "
        "deputy or the deputy an analyst designated) may re-inspect it.",
    ),
    "error.not_reinspector": (
        "交办单 {ticket} 无上报代表，由点位联系代表或分析员指定的代表复查和评价，您不是该代表。",
        "Ticket {ticket} has no reporting deputy: its site's deputy or the deputy an analyst "
        "designated re-inspects and rates it, and that is not you.",
    ),
    "error.reinspector_is_reporter": (
        "交办单 {ticket} 由代表上报，由上报代表本人复查，无需另行指定。",
        "Ticket {ticket} was reported by a deputy, who re-inspects it; no one else can be "
        "designated.",
    ),
    "error.not_routed_here": (
        "交办单 {ticket} 未交办给平台 {platform}。",
        "Ticket {ticket} is not routed to platform {platform}.",
    ),
    "error.platform_has_api": (
        "平台 {platform} 已接入自己的接口，由平台自行承办、退回和反馈。",
        "Platform {platform} has its own API: it accepts, returns and feeds back itself.",
    ),
    "error.platform_not_found": (
        "平台 {platform} 不存在。",
        "There is no platform {platform}.",
    ),
    "error.platform_action_invalid": (
        "平台只能承办、退回或反馈，不能执行“{action}”。",
        "A platform may accept, return or feed back, not “{action}”.",
    ),
    "error.transition_not_allowed": (
        "交办单处于“{status}”状态，不能执行“{action}”操作；此时可执行：{allowed}。",
        "Cannot {action} a ticket in status {status}; allowed from there: {allowed}.",
    ),
    "error.actor_not_allowed": (
        "“{actor}”不能对交办单执行“{action}”操作。",
        "“{actor}” may not {action} a ticket.",
    ),
    "error.action_not_simple": (
        "“{action}”操作需要复查证据、满意度评价或指定的代表，不能直接执行。",
        "“{action}” needs proof of a visit, a rating or a deputy and cannot be done directly.",
    ),
    "error.reject_needs_reason": ("退回交办单需要填写理由。", "A return needs a reason."),
    "error.no_feedback_yet": (
        "交办单 {ticket} 尚无办理反馈，暂不能复查。",
        "Ticket {ticket} has no feedback yet, so it cannot be re-inspected.",
    ),
    "error.no_visit_proof": (
        "没有到访证据：反馈之后，既没有该点位的有效巡查记录，也没有拍摄时间和 GPS 位置"
        "（{radius_m} 米以内）均表明在现场拍摄的照片。",
        "No proof of a visit: after the feedback there is neither a verified patrol visit at "
        "the site nor a photo whose EXIF time and GPS (within {radius_m} m) show it was taken "
        "there.",
    ),
    "error.rating_invalid": (
        "满意度评价只能是满意、基本满意或不满意，不能是“{rating}”。",
        "The rating must be satisfied, basically satisfied or dissatisfied, not “{rating}”.",
    ),
    "error.update_id_missing": (
        "缺少 update_id：需要它才能保证重复推送不会重复办理。",
        "update_id is required, so that a retried push changes nothing.",
    ),
    # The evaluation: its weights file and month (reports).
    "error.weights_file_missing": (
        "评价权重文件 {source} 不存在。",
        "The weights file {source} does not exist.",
    ),
    "error.weights_not_toml": (
        "评价权重文件 {source} 不是有效的 TOML 格式：{detail}",
        "The weights file {source} is not valid TOML: {detail}",
    ),
    "error.weights_unknown_key": (
        "评价权重文件 {source} 含有未知的项：{keys}；可用的项：{known}。",
        "The weights file {source} has unknown key(s) {keys}; the known keys are: {known}.",
    ),
    "error.weights_not_number": (
        "评价权重文件 {source} 中的 {key} 必须是数字，不能是 {value}。",
        "In the weights file {source}, {key} must be a number, not {value}.",
    ),
    "error.weights_negative": (
        "评价权重文件 {source} 中的 {key} 不能为负数（现为 {value}）。",
        "In the weights file {source}, {key} must not be negative (it is {value}).",
    ),
    "error.weights_not_positive": (
        "评价权重文件 {source} 中的 {key} 必须大于 0（它用作除数）。",
        "In the weights file {source}, {key} must be greater than 0 (it divides a count).",
    ),
    "error.weights_not_whole": (
        "评价权重文件 {source} 中的 {key} 必须是整数天数（现为 {value}）。",
        "In the weights file {source}, {key} must be a whole number of days (it is {value}).",
    ),
    "error.weights_missing_key": (
        "评价权重文件 {source} 缺少以下项：{keys}。",
        "The weights file {source} is missing the key(s) {keys}.",
    ),
    "error.month_invalid": (
        "月份“{value}”格式不对，应为“年-月”，如 2026-11。",
        "The month “{value}” is not in the form YYYY-MM, e.g. 2026-11.",
    ),
    # Working days: the holiday calendar and the operator's holiday file (tickets.holidays).
    "error.holidays_year_unknown": (
        "无法计算 {year} 年的工作日：系统还没有该年的法定节假日和调休安排（已知年份：{known}）。"
        "请管理员按国务院办公厅公布的 {year} 年放假安排，在节假日文件（设置 SHUIJIAN_HOLIDAYS，"
        "格式见 README）中加入该年，或升级 chinesecalendar。",
        "Working days in {year} cannot be counted: there is no statutory holiday and make-up "
        "workday calendar for that year yet (known years: {known}). An administrator should "
        "add {year} from the State Council's holiday notice to the holiday file (setting "
        "SHUIJIAN_HOLIDAYS, format in the README), or upgrade chinesecalendar.",
    ),
    "error.holidays_file_missing": (
        "节假日文件 {source} 不存在。",
        "The holiday file {source} does not exist.",
    ),
    "error.holidays_not_toml": (
        "节假日文件 {source} 不是有效的 TOML：{detail}",
        "The holiday file {source} is not valid TOML: {detail}",
    ),
    "error.holidays_not_a_year": (
        "节假日文件 {source} 中的“{key}”不是年份；每年写一节，如 [2027]。",
        "In the holiday file {source}, “{key}” is not a year; write one table per year, "
        "like [2027].",
    ),
    "error.holidays_not_table": (
        "节假日文件 {source} 中的 {year} 应写成一节 [{year}]。",
        "In the holiday file {source}, {year} must be a table [{year}].",
    ),
    "error.holidays_unknown_key": (
        "节假日文件 {source} 的 [{year}] 含有未知的项：{keys}；可用的项：{known}。",
        "In the holiday file {source}, [{year}] has unknown key(s) {keys}; the known keys "
        "are: {known}.",
    ),
    "error.holidays_missing_key": (
        "节假日文件 {source} 的 [{year}] 缺少 {key}（没有时写 {key} = []）。",
        "In the holiday file {source}, [{year}] lacks {key} (write {key} = [] when there "
        "are none).",
    ),
    "error.holidays_bad_entry": (
        "节假日文件 {source} 的 [{year}] {key} 中，{value} 既不是日期，也不是 [起, 止] 日期区间。",
        "In the holiday file {source}, [{year}] {key}: {value} is neither a date nor a "
        "[first, last] range of dates.",
    ),
    "error.holidays_wrong_year": (
        "节假日文件 {source} 的 [{year}] {key} 中的 {day} 不在 {year} 年内"
        "（请写入该日所在年份的一节）。",
        "In the holiday file {source}, [{year}] {key} holds {day}, which is not in {year} "
        "(put it under its own year).",
    ),
    "error.holidays_none": (
        "节假日文件 {source} 的 [{year}] 没有列出任何放假日期。",
        "In the holiday file {source}, [{year}] lists no holiday.",
    ),
    "error.holidays_conflict": (
        "节假日文件 {source} 中 {day} 既列为放假又列为调休上班。",
        "In the holiday file {source}, {day} is listed both as a holiday and as a workday.",
    ),
    "error.holidays_workday_not_weekend": (
        "节假日文件 {source} 中的调休上班日 {day} 是周一至周五；调休上班日应为周末。",
        "In the holiday file {source}, the make-up workday {day} is a Monday to Friday; "
        "make-up workdays are weekend days.",
    ),
    "error.category_of_another_platform": (
        "平台 {platform} 只能创建本平台承办类别的诉求；类别 {category} 由 {routed_to} 承办。",
        "Platform {platform} may create requests only in its own categories; {category} is "
        "routed to {routed_to}.",
    ),
    "error.login_throttled": (
        "登录失败次数过多，请 {seconds} 秒后再试。如急需使用，请联系管理员解锁。",
        "Too many failed sign-ins: try again in {seconds} s. An administrator can unlock the "
        "account if it cannot wait.",
    ),
    "error.password_wrong": ("当前密码不正确。", "The current password is wrong."),
    "error.password_too_short": (
        "新密码至少需要 {minimum} 个字符。",
        "A new password needs at least {minimum} characters.",
    ),
    "error.password_unchanged": (
        "新密码不能与当前密码相同。",
        "The new password must differ from the current one.",
    ),
    "error.no_such_account": ("没有名为 {name} 的账户。", "There is no account named {name}."),
}
