"""Staff pages: the approval queue, matching, the dashboard and the scheduled jobs."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from litestar import Request, get, post
from litestar.response import Redirect, Template

from tongxin.activities import service as activities
from tongxin.dates import LOCAL_TZ, hours_text
from tongxin.errors import DomainError, InvalidInput, NotFound
from tongxin.matches import decisions
from tongxin.matches import service as matches
from tongxin.organizations import service as organizations
from tongxin.reports import exports
from tongxin.reports import queue as queue_facts
from tongxin.reports import service as reports
from tongxin.scheduling import service as scheduling
from tongxin.web import cards, i18n, jobs_words
from tongxin.web import service as web
from tongxin.web.pages.common import PAGE, code_names, lang_of, render, require, ticked
from tongxin.web.service import bar_chart, local_time
from tongxin.wishes import service as wishes

BULK_KINDS = ("organization", "activity", "proposal")
BULK_MAX = 100


def _community(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


def _target(value: str | None) -> tuple[str, int] | None:
    """A "occurrence:12" / "wish:3" choice of the proposals' target filter (None when empty or malformed)."""
    kind, _, raw = (value or "").partition(":")
    return (kind, int(raw)) if kind in ("occurrence", "wish") and raw.isdigit() else None


def _queue_url(kind: str, community_id: int | None, target: tuple[str, int] | None = None) -> str:
    query = urlencode({k: v for k, v in (("kind", kind), ("community_id", community_id),
                                          ("target", f"{target[0]}:{target[1]}" if target else "")) if v})
    return "/staff/queue" + (f"?{query}" if query else "")


async def _queue(request: Request, actor, *, kind: str = "", community_id: int | None = None,
                 target: tuple[str, int] | None = None, offset: int = 0, status_code: int = 200, **values) -> Template:
    """The queue page: cards with everything to decide, filtered by kind, community and a proposal's target."""
    lang = lang_of(request)
    if target is not None:
        kind = "proposal"
    kinds = [kind] if kind in reports.QUEUE_KINDS else None
    page = await reports.approval_queue(actor=actor, kinds=kinds, community_id=community_id, target=target,
                                        limit=PAGE, offset=max(offset, 0))
    counts = (await reports.approval_queue(actor=actor, community_id=community_id, limit=1))["counts"]
    details = await queue_facts.card_details(page["items"])
    names = await code_names(lang)
    for item in page["items"]:
        detail = details.get((item["kind"], item["id"]), {})
        item["heading"] = cards.card_title(item, detail, lang)
        item["lines"] = [(cards.line_label(key, lang), text)
                         for key, text in cards.card_lines(item["kind"], detail, lang, names)]
        item["bulk"] = item["kind"] in BULK_KINDS
    return await render(request, "queue.html", status_code=status_code, page=page, counts=counts,
                        kind=kinds[0] if kinds else "", community_id=community_id, target=target,
                        target_value=f"{target[0]}:{target[1]}" if target else "",
                        communities=await queue_facts.community_names(),
                        base=_queue_url(kinds[0] if kinds else "", community_id, target), **values)


@get("/staff/queue", include_in_schema=False)
async def queue_page(request: Request, kind: str = "", community_id: str = "", target: str = "",
                     offset: int = 0) -> Template:
    actor = await require(request, "staff")
    return await _queue(request, actor, kind=kind, community_id=_community(community_id), target=_target(target),
                        offset=offset)


async def _decide(actor, kind: str, item_id: int, *, approve: bool, reason: str = "") -> None:
    """One staff decision on one queue item, in its own transaction (the services own them)."""
    if kind == "organization":
        await organizations.decide_organization(actor=actor, organization_id=item_id, approve=approve, reason=reason)
    elif kind == "activity":
        await activities.decide_activity(actor=actor, activity_id=item_id, approve=approve, reason=reason)
    elif kind == "proposal":
        if approve:
            await decisions.approve_proposal(actor=actor, proposal_id=item_id)
        else:
            await decisions.reject_proposal(actor=actor, proposal_id=item_id, reason=reason)
    elif kind == "wish" and not approve:
        await wishes.cancel_wish(actor=actor, wish_id=item_id, reason=reason)
    else:
        raise NotFound("page not found")


@post("/staff/decide/{kind:str}/{item_id:int}", include_in_schema=False)
async def decide_page(request: Request, kind: str, item_id: int) -> Redirect | Template:
    """One form for every queue item: approve, or reject with a reason."""
    actor = await require(request, "staff")
    form = await request.form()
    approve, reason = form.get("decision") == "approve", form.get("reason", "").strip()
    community_id = _community(form.get("community_id"))
    target = _target(form.get("target"))
    if kind == "wish" and approve:  # a wish is approved on its page, where staff see and edit the text they publish
        return Redirect(path=f"/wishes/{item_id}#review")
    try:
        await _decide(actor, kind, item_id, approve=approve, reason=reason)
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        lang = lang_of(request)
        message = i18n.translate("reason_required", lang) if exc.field == "reason" else \
            i18n.error_text(exc.code, exc.message, lang)
        return await _queue(request, actor, kind=kind, community_id=community_id, target=target, status_code=exc.status,
                            failed={"key": f"{kind}-{item_id}", "field": exc.field or "_form", "message": message})
    return Redirect(path=_queue_url(kind, community_id, target))


@post("/staff/queue/approve", include_in_schema=False)
async def bulk_approve_page(request: Request) -> Template:
    """Approve the ticked items one by one, each in its own transaction, and say what was approved and
    what was refused and why (one refusal never undoes the others)."""
    actor = await require(request, "staff")
    lang = lang_of(request)
    form = await request.form()
    kind = form.get("kind", "")
    community_id = _community(form.get("community_id"))
    target = _target(form.get("target"))
    picked = []
    for value in ticked(form, "items")[:BULK_MAX]:
        item_kind, _, raw = value.partition(":")
        if item_kind in BULK_KINDS and raw.isdigit() and (item_kind, int(raw)) not in picked:
            picked.append((item_kind, int(raw)))
    titles = await queue_facts.titles_of(picked)
    proposals = [{"kind": k, "id": i, "title": ""} for k, i in picked if k == "proposal"]
    details = await queue_facts.card_details(proposals)
    titles.update({("proposal", p["id"]): cards.card_title(p, details.get(("proposal", p["id"]), {}), lang)
                   for p in proposals})
    approved, refused = [], []
    for item_kind, item_id in picked:
        title = titles.get((item_kind, item_id)) or f"{i18n.label(item_kind, lang)} {item_id}"
        try:
            await _decide(actor, item_kind, item_id, approve=True)
        except DomainError as exc:
            refused.append({"title": title, "reason": i18n.error_text(exc.code, exc.message, lang)})
        else:
            approved.append(title)
    summary = {"approved": approved, "refused": refused, "none": not picked}
    return await _queue(request, actor, kind=kind, community_id=community_id, target=target, summary=summary)


@post("/staff/matching", include_in_schema=False)
async def matching_page(request: Request) -> Redirect:
    actor = await require(request, "staff")
    await matches.run_matching_batch(actor_id=actor.id)
    return Redirect(path="/staff/queue?kind=proposal")


@get("/staff/dashboard", include_in_schema=False)
async def dashboard_page(request: Request, date_from: str | None = None, date_to: str | None = None) -> Template:
    """The district's figures for a period (default the last 12 months), as charts and as CSV/Excel downloads."""
    await require(request, "staff")
    lang = lang_of(request)
    t = lambda key, **values: i18n.translate(key, lang, **values)
    today = datetime.now(LOCAL_TZ).date()
    try:
        first, last = reports.parse_range(date_from, date_to, today=today)
    except InvalidInput as exc:
        values = {"date_from": (date_from or "").strip(), "date_to": (date_to or "").strip()}
        errors = {exc.field or "date_from": i18n.error_text(exc.code, exc.message, lang)}
        return await render(request, "dashboard.html", status_code=400, figures=None, charts=[], values=values,
                            errors=errors)
    figures = await reports.dashboard(date_from=first, date_to=last)
    none = t("no_figures")
    places = [{**row, "community": i18n.both(str(row["community"]), lang)} for row in figures["by_community"]]
    # (figure, rows, label column, chart): the chart's title is also its name for screen readers.
    shown = [("hours", "by_community", places, "community", bar_chart),
             ("people_served", "by_community", places, "community", bar_chart),
             ("activities_held", "by_community", places, "community", bar_chart),
             ("activities_held", "by_organization", figures["by_organization"], "organization", bar_chart),
             ("attendances", "by_organization", figures["by_organization"], "organization", bar_chart),
             ("hours", "by_month", figures["by_month"], "month", web.column_chart),
             ("wishes_fulfilled", "by_month", figures["by_month"], "month", web.column_chart),
             ("youth_active", "by_month", figures["by_month"], "month", web.column_chart)]
    charts = []
    for value, grouping, rows, label, chart in shown:
        title = f"{t(value)} · {t(grouping)}"
        charts.append({"title": title, "svg": chart(rows, label=label, value=value, name=title, empty=none)})
    values = {"date_from": first.isoformat() if first else "", "date_to": last.isoformat() if last else ""}
    query = urlencode(values)
    return await render(request, "dashboard.html", figures=figures, charts=charts, values=values, errors={},
                        period=exports.period_text(first, last, lang),
                        hours_shown=hours_text(figures["totals"]["minutes"]),
                        downloads=[(t("download_csv"), f"/api/staff/dashboard.csv?{query}"),
                                   (t("download_xlsx"), f"/api/staff/dashboard.xlsx?{query}")])


@get("/staff/jobs", include_in_schema=False)
async def jobs_page(request: Request, offset: int = 0) -> Template:
    await require(request, "staff")
    lang = lang_of(request)
    jobs = await scheduling.list_jobs()
    for j in jobs:
        j["local_next"] = local_time(j["next_run_at"], lang)
        j["local_last"] = local_time(j["last_run"]["started_at"], lang) if j["last_run"] else ""
        j["title"], j["purpose"] = jobs_words.job_words(j["job"], j["description"], lang)
        j["schedule_text"] = jobs_words.schedule_text(j["trigger"], j["expression"], lang)
        j["outcome_text"] = jobs_words.outcome_text(j["last_run"]["outcome"], lang) if j["last_run"] else ""
    runs = await scheduling.list_runs(limit=PAGE, offset=max(offset, 0))
    titles = {j["job"]: j["title"] for j in jobs}
    for r in runs["items"]:
        r["local_scheduled"] = local_time(r["scheduled_for"], lang)
        r["title"] = titles.get(r["job"], i18n.translate("job_unknown", lang))
        r["outcome_text"] = jobs_words.outcome_text(r["outcome"], lang)
    model = await matches.model_status()
    model["local_trained"] = local_time(model["trained_at"], lang)
    return await render(request, "jobs.html", jobs=jobs, runs=runs, model=model)
