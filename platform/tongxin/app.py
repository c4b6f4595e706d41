"""The Litestar application factory."""

from __future__ import annotations

import contextlib
import importlib
import sqlite3
from pathlib import Path
from typing import AsyncIterator

import asyncpg.exceptions
import asyncpg.exceptions._base
from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.contrib.jinja import JinjaTemplateEngine
from litestar.exceptions import ValidationException
from litestar.logging import LoggingConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from tongxin import __version__
from tongxin.accounts.routes import AccountController
from tongxin.accounts.sessions import DatabaseStore, RotatingSessionConfig
from tongxin.db import connection_pool, use_database
from tongxin.errors import DomainError
from tongxin.memory import configure as remember
from tongxin.memory import data_changed
from tongxin.settings import Settings
from tongxin.web import i18n
from tongxin.web.headers import security_headers_hook
from tongxin.web.openapi import declare_error_responses
from tongxin.web.errors import (
    bad_value_handler,
    database_error_handler,
    domain_error_handler,
    internal_error_handler,
    validation_error_handler,
)
from tongxin.web.routes import csrf_cookie, health

WEB_DIR = Path(__file__).parent / "web"
CSRF_COOKIE = "tx_csrf"
CSRF_HEADER = "x-csrftoken"


DOMAINS = ("notifications", "organizations", "volunteers", "wishes", "eligibility", "matches", "activities", "youth", "scheduling", "reports", "hours", "web")


def route_handlers() -> list:
    """Every domain's handlers: each `tongxin.<domain>.routes` lists its own in `ROUTES`."""
    handlers: list = [health, csrf_cookie, AccountController,
                      create_static_files_router(path="/static", directories=[WEB_DIR / "static"])]
    for domain in DOMAINS:
        module = importlib.import_module(f"tongxin.{domain}.routes")
        handlers.extend(getattr(module, "ROUTES", ()))
    return handlers


def domain_lifespans(settings: Settings) -> list:
    """Lifespan hooks a domain offers as `app_lifespan(settings)` in its service module (the scheduler)."""
    hooks = []
    for domain in DOMAINS:
        module = importlib.import_module(f"tongxin.{domain}.service")
        factory = getattr(module, "app_lifespan", None)
        if factory is not None:
            hook = factory(settings)
            if hook is not None:
                hooks.append(hook)
    return hooks


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def writes_forget_answers(app):
    """Middleware: a request that may write makes this process forget the answers it remembers, as it
    starts and as it ends (a write outside a transaction too), so the writer's next read is fresh."""

    async def middleware(scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await app(scope, receive, send)
            return
        data_changed()
        try:
            await app(scope, receive, send)
        finally:
            data_changed()

    return middleware


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the app for `settings` (default: from the environment)."""
    settings = (settings or Settings.from_env()).ready_to_serve()
    engine = use_database(settings.database_url, busy_seconds=settings.sqlite_busy_seconds)
    secure_cookies = not settings.development
    remember(sessions=settings.session_cache_seconds, reads=settings.read_cache_seconds)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with connection_pool(engine, size=settings.pool_size or None):
            yield

    session_config = RotatingSessionConfig(
        store="sessions", key="tx_session", max_age=settings.session_max_age,
        secure=secure_cookies, httponly=True, samesite="lax",
    )
    app = Litestar(
        route_handlers=route_handlers(),
        lifespan=[lifespan, *domain_lifespans(settings)],
        middleware=[writes_forget_answers, session_config.middleware],
        before_send=[security_headers_hook(settings.development)],
        stores={"sessions": DatabaseStore()},
        csrf_config=CSRFConfig(
            secret=settings.secret_key, cookie_name=CSRF_COOKIE, header_name=CSRF_HEADER,
            cookie_secure=secure_cookies, cookie_samesite="lax", exclude=["/health", "/schema", "/static"],
        ),
        exception_handlers={
            DomainError: domain_error_handler,
            ValidationException: validation_error_handler,
            sqlite3.OperationalError: database_error_handler,
            OverflowError: bad_value_handler,
            RecursionError: bad_value_handler,  # JSON nested thousands deep
            asyncpg.exceptions.DataError: bad_value_handler,
            asyncpg.exceptions._base.DataError: bad_value_handler,
            Exception: internal_error_handler,
        },
        openapi_config=OpenAPIConfig(
            title="Tongxin 同心", version=__version__, path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
        ),
        # Our error handlers log: one line per 4xx, a traceback only for 5xx (web/errors.py).
        logging_config=LoggingConfig(log_exceptions="debug"),
        template_config=TemplateConfig(directory=WEB_DIR / "templates", engine=JinjaTemplateEngine,
                                       engine_callback=lambda jinja: i18n.install(jinja.engine)),
        request_max_body_size=settings.max_body_bytes,
        debug=settings.debug,
    )
    app.state.settings = settings
    declare_error_responses(app)
    return app
