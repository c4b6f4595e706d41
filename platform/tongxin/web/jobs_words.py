"""The scheduled jobs page in Chinese: each job's name, purpose, schedule and last outcome in words.

The jobs write their outcome as a short English line for the logs; the page reads the numbers out of the
known shapes and says them in Chinese. A line of an unknown shape is not shown in zh-CN (its status is).
"""

from __future__ import annotations

import re

JOB_WORDS_ZH: dict[str, tuple[str, str]] = {
    "expand_occurrences": ("生成活动场次", "按重复规则为已发布的活动生成今后几周的场次"),
    "close_sign_ups": ("截止报名", "报名截止时间已过的场次停止报名"),
    "attendance": ("结算到场", "活动结束后记未到场(7天内可更正)，并补记服务时长和积分"),
    "expire_invitations": ("邀请过期", "逾期未答复的邀请视为婉拒"),
    "reminders": ("活动提醒", "活动前7天和前1天提醒志愿者和监护人；名额未满时提前3天提醒组织"),
    "certificates": ("证书到期提醒", "30天内到期的证书：提醒志愿者和相关组织"),
    "drill_proposals": ("演练建议", "证书将到期的救援人员、90天未参加演练的小小安全员：建议安排演练"),
    "youth_retirement": ("小小安全员满18岁退队", "年满18周岁的小小安全员自动退队"),
    "matching": ("匹配", "为未满员的场次和征集中的心愿推荐人选(由工作人员审核)"),
    "retrain": ("重新训练匹配模型", "每晚用审核和到场记录重新训练；只有效果更好才启用"),
    "send_outbox": ("发送消息", "发送排队中的消息；失败的下次重试"),
}
UNITS_ZH = {"m": "分钟", "h": "小时", "d": "天"}
WEEKDAYS_ZH = {"0": "周日", "1": "周一", "2": "周二", "3": "周三", "4": "周四", "5": "周五", "6": "周六", "7": "周日"}

# (pattern of the English outcome, its Chinese words with the pattern's groups)
OUTCOMES_ZH: list[tuple[re.Pattern, str]] = [(re.compile(p), z) for p, z in (
    (r"^(\d+) occurrence\(s\) created for (\d+) activities up to (\S+)$", "为 {1} 项活动新建 {0} 个场次(至 {2})"),
    (r"^(\d+) occurrence\(s\) closed$", "{0} 个场次截止报名"),
    (r"^done: mark_no_shows_after: (\d+); credit_attendance: (\d+)$", "记未到场 {0} 人，补记时长 {1} 人"),
    (r"^(\d+) invitation\(s\) expired$", "{0} 个邀请过期"),
    (r"^(\d+) reminder\(s\) queued$", "排队发送提醒 {0} 条"),
    (r"^(\d+) certificate\(s\) expiring; (\d+) message\(s\) queued$", "{0} 本证书将到期，排队消息 {1} 条"),
    (r"^(\d+) volunteer\(s\) and (\d+) youth member\(s\) need a drill; (\d+) message\(s\) queued$",
     "{0} 名志愿者和 {1} 名小小安全员需要演练，排队消息 {2} 条"),
    (r"^(\d+) sent, (\d+) failed$", "已发送 {0} 条，失败 {1} 条"),
    (r"^retire_adults: (\d+)$", "退队 {0} 人"),
)]
SUMMARY_KEYS_ZH = {"targets": "对象", "proposals": "建议", "utility": "总匹配度", "activated": "已启用新模型",
                   "n": "训练样本", "version": "版本", "reason": "原因"}


def schedule_text(trigger: str, expression: str, lang: str) -> str:
    """A job's schedule in words ("每 15 分钟", "每天 08:00", "每周一 09:00"); as written in English."""
    if lang != "zh-CN":
        return f"{trigger} {expression}"
    if trigger == "interval":
        match = re.fullmatch(r"(\d+)([mhd])", expression.strip())
        if match:
            return f"每 {match.group(1)} {UNITS_ZH[match.group(2)]}"
    if trigger == "cron":
        parts = expression.split()
        if len(parts) == 5 and parts[0].isdigit() and parts[1].isdigit() and parts[2:4] == ["*", "*"]:
            at = f"{int(parts[1]):02d}:{int(parts[0]):02d}"
            if parts[4] == "*":
                return f"每天 {at}"
            if parts[4] in WEEKDAYS_ZH:
                return f"每{WEEKDAYS_ZH[parts[4]]} {at}"
    return "自定义计划"


def _number(value: str) -> str:
    try:
        number = float(value)
    except ValueError:
        return {"True": "是", "False": "否"}.get(value, "")
    return str(int(number)) if number == int(number) else f"{number:.2f}"


def outcome_text(outcome: str | None, lang: str) -> str:
    """A run's outcome in the reader's language: the numbers said in Chinese, or nothing if unknown."""
    if not outcome or lang != "zh-CN":
        return outcome or ""
    for pattern, words in OUTCOMES_ZH:
        match = pattern.match(outcome.strip())
        if match:
            return words.format(*match.groups())
    function, _, rest = outcome.partition(": ")
    if function in ("run_matching_batch", "train_and_maybe_activate"):
        shown = []
        for pair in rest.split(", "):
            key, _, value = pair.partition(" ")
            if key in SUMMARY_KEYS_ZH and key not in ("version", "reason") and _number(value):
                shown.append(f"{SUMMARY_KEYS_ZH[key]} {_number(value)}")
        return "，".join(shown)
    return ""


def job_words(name: str, description: str, lang: str) -> tuple[str, str]:
    """A job's title and purpose in the reader's language."""
    if lang == "zh-CN":
        return JOB_WORDS_ZH.get(name, ("定时任务", ""))
    return name.replace("_", " ").capitalize(), description


__all__ = ("job_words", "outcome_text", "schedule_text")
