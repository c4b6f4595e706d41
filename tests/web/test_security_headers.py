"""Security headers on every answer, and templates the Content-Security-Policy can allow."""

import re
from pathlib import Path

import pytest

from tests.conftest import make_client
from tests.factories import signed_in_as

pytestmark = pytest.mark.anyio

TEMPLATES = Path(__file__).resolve().parents[2] / "platform" / "tongxin" / "web" / "templates"


def _assert_protected(response) -> None:
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


async def test_signed_in_page_is_never_cached_nor_framed(client):
    await signed_in_as(client, "volunteer")
    response = await client.get("/me/sign-ups", headers={"accept": "text/html"})
    assert response.status_code == 200
    _assert_protected(response)
    assert response.headers["cache-control"] == "no-store"


async def test_api_answers_and_errors_carry_the_headers(client):
    for response in (await client.get("/api/accounts/me"), await client.get("/api/no-such-thing"),
                     await client.get("/no-such-page", headers={"accept": "text/html"})):
        assert response.status_code in (401, 404)
        _assert_protected(response)
        assert response.headers["cache-control"] == "no-store"


async def test_static_files_stay_cacheable_but_not_sniffed(client):
    response = await client.get("/static/tongxin.js")
    assert response.status_code == 200
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "no-store" not in response.headers.get("cache-control", "")


async def test_no_hsts_in_development(client):
    assert "strict-transport-security" not in (await client.get("/health")).headers


async def test_hsts_outside_development(database_url):
    from tongxin.app import create_app
    from tongxin.settings import Settings

    app = create_app(Settings(database_url=database_url, secret_key="s" * 32, run_scheduler=False,
                              public_url="https://testserver"))
    async with app.lifespan():
        async with make_client(app, base_url="https://testserver") as c:
            response = await c.get("/health")
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_only_the_swagger_page_may_load_its_cdn_script(client):
    swagger = await client.get("/schema/swagger")
    assert "https://cdn.jsdelivr.net" in swagger.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in swagger.headers["content-security-policy"]
    page = await client.get("/", headers={"accept": "text/html"})
    assert "cdn.jsdelivr.net" not in page.headers["content-security-policy"]


def test_templates_hold_no_inline_script():
    offenders = []
    for template in sorted(TEMPLATES.glob("*.html")):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text, flags=re.I):
            if "src=" not in tag:
                offenders.append(f"{template.name}: {tag}")
        offenders += [f"{template.name}: {m}" for m in re.findall(r"\son[a-z]+\s*=", text, flags=re.I)]
        offenders += [f"{template.name}: javascript:" for _ in re.findall(r"javascript:", text, flags=re.I)]
    assert offenders == []
