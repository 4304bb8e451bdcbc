"""What the pages say: headings, labels, buttons, notes (moved here from ui/i18n.py)."""

from __future__ import annotations

from i18n.grid_heads import PAGES_GRID_HEADS
from i18n.pages_admin import PAGES_ADMIN
from i18n.pages_city_ranking import PAGES_CITY_RANKING
from i18n.pages_deputy import PAGES_DEPUTY
from i18n.pages_glance import PAGES_GLANCE
from i18n.pages_maps import PAGES_MAPS
from i18n.pages_public import PAGES_PUBLIC
from i18n.pages_register import PAGES_REGISTER
from i18n.pages_supervision import PAGES_SUPERVISION
from i18n.water import PAGES_WATER

PAGES: dict[str, tuple[str, str]] = {
    "app_title": ("水监 · 人大水环境监督", "Shuijian · water-environment supervision"),
    "english": ("English", "English"),
    # A name with a count or an aside: full-width brackets in Chinese, plain ones in English.
    "with_aside": ("{name}（{aside}）", "{name} ({aside})"),
    "labelled": ("{name}：{value}", "{name}: {value}"),
    "list_separator": ("、", ", "),
    "choose_any": ("请选择（可多选）", "Choose any"),
    "page_denied": (
        "“{page}”不对您的角色开放，已转到您的首页。",
        "“{page}” is not open to your role; here is your home page instead.",
    ),
    "signed_in_as": ("当前用户", "Signed in as"),
    "sign_out": ("退出登录", "Sign out"),
    "role_leader": ("领导", "Leader"),
    "role_analyst": ("分析员", "Analyst"),
    "role_deputy": ("人大代表", "Deputy"),
    "role_admin": ("管理员", "Administrator"),
    "role_township": ("乡镇工作人员", "Township staff"),
    "role_city_leader": ("市人大常委会领导", "City leadership"),
    "role_city_analyst": ("市人大工委分析员", "City analyst"),
    "page_login": ("登录", "Sign in"),
    "city_county": ("查看范围", "View"),
    "city_whole": ("全市", "Whole city"),
    "page_overview": ("总览", "Overview"),
    "page_account": ("我的账户", "My account"),
    "login_heading": ("登录水监", "Sign in to Shuijian"),
    "username": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "login_button": ("登录", "Sign in"),
    "login_failed": ("用户名或密码错误，请重新输入。", "Wrong user name or password. Try again."),
    "login_missing": ("请输入用户名和密码。", "Enter a user name and a password."),
    "need_sign_in": ("请先登录。", "Please sign in first."),
    "gate_other_language": ("English", "中文"),
    "gate_public_link": ("巡查存档公示（无需登录）", "Public patrol records (no sign-in needed)"),
    "gate_session_ended": (
        "登录已结束（已退出、超时或密码已更改），请重新登录。",
        "Your sign-in has ended (signed out, timed out or password changed). Sign in again.",
    ),
    "gate_bad_origin": (
        "登录请求不是从本站页面发出的，请重新打开登录页。",
        "The sign-in did not come from this site's page. Open the sign-in page again.",
    ),
    "gate_too_large": ("请求过大。", "The request is too large."),
    "gate_no_gate": (
        "本页面须通过 shuijian serve 启动的服务登录。",
        "Sign-in needs the server started by shuijian serve.",
    ),
    "uploader_button": ("选择文件", "Upload"),
    "uploader_hint": ("也可将文件拖放到此处", "or drag and drop files here"),
    "uploader_refused": ("（类型或大小不符，未接收）", " (wrong type or too large: not taken)"),
    "password_heading": ("修改密码", "Change password"),
    "password_current": ("当前密码", "Current password"),
    "password_new": ("新密码", "New password"),
    "password_repeat": ("再次输入新密码", "New password again"),
    "password_button": ("修改密码", "Change password"),
    "password_missing": ("请填写全部三个密码框。", "Fill in all three password fields."),
    "password_mismatch": ("两次输入的新密码不一致。", "The two new passwords differ."),
    "password_changed": (
        "密码已修改，所有登录（包括本页）已结束，请用新密码重新登录。",
        "Password changed. Every sign-in, this one too, has ended: sign in with the new one.",
    ),
    "not_allowed": (
        "您的角色（{role}）无权查看此页面。",
        "Your role ({role}) may not open this page.",
    ),
    "service_error": ("无法完成操作：{error}", "Could not complete this: {error}"),
    "overview_heading": ("全县水环境监督总览", "County water-environment overview"),
    "city_overview_heading": ("全市水环境监督总览", "City water-environment overview"),
    "township": ("乡镇（街道）", "Township"),
    "all_townships": ("全县", "Whole county"),
    "townships": ("乡镇（街道）", "Townships"),
    "deputies": ("人大代表", "Deputies"),
    "share_assigned": ("已落实联系代表", "Assigned"),
    "sites_total": ("监督点位", "Sites"),
    "grid_heading": ("网格", "Grid"),
    "kinds_heading": ("点位类型", "Sites by kind"),
    "classes_heading": ("点位类别", "Sites by class"),
    "map_heading": ("地图", "Map"),
    "map_offline_note": (
        "未配置天地图密钥：地图不加载底图，仅显示本地数据。",
        "No Tianditu key configured: the map shows local data without a basemap.",
    ),
    "account_heading": ("我的账户", "My account"),
    "role": ("角色", "Role"),
    # Patrol pages
    "page_upload": ("上传巡查轨迹", "Upload patrol"),
    "page_patrols": ("巡查记录", "Patrols"),
    "page_due": ("巡查到期", "Patrols due"),
    "page_coverage": ("覆盖缺口", "Coverage gaps"),
    "upload_heading": ("上传巡查轨迹", "Upload patrol tracks"),
    "upload_files": ("GPX 轨迹文件（可多选）", "GPX track files (several allowed)"),
    "upload_gcj02": ("坐标为 GCJ-02（高德等）", "Coordinates are GCJ-02 (Amap etc.)"),
    "upload_deputy": ("代表", "Deputy"),
    "upload_submit": ("上传并核验", "Upload and verify"),
    "upload_none": ("请先选择 GPX 文件。", "Choose GPX files first."),
    "upload_no_deputy": (
        "此账户未关联代表，无法上传轨迹。",
        "This account is linked to no deputy and cannot upload.",
    ),
    "upload_progress": ("正在处理 {name}（{i}/{n}）", "Processing {name} ({i}/{n})"),
    "upload_refused": ("{name}：未接收。{reason}", "{name}: refused. {reason}"),
    "upload_points": (
        "保留 {kept}/{n} 个轨迹点（其余为定位漂移或县外的点）。",
        "{kept}/{n} track points kept (the rest were GPS spikes or outside the county).",
    ),
    "upload_not_stored": ("{name}：未保存。{reason}", "{name}: not stored. {reason}"),
    "upload_verdicts": (
        "共 {n} 个文件：{stored} 个已保存，{duplicate} 个此前已上传，{refused} 个未接收。",
        "{n} file(s): {stored} stored, {duplicate} uploaded before, {refused} not stored.",
    ),
    "db_unavailable": (
        "数据库暂不可用，请稍后再试。",
        "The database is unavailable. Please try again later.",
    ),
    "db_retrying": (
        "恢复后页面将自动刷新。",
        "The page reloads by itself once it is back.",
    ),
    "internal_error": (
        "页面出现内部错误，已记录，编号 {error_id}。请将编号告知管理员。",
        "Internal error on this page, logged as {error_id}. Please give this id to an "
        "administrator.",
    ),
    "upload_duplicate": (
        "{name}：该文件已上传（巡查 #{patrol}），未作改动。",
        "{name}: already uploaded as patrol #{patrol}; nothing changed.",
    ),
    "upload_ok": (
        "{name}：已保存为巡查 #{patrol}，{visits} 处到访，{state}。",
        "{name}: stored as patrol #{patrol}, {visits} visit(s), {state}.",
    ),
    "state_verified": ("轨迹核验通过", "verified"),
    "state_flagged": ("已标记待分析员审核", "flagged for an analyst's review"),
    "visits_heading": ("到访点位", "Visits"),
    "no_visits": ("轨迹未证明到访任何点位。", "The track proves no visit."),
    "col_site": ("点位", "Site"),
    "col_code": ("编码", "Code"),
    "col_arrived": ("到达", "Arrived"),
    "col_left": ("离开", "Left"),
    "col_dwell": ("停留（分钟）", "Dwell (min)"),
    "col_assigned": ("联系点位", "Assigned"),
    "flag_line": ("⚠ {label}：{message}", "⚠ {label}: {message}"),
    "record_heading": ("巡查记录 #{patrol}：{site}", "Patrol #{patrol} record: {site}"),
    "checklist_heading": ("标准化巡查描述（是/否）", "Standard checklist (yes/no)"),
    "yes": ("是", "Yes"),
    "no": ("否", "No"),
    "photos": ("现场照片（JPEG/PNG，每张不超过 10 MB）", "Photos (JPEG/PNG, 10 MB each)"),
    "notes": ("备注", "Notes"),
    "record_save": ("保存巡查记录", "Save record"),
    "record_saved": (
        "已保存：{answers} 项检查结果，{photos} 张照片。",
        "Saved: {answers} checklist answers, {photos} photos.",
    ),
    "record_report_yes": (
        "上报问题：{site}·{item}",
        "Report the problem: {site} · {item}",
    ),
    "upload_map": ("轨迹与到访点位", "Tracks and visited sites"),
    "patrols_heading": ("巡查记录", "Patrol records"),
    "date_range": ("日期范围", "Date range"),
    "all_deputies": ("全部代表", "All deputies"),
    "flagged_only": ("仅显示被标记的", "Flagged only"),
    "no_patrols": ("没有符合条件的巡查。", "No patrol matches."),
    "patrol_select": ("查看巡查", "Open patrol"),
    "col_patrol": ("巡查", "Patrol"),
    "col_deputy": ("代表", "Deputy"),
    "col_started": ("开始时间", "Started"),
    "col_distance": ("距离（公里）", "Distance (km)"),
    "col_visits": ("到访数", "Visits"),
    "col_flagged": ("被标记", "Flagged"),
    "col_review": ("审核", "Review"),
    "col_counts": ("计入", "Counts"),
    "col_item": ("检查项", "Item"),
    "col_answer": ("结果", "Answer"),
    "col_decision": ("决定", "Decision"),
    "col_reason": ("理由", "Reason"),
    "col_reviewer": ("审核人", "Reviewer"),
    "col_at": ("时间", "When"),
    "flags_heading": ("异常标记", "Flags"),
    "answers_heading": ("检查结果", "Checklist answers"),
    "photos_heading": ("照片", "Photos"),
    "reviews_heading": ("审核记录", "Review history"),
    "none_yet": ("暂无。", "None yet."),
    "review_heading": ("审核", "Review"),
    "decision_accept": ("接受（计入巡查）", "Accept (counts)"),
    "decision_reject": ("驳回", "Reject"),
    "review_reason": ("理由（必填）", "Reason (required)"),
    "review_submit": ("提交审核", "Submit review"),
    "review_need_reason": ("请填写审核理由。", "Enter a reason."),
    "review_saved": ("审核已记录。", "Review recorded."),
    "due_heading": ("巡查到期", "Patrols due"),
    "due_date": ("日期", "Date"),
    "due_download": ("下载 Excel", "Download Excel"),
    "due_empty": ("没有需要巡查的点位。", "No site to patrol."),
    "col_township": ("乡镇", "Township"),
    "col_kind": ("类型", "Kind"),
    "col_class": ("类别", "Class"),
    "col_last_visit": ("最近巡查", "Last visit"),
    "col_deadline": ("截止日期", "Deadline"),
    "col_status": ("状态", "Status"),
    "col_days_left": ("剩余天数", "Days left"),
    "coverage_heading": ("覆盖缺口地图", "Coverage-gap map"),
    "month": ("月份", "Month"),
    "level": ("网格层级", "Grid level"),
    "share_on_time": ("按期巡查占比", "Share on time"),
    "dead_corners_of": ("{level}死角", "Dead corners, {level}"),
    "dead_corners_heading": ("死角及原因", "Dead corners and reasons"),
    "no_dead_corners": ("本期无死角。", "No dead corner this period."),
    "col_cell": ("网格", "Cell"),
    "col_sites": ("点位数", "Sites"),
    "col_on_time": ("按期", "On time"),
    "col_share": ("占比", "Share"),
    "tracks_note": (
        "本期巡查轨迹为可选图层（默认关闭，最多 {n} 条），可在图层控件中打开。",
        "The period's tracks are an optional layer (off by default, at most {n}).",
    ),
    # Public archive (公示), open without signing in
    "page_public": ("存档公示", "Public archive"),
    "public_heading": ("人大代表巡查存档公示", "Public archive of deputies' patrols"),
    "public_intro": (
        "公示计入考核的巡查记录。为保护代表隐私，每位代表住址及常用出发地周围设有隐私区"
        "（半径 {zone_min}–{zone_max} 米，圆心随机偏离，一经生成不再改变），区内轨迹不予显示；"
        "轨迹起点和终点 {m} 米以内的部分也不显示，线形经过粗化。不公开联系方式和住址。",
        "Patrols that count, published. To protect deputies' privacy, every deputy has privacy "
        "zones around their home and the places their patrols often start from (a radius of "
        "{zone_min}–{zone_max} m, the centre moved at random once and then kept), inside "
        "which no track is shown; the first and last {m} m of each track are hidden too, and "
        "the lines are coarsened. No contact details or addresses are published.",
    ),
    "public_patrols": ("计入巡查", "Patrols"),
    "public_visits": ("核验到访", "Verified visits"),
    "public_sites": ("到访点位", "Sites visited"),
    "public_records": ("巡查记录", "Patrol records"),
    "public_none": ("本期暂无公示的巡查。", "No published patrol in this period."),
    "public_map": ("轨迹与到访点位", "Tracks and visited sites"),
    "col_patrol_no": ("巡查编号", "Patrol no."),
    "col_date": ("日期", "Date"),
    "col_level": ("代表层级", "Deputy level"),
    "col_duration": ("用时（分钟）", "Duration (min)"),
    "col_site_count": ("到访点位数", "Sites visited"),
    "col_sites_visited": ("到访点位", "Sites"),
    # Ticket pages (report, ticket, issues map, worklist)
    "page_report": ("上报问题", "Report a problem"),
    "page_ticket": ("交办单", "Ticket"),
    "page_issues_map": ("问题地图", "Issues map"),
    "page_worklist": ("我的待办", "My worklist"),
    "report_heading": ("上报问题", "Report a problem"),
    "report_no_deputy": (
        "此账户未关联代表，无法上报问题。",
        "This account is linked to no deputy and cannot report.",
    ),
    "report_for_deputy": ("代表（代为上报）", "Deputy (reporting on their behalf)"),
    "report_created": ("已上报，交办单号 {number}。", "Reported: ticket {number}."),
    "report_followed": (
        "已关注交办单 {number}，未重复上报。",
        "You now follow ticket {number}; nothing was reported twice.",
    ),
    "open_ticket": ("打开交办单 {number}", "Open ticket {number}"),
    "report_where": ("问题位置", "Where"),
    "report_source": ("位置来源", "Location from"),
    "report_from_map": ("在地图上点选", "Click on the map"),
    "report_from_patrol": ("我的巡查", "One of my patrols"),
    "report_from_photo": ("照片 GPS", "A photo's GPS"),
    "report_click_hint": (
        "在地图上点击问题所在位置（蓝色为联系点位）。",
        "Click where the problem is (your sites are blue).",
    ),
    "report_no_patrols": ("暂无巡查轨迹。", "No patrol track yet."),
    "report_patrol": ("巡查", "Patrol"),
    "report_patrol_mode": ("选择", "Choose"),
    "report_patrol_site": ("到访点位", "Visited site"),
    "report_patrol_point": ("轨迹点", "Track point"),
    "report_patrol_empty": ("该巡查没有可选的位置。", "This patrol has nothing to choose."),
    "report_photo_place": ("带 GPS 的现场照片", "A photo with GPS"),
    "report_photo_no_gps": (
        "照片中没有 GPS 位置，请改用地图点选。",
        "The photo holds no GPS position; click on the map instead.",
    ),
    "report_need_point": ("请先确定问题位置。", "Choose the problem's location first."),
    "report_point": (
        "位置：{lon}, {lat}（{township}，附近点位：{site}）",
        "Location: {lon}, {lat} ({township}; nearby site: {site})",
    ),
    "report_outside": ("不在本县范围内", "outside the county"),
    "report_what": ("问题情况", "What"),
    "report_category": ("问题类别", "Problem category"),
    "report_choose": ("请选择", "Choose"),
    "report_description": ("问题描述", "Description"),
    "report_need_category": ("请选择问题类别。", "Choose a problem category."),
    "report_nearby": (
        "附近已有 {n} 件同类问题正在办理，可直接关注，不必重复上报：",
        "{n} open ticket(s) of this kind nearby: follow one instead of reporting again:",
    ),
    "report_follow": ("关注此件", "Follow"),
    "report_submit": ("提交上报", "Submit report"),
    "ticket_heading": ("交办单", "Ticket"),
    "ticket_number": ("交办单号", "Ticket number"),
    "ticket_need_number": (
        "请输入交办单号，或从“我的待办”“问题地图”打开。",
        "Enter a ticket number, or open one from the worklist or the issues map.",
    ),
    "ticket_need_number_map": (
        "请输入交办单号，或从“问题地图”打开。",
        "Enter a ticket number, or open one from the issues map.",
    ),
    "ticket_overdue": ("已超过办理期限（{deadline}）。", "Past its deadline ({deadline})."),
    "ticket_reported_by": ("上报人：{who}，{at}", "Reported by {who}, {at}"),
    "ticket_followers": ("关注代表：{names}", "Followed by: {names}"),
    "timeline_heading": ("办理过程", "Timeline"),
    "actions_heading": ("可办理的操作", "What you can do now"),
    "no_actions": ("您当前无可办理的操作。", "Nothing for you to do on this ticket now."),
    "action_done": ("已完成：{action}", "Done: {action}"),
    "back_to_worklist": ("返回我的待办", "Back to my worklist"),
    "back_to_issues_map": ("返回问题地图", "Back to the issues map"),
    "photo": ("照片", "Photo"),
    "photo_taken_at": ("拍摄于 {at}", "taken {at}"),
    "dispatch_platform": ("交办平台", "Platform"),
    "do_dispatch": ("交办", "Dispatch"),
    "do_accept": ("承办（代平台）", "Accept (for the platform)"),
    "reject_reason": ("退回理由（必填）", "Reason for returning (required)"),
    "do_reject": ("退回（代平台）", "Return (for the platform)"),
    "feedback_comment": ("办理情况", "How it was handled"),
    "do_feedback": ("办理反馈（代平台）", "Feed back (for the platform)"),
    "reinspect_heading": ("复查", "Re-inspection"),
    "reinspect_note": (
        "请到现场复查并逐项填写（“是”表示仍存在）。证明：反馈之后到该点位的巡查轨迹，或在现场"
        "拍摄、带时间和 GPS 的照片。",
        "Go back and answer every item (yes = still there). Proof: a patrol track at the site "
        "after the feedback, or a photo with time and GPS taken there.",
    ),
    "reinspect_resolved": ("问题已整改", "Problem fixed"),
    "reinspect_photos": ("复查照片（带时间和 GPS）", "Re-inspection photos (with time and GPS)"),
    "do_reinspect": ("提交复查", "Submit re-inspection"),
    "rate_heading": ("评价", "Rating"),
    "do_rate": ("提交评价", "Submit rating"),
    "withdraw_reason": ("撤回理由", "Reason for withdrawing"),
    "do_withdraw": ("撤回", "Withdraw"),
    "col_number": ("交办单号", "Number"),
    "col_category": ("问题类别", "Category"),
    "col_platform": ("承办平台", "Platform"),
    "col_overdue": ("逾期", "Overdue"),
    "col_comment": ("说明", "Comment"),
    "col_who": ("办理人", "Who"),
    "col_action": ("环节", "Step"),
    "col_change": ("状态变化", "Status"),
    "col_attachments": ("附件", "Attachments"),
    "col_reported": ("上报时间", "Reported"),
    "col_group": ("名称", "Name"),
    "col_dispatched": ("交办", "Dispatched"),
    "col_handled": ("已处置", "Handled"),
    "col_on_time_n": ("按期处置", "On time"),
    "col_rated": ("已评价", "Rated"),
    "issues_heading": ("问题地图", "Issues map"),
    "all": ("全部", "All"),
    "issues_shown": ("显示件数", "Tickets shown"),
    "issues_overdue": ("其中逾期", "Of which overdue"),
    "rate_handling": ("处置率", "Handling rate"),
    "rate_on_time": ("按期处置率", "On-time rate"),
    "rate_satisfaction": ("满意率", "Satisfaction"),
    "rate_satisfaction_help": ("（满意 + 基本满意）/ 已评价", "(Satisfied + basically) / rated"),
    "rates_by_township": ("各乡镇（街道）", "Per township"),
    "rates_by_platform": ("各平台", "Per platform"),
    "issues_list": ("交办单列表", "Tickets"),
    "issues_none": ("没有符合条件的交办单。", "No ticket matches."),
    "open_which": ("查看交办单", "Open ticket"),
    "worklist_heading": ("我的待办", "My worklist"),
    "work_reinspect": ("待复查", "To re-inspect"),
    "work_reinspect_note": (
        "平台已反馈办理情况，请到现场复查。",
        "The platform fed back: go and re-inspect.",
    ),
    "work_rate": ("待评价", "To rate"),
    "work_rate_note": ("已复查，请评价办理结果。", "Re-inspected: rate the outcome."),
    "work_overdue": ("已逾期", "Overdue"),
    "work_overdue_note": (
        "超过办理期限仍未反馈的交办单。",
        "Past their deadline with no feedback yet.",
    ),
    "work_returned": ("平台退回", "Returned by a platform"),
    "work_returned_note": (
        "平台认为非本平台职责而退回，请重新交办。",
        "A platform said it is not its duty: dispatch again, elsewhere if need be.",
    ),
    "work_undispatched": ("待交办", "Awaiting dispatch"),
    "work_undispatched_note": ("已上报尚未交办的问题。", "Reported, not yet dispatched."),
    # Monthly evaluation and bulletin (views/evaluation.py)
    "page_evaluation": ("履职评价与通报", "Evaluation and bulletin"),
    "evaluation_heading": ("代表履职月度评价", "Monthly evaluation of the deputies"),
    "evaluation_month": ("月份", "Month"),
    "evaluation_empty": ("该月没有代表联系点位。", "No deputy had assigned sites that month."),
    "evaluation_table": ("代表评价（含各项得分与权重）", "Deputies (components and weights)"),
    "evaluation_formula": ("评分公式", "Score formula"),
    # The score formula with this month's weights (reports.evaluation.formula_params).
    "evaluation_formula_text": (
        "综合得分 = {on_time_share}×按期巡查率 "
        "+ {visits}×min(有效巡查次数, {visits_cap_per_site}×联系点位数)"
        "÷({visits_cap_per_site}×联系点位数) "
        "+ {records}×完整巡查记录数÷应填巡查记录数（无巡查时按0计） "
        "+ {problems}×min(问题确认数, {problems_cap})÷{problems_cap} "
        "+ {reinspections}×按时复查数÷应复查数（无应复查时按1计） "
        "- min({flagged_per_track}×异常轨迹数, {flagged_cap})。"
        "按期巡查只计本人联系期间的巡查窗口和本人的巡查（定人定点）；完整巡查记录指检查表逐项作答；"
        "问题确认指平台已办理反馈；按时复查指反馈后{reinspect_workdays}个工作日内完成复查；"
        "异常轨迹指被系统标记且未经分析员认可的轨迹。得分相同者名次并列，其后名次顺延（如1、2、2、4）。",
        "Score = {on_time_share} × share on time "
        "+ {visits} × min(verified visits, {visits_cap_per_site} × sites) "
        "÷ ({visits_cap_per_site} × sites) "
        "+ {records} × complete records ÷ visits to record (0 with no visit) "
        "+ {problems} × min(confirmed problems, {problems_cap}) ÷ {problems_cap} "
        "+ {reinspections} × re-inspections on time ÷ due (1 when none was due) "
        "− min({flagged_per_track} × flagged tracks, {flagged_cap}). "
        "On time counts only the windows of the deputy's own assignment and their own visits; "
        "a complete record answers every checklist item; a confirmed problem is one "
        "a platform fed back on; a re-inspection is on time within {reinspect_workdays} working "
        "days of the feedback; a flagged track is one the checks flagged and no analyst accepted. "
        "Equal scores share a rank and the next rank skips (1, 2, 2, 4).",
    ),
    "evaluation_townships": ("乡镇（街道）排名", "Township ranking"),
    "evaluation_trend": ("代表得分走势", "A deputy's score over time"),
    "evaluation_trend_deputy": ("代表", "Deputy"),
    "evaluation_deputies": ("参评代表", "Deputies evaluated"),
    "evaluation_share": ("按期巡查率", "Share on time"),
    "evaluation_mean": ("平均得分", "Mean score"),
    "evaluation_build": ("生成通报", "Build the bulletin"),
    "evaluation_bulletin_county": (
        "通报按全县生成，不受上方乡镇筛选影响。",
        "The bulletin covers the whole county, whatever township is chosen above.",
    ),
    "evaluation_building": ("正在生成通报…", "Building the bulletin…"),
    "evaluation_built": ("通报已生成，请下载：", "The bulletin is ready to download:"),
    "evaluation_download_docx": ("下载 Word（.docx）", "Download Word (.docx)"),
    "evaluation_download_pdf": ("下载 PDF", "Download PDF"),
    "evaluation_download_xlsx": ("下载 Excel 附表", "Download Excel tables"),
    # Public archive in pages (views/public.py): every counting patrol, a page at a time
    "public_page": ("页码", "Page"),
    "public_page_option": ("第 {page} 页，共 {pages} 页", "Page {page} of {pages}"),
    "public_page_range": (
        "共 {total} 条，本页为第 {first}–{last} 条（最新在前）。",
        "{total} in all; this page shows {first}–{last} (newest first).",
    ),
    "public_map_page": (
        "地图显示本页第 {first}–{last} 条巡查的轨迹（共 {total} 条，翻页查看其他巡查）；"
        "到访点位为本期全部巡查所到点位。",
        "The map draws the tracks of patrols {first}–{last} on this page (of {total}; turn "
        "the page for the others); the sites are those of every patrol of the period.",
    ),
    "public_map_undrawn": (
        "其中 {n} 条巡查的轨迹不足 {m} 米、全部位于隐私区内或没有轨迹，不予绘制，记录照常列出。",
        "Of these, {n} have a track shorter than {m} m, wholly inside a privacy zone, or none, "
        "so they are not drawn; their records are listed.",
    ),
    # Ticket figures and their definitions (tickets/figures.py; issues map, bulletin), and the
    # re-inspector of a ticket nobody reported (views/ticket.py, views/worklist.py)
    "rate_dispatched_handling": ("交办处置率", "Handling rate (all dispatched)"),
    "rate_closing": ("办结率", "Closing rate"),
    "col_closed": ("办结", "Closed"),
    "figure_def_dispatched_handling": (
        "交办处置率 = 已处置件数 ÷ 交办件数。交办件数：统计期内（按本县时区的日期）上报并已交办的"
        "全部交办单；已处置：当前状态为“反馈”或其后（复查、评价、办结），且最后一次反馈之后"
        "未被复查为未整改、也未因不满意而重新交办。",
        "Handling rate (all dispatched) = handled ÷ dispatched. Dispatched: every ticket "
        "reported in the period (local dates) and dispatched to a platform; handled: its "
        "current state is fed back or later (re-inspected, rated, closed), and since the last "
        "feedback no re-inspection found it unresolved and no dissatisfied rating reopened it.",
    ),
    "figure_def_platform_handling": (
        "平台处置率：口径同交办处置率，按交办单当前承办的平台分别统计。",
        "Platform handling rate: the same definition, counted per platform a ticket is routed "
        "to now.",
    ),
    "figure_def_on_time": (
        "按期处置率 = 按期处置件数 ÷ 已处置件数；按期处置：被采纳的反馈（最后一次反馈，其后未被"
        "复查为未整改或重新交办）在办理期限当日或之前作出。",
        "On-time rate = handled on time ÷ handled; on time: the accepted feedback (the last "
        "one, not followed by a failed re-inspection or a reopening) came on or before the "
        "deadline.",
    ),
    "rates_follow_filters": (
        "以上比率按所选乡镇、平台、类别和日期计算，包含各状态的问题（比率以全部交办件为分母）。",
        "The rates above count the township, platform, category and dates chosen, over tickets "
        "in every status (a rate is over every dispatched ticket).",
    ),
    "figure_def_closing": (
        "办结率 = 办结件数 ÷ 交办件数；办结：经代表复查确认已整改，并评价为满意或基本满意后办结。",
        "Closing rate = closed ÷ dispatched; closed: a deputy's re-inspection found it fixed "
        "and rated it satisfied or basically satisfied.",
    ),
    "reinspector_reporter": ("复查代表：{name}（上报代表）", "Re-inspected by {name} (reporter)"),
    "reinspector_site": (
        "复查代表：{name}（点位联系代表）",
        "Re-inspected by {name} (the site's deputy)",
    ),
    "reinspector_designated": (
        "复查代表：{name}（分析员指定）",
        "Re-inspected by {name} (designated by an analyst)",
    ),
    "reinspector_none": (
        "尚无复查代表：该问题无上报代表，点位当日也无联系代表，请分析员指定。",
        "Nobody re-inspects this ticket yet: no deputy reported it and its site has no deputy "
        "today. An analyst designates one.",
    ),
    "designate_heading": ("指定复查代表", "Designate the re-inspecting deputy"),
    "designate_note": (
        "平台上报的问题无上报代表，由点位联系代表复查和评价；无点位或点位无联系代表时，由此指定。"
        "指定记入办理记录，以最近一次为准。",
        "A platform's ticket has no reporting deputy: the site's deputy re-inspects and rates "
        "it. Without a site, or a site without a deputy, designate one here. The choice is "
        "recorded in the timeline; the latest counts.",
    ),
    "designate_deputy": ("复查代表", "Re-inspecting deputy"),
    "do_designate": ("指定", "Designate"),
    "work_no_reinspector": ("待指定复查代表", "No re-inspecting deputy"),
    "work_no_reinspector_note": (
        "平台上报、既无点位联系代表也未指定代表的交办单：请指定复查代表，否则无法办结。",
        "Platform tickets with neither a site deputy nor a designated deputy: designate one, "
        "or they can never be closed.",
    ),
}

for _part in (
    PAGES_GLANCE,
    PAGES_DEPUTY,
    PAGES_ADMIN,
    PAGES_MAPS,
    PAGES_GRID_HEADS,
    PAGES_REGISTER,
    PAGES_PUBLIC,
    PAGES_SUPERVISION,
    PAGES_CITY_RANKING,
    PAGES_WATER,
):
    if _twice := PAGES.keys() & _part.keys():
        raise RuntimeError(f"catalogue keys defined twice: {sorted(_twice)}")
    PAGES.update(_part)
