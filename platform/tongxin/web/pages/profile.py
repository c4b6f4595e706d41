"""The volunteer's own profile, skills, availability and certificates."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Request, get, post
from litestar.response import Redirect, Template

from tongxin.errors import DomainError
from tongxin.volunteers import service as volunteers
from tongxin.web import i18n
from tongxin.web.pages.common import (
    error_for,
    lang_of,
    place_choice,
    render,
    require,
    ticked,
)


# The person's own hour limits (hard rules for sign-ups and matching) and the profile's defaults.
HOUR_LIMITS = {"max_hours_day": 10.0, "max_hours_week": 20.0, "max_hours_month": 20.0}


def _hours_text(value: float) -> str:
    return f"{value:g}"


async def _profile_page(request: Request, actor, status_code: int = 200, values: dict | None = None,
                        **extra: Any) -> Template:
    look = await volunteers.lookups()
    profile, certificates = None, []
    if actor.volunteer_id is not None:
        profile = await volunteers.get_profile(actor=actor)
        certificates = profile["certificates"]
    if values is None:
        values = {}
        if profile:
            windows = profile["availability"]
            values = {"real_name": profile["real_name"], "phone": profile["phone"],
                      "birth_date": str(profile["birth_date"] or ""),
                      "grid_id": f"{profile['community']}:{profile['grid']}", "skills": profile["skills"],
                      "days": [str(w["weekday"]) for w in windows],
                      **{k: _hours_text(profile[k]) for k in HOUR_LIMITS}}
            if windows:
                values["from_time"] = f"{windows[0]['start_minute'] // 60:02d}:{windows[0]['start_minute'] % 60:02d}"
                values["to_time"] = f"{windows[0]['end_minute'] // 60:02d}:{windows[0]['end_minute'] % 60:02d}"
    return await render(request, "profile.html", status_code=status_code, values=values,
                        communities=look["communities"], skills=look["skills"],
                        certificate_kinds=look["certificate_kinds"], certificates=certificates, **extra)


@get("/me/profile", include_in_schema=False)
async def profile_page(request: Request) -> Template:
    return await _profile_page(request, await require(request, "volunteer"))


def _minutes(value: str) -> int:
    hours, _, minutes = value.partition(":")
    return int(hours) * 60 + int(minutes or 0)


@post("/me/profile", include_in_schema=False)
async def profile_save(request: Request) -> Template | Redirect:
    """Details, skills and weekly availability in one form; nothing is saved unless all of it is valid."""
    actor = await require(request, "volunteer")
    form = await request.form()
    values: dict[str, Any] = {k: form.get(k, "").strip() for k in
                              ("real_name", "phone", "birth_date", "grid_id", "from_time", "to_time")}
    # A limit left out of the form keeps its saved value (or the default).
    values.update({k: form.get(k).strip() for k in HOUR_LIMITS if form.get(k) is not None})
    values["skills"] = ticked(form, "skills")
    values["days"] = ticked(form, "days")
    lang = lang_of(request)
    errors: dict[str, str] = {}
    if not values["real_name"]:
        errors["real_name"] = i18n.translate("required", lang)
    try:
        birth = date.fromisoformat(values["birth_date"])
    except ValueError:
        errors["birth_date"] = i18n.translate("required", lang)
    limits: dict[str, float] = {}
    for name in HOUR_LIMITS:
        try:
            if name in values:
                limits[name] = float(values[name])
        except ValueError:
            errors[name] = i18n.error_text("not_a_number", "Please enter a number", lang)
    community_id, grid_id = place_choice(values["grid_id"])
    if grid_id is None:
        errors["grid_id"] = i18n.translate("required", lang)
    try:
        windows = [{"weekday": int(d), "start_minute": _minutes(values["from_time"]),
                    "end_minute": _minutes(values["to_time"])} for d in values["days"]]
        volunteers.check_windows(windows)
    except (ValueError, DomainError):
        errors["to_time"] = i18n.translate("结束时间要晚于开始时间", lang)
    if not errors:
        try:
            # What the form leaves out keeps its saved value: declared kinds and distance, a limit not sent.
            kept: dict[str, Any] = dict(HOUR_LIMITS)
            if actor.volunteer_id is not None:
                current = await volunteers.get_profile(actor=actor)
                kept = {k: current[k] for k in (*HOUR_LIMITS, "preferred_kinds", "max_distance_km")}
            kept.update(limits)
            # One transaction: a refused skill or window leaves the saved profile as it was.
            await volunteers.save_whole_profile(
                actor=actor, details=dict(real_name=values["real_name"], phone=values["phone"], birth_date=birth,
                                          community_id=community_id, grid_id=grid_id, **kept),
                skills=list(values["skills"]), windows=windows)
        except DomainError as exc:
            errors = error_for(exc, lang)
        else:
            return Redirect(path="/me/profile")
    return await _profile_page(request, actor, status_code=400, values=values, errors=errors)


@post("/me/certificates", include_in_schema=False)
async def certificate_add(request: Request) -> Template | Redirect:
    actor = await require(request, "volunteer")
    form = await request.form()
    lang = lang_of(request)
    try:
        issued = date.fromisoformat(form.get("issued_on", ""))
        expires = date.fromisoformat(form["expires_on"]) if form.get("expires_on") else None
    except ValueError:
        return await _profile_page(request, actor, status_code=400, errors={"issued_on": i18n.translate("required", lang)})
    try:
        await volunteers.add_certificate(actor=actor, kind_code=form.get("kind_code", ""),
                                         number=form.get("number", "").strip(), issued_on=issued, expires_on=expires)
    except DomainError as exc:
        return await _profile_page(request, actor, status_code=exc.status, errors=error_for(exc, lang))
    return Redirect(path="/me/profile")
