"""Approval-queue cards in words: what staff need to decide, with values, in the reader's language.

`card_lines` turns the facts of `tongxin.reports.queue.card_details` into (label, text) lines; an
explanation becomes its reasons with values ("距离 0.8 公里 · 技能 2/2 · 近30天服务 1 次"), the
strongest first, and what speaks against it the same way — never the bare feature names or the score
again.
"""

from __future__ import annotations

import math

from datetime import timedelta
from typing import Any, Callable

from matching import FEATURE_LABELS_EN, FEATURE_LABELS_ZH
from tongxin.dates import LOCAL_TZ
from tongxin.web import i18n
from tongxin.web.service import local_time, rrule_text

ASSESSMENTS = ("fitness", "self_rescue", "personality")

# Words for one label of a card: (zh-CN, en).
LINE_LABELS = {
    "kind": ("类型", "Kind"), "community": ("社区", "Community"), "contact": ("联系人", "Contact"),
    "about": ("简介", "About"), "registered_by": ("登记人", "Registered by"), "when": ("时间", "When"),
    "repeat": ("重复", "Repeats"), "where": ("地点", "Where"), "capacity": ("名额", "Places"),
    "skills": ("需要技能", "Skills"), "certificates": ("需要证书", "Certificates"), "age": ("年龄", "Age"),
    "organization": ("组织", "Organization"), "category": ("类别", "Category"), "urgency": ("紧急程度", "Urgency"),
    "needed_by": ("需要日期", "Needed by"), "text": ("公开内容", "Public text"), "squad": ("小队", "Squad"),
    "assessments": ("评估", "Assessments"), "guardian": ("监护人", "Guardian"), "consent": ("同意书", "Consent"),
    "target": ("对象", "For"), "candidate": ("人选", "Candidate"), "offer": ("提供", "Offer"),
    "reasons": ("推荐理由", "Why"), "concerns": ("不利因素", "Against"),
}
URGENCY = {1: ("不急", "can wait"), 2: ("一般", "soon"), 3: ("紧急", "urgent")}
ASSESSMENT_WORDS = {"fitness": ("体能", "fitness"), "self_rescue": ("自救技能", "self-rescue"),
                    "personality": ("性格", "personality")}
ORG_STATUS = {"approved": ("已通过审核", "approved"), "pending": ("待审核", "pending review"),
              "suspended": ("已暂停", "suspended"), "rejected": ("已驳回", "rejected")}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh-CN" else pair[1]


def _join(words, lang: str) -> str:
    return ("、" if lang == "zh-CN" else ", ").join(w for w in words if w)


def _percent(value: float) -> str:
    return f"{round(float(value) * 100)}%"


def _count(value: float) -> int:
    return int(round(float(value)))


def feature_text(name: str, value: float, lang: str, *, skills_required: int = 0) -> str:
    """One pair feature with its value in words; "" when it says nothing to a reader (or is unknown)."""
    zh = lang == "zh-CN"
    v = float(value)
    if name == "skill_coverage":
        if skills_required <= 0:
            return ""
        have = round(v * skills_required)
        return f"技能 {have}/{skills_required}" if zh else f"skills {have}/{skills_required}"
    if name == "distance_km":
        return f"距离 {v:.1f} 公里" if zh else f"{v:.1f} km away"
    if name == "same_grid":
        return ("同一网格" if v >= 0.5 else "不在同一网格") if zh else ("same grid" if v >= 0.5 else "another grid")
    if name == "same_community":
        return ("同一社区" if v >= 0.5 else "不在同一社区") if zh else (
            "same community" if v >= 0.5 else "another community")
    if name == "availability_share":
        return f"空闲时间覆盖 {_percent(v)}" if zh else f"free for {_percent(v)} of the time"
    if name == "reliability":
        return f"到场可靠度 {_percent(v)}" if zh else f"attendance reliability {_percent(v)}"
    if name == "recent_load":
        return f"近30天服务 {_count(v)} 次" if zh else f"{_count(v)} sign-ups in the last 30 days"
    if name == "org_history":
        n = _count(v)
        if zh:
            return f"为该组织服务过 {n} 次" if n else "没为该组织服务过"
        return f"served this organization {n} times" if n else "never served this organization"
    if name == "category_history":
        n = _count(v)
        if zh:
            return f"做过同类服务 {n} 次" if n else "没做过同类服务"
        return f"did this kind of work {n} times" if n else "never did this kind of work"
    if name == "urgency":
        level = 3 if v >= 0.75 else 2 if v >= 0.4 else 1
        return ("紧急程度：" if zh else "urgency: ") + _pick(URGENCY[level], lang)
    if name == "days_until_needed":
        return f"{_count(v)} 天后需要" if zh else f"needed in {_count(v)} days"
    if name == "declared_kind":  # 0.5: the person declared no kinds, which says nothing
        if abs(v - 0.5) < 1e-9:
            return ""
        return ("本人登记想做这类服务" if v >= 0.5 else "不在本人登记的服务意向中") if zh else (
            "wants this kind of work" if v >= 0.5 else "not among the kinds they chose")
    if name == "distance_over_declared":
        return f"距离为本人愿去最远距离的 {_percent(v)}" if zh else f"{_percent(v)} of the distance they would go"
    if name == "acceptance_rate":
        return f"接受邀请 {_percent(v)}" if zh else f"accepts {_percent(v)} of invitations"
    if name == "kind_acceptance":
        return f"此类服务接受 {_percent(v)}" if zh else f"accepts {_percent(v)} of this kind"
    if name == "time_acceptance":
        return f"此时段接受 {_percent(v)}" if zh else f"accepts {_percent(v)} at this time of day"
    if name == "distance_acceptance":
        return f"此距离接受 {_percent(v)}" if zh else f"accepts {_percent(v)} at this distance"
    if name == "distance_over_travelled":
        return f"距离为本人常去距离的 {v:.1f} 倍" if zh else f"{v:.1f} times the distance they usually travel"
    if name == "invitations_seen":  # stored as log(1 + n)
        n = _count(math.expm1(v))
        return f"收到过 {n} 次邀请" if zh else f"{n} invitations so far"
    return ""


def explanation_lines(detail: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """A proposal's reasons (strongest first) and what speaks against it, each with its value."""
    features = detail.get("features") or {}
    needed = detail.get("skills_required", 0)

    def words(pairs) -> list[str]:
        out = []
        for pair in pairs or []:
            name = pair[0]
            if name in features:
                text = feature_text(name, features[name], lang, skills_required=needed)
            else:  # an old proposal without stored values: the feature's name in words at least
                text = (FEATURE_LABELS_ZH if lang == "zh-CN" else FEATURE_LABELS_EN).get(name, "")
            if text and text not in out:
                out.append(text)
        return out

    lines = []
    up = words(sorted(detail.get("raised") or [], key=lambda p: -float(p[1])))
    down = words(sorted(detail.get("lowered") or [], key=lambda p: float(p[1])))
    if up:
        lines.append(("reasons", " · ".join(up)))
    if down:
        lines.append(("concerns", " · ".join(down)))
    return lines


def _time_span(starts_at, lang: str, minutes: int | None = None, ends_at=None) -> str:
    end = ends_at or (starts_at + timedelta(minutes=minutes or 0))
    same_day = end.astimezone(LOCAL_TZ).date() == starts_at.astimezone(LOCAL_TZ).date()
    return f"{local_time(starts_at, lang)}–{end.astimezone(LOCAL_TZ):%H:%M}" if same_day else \
        f"{local_time(starts_at, lang)} – {local_time(end, lang)}"


def _place(*parts: str) -> str:
    return " · ".join(p for p in parts if p)


def card_lines(kind: str, detail: dict[str, Any], lang: str, names: dict[str, dict[str, str]]) -> list[tuple[str, str]]:
    """(label key, text) lines of one queue card."""
    zh = lang == "zh-CN"
    label: Callable[[str], str] = lambda code: i18n.label(code, lang)  # noqa: E731
    skill = lambda codes: _join([names["skills"].get(c, c) for c in codes], lang)  # noqa: E731
    lines: list[tuple[str, str]] = []
    if not detail:
        return lines
    if kind == "organization":
        lines += [("kind", label(detail["kind"])), ("community", detail["community_name"] or ""),
                  ("contact", _place(detail["contact_name"], detail["contact_phone"])),
                  ("registered_by", detail["registered_by"] or ""), ("about", detail["description"])]
    elif kind == "activity":
        lines += [("when", _time_span(detail["starts_at"], lang, detail["duration_minutes"])),
                  ("repeat", rrule_text(detail["rrule"], lang) if detail["rrule"] else ""),
                  ("where", _place(detail["community_name"], detail["grid_name"], detail["address"])),
                  ("capacity", f"{detail['capacity']} 人" if zh else str(detail["capacity"])),
                  ("skills", skill(detail["required_skills"])),
                  ("certificates", _join([names["certificates"].get(c, c) for c in detail["required_certificates"]], lang)),
                  ("age", i18n.translate("age_between", lang, min=detail["min_age"], max=detail["max_age"])
                   + (" · " + i18n.translate("youth_welcome", lang) if detail["youth_allowed"] else "")),
                  ("organization", _place(detail["organization_name"],
                                          _pick(ORG_STATUS.get(detail["organization_status"], ("", "")), lang))),
                  ("contact", _place(detail["contact_name"], detail["contact_phone"])),
                  ("kind", i18n.translate(f"kind_{detail['kind']}", lang)), ("about", detail["description"])]
    elif kind == "wish":
        lines += [("community", _place(detail["community_name"], detail["grid_name"])),
                  ("category", label(detail["category"])),
                  ("urgency", _pick(URGENCY.get(detail["urgency"], ("", "")), lang)),
                  ("needed_by", detail["needed_by"].isoformat() if detail["needed_by"] else ""),
                  ("skills", skill(detail["skills_needed"])), ("text", detail["public_text"])]
    elif kind == "youth":
        done = detail["assessments"]
        marks = [f"{_pick(ASSESSMENT_WORDS[k], lang)} "
                 + (("通过" if zh else "passed") if done[k] else ("未通过" if zh else "not passed")) if k in done
                 else f"{_pick(ASSESSMENT_WORDS[k], lang)} " + ("未评估" if zh else "not yet") for k in ASSESSMENTS]
        lines += [("age", (f"{detail['age']} 岁" if zh else f"{detail['age']} years") if detail["age"] is not None else ""),
                  ("community", _place(detail["community_name"], detail["grid_name"])),
                  ("squad", detail["squad_name"] or ("尚未编入小队" if zh else "not in a squad yet")),
                  ("assessments", f"{' · '.join(marks)} ({len(done)}/3)"),
                  ("guardian", detail["guardian_name"] or ""),
                  ("consent", ("已撤回" if zh else "withdrawn") if detail["consent_withdrawn_at"] else
                   (("已签 " if zh else "given ") + local_time(detail["consent_at"], lang)) if detail["consent_at"] else
                   ("未签" if zh else "not given"))]
    elif kind == "proposal":
        target, candidate = detail["target"], detail["candidate"]
        if detail["target_type"] == "occurrence" and target:
            places = f"剩余名额 {target['places_left']}/{target['capacity']}" if zh else \
                f"{target['places_left']} of {target['capacity']} places left"
            lines.append(("target", _place(_time_span(target["starts_at"], lang, ends_at=target["ends_at"]),
                                           target["community_name"], target["address"], places)))
        elif target:
            lines.append(("target", _place(i18n.label("wish", lang), target["community_name"],
                                           _pick(URGENCY.get(target["urgency"], ("", "")), lang))))
        if detail["candidate_type"] == "volunteer" and candidate:
            age = (f"{candidate['age']} 岁" if zh else f"age {candidate['age']}") if candidate["age"] is not None else ""
            served = f"到场 {candidate['attended_count']} 次" if zh else f"attended {candidate['attended_count']} times"
            minor = ("未成年" if zh else "minor") if candidate["is_youth"] else ""  # the heading has the name
            lines.append(("candidate", _place(age, minor, candidate["community_name"], served)))
        elif detail["candidate_type"] == "organization" and candidate:
            lines.append(("candidate", _place(candidate["name"], label(candidate["kind"]))))
        elif detail["candidate_type"] == "resource" and candidate:
            left = f"剩余 {candidate['remaining']}/{candidate['quantity']}" if zh else \
                f"{candidate['remaining']} of {candidate['quantity']} left"
            lines.append(("offer", _place(candidate["title"], label(candidate["kind"]), label(candidate["category"]),
                                          left, candidate["organization_name"])))
            if candidate["description"]:
                lines.append(("about", candidate["description"]))
        lines += explanation_lines(detail, lang)
    return [(key, text) for key, text in lines if text]


def card_title(item: dict[str, Any], detail: dict[str, Any], lang: str) -> str:
    """A card's heading: a child's name instead of an application number; who for what on a proposal."""
    zh = lang == "zh-CN"
    if item["kind"] == "youth" and detail:
        return detail["name"]
    if item["kind"] == "proposal" and detail:
        target = detail["target"].get("title") or item["title"].partition(" ← ")[0]
        candidate = detail["candidate"]
        who = {"volunteer": candidate.get("real_name", ""), "organization": candidate.get("name", ""),
               "resource": candidate.get("title", "")}.get(detail["candidate_type"], "")
        if detail["candidate_type"] == "volunteer" and candidate.get("is_youth"):
            who = who[:1] + ("同学" if zh else " (minor)")
        return f"{who} → {target}" if who else target
    return item["title"]


def line_label(key: str, lang: str) -> str:
    return _pick(LINE_LABELS[key], lang)


__all__ = ("card_lines", "card_title", "explanation_lines", "feature_text", "line_label")
