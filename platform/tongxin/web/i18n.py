"""The pages' words, zh-CN first and English second; domain error codes in the user's language."""

from __future__ import annotations

from matching import RULE_LABELS_EN

LANGUAGES = ("zh-CN", "en")
DEFAULT = "zh-CN"

MESSAGES: dict[str, tuple[str, str]] = {
    # layout
    "app": ("同心 · 志愿服务", "Tongxin · Volunteering"),
    "home": ("首页", "Home"), "occurrences": ("活动", "Activities"), "wishes": ("微心愿", "Micro-wishes"),
    "login": ("登录", "Sign in"), "logout": ("退出", "Sign out"), "register": ("注册", "Register"),
    "language": ("English", "中文"), "my_schedule": ("我的报名", "My sign-ups"),
    "queue": ("审核", "Approvals"), "dashboard": ("数据看板", "Dashboard"), "jobs": ("定时任务", "Scheduled jobs"),
    "profile": ("我的资料", "My profile"), "my_org": ("我的组织", "My organization"), "children": ("我的孩子", "My children"),
    "notifications": ("消息", "Messages"), "not_found": ("没有找到这个页面或记录", "This page or record was not found"),
    "back_home": ("返回首页", "Back to home"), "save": ("保存", "Save"), "submit": ("提交", "Submit"),
    "previous": ("上一页", "Previous"), "next": ("下一页", "Next"),
    "skip_to_content": ("跳到正文", "Skip to the content"),
    # invitations
    "invitations": ("我的邀请", "My invitations"),
    "invitations_intro": ("工作人员为您(或您的孩子)推荐了下面的活动或心愿。接受后才会报名；逾期未答复视为婉拒。",
                          "Staff suggested these for you (or your child). Only accepting signs you up; no answer by "
                          "the deadline counts as a decline."),
    "invitation_pending": ("待答复", "Waiting for your answer"), "invitation_accepted": ("已接受", "Accepted"),
    "invitation_declined": ("已婉拒", "Declined"), "invitation_expired": ("已过期", "Expired"),
    "invitation_wish": ("微心愿帮扶", "Helping with a micro-wish"),
    "invitation_for": ("为 {name} 发出的邀请", "For {name}"),
    "invitation_answer_by": ("请在 {when} 前答复", "Please answer by {when}"),
    "invitation_accept": ("接受", "Accept"), "invitation_decline": ("婉拒", "Decline"),
    "invitation_reason": ("婉拒理由(可不填)", "Why not (optional)"),
    "no_invitations": ("这里暂时没有邀请。", "No invitations here."),
    "invitation_yes": ("已接受邀请，谢谢您！", "Invitation accepted. Thank you!"),
    "invitation_no": ("已婉拒，谢谢您的答复。", "Declined. Thank you for answering."),
    # accounts
    "username": ("用户名", "Username"), "password": ("密码(至少8位)", "Password (8+ characters)"),
    "display_name": ("姓名/昵称", "Name"), "role": ("身份", "I am"),
    "role_volunteer": ("志愿者", "a volunteer"), "role_org_member": ("社会组织成员", "an organization member"),
    "role_guardian": ("小小安全员家长", "a guardian"),
    "bad_credentials": ("用户名或密码不正确", "Wrong username or password"),
    "rate_limited": ("登录失败次数过多，请稍后再试", "Too many failed logins; try again later"),
    "username_taken": ("该用户名已被使用", "This username is taken"),
    "rate_limited_wait": ("这台设备尝试登录的次数过多，请 {wait}后再试", "Too many sign-in attempts from this device; try again in {wait}"),
    "role_staff": ("社区工作人员", "staff"), "role_admin": ("管理员", "admin"), "role_grid_worker": ("网格员", "grid worker"),
    "accounts": ("账号管理", "Accounts"), "change_password": ("修改密码", "Change password"),
    "registration_wait": ("这台设备注册的账号过多，请 {wait}后再试", "Too many registrations from this device; try again in {wait}"),
    "welcome": ("欢迎，{name}", "Welcome, {name}"),
    # occurrences
    "filter": ("筛选", "Filter"), "kind": ("类型", "Kind"), "date_from": ("开始日期", "From"),
    "date_to": ("结束日期", "To"), "fits_me": ("只看适合我的", "Only what fits me"), "places_left": ("剩余名额", "Places left"),
    "sign_up": ("报名", "Sign up"), "cancel": ("取消报名", "Cancel"), "no_occurrences": (
        "暂时没有符合条件的活动。换个筛选条件，或稍后再来看看。", "No activities match. Try other filters or come back later."),
    "signed_up": ("报名成功", "You are signed up"), "waitlisted": (
        "名额已满，您已进入候补第 {n} 位；有人取消时会通知您。", "Full: you are number {n} on the waitlist; we will tell you if a place frees up."),
    "no_sign_ups": ("您还没有报名任何活动。去“活动”看看吧。", "No sign-ups yet. Have a look at Activities."),
    "hours_points": ("服务时长 {hours} 小时 · 积分 {points}", "{hours} hours served · {points} points"),
    "calendar_link": ("订阅日历(iCalendar)", "Subscribe to your calendar (iCalendar)"),
    "need_profile": ("请先完善志愿者资料", "Please fill in your volunteer profile first"),
    "kind_service_day": ("志愿服务日", "Service day"), "kind_training_drill": ("应急演练", "Training drill"),
    "kind_safety_education": ("安全教育", "Safety education"), "kind_wish_work": ("心愿服务", "Wish work"),
    "kind_emergency": ("应急任务", "Emergency"),
    "mine_confirmed": ("已报名", "Signed up"), "mine_waitlisted": ("候补第 {n} 位", "Waitlist: number {n}"),
    "mine_leader": ("已报名(带队人)", "Signed up as the leader"),
    "mine_waiting_for_leader": ("已报名，成年带队人报名后即确认", "Signed up; confirmed once an adult leader signs up"),
    "keyword": ("关键词", "Keyword"), "search": ("搜索", "Search"), "more_filters": ("更多筛选条件", "More filters"), "keyword_hint": ("活动名称、地点或组织", "Title, place or organization"),
    "details": ("查看详情", "Details"), "sign_ups_closed_short": ("报名已截止", "Sign-ups closed"),
    "sign_in_to_sign_up": ("登录后报名", "Sign in to sign up"),
    "full_waitlist": ("名额已满，报名将进入候补", "Full: signing up puts you on the waitlist"),
    "join_waitlist": ("报名候补", "Join the waitlist"), "youth_welcome": ("小小安全员可参加", "Youth welcome"),
    "why_not": ("暂不能报名的原因", "Why you cannot sign up"),
    "back_to_occurrences": ("返回活动列表", "Back to activities"),
    "occurrence_cancelled": ("本场活动已取消", "This occurrence has been cancelled"),
    "when": ("时间", "When"), "where": ("地点", "Where"), "sign_up_deadline": ("报名截止", "Sign up by"),
    "address_unknown": ("地址待定", "Address to be announced"), "open_map": ("在地图中查看", "Open in a map"),
    "waitlist_open": ("可报名候补", "waitlist open"), "needed_skills": ("需要技能", "Skills needed"),
    "preferred_skills": ("最好会", "Nice to have"), "needed_certificates": ("需要证书", "Certificates needed"),
    "none_needed": ("无", "None"), "age_range": ("年龄要求", "Age"),
    "age_between": ("{min}–{max} 岁", "{min} to {max} years"), "youth_rules": ("小小安全员", "Little safety officers"),
    "youth_rules_text": ("可参加：须通过评估并编入应急小队，监护人同意书有效，只参加白天(08:00–18:00)的活动，且有成年带队人报名后才确认。",
                         "Welcome once assessed and in a squad, with the guardian's consent in force, in daytime only "
                         "(08:00–18:00), and confirmed once an adult leader has signed up."),
    "leader_present": ("已有成年带队人报名", "An adult leader has signed up"),
    "leader_missing": ("还没有成年带队人报名", "No adult leader has signed up yet"),
    "youth_not_open": ("这项活动不接受小小安全员", "Not open to little safety officers"),
    "contact": ("联系人", "Contact"), "points": ("积分", "Points"), "any": ("不限", "Any"), "near_home": ("离我家近", "Near my home"), "community": ("社区", "Community"),
    # staff
    "approve": ("通过", "Approve"), "reject": ("驳回", "Reject"), "reason": ("理由", "Reason"),
    "queue_empty": ("没有待审核的事项。", "Nothing is waiting for a decision."),
    "run_matching": ("运行匹配", "Run matching"), "activities_held": ("已开展活动", "Activities held"),
    "people_served": ("服务人次", "People served"), "wishes_fulfilled": ("已实现心愿", "Wishes fulfilled"),
    "hours": ("服务时长(小时)", "Hours"), "by_community": ("按社区", "By community"), "by_month": ("按月份", "By month"),
    "dashboard_period": ("统计期间：{period}", "Period: {period}"), "show_figures": ("查看", "Show"),
    "dashboard_range_hint": ("日期可留空：留空表示不限。", "Leave a date empty for no limit."),
    "download_csv": ("下载 CSV 表格", "Download CSV"), "download_xlsx": ("下载 Excel 表格", "Download Excel"),
    "score": ("匹配分", "Score"),
    "queue_organization": ("组织", "Organizations"), "queue_activity": ("活动", "Activities"),
    "queue_wish": ("微心愿", "Wishes"), "queue_youth": ("小小安全员", "Youth members"),
    "queue_proposal": ("匹配建议", "Match proposals"),
    "bulk_approve": ("通过所勾选的事项", "Approve the ticked items"),
    "bulk_hint": ("组织、活动和匹配建议可以勾选后一起通过。", "Organizations, activities and proposals can be ticked and approved together."),
    "bulk_pick": ("勾选", "Tick"), "bulk_none": ("请先勾选要通过的事项。", "Tick the items to approve first."),
    "bulk_done": ("已通过 {n} 项。", "{n} approved."),
    "bulk_refused": ("以下 {n} 项未能通过：", "{n} could not be approved:"),
    "submitted_on": ("提交于", "Submitted"),
    "same_target": ("比较这个对象的全部人选", "Compare every candidate for this"),
    "target_only": ("只显示同一对象的匹配建议", "Showing the proposals for one target only"),
    "all_proposals": ("显示全部匹配建议", "Show every proposal"),
    "back_to_org": ("返回我的组织", "Back to my organization"), "job_off": ("已停用", "off"),
    "for_my_children": ("为我的孩子报名", "Sign up my children"),
    "sign_up_child": ("为{name}报名", "Sign {name} up"), "sign_up_child_link": ("为孩子报名", "Sign up my child"),
    "no_children_yet": ("您还没有登记孩子。", "You have not registered a child yet."),
    "sign_up_as_leader": ("作为成年带队人报名", "Sign up as the adult leader"),
    "leader_hint": ("小小安全员要有一位年满18岁的带队人报名后才能确认参加。",
                    "Little safety officers are confirmed once an adult leader (18 or over) signs up."),
    "roster_link": ("场次与报名、登记到场", "Occurrences, sign-ups and attendance"),
    "roster_taken": ("已确认 {taken}/{capacity} 人", "{taken} of {capacity} places taken"),
    "attendance_from_start": ("活动开始后可在这里登记到场。", "Attendance can be marked here once the occurrence starts."),
    "attendance_open": ("登记到场：结束后7天内都可以更正。", "Mark attendance; marks can be corrected until 7 days after the end."),
    "attendance_closed": ("更正期(结束后7天)已过，到场记录已确定。", "The 7-day correction window has closed; attendance is final."),
    "all_attended_button": ("全部到场({n} 人)", "All attended ({n})"),
    "all_attended": ("已将 {n} 人记为到场。", "{n} marked as attended."),
    "mark_attended": ("到场", "Attended"), "mark_no_show": ("未到", "No-show"),
    "confirm_no_show": ("确定记为未到场吗？", "Mark as no-show?"), "undo_mark": ("撤销", "Undo"),
    "leader": ("带队人", "leader"), "no_sign_ups_yet": ("暂无报名", "No sign-ups yet"),
    "no_occurrences_yet": ("还没有场次。", "No occurrences yet."), "review_public_text": ("审核公开内容", "Review the public text"),
    # wishes
    "post_wish": ("登记微心愿", "Post a wish"), "no_wishes": ("目前没有公开的微心愿。", "No open wishes right now."),
    "urgency": ("紧急程度", "Urgency"), "needed_by": ("需要日期", "Needed by"),
    # errors
    "invalid_input": ("请检查填写的内容", "Please check what you entered"),
    "conflict": ("操作无法完成", "This could not be done"),
    "page_expired": ("页面已过期，请返回刷新后再试一次。", "This page has expired; go back, reload and try again."),
    "server_error": ("抱歉，系统出了点问题，请稍后再试。", "Sorry, something went wrong on our side; please try again later."),
    "go_back": ("返回上一页", "Go back"),
    "squads": ("应急小队", "Squads"),
    "no_squads": ("还没有小队：在审核中为通过评估的小小安全员点“编入应急小队”，会自动建立所在社区的小队。",
                  "No squads yet: activating an assessed youth member from the queue creates their community's squad."),
    "no_figures": ("暂无数据：组织登记到场、心愿确认实现后，这里会出现统计。",
                   "No figures yet: they appear once organizations mark attendance and wishes are confirmed."),
    "new_activity": ("新建活动", "New activity"), "repeat": ("重复", "Repeat"),
    "repeat_once": ("不重复(一次性)", "One-off"), "repeat_weekly": ("每周", "Every week"),
    "repeat_monthly": ("每月", "Every month"), "repeat_quarterly": ("每季度", "Every three months"),
    "repeat_nth": ("第几个", "Which week"), "repeat_weekday": ("星期几", "Weekday"),
    "repeat_hint": ("例如：每月 · 第三个 · 周六 = 每月第三个周六(吾爱邻服务日)；每周只看星期几。",
                    "E.g. every month · third · Saturday = monthly on the third Saturday; weekly uses the weekday only."),
    "home_guest": ("注册成为志愿者、社会组织成员或小小安全员家长，一起服务邻里。",
                   "Register as a volunteer, an organization member or a guardian and help your neighbours."),
    "home_volunteer_profile": ("第一步：填写志愿者资料（技能、证书、空闲时间、所在社区），就能找到适合您的活动。",
                               "First step: fill in your profile (skills, certificates, free time, community) to find what fits you."),
    "home_org": ("登记组织，审核通过后即可发布活动、查看报名并登记到场。",
                 "Register your organization; once approved, publish activities, see sign-ups and mark attendance."),
    "home_guardian": ("为孩子申请小小安全员，查看孩子的评估和活动记录。",
                      "Apply for your child as a little safety officer and follow their assessments and activities."),
    "home_grid_worker": ("为网格内有困难的居民登记微心愿；实现后请为居民确认并评价。",
                         "Post micro-wishes for residents of your grids; confirm and rate them once fulfilled."),
    "home_activities": ("吾爱邻便民志愿服务日、应急演练、安全教育", "service days, drills, safety education"),
    "home_wishes": ("居民的小小心愿，等您来帮忙", "residents' small wishes waiting for a helper"),
    "required": ("必填", "Required"), "too_short": ("太短", "Too short"),
    # notifications
    "no_notifications": ("暂无消息。报名活动或参与微心愿后，进展会在这里通知您。",
                         "No messages yet. Sign up for an activity or help with a wish and news will appear here."),
    "mark_read": ("标为已读", "Mark read"), "unread": ("未读", "Unread"), "read": ("已读", "Read"),
    # jobs
    "job": ("任务", "Job"), "schedule": ("计划", "Schedule"), "next_run": ("下次运行", "Next run"),
    "last_run": ("上次运行", "Last run"), "outcome": ("结果", "Outcome"), "recent_runs": ("最近运行记录", "Recent runs"),
    "no_runs": ("还没有运行记录；调度器启动后会按计划运行。", "No runs yet; the scheduler runs jobs on schedule once started."),
    "matching_model": ("匹配评分模型", "Matching model"),
    "model_in_use": ("正在使用 {trained} 训练的模型(在留出数据上以95%置信度优于之前的模型后启用)。",
                     "In use: the model trained {trained} (activated after beating the previous one on held-out "
                     "decisions at 95% confidence)."),
    "model_prior_in_use": ("正在使用默认先验评分：审核记录还不够，或新模型尚未以95%置信度胜出。",
                           "In use: the default prior; not enough decisions yet, or no new model has won at 95% "
                           "confidence."),
    "model_failed_to_load": ("当前启用的模型({trained} 训练)无法加载，已改用默认先验评分。重新训练成功后会自动恢复；"
                             "如持续出现，请联系管理员。",
                             "The active model (trained {trained}) failed to load; scoring falls back to the default "
                             "prior until a retrained model wins. If this persists, tell an administrator."),
    "model_libraries_changed": ("训练时的软件版本与现在不同：", "Library versions changed since training:"),
    # sorting, queue
    "sort": ("排序", "Sort"), "sort_starts_at": ("时间由近到远", "Soonest first"),
    "sort_-starts_at": ("时间由远到近", "Latest first"), "sort_distance": ("离家最近", "Nearest to home"),
    "sort_places_left": ("剩余名额", "Places left"),
    "reject_wish": ("退回", "Cancel wish"), "assess": ("评估与编队", "Assess and activate"),
    "reason_required": ("请填写理由", "Please give a reason"),
    "credited": ("已记 {hours} 小时 · {points} 积分", "Credited {hours} h · {points} points"),
    "confirm_cancel": ("确定取消这次报名吗？", "Cancel this sign-up?"),
    "my_wishes": ("心愿工作", "Wish work"), "all": ("全部", "All"), "status": ("状态", "Status"),
    "no_my_wishes": ("这里还没有心愿。网格员可“登记微心愿”；志愿者获批帮扶后，心愿会出现在这里。",
                     "No wishes here yet. Grid workers post wishes; once you are approved as a helper they appear here."),
    # hours: check-in, confirmation, flags, certificates
    "check_in": ("签到签退", "Check in"), "hours_review": ("时长核查", "Hours review"),
    "certificates": ("服务证明", "Certificates"), "checked_in_done": ("{name} 签到成功", "{name} is checked in"),
    "checked_out_done": ("{name} 签退成功，本次 {hours} 小时，待组织确认", "{name} is checked out: {hours} h, waiting for the organization"),
    "sort_needed_by": ("需要日期最近", "Needed soonest"), "sort_urgency": ("最紧急", "Most urgent"),
    "sort_-created": ("最新登记", "Newest"), "youth_sign_ups": ("报名记录", "Sign-ups"),
    "no_youth_sign_ups": ("还没有报名记录。", "No sign-ups yet."),
}
# The youth journey (issue 10): organizations naming adult leaders.
MESSAGES.update({
    "leader_title": ("成年带队人", "Adult leader"),
    "leader_ask_hint": ("小小安全员要有一位成年带队人报名后才能确认参加。请邀请一位年满18岁的志愿者带队，对方接受后即报名。",
                        "Little safety officers are confirmed once an adult leader signs up. Ask a volunteer aged "
                        "18 or over to lead; they are signed up once they accept."),
    "leader_pick": ("从参加过本组织活动的志愿者中选择", "Choose among volunteers who served with you"),
    "leader_pick_none": ("(不选，填写账号)", "(none: type an account name)"),
    "leader_username": ("或填写志愿者的登录账号", "Or the volunteer's account name"),
    "leader_ask_button": ("邀请担任带队人", "Ask to lead"),
    "leader_asked": ("已发出带队邀请，等待对方答复。", "The request to lead was sent; waiting for the answer."),
    "leader_asked_pending": ("已邀请 {name} 带队，等待答复", "{name} was asked to lead; no answer yet"),
    "leader_asked_accepted": ("{name} 已接受带队邀请", "{name} accepted to lead"),
    "leader_asked_declined": ("{name} 婉拒了带队邀请", "{name} declined to lead"),
    "leader_asked_expired": ("{name} 未答复，带队邀请已过期", "{name} did not answer; the request expired"),
    "leader_asked_withdrawn": ("给 {name} 的带队邀请已撤回", "The request to {name} was withdrawn"),
    "leader_answer_by": ("(请在 {when} 前答复)", "(answer by {when})"),
    "invitation_as_leader": ("{organization}请您担任成年带队人", "{organization} asks you to be the adult leader"),
    "choose_grid": ("请选择孩子所在的社区与网格", "Choose the child's community and grid"),
})


# Record statuses and kinds as people read them; unknown codes show as they are.
LABELS: dict[str, tuple[str, str]] = {
    "pending": ("待审核", "pending"), "approved": ("已通过", "approved"), "rejected": ("已驳回", "rejected"),
    "suspended": ("已暂停", "suspended"), "draft": ("草稿", "draft"), "submitted": ("已提交", "submitted"),
    "closed": ("已结束", "closed"), "cancelled": ("已取消", "cancelled"), "applied": ("已申请", "applied"),
    "confirmed": ("已确认", "confirmed"), "waitlisted": ("候补中", "waitlisted"),
    "waiting_for_leader": ("等待成年领队", "waiting for an adult leader"), "attended": ("已到场", "attended"),
    "no_show": ("未到场", "no-show"), "verified": ("已核实", "verified"), "open": ("征集中", "open"),
    "matched": ("已匹配", "matched"), "in_progress": ("帮扶中", "in progress"), "fulfilled": ("已完成", "fulfilled"),
    "applicant": ("申请中", "applicant"), "assessed": ("已评估", "assessed"), "active": ("在队", "active"),
    "retired": ("已退役", "retired"), "withdrawn": ("已撤回", "withdrawn"), "proposed": ("待审核", "proposed"),
    "ok": ("成功", "ok"), "skipped": ("跳过", "skipped"), "failed": ("失败", "failed"), "running": ("运行中", "running"),
    "abandoned": ("中断", "abandoned"),
    "social_organization": ("社会组织", "social organization"), "rescue_team": ("救援队", "rescue team"),
    "enterprise_group": ("企业志愿队", "enterprise group"), "charity": ("慈善组织", "charity"),
    "daily_goods": ("生活物资", "daily goods"), "study": ("学习辅导", "study"), "repair": ("维修", "repairs"),
    "companionship": ("陪伴", "companionship"), "health": ("健康", "health"), "other": ("其他", "other"),
    "organization": ("组织", "organization"), "activity": ("活动", "activity"), "wish": ("微心愿", "wish"),
    "youth": ("小小安全员", "youth member"), "proposal": ("匹配建议", "match proposal"),
    "goods": ("物资", "goods"), "money": ("资金", "money"), "service": ("服务", "service"),
    "checked_in": ("已签到", "checked in"), "checked_out": ("已签退", "checked out"),
    "flag_far": ("位置偏远", "far from the place"), "flag_overlap": ("时间重叠", "overlapping"),
    "flag_travel": ("行程过快", "impossible travel"), "flag_too_long": ("超出活动时长", "longer than the occurrence"),
    "flag_one_device": ("一部手机代签", "one phone for a roster"), "flag_above_usual": ("远超平时", "far above usual"),
    "flag_open": ("待核查", "to review"), "flag_cleared": ("已核查，时长有效", "cleared"),
    "flag_corrected": ("已更正时长", "hours corrected"),
}


def label(code: str | None, lang: str) -> str:
    """A status or kind code in the user's language (the code itself when unknown)."""
    if code is None:
        return ""
    pair = LABELS.get(code)
    return code if pair is None else pair[0 if lang == "zh-CN" else 1]

# Domain error codes whose message the services write in English: their zh-CN words.
ERROR_CODES_ZH: dict[str, str] = {
    "bad_credentials": "用户名或密码不正确", "rate_limited": "登录失败次数过多，请稍后再试",
    "username_taken": "该用户名已被使用", "occurrence_full": "名额已满", "already_signed_up": "您已经报名了这场活动",
    "account_disabled": "这个账号已被停用，请联系社区办公室", "username_invisible": "用户名里不能有空格或看不见的字符",
    "username_confusable": "用户名只能用英文字母(a-z)：其他文字的字母(如俄文 а)看起来一样，容易被冒充",
    "username_characters": "用户名须为 3-64 位英文字母、数字或 _ . - @",
    "registration_rate_limited": "这台设备注册的账号过多，请稍后再试",
    "sign_ups_closed": "报名已截止", "already_decided": "该事项已被处理", "not_approved": "组织尚未通过审核",
    "not_found": "没有找到", "not_authenticated": "请先登录", "not_started": "活动开始后才能登记到场情况",
    "already_marked": "已经登记过到场情况", "wrong_status": "该事项当前状态下不能这样操作",
    "not_a_draft": "只有草稿可以修改或提交", "not_published": "活动尚未发布", "already_cancelled": "已经取消过了",
    "household_in_public_text": "公开内容里仍有这户居民的姓名、电话或住址，请删去后再公开",
    "title_only_household": "标题去掉住户信息后就什么都不剩了，请写明需要什么帮助",
    "not_editable": "这个心愿已经审核(或已取消)，不能再修改",
    "age_range": "最小年龄不能大于最大年龄", "already_answered": "这个邀请已经答复过了",
    "invitation_expired": "这个邀请已过期", "already_member": "这个账号已经属于一个组织(或不是组织账号)",
    "already_started": "活动已经开始，请直接联系组织方", "bad_characters": "含有不允许的字符",
    "bad_phone": "手机号应为1开头的11位数字(或区号加电话号码)", "bad_sort": "不支持这种排序方式",
    "correction_closed": "现在不能登记或更正到场情况(活动开始后至结束后7天内可以)",
    "half_a_point": "请同时填写纬度和经度，或都不填", "in_the_future": "日期不能晚于今天",
    "in_the_past": "时间需在未来(年份在2000至2100之间)", "leader_not_adult": "带队人在活动当天须年满18周岁",
    "name_taken": "已有同名组织登记", "no_account": "此人没有可接收邀请的账号",
    "no_location": "请先在“我的资料”中填写住址位置，才能按距离筛选或排序",
    "no_profile": "请先填写志愿者资料", "no_timezone": "时间需要带时区",
    "not_a_number": "请填写有效的数字", "not_active": "这条报名已经不再有效",
    "not_confirmed": "只有已确认的报名才能登记到场", "not_eligible": "不符合条件",
    "not_marked": "还没有可撤销的到场登记", "offer_used_up": "这项资源已经全部用完",
    "out_of_range": "数值超出允许范围", "outside_district": "地点不在本街道范围内",
    "reason_required": "请填写理由", "required": "此项必填",
    "rule_frequency": "重复规则只能按天、周、月或年，且每天最多一次",
    "rule_invalid": "重复规则无效，请重新选择", "rule_never_occurs": "这个重复规则在一年内不会产生任何场次",
    "too_long": "内容太长了", "too_short": "内容太短了",
    "too_young_to_register": "未满18周岁请由监护人通过“我的孩子”登记", "unknown_code": "选项无效",
    "unknown_place": "请选择有效的社区和网格", "wrong_role": "只有志愿者账号可以填写志愿者资料",
    "youth_age_range": "允许小小安全员参加的活动，最小年龄须低于18岁",
    "code_expired": "签到码已过期，请扫描或输入组织者屏幕上现在显示的签到码",
    "code_invalid": "签到码不正确，请核对组织者屏幕上的签到码", "already_checked_in": "已经签到过了",
    "already_checked_out": "已经签退过了", "not_checked_in": "请先签到", "check_in_not_open": "活动开始前一小时才能签到",
    "check_in_closed": "活动已结束，不能再签到", "check_out_closed": "已超过签退时间(活动结束后三小时)，请联系组织登记时长",
    "not_checked_out": "此人还没有签退，请填写时长后再确认",
    "choose_person": "请选择为谁签到",
    "no_confirmed_hours": "这段时间内没有已确认的服务时长", "period_order": "开始日期不能晚于结束日期", "not_a_date": "请填写有效的日期",
    "period_too_long": "时间段太长，请缩短后再试", "note_required": "请写明理由", "minutes_range": "时长须在 0 到 1440 分钟之间",
    "radius_range": "范围须在 50 到 50000 米之间", "too_many_wrong_codes": "签到码输错次数过多，请十分钟后再试", "position_half": "位置信息不完整", "position_bad": "位置信息不正确",
}

# The youth journey (issue 10): naming adult leaders.
ERROR_CODES_ZH.update({
    "leader_unknown": "没有找到这位志愿者，请核对登录账号(或从名单中选择)",
    "leader_already_asked": "已经邀请过这位志愿者，请等待答复",
    "leader_not_needed": "这项活动不接受小小安全员，不需要带队人",
})


# Why a sign-up is refused (the first reason travels in the code "not_eligible:<reason>").
ELIGIBILITY_ZH: dict[str, str] = {
    "sign_ups_closed": "这场活动的报名已截止", "age": "您的年龄不在这项活动的年龄范围内",
    "no_birth_date": "请先在“我的资料”中填写出生日期(活动有年龄限制)", "certificate": "缺少所需证书，或证书在活动当天前到期",
    "overlap": "您在同一时间已报名了其他活动", "youth_not_allowed": "这项活动不接受小小安全员",
    "youth_night": "小小安全员只参加白天(08:00-18:00)的活动", "youth_inactive": "孩子需先通过评估并编入应急小队",
    "youth_consent": "监护人同意书未生效", "youth_no_leader": "还没有成年带队人报名",
    "skill": "缺少这项活动要求的技能", "availability": "不在您填写的可服务时间内",
    "youth_too_far": "小小安全员只参加本社区或离家3公里以内的活动",
    "monthly_hours": "超过您本月的服务时长上限", "daily_hours": "超过当天的服务时长上限",
    "weekly_hours": "超过您本周的服务时长上限",
    "inactive": "您的志愿者资料尚未生效", "full": "名额已满",
}


# English for the refusal codes that are not pair rules of `matching` (those have matching.RULE_LABELS_EN).
ELIGIBILITY_EN: dict[str, str] = {
    "inactive": "your volunteer profile is not active", "no_birth_date": "add your birth date to your profile first",
    "sign_ups_closed": "sign-ups are closed",
}


def why_not_text(code: str, lang: str, *, skills: list[str] = (), certificates: list[str] = (),
                 min_age: int | None = None, max_age: int | None = None) -> str:
    """Why a person may not sign up, in words a card can show: what is missing when we know it
    ("需要技能：理发", "需要红十字救护员证", "年龄不符(限 18–60 岁)"), else the rule's words."""
    zh = lang == "zh-CN"
    if code == "skill" and skills:
        return ("需要技能：" + "、".join(skills)) if zh else "Needs the skill " + ", ".join(skills)
    if code == "certificate" and certificates:
        return ("需要" + "、".join(certificates)) if zh else "Needs a valid " + ", ".join(certificates)
    if code == "age" and min_age is not None and max_age is not None:
        return f"年龄不符(限 {min_age}–{max_age} 岁)" if zh else f"Age outside {min_age}–{max_age}"
    if zh:
        return ELIGIBILITY_ZH.get(code, "不符合报名条件")
    text = ELIGIBILITY_EN.get(code) or RULE_LABELS_EN.get(code, "not eligible")
    return text[:1].upper() + text[1:]


def language_of(value: str | None) -> str:
    """The supported language a cookie or header asks for (zh-CN unless it clearly asks for English)."""
    return "en" if value and value.lower().startswith("en") else DEFAULT


def both(text: str, lang: str) -> str:
    """The half of a "中文 / English" pair for `lang` (templates keep short pairs side by side)."""
    zh, sep, en = text.partition(" / ")
    return zh if lang == "zh-CN" or not sep else en


def translate(key: str, lang: str, **values) -> str:
    """One message in `lang` (zh-CN or en), formatted with `values`; the key itself if unknown."""
    pair = MESSAGES.get(key)
    text = key if pair is None else pair[0 if lang == "zh-CN" else 1]
    return text.format(**values) if values else text


def error_text(code: str, message: str, lang: str) -> str:
    """A domain error in the user's language: zh-CN from the code's words when we have them."""
    if lang == "en":
        return message
    if code in ERROR_CODES_ZH:
        return ERROR_CODES_ZH[code]
    if code.startswith("not_eligible"):
        reason = code.partition(":")[2]
        return "不符合报名条件：" + ELIGIBILITY_ZH.get(reason, message)
    return message
