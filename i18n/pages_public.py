"""有奖举报: the public report page, the moderation page, the SMS, the ledger's columns, the
public reports' errors (see i18n/__init__.py)."""

from __future__ import annotations

PAGES_PUBLIC: dict[str, tuple[str, str]] = {
    "page_public_report": ("有奖举报", "Report a water problem"),
    "page_public_reports": ("举报审核", "Public reports"),
    "ticket_public_report": ("群众有奖举报", "a member of the public (reward report)"),
    "issues_public_reports": (
        "所示交办单中来自群众有奖举报的：{n} 件（不计入代表上报）。",
        "Of the tickets shown, {n} came from public reports (not counted as deputies' reports).",
    ),
    "gate_report_link": ("有奖举报（无需登录）", "Report a water problem (no sign-in needed)"),
    # The SMS with the one-time code (sent in Chinese: its readers are the county's people).
    "public.sms_code": (
        "【水监】您的举报验证码为 {otp}，{minutes} 分钟内有效。请勿告诉他人。",
        "[Shuijian] Your report code is {otp}, valid for {minutes} minutes. Tell no one.",
    ),
    # The public page.
    "pr_heading": ("有奖举报：水环境问题", "Report a water problem (with reward)"),
    "pr_intro": (
        "无需注册。拍照、在地图上点出位置（或使用照片自带的位置），选择问题类别并简要描述，"
        "用手机验证码确认后提交。举报经核实受理后可获奖励。您的手机号只用于核实和发放奖励，"
        "不会在任何公开页面显示。",
        "No account needed. Take a photo, click the place on the map (or use the photo's own "
        "location), choose the kind of problem and describe it, confirm with a code sent to "
        "your phone, and send. An accepted report earns a reward. Your phone number is used "
        "only to confirm and to pay the reward and never appears on any public page.",
    ),
    "pr_tab_report": ("我要举报", "Report"),
    "pr_tab_follow": ("查询进度", "Follow a report"),
    "pr_photo": ("现场照片（JPEG 或 PNG，最大 10 MB）", "Photo (JPEG or PNG, at most 10 MB)"),
    "pr_where": ("位置", "Location"),
    "pr_click_hint": (
        "在地图上点击问题所在位置；不点击时使用照片中的 GPS 位置。",
        "Click the problem's place on the map; without a click the photo's GPS is used.",
    ),
    "pr_point": ("已选位置：{lon}, {lat}", "Chosen place: {lon}, {lat}"),
    "pr_point_exif": (
        "将使用照片中的位置：{lon}, {lat}",
        "The photo's location will be used: {lon}, {lat}",
    ),
    "pr_no_point": (
        "尚未选定位置：请点击地图，或上传带 GPS 的照片。",
        "No place yet: click the map, or send a photo with GPS.",
    ),
    "pr_category": ("问题类别", "Kind of problem"),
    "pr_description": ("问题描述", "Description"),
    "pr_phone": ("手机号码", "Mobile phone number"),
    "pr_send_code": ("发送验证码", "Send code"),
    "pr_code_sent": (
        "验证码已发送，{minutes} 分钟内有效。",
        "A code was sent; it is valid for {minutes} minutes.",
    ),
    "pr_code": ("短信验证码", "Code from the SMS"),
    "pr_submit": ("提交举报", "Send report"),
    "pr_done": (
        "举报已提交。请记下您的回执码：{receipt}（凭此码查询进度）。",
        "Report sent. Keep your receipt code: {receipt} (to follow the report).",
    ),
    "pr_receipt": ("回执码", "Receipt code"),
    "pr_lookup": ("查询", "Look up"),
    "pr_status": ("状态：{status}", "Status: {status}"),
    "pr_status_category": ("问题类别：{category}", "Kind of problem: {category}"),
    "pr_status_date": ("提交日期：{date}", "Sent on: {date}"),
    "pr_status_ticket": (
        "已转为交办单 {number}，当前环节：{status}",
        "Became ticket {number}, now: {status}",
    ),
    "pr_status_reason": ("不予受理的理由：{reason}", "Reason for rejection: {reason}"),
    "pr_status_reward": ("奖励金额：{amount} 元", "Reward: {amount} yuan"),
    "public_report_status.pending": ("待审核", "Awaiting review"),
    "public_report_status.accepted": ("已受理", "Accepted"),
    "public_report_status.rejected": ("不予受理", "Rejected"),
    # The moderation page.
    "prm_heading": ("群众举报审核", "Public reports: review"),
    "prm_intro": (
        "受理的举报按类别自动交办（与代表上报同一路由），记为群众举报，并按奖励规则记入奖励台账；"
        "不予受理须填写理由，举报人凭回执码可见。手机号仅在奖励台账导出中完整显示。",
        "An accepted report is dispatched by its category (the same routing as a deputy's "
        "report), marked as a public report, and entered in the reward ledger by the rules; "
        "a rejection needs a reason, which the reporter reads by the receipt code. The full "
        "phone number appears only in the ledger's export.",
    ),
    "prm_scope": (
        "仅显示{township}的举报。",
        "Only reports in {township} are shown.",
    ),
    "prm_filter": ("状态", "Status"),
    "prm_all": ("全部", "All"),
    "prm_none": ("没有符合条件的举报。", "No reports match."),
    "prm_count": ("共 {count} 条，最新的在前。", "Reports: {count}, newest first."),
    "prm_pick": ("审核举报", "Review report"),
    "prm_accept": ("受理并交办", "Accept and dispatch"),
    "prm_reject": ("不予受理", "Reject"),
    "prm_reason": ("不予受理的理由", "Reason for rejection"),
    "prm_accepted": ("已受理，交办单 {number}。", "Accepted: ticket {number}."),
    "prm_rejected": ("已不予受理。", "Rejected."),
    "prm_ledger": ("奖励台账", "Reward ledger"),
    "prm_ledger_total": (
        "共 {count} 笔，合计 {total} 元。",
        "{count} entries, {total} yuan in all.",
    ),
    "prm_export": ("导出台账（{format}）", "Export ledger ({format})"),
    "prm_export_note": (
        "导出含举报人手机号，用于发放奖励；每次导出都记入操作日志。",
        "The export holds the reporters' phone numbers, for payment; every export is audited.",
    ),
    "prm_download": ("下载 {name}", "Download {name}"),
    "prm_ledger_file": ("奖励台账", "reward-ledger"),  # the export's file name, without suffix
    "prm_col_id": ("编号", "No."),
    "prm_col_receipt": ("回执码", "Receipt"),
    "prm_col_created_at": ("提交时间", "Sent"),
    "prm_col_category": ("问题类别", "Category"),
    "prm_col_description": ("描述", "Description"),
    "prm_col_township": ("乡镇", "Township"),
    "prm_col_status": ("状态", "Status"),
    "prm_col_location_source": ("位置来源", "Location from"),
    "prm_col_phone": ("手机（隐去中间）", "Phone (masked)"),
    "prm_col_ticket": ("交办单", "Ticket"),
    "prm_col_reject_reason": ("理由", "Reason"),
    "location_source.map": ("地图点选", "map click"),
    "location_source.exif": ("照片 GPS", "photo GPS"),
    # The ledger's export columns.
    "ledger.receipt": ("回执码", "Receipt"),
    "ledger.date": ("受理日期", "Date accepted"),
    "ledger.category": ("问题类别", "Category"),
    "ledger.amount": ("金额（元）", "Amount (yuan)"),
    "ledger.phone": ("收款手机号", "Phone for payment"),
    # Figures: public reports beside the deputies'.
    "glance_public_reports": ("群众举报", "Public reports"),
    "glance_public_reports_help": (
        "同一时段收到的群众有奖举报（不计入任何代表的上报）：待审核 {pending}，"
        "已受理 {accepted}，不予受理 {rejected}。",
        "Public reports received in the same days (never counted as a deputy's reports): "
        "{pending} awaiting review, {accepted} accepted, {rejected} rejected.",
    ),
    # The audit log's words.
    "audit_action_public_report_accept": ("受理群众举报", "public report accepted"),
    "audit_action_public_report_reject": ("不予受理群众举报", "public report rejected"),
    "audit_action_reward_ledger_export": ("导出奖励台账", "reward ledger exported"),
    "audit_detail_ticket": ("交办单", "ticket"),
    "audit_detail_reward": ("奖励", "reward"),
    "audit_detail_entries": ("笔数", "entries"),
    "audit_detail_total": ("合计", "total"),
    "audit_detail_format": ("格式", "format"),
}

ERRORS_PUBLIC: dict[str, tuple[str, str]] = {
    "error.public_phone_invalid": (
        "请填写 11 位手机号码（以 1 开头）。",
        "Enter a mobile number of 11 digits starting with 1.",
    ),
    "error.public_code_limit_phone": (
        "此手机号一小时内最多发送 {limit} 次验证码，请稍后再试。",
        "At most {limit} codes per hour go to one phone; try again later.",
    ),
    "error.public_code_limit_client": (
        "此设备一小时内最多发送 {limit} 次验证码，请稍后再试。",
        "At most {limit} codes per hour from one device; try again later.",
    ),
    "error.public_sms_failed": (
        "验证码短信未能发出，请稍后再试。",
        "The code's SMS could not be sent; try again later.",
    ),
    "error.public_sms_unconfigured": (
        "暂时无法发送验证码，请稍后再试，或直接与县里有关部门联系。",
        "The code cannot be sent right now; please try again later, or contact the county "
        "directly.",
    ),
    "error.public_code_expired": (
        "没有有效的验证码（已过期或已使用），请重新发送。",
        "No valid code (expired or used): send a new one.",
    ),
    "error.public_code_attempts": (
        "验证码已输错 {limit} 次而失效，请重新发送。",
        "The code was entered wrongly {limit} times and is void: send a new one.",
    ),
    "error.public_code_wrong": (
        "验证码不正确，还可再试 {left} 次。",
        "The code is wrong; {left} tries left.",
    ),
    "error.public_photo_missing": (
        "请上传一张问题现场的照片。",
        "Add a photo of the problem.",
    ),
    "error.public_category_unknown": (
        "请选择问题类别（“{category}”不是已知类别）。",
        "Choose a kind of problem (“{category}” is not one).",
    ),
    "error.public_description_long": (
        "问题描述最多 {limit} 字。",
        "The description may have at most {limit} characters.",
    ),
    "error.public_location_missing": (
        "没有位置：请在地图上点击，或上传带 GPS 位置的照片。",
        "No location: click the map, or send a photo with GPS.",
    ),
    "error.public_limit_phone": (
        "此手机号 24 小时内最多举报 {limit} 次。",
        "At most {limit} reports per phone in 24 hours.",
    ),
    "error.public_limit_client": (
        "此设备 24 小时内最多举报 {limit} 次。",
        "At most {limit} reports per device in 24 hours.",
    ),
    "error.public_receipt_unknown": (
        "没有此回执码的举报，请核对后再试。",
        "No report has this receipt code; check it and try again.",
    ),
    "error.public_status_unknown": (
        "状态“{status}”未知，可选：{known}。",
        "Status “{status}” is unknown; choose from {known}.",
    ),
    "error.public_report_not_found": (
        "群众举报 #{report} 不存在。",
        "Public report #{report} does not exist.",
    ),
    "error.public_report_moderated": (
        "群众举报 #{report} 已审核（{status}），不能再次审核。",
        "Public report #{report} was already reviewed ({status}).",
    ),
    "error.public_reject_needs_reason": (
        "不予受理需要填写理由。",
        "A rejection needs a reason.",
    ),
    "error.reward_rules_invalid": (
        "奖励规则文件 {source} 有误：{key}"
        "（须为 default 金额与可选的 [category] 表，金额不小于 0）。",
        "Reward rules {source} are wrong at {key} (default = amount and an optional "
        "[category] table; amounts of 0 or more yuan).",
    ),
    "error.reward_rules_unreadable": (
        "奖励规则文件 {source} 无法读取：{detail}",
        "Reward rules {source} cannot be read: {detail}",
    ),
    "error.ledger_format_unknown": (
        "导出格式须为 csv 或 xlsx，不是“{format}”。",
        "The export format must be csv or xlsx, not “{format}”.",
    ),
}
