"""The pages' words in the reader's language: labels, error texts, refusal reasons and the templates' `t()`.

One lookup path: `translate` (`t(...)` in templates, which is also the Jinja i18n extension's gettext) reads
the gettext catalog of the reader's language through tongxin.language (see there for the msgid conventions).
"""

from __future__ import annotations

from jinja2 import Environment, pass_context

from tongxin.hours.certificates import DISTRICT_ISSUER

from tongxin.language import (  # noqa: F401  (the pages reach them through this module)
    DEFAULT, LANGUAGES, babel_locale, language_of, listing, number, translate, translations, weekday_name, word,
)


def N_(context: str, code: str) -> str:
    """Marks a code looked up under `context` at run time, so `pybabel extract` keeps its catalog entry."""
    return code


def K_(key: str) -> str:
    """Marks a message key the pages build at run time ("kind_" + kind), so `pybabel extract` keeps it."""
    return key


# Everything the pages look up by value (a record's status, an error's code, a key built from a code), written
# out so that `pybabel extract` finds it; tests/web/test_language_catalogs.py says when one is missing here.
KEYS_BUILT_AT_RUN_TIME = (
    K_("home"), K_("invitation_pending"), K_("invitation_accepted"), K_("invitation_declined"),
    K_("invitation_expired"), K_("invitation_yes"), K_("invitation_no"), K_("role_volunteer"), K_("role_org_member"),
    K_("role_guardian"), K_("bad_credentials"), K_("rate_limited"), K_("username_taken"), K_("role_staff"),
    K_("role_admin"), K_("role_grid_worker"), K_("accounts"), K_("signed_up"), K_("waitlisted"),
    K_("kind_service_day"), K_("kind_training_drill"), K_("kind_safety_education"), K_("kind_wish_work"),
    K_("kind_emergency"), K_("mine_confirmed"), K_("mine_waiting_for_leader"), K_("activities_held"),
    K_("people_served"), K_("wishes_fulfilled"), K_("hours"), K_("by_community"), K_("by_month"), K_("score"),
    K_("attendances"), K_("youth_active"), K_("by_organization"),
    K_("queue_organization"), K_("queue_activity"), K_("queue_wish"), K_("queue_youth"), K_("queue_proposal"),
    K_("all_attended"), K_("conflict"), K_("repeat_once"), K_("repeat_weekly"), K_("repeat_monthly"),
    K_("repeat_quarterly"), K_("sort_starts_at"), K_("sort_-starts_at"), K_("sort_distance"), K_("sort_places_left"),
    K_("certificates"), K_("sort_needed_by"), K_("sort_urgency"), K_("sort_-created"), K_("every_interval_m"),
    K_("every_interval_h"), K_("every_interval_d"), K_("outcome_created"), K_("outcome_closed"),
    K_("outcome_attendance"), K_("outcome_expired"), K_("outcome_reminders"), K_("outcome_certificates"),
    K_("outcome_drills"), K_("outcome_sent"), K_("outcome_retired"), K_("nth_1"), K_("nth_2"), K_("nth_3"),
    K_("nth_4"), K_("nth_-1"),
)
LABEL_CODES = (
    N_("label", "pending"), N_("label", "approved"), N_("label", "rejected"), N_("label", "suspended"),
    N_("label", "draft"), N_("label", "submitted"), N_("label", "closed"), N_("label", "cancelled"),
    N_("label", "applied"), N_("label", "confirmed"), N_("label", "waitlisted"), N_("label", "waiting_for_leader"),
    N_("label", "attended"), N_("label", "no_show"), N_("label", "verified"), N_("label", "open"),
    N_("label", "matched"), N_("label", "in_progress"), N_("label", "fulfilled"), N_("label", "applicant"),
    N_("label", "assessed"), N_("label", "active"), N_("label", "retired"), N_("label", "withdrawn"),
    N_("label", "proposed"), N_("label", "ok"), N_("label", "skipped"), N_("label", "failed"),
    N_("label", "running"), N_("label", "abandoned"), N_("label", "social_organization"), N_("label", "rescue_team"),
    N_("label", "enterprise_group"), N_("label", "charity"), N_("label", "daily_goods"), N_("label", "study"),
    N_("label", "repair"), N_("label", "companionship"), N_("label", "health"), N_("label", "other"),
    N_("label", "organization"), N_("label", "activity"), N_("label", "wish"), N_("label", "youth"),
    N_("label", "proposal"), N_("label", "goods"), N_("label", "money"), N_("label", "service"),
    N_("label", "checked_in"), N_("label", "checked_out"), N_("label", "flag_far"), N_("label", "flag_overlap"),
    N_("label", "flag_travel"), N_("label", "flag_too_long"), N_("label", "flag_one_device"),
    N_("label", "flag_above_usual"), N_("label", "flag_open"), N_("label", "flag_cleared"),
    N_("label", "flag_corrected"), N_("label", "valid"), N_("label", "expiring"),
    N_("label", "expired"),
)
ERROR_CODES = (
    N_("error", "bad_credentials"), N_("error", "rate_limited"), N_("error", "username_taken"),
    N_("error", "occurrence_full"), N_("error", "already_signed_up"), N_("error", "account_disabled"),
    N_("error", "username_invisible"), N_("error", "username_confusable"), N_("error", "username_characters"),
    N_("error", "registration_rate_limited"), N_("error", "sign_ups_closed"), N_("error", "already_decided"),
    N_("error", "not_approved"), N_("error", "not_found"), N_("error", "not_authenticated"),
    N_("error", "not_started"), N_("error", "already_marked"), N_("error", "wrong_status"),
    N_("error", "not_a_draft"), N_("error", "not_published"), N_("error", "already_cancelled"),
    N_("error", "household_in_public_text"), N_("error", "title_only_household"), N_("error", "not_editable"),
    N_("error", "age_range"), N_("error", "already_answered"), N_("error", "invitation_expired"),
    N_("error", "already_member"), N_("error", "already_started"), N_("error", "bad_characters"),
    N_("error", "bad_phone"), N_("error", "bad_sort"), N_("error", "correction_closed"), N_("error", "half_a_point"),
    N_("error", "in_the_future"), N_("error", "in_the_past"), N_("error", "leader_not_adult"),
    N_("error", "name_taken"), N_("error", "no_account"), N_("error", "no_location"), N_("error", "no_profile"),
    N_("error", "no_timezone"), N_("error", "not_a_number"), N_("error", "not_active"), N_("error", "not_confirmed"),
    N_("error", "not_eligible"), N_("error", "not_marked"), N_("error", "offer_used_up"),
    N_("error", "out_of_range"), N_("error", "outside_district"), N_("error", "reason_required"),
    N_("error", "required"), N_("error", "rule_frequency"), N_("error", "rule_invalid"),
    N_("error", "rule_never_occurs"), N_("error", "too_long"), N_("error", "too_short"),
    N_("error", "too_young_to_register"), N_("error", "unknown_code"), N_("error", "unknown_place"),
    N_("error", "wrong_role"), N_("error", "youth_age_range"), N_("error", "code_expired"),
    N_("error", "code_invalid"), N_("error", "already_checked_in"), N_("error", "already_checked_out"),
    N_("error", "not_checked_in"), N_("error", "check_in_not_open"), N_("error", "check_in_closed"),
    N_("error", "check_out_closed"), N_("error", "not_checked_out"), N_("error", "choose_person"),
    N_("error", "no_confirmed_hours"), N_("error", "period_order"), N_("error", "not_a_date"),
    N_("error", "period_too_long"), N_("error", "note_required"), N_("error", "minutes_range"),
    N_("error", "radius_range"), N_("error", "too_many_wrong_codes"), N_("error", "position_half"),
    N_("error", "position_bad"),
    N_("error", "wrong_password"), N_("error", "password_too_short"), N_("error", "reset_link_invalid"),
    N_("error", "own_account"), N_("error", "unknown_grid"), N_("error", "not_grid_worker"),
    N_("error", "managed_role"), N_("error", "invalid"), N_("error", "invalid_input"), N_("error", "conflict"),
    N_("error", "forbidden"), N_("error", "calendar_off"), N_("error", "consent_required"),
    N_("error", "consent_changed"), N_("error", "child_too_young"), N_("error", "child_adult"),
    N_("error", "issued_in_future"), N_("error", "expires_before_issue"), N_("error", "window_order"),
    N_("error", "window_overlap"), N_("error", "needed_by_passed"),
)
ELIGIBILITY_CODES = (
    N_("eligibility", "sign_ups_closed"), N_("eligibility", "age"), N_("eligibility", "no_birth_date"),
    N_("eligibility", "certificate"), N_("eligibility", "overlap"), N_("eligibility", "youth_not_allowed"),
    N_("eligibility", "youth_night"), N_("eligibility", "youth_inactive"), N_("eligibility", "youth_consent"),
    N_("eligibility", "youth_no_leader"), N_("eligibility", "skill"), N_("eligibility", "availability"),
    N_("eligibility", "youth_too_far"), N_("eligibility", "monthly_hours"), N_("eligibility", "daily_hours"),
    N_("eligibility", "weekly_hours"), N_("eligibility", "inactive"), N_("eligibility", "full"),
    N_("eligibility", "no_location"), N_("eligibility", "too_far"),
)
JOB_NAMES = (
    N_("job", "expand_occurrences"), N_("job", "close_sign_ups"), N_("job", "attendance"),
    N_("job", "expire_invitations"), N_("job", "reminders"), N_("job", "certificates"), N_("job", "drill_proposals"),
    N_("job", "youth_retirement"), N_("job", "matching"), N_("job", "retrain"), N_("job", "send_outbox"),
)
JOB_PURPOSES = (
    N_("job_purpose", "expand_occurrences"), N_("job_purpose", "close_sign_ups"), N_("job_purpose", "attendance"),
    N_("job_purpose", "expire_invitations"), N_("job_purpose", "reminders"), N_("job_purpose", "certificates"),
    N_("job_purpose", "drill_proposals"), N_("job_purpose", "youth_retirement"), N_("job_purpose", "matching"),
    N_("job_purpose", "retrain"), N_("job_purpose", "send_outbox"),
)
JOB_SUMMARY_KEYS = (
    N_("job_summary", "targets"), N_("job_summary", "proposals"), N_("job_summary", "utility"),
    N_("job_summary", "activated"), N_("job_summary", "n"), N_("job_summary", "version"),
    N_("job_summary", "reason"),
)
# The youth journey (issue 10): naming adult leaders (the roster says each ask's status; the flash after asking).
LEADER_KEYS = (
    K_("leader_asked"), K_("leader_asked_pending"), K_("leader_asked_accepted"), K_("leader_asked_declined"),
    K_("leader_asked_expired"), K_("leader_asked_withdrawn"), N_("error", "leader_unknown"),
    N_("error", "leader_already_asked"), N_("error", "leader_not_needed"),
)


def label(code: str | None, lang: str) -> str:
    """A status or kind code in the user's language (the code itself when unknown)."""
    if code is None:
        return ""
    return word("label", code, lang) or code


def why_not_text(code: str, lang: str, *, skills: list[str] = (), certificates: list[str] = (),
                 min_age: int | None = None, max_age: int | None = None) -> str:
    """Why a person may not sign up, in words a card can show: what is missing when we know it
    ("需要技能：理发", "需要红十字救护员证", "年龄不符(限 18–60 岁)"), else the rule's words."""
    if code == "skill" and skills:
        return translate("why_skill", lang, skills=listing(skills, lang))
    if code == "certificate" and certificates:
        return translate("why_certificate", lang, certificates=listing(certificates, lang))
    if code == "age" and min_age is not None and max_age is not None:
        return translate("why_age", lang, min=min_age, max=max_age)
    return word("eligibility", code, lang) or translate("why_generic", lang)


def both(text: str, lang: str) -> str:
    """The half of a "中文 / English" pair for `lang`: names stored in both languages (communities), and
    template lines written before the catalogs (`bi(...)`; the catalog's translation of the Chinese half wins)."""
    zh, sep, en = text.partition(" / ")
    if lang == DEFAULT or not sep:
        return zh
    found = translations(lang).gettext(zh)
    return found if found != zh else en


def issuer_name(name: str, lang: str) -> str:
    """Who issued a service certificate: the platform's own name in the reader's language, else the
    organization's name as registered."""
    return translate("district_issuer", lang) if name == DISTRICT_ISSUER else name


def error_text(code: str, message: str, lang: str) -> str:
    """A domain error in the user's language: the catalog's words for its code; in English the
    service's own message (services write English, often with the values that failed)."""
    if lang == "en":
        return message
    if code.startswith("not_eligible:"):
        reason = code.partition(":")[2]
        return translate("not_eligible_because", lang,
                         reason=word("eligibility", reason, lang) or translate("why_generic", lang))
    # a code without words yet: the kind of failure, never the service's English
    return word("error", code, lang) or translate("invalid_input", lang)


@pass_context
def _page_gettext(context, message: str) -> str:
    return translations(context.get("lang", DEFAULT)).gettext(message)


@pass_context
def _page_ngettext(context, singular: str, plural: str, n: int) -> str:
    return translations(context.get("lang", DEFAULT)).ngettext(singular, plural, n)


def install(environment: Environment) -> None:
    """Give the templates Jinja's i18n extension (`_()`, `{% trans %}`) on the same catalogs as `t()`,
    in the language of the page being rendered (its context's `lang`)."""
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(gettext=_page_gettext, ngettext=_page_ngettext, newstyle=False)
