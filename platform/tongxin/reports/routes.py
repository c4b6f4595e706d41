"""Staff endpoints: the district dashboard and the approval queue."""

from __future__ import annotations

from typing import Annotated, Any

from datetime import datetime

from litestar import Controller, Request, get
from litestar.di import Provide
from litestar.params import Parameter
from litestar.response import Response

from tongxin.accounts.guards import provide_actor, role_in, signed_in
from tongxin.accounts.service import Actor, list_audit
from tongxin.dates import LOCAL_TZ
from tongxin.errors import NotFound
from tongxin.reports import exports, service

# Absent → the last 12 months; empty → open at that end; otherwise a date (2026-03-01).
DateFrom = Annotated[str | None, Parameter(query="date_from", max_length=20)]
DateTo = Annotated[str | None, Parameter(query="date_to", max_length=20)]


async def figures_for(date_from: str | None, date_to: str | None) -> dict[str, Any]:
    """The dashboard's figures for a period as the query asks for it."""
    today = datetime.now(LOCAL_TZ).date()
    first, last = service.parse_range(date_from, date_to, today=today)
    return await service.dashboard(date_from=first, date_to=last)


def reader_language(request: Request) -> str:
    """The language of the export's headers: the site's language cookie, else the browser's, else zh-CN."""
    from tongxin.web import i18n
    from tongxin.web.pages.common import LANG_COOKIE

    return i18n.language_of(request.cookies.get(LANG_COOKIE) or request.headers.get("accept-language"))


class ReportController(Controller):
    path = "/api/staff"
    tags = ["reports"]
    guards = [role_in("staff")]
    dependencies = {"actor": Provide(provide_actor)}

    @get("/dashboard")
    async def dashboard(self, date_from: DateFrom = None, date_to: DateTo = None) -> dict[str, Any]:
        """Activities held, people served, wishes fulfilled, hours (two decimals, from exact minutes) in a
        period of local days (default the last 12 months; an empty end is open): totals, by community, by
        month. The same figures download as dashboard.csv and dashboard.xlsx."""
        return await figures_for(date_from, date_to)

    @get("/queue")
    async def queue(self, actor: Actor, kind: list[str] | None = None, community_id: int | None = None,
                    limit: Annotated[int, Parameter(ge=1, le=100)] = 20,
                    offset: Annotated[int, Parameter(ge=0)] = 0) -> dict[str, Any]:
        """Everything waiting for a staff decision, records before proposals, each oldest first (filter with
        kind=organization&kind=wish… and community_id)."""
        return await service.approval_queue(actor=actor, kinds=kind, community_id=community_id, limit=limit,
                                            offset=offset)

    @get("/audit")
    async def audit(self, action: str | None = None, limit: Annotated[int, Parameter(ge=1, le=100)] = 50,
                    offset: Annotated[int, Parameter(ge=0)] = 0) -> list[dict[str, Any]]:
        """The audit log, newest first: approvals and every read of sensitive fields."""
        return await list_audit(limit=limit, offset=offset, action=action)


class DashboardExportController(Controller):
    """The dashboard's figures as files. Staff only; anyone else gets 404, as for any staff record."""

    path = "/api/staff"
    tags = ["reports"]
    guards = [signed_in]
    dependencies = {"actor": Provide(provide_actor)}

    @get("/dashboard.csv")
    async def dashboard_csv(self, request: Request, actor: Actor, date_from: DateFrom = None,
                            date_to: DateTo = None) -> Response:
        """The dashboard's figures as CSV: totals, each community, each month (headers in the reader's language)."""
        if not actor.is_staff:
            raise NotFound("page not found")
        figures = await figures_for(date_from, date_to)
        rows = exports.table(figures, reader_language(request))
        return Response(exports.to_csv(rows), media_type="text/csv; charset=utf-8", headers={
            "content-disposition": f'attachment; filename="{exports.filename(figures, "csv")}"'})

    @get("/dashboard.xlsx")
    async def dashboard_xlsx(self, request: Request, actor: Actor, date_from: DateFrom = None,
                             date_to: DateTo = None) -> Response:
        """The same figures as an Excel workbook (numbers as numbers, hours with two decimals)."""
        if not actor.is_staff:
            raise NotFound("page not found")
        figures = await figures_for(date_from, date_to)
        lang = reader_language(request)
        return Response(exports.to_xlsx(exports.table(figures, lang), lang), media_type=exports.XLSX, headers={
            "content-disposition": f'attachment; filename="{exports.filename(figures, "xlsx")}"'})


ROUTES = [ReportController, DashboardExportController]
