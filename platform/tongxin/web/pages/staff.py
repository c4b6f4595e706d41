"""Staff pages: the approval queue, matching, the dashboard and the scheduled jobs."""

from __future__ import annotations

from litestar import Request, get, post
from litestar.response import Redirect, Template

from tongxin.activities import service as activities
from tongxin.errors import DomainError, NotFound
from tongxin.matches import decisions
from tongxin.matches import service as matches
from tongxin.organizations import service as organizations
from tongxin.reports import service as reports
from tongxin.scheduling import service as scheduling
from tongxin.web import i18n
from tongxin.web import service as web
from tongxin.web.pages.common import PAGE, lang_of, render, require
from tongxin.web.service import bar_chart, local_time
from tongxin.wishes import service as wishes


@get("/staff/queue", include_in_schema=False)
async def queue_page(request: Request, kind: str | None = None, offset: int = 0) -> Template:
    actor = await require(request, "staff")
    kinds = [kind] if kind in reports.QUEUE_KINDS else None
    page = await reports.approval_queue(actor=actor, kinds=kinds, limit=PAGE, offset=max(offset, 0))
    counts = (await reports.approval_queue(actor=actor, limit=1))["counts"]
    return await render(request, "queue.html", page=page, counts=counts, kind=kinds[0] if kinds else "")


@post("/staff/decide/{kind:str}/{item_id:int}", include_in_schema=False)
async def decide_page(request: Request, kind: str, item_id: int) -> Redirect | Template:
    """One form for every queue item: approve, or reject with a reason."""
    actor = await require(request, "staff")
    form = await request.form()
    approve, reason = form.get("decision") == "approve", form.get("reason", "").strip()
    try:
        if kind == "organization":
            await organizations.decide_organization(actor=actor, organization_id=item_id, approve=approve, reason=reason)
        elif kind == "activity":
            await activities.decide_activity(actor=actor, activity_id=item_id, approve=approve, reason=reason)
        elif kind == "proposal":
            if approve:
                await decisions.approve_proposal(actor=actor, proposal_id=item_id)
            else:
                await decisions.reject_proposal(actor=actor, proposal_id=item_id, reason=reason)
        elif kind == "wish":
            if approve:  # a wish is approved on its page, where staff see and edit the text they publish
                return Redirect(path=f"/wishes/{item_id}#review")
            await wishes.cancel_wish(actor=actor, wish_id=item_id, reason=reason)
        else:
            raise NotFound("page not found")
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        lang = lang_of(request)
        message = i18n.translate("reason_required", lang) if exc.field == "reason" else \
            i18n.error_text(exc.code, exc.message, lang)
        page = await reports.approval_queue(actor=actor, kinds=[kind], limit=PAGE, offset=0)
        counts = (await reports.approval_queue(actor=actor, limit=1))["counts"]
        return await render(request, "queue.html", status_code=exc.status, page=page, counts=counts, kind=kind,
                            failed={"key": f"{kind}-{item_id}", "field": exc.field or "_form", "message": message})
    return Redirect(path=f"/staff/queue?kind={kind}")


@post("/staff/matching", include_in_schema=False)
async def matching_page(request: Request) -> Redirect:
    actor = await require(request, "staff")
    await matches.run_matching_batch(actor_id=actor.id)
    return Redirect(path="/staff/queue?kind=proposal")


@get("/staff/dashboard", include_in_schema=False)
async def dashboard_page(request: Request) -> Template:
    await require(request, "staff")
    figures = await reports.dashboard()
    lang = lang_of(request)
    t = lambda key: i18n.translate(key, lang)
    none = t("no_figures")
    places = [{**row, "community": i18n.both(str(row["community"]), lang)} for row in figures["by_community"]]
    charts = [
        {"title": f"{t('hours')} · {t('by_community')}", "svg": bar_chart(places, label="community", value="hours", empty=none)},
        {"title": f"{t('people_served')} · {t('by_community')}",
         "svg": bar_chart(places, label="community", value="people_served", empty=none)},
        {"title": f"{t('activities_held')} · {t('by_community')}",
         "svg": bar_chart(places, label="community", value="activities_held", empty=none)},
        {"title": f"{t('hours')} · {t('by_month')}",
         "svg": web.column_chart(figures["by_month"], label="month", value="hours", empty=none)},
        {"title": f"{t('wishes_fulfilled')} · {t('by_month')}",
         "svg": web.column_chart(figures["by_month"], label="month", value="wishes_fulfilled", empty=none)},
    ]
    return await render(request, "dashboard.html", figures=figures, charts=charts)


@get("/staff/jobs", include_in_schema=False)
async def jobs_page(request: Request, offset: int = 0) -> Template:
    await require(request, "staff")
    jobs = await scheduling.list_jobs()
    for j in jobs:
        j["local_next"] = local_time(j["next_run_at"])
        j["local_last"] = local_time(j["last_run"]["started_at"]) if j["last_run"] else ""
    runs = await scheduling.list_runs(limit=PAGE, offset=max(offset, 0))
    for r in runs["items"]:
        r["local_scheduled"] = local_time(r["scheduled_for"])
    model = await matches.model_status()
    model["local_trained"] = local_time(model["trained_at"])
    return await render(request, "jobs.html", jobs=jobs, runs=runs, model=model)
