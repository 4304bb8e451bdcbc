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
        "只有上报该问题的代表本人才能复查交办单 {ticket}。",
        "Only the deputy who reported ticket {ticket} may re-inspect it.",
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
        "“{action}”操作需要复查证据或满意度评价，不能直接执行。",
        "“{action}” needs proof of a visit or a rating and cannot be done directly.",
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
}
