"""The scheduled jobs page in the reader's language: each job's name, purpose, schedule and last outcome.

The jobs write their outcome as a short English line for the logs; the page reads the numbers out of the
known shapes and says them in words from the catalogs. A line of an unknown shape is not shown (its status is).
"""

from __future__ import annotations

import re

from tongxin.web.i18n import N_, translate, weekday_name, word
from tongxin.web.i18n import number as i18n_number

# (pattern of the English outcome, the catalog key of its words with the pattern's groups {0}, {1} ...)
OUTCOMES: list[tuple[re.Pattern, str]] = [(re.compile(p), key) for p, key in (
    (r"^(\d+) occurrence\(s\) created for (\d+) activities up to (\S+)$", "outcome_created"),
    (r"^(\d+) occurrence\(s\) closed$", "outcome_closed"),
    (r"^done: mark_no_shows_after: (\d+); credit_attendance: (\d+)$", "outcome_attendance"),
    (r"^(\d+) invitation\(s\) expired$", "outcome_expired"),
    (r"^(\d+) reminder\(s\) queued$", "outcome_reminders"),
    (r"^(\d+) certificate\(s\) expiring; (\d+) message\(s\) queued$", "outcome_certificates"),
    (r"^(\d+) volunteer\(s\) and (\d+) youth member\(s\) need a drill; (\d+) message\(s\) queued$", "outcome_drills"),
    (r"^(\d+) sent, (\d+) failed$", "outcome_sent"),
    (r"^retire_adults: (\d+)$", "outcome_retired"),
)]
# The figures of a matching or training summary worth a reader's eye ("version" and "reason" are for the logs).
SUMMARY_KEYS = tuple(N_("job_summary", k) for k in ("targets", "proposals", "utility", "activated", "n"))
JOB_NAMES = tuple(N_("job", n) for n in (
    "expand_occurrences", "close_sign_ups", "attendance", "expire_invitations", "reminders", "certificates",
    "drill_proposals", "youth_retirement", "matching", "retrain", "send_outbox"))
JOB_PURPOSES = tuple(N_("job_purpose", n) for n in JOB_NAMES)
# cron's day-of-week numbers (0 and 7 are Sunday) → Babel's (0 is Monday)
CRON_WEEKDAYS = {"0": 6, "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}


def schedule_text(trigger: str, expression: str, lang: str) -> str:
    """A job's schedule in words ("每 15 分钟", "每天 08:00", "每周一 09:00" / "every Monday at 09:00")."""
    if trigger == "interval":
        match = re.fullmatch(r"(\d+)([mhd])", expression.strip())
        if match:
            return translate(f"every_interval_{match.group(2)}", lang, n=match.group(1))
    if trigger == "cron":
        parts = expression.split()
        if len(parts) == 5 and parts[0].isdigit() and parts[1].isdigit() and parts[2:4] == ["*", "*"]:
            at = f"{int(parts[1]):02d}:{int(parts[0]):02d}"
            if parts[4] == "*":
                return translate("every_day_at", lang, at=at)
            if parts[4] in CRON_WEEKDAYS:
                weekday = weekday_name(CRON_WEEKDAYS[parts[4]], lang)
                return translate("every_weekday_at", lang, weekday=weekday, at=at)
    return translate("custom_schedule", lang)


def _number(value: str, lang: str) -> str:
    try:
        number = float(value)
    except ValueError:
        return {"True": translate("yes", lang), "False": translate("no", lang)}.get(value, "")
    return i18n_number(round(number, 2), lang)


def outcome_text(outcome: str | None, lang: str) -> str:
    """A run's outcome in the reader's language: the numbers said in words, or nothing if unknown."""
    if not outcome:
        return ""
    for pattern, key in OUTCOMES:
        match = pattern.match(outcome.strip())
        if match:
            return translate(key, lang).format(*match.groups())
    function, _, rest = outcome.partition(": ")
    if function in ("run_matching_batch", "train_and_maybe_activate"):
        shown = []
        for pair in rest.split(", "):
            key, _, value = pair.partition(" ")
            if key in SUMMARY_KEYS and _number(value, lang):
                shown.append(f"{word('job_summary', key, lang)} {_number(value, lang)}")
        return translate("phrase_separator", lang).join(shown)
    return ""


def job_words(name: str, description: str, lang: str) -> tuple[str, str]:
    """A job's title and purpose in the reader's language (an unknown job: its own description)."""
    return (word("job", name, lang) or translate("job_unknown", lang),
            word("job_purpose", name, lang) or (description if lang != "zh-CN" else ""))


__all__ = ("job_words", "outcome_text", "schedule_text")
