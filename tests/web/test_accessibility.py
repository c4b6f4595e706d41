"""Accessibility basics a phone or screen-reader user notices: a skip link, errors read with their
fields, the phone keypad for phone numbers, a favicon, and text colours of at least 4.5:1."""

import re
from pathlib import Path

import pytest

from tests.factories import login, make_user

pytestmark = pytest.mark.anyio
HTML = {"accept": "text/html"}
CSS = Path(__file__).resolve().parents[2] / "platform" / "tongxin" / "web" / "static" / "tongxin.css"


async def test_every_page_starts_with_a_skip_link_to_the_content_and_has_a_favicon(client):
    for path in ("/", "/occurrences", "/login", "/no-such-page"):
        text = (await client.get(path, headers=HTML)).text
        assert re.search(r'<body[^>]*>\s*<a class="skip-link" href="#main">跳到正文</a>', text), path
        assert '<main id="main"' in text and 'rel="icon" href="/static/favicon.svg"' in text, path
    icon = await client.get("/static/favicon.svg")
    assert icon.status_code == 200 and "<svg" in icon.text


async def test_each_error_is_tied_to_its_field(client):
    await client.get("/register", headers=HTML)
    response = await client.post("/register", data={"username": "ab", "password": "short", "role": "volunteer"},
                                 headers=HTML)
    assert response.status_code == 400
    described = re.findall(r'aria-describedby="([^"]+)"', response.text)
    assert {"username-error", "password-error"} <= set(described)
    for target in described:
        assert f'id="{target}"' in response.text, f"{target} points at nothing"


async def test_phone_fields_open_the_phone_keypad(client):
    await login(client, (await make_user("volunteer"))["username"])
    profile = (await client.get("/me/profile", headers=HTML)).text
    phone = re.search(r'<input id="phone"[^>]*>', profile, flags=re.S).group(0)
    assert 'type="tel"' in phone and 'inputmode="tel"' in phone


def _luminance(colour: str) -> float:
    colour = colour.lstrip("#")
    if len(colour) == 3:
        colour = "".join(c * 2 for c in colour)
    channels = [int(colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_and_button_colours_have_at_least_4_5_to_1_contrast():
    css = CSS.read_text()
    var = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{3,6})", css))

    def colour_of(selector: str, prop: str) -> str:
        rule = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", css).group(1)
        value = re.search(rf"(?<![\w-]){prop}:\s*([^;]+);", rule).group(1).strip()
        return var[value[6:-1].lstrip("-")] if value.startswith("var(") else value

    pairs = {
        "button text": ("#fff", colour_of("button, .button", "background")),
        "grey button text": ("#fff", colour_of("button.secondary", "background")),
        "header links": ("#fff", var["accent"]),
        "muted text on the page": (var["muted"], var["bg"]),
        "muted text on a card": (var["muted"], "#fff"),
        "errors in a marked field": (colour_of(".error", "color"), "#fff5f5"),
        "why not on a card": (colour_of(".why-not", "color"), "#fff"),
        "my status on a card": (colour_of(".mine", "color"), "#fff"),
    }
    for name, (text, background) in pairs.items():
        assert contrast(text, background) >= 4.5, f"{name}: {contrast(text, background):.2f}:1"
