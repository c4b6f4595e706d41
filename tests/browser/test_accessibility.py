"""axe-core (vendored from npm, tests/browser/vendor) finds no serious or critical violations on the main
pages, as each role sees them on a phone."""

from pathlib import Path

import pytest

from tests.browser.conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.browser
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SERIOUS = """async () => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
  return {checked: result.passes.length, minor: result.violations.filter(v => v.impact === 'minor' || v.impact === 'moderate').map(v => v.id),
          serious: result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | ')}`)};
}"""
PAGES = {
    None: ("/", "/occurrences", "/login", "/register", "/wishes", "/no-such-page"),
    "vol001": ("/occurrences", "/me/profile", "/me/sign-ups", "/me/notifications"),
    "staff": ("/staff/queue", "/staff/queue?kind=proposal", "/staff/dashboard"),
    "bluesky": ("/org",),
    "guardian01": ("/youth",),
}


def test_main_pages_have_no_serious_or_critical_accessibility_violations(browser, server):
    found = {}
    for who, paths in PAGES.items():
        # The tests inject axe as a script; the pages' CSP (script-src 'self') would rightly refuse it.
        context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=server, locale="zh-CN",
                                      bypass_csp=True)
        page = context.new_page()
        if who:
            sign_in(page, who)
        extra = []
        if who is None:
            page.goto("/occurrences")
            extra = [page.locator("a[href^='/occurrences/']").first.get_attribute("href")]
        for path in (*paths, *extra):
            page.goto(path)
            page.add_script_tag(path=str(AXE))
            result = page.evaluate(SERIOUS)
            assert result["checked"] > 0, f"axe did not run on {path}"
            print(path, result["checked"], "rules passed; moderate or minor:", result["minor"])
            if result["serious"]:
                found[f"{who or 'anonymous'} {path}"] = result["serious"]
        for lang in ("en", "zh-CN"):  # the phone header fits this role in both languages
            page.goto(f"/language?to={lang}&next=/")
            overflow = page.evaluate("""() => [...document.querySelectorAll('header .top > *, header nav')]
                .filter(e => !e.matches('nav') && (e.getBoundingClientRect().right > window.innerWidth + 1
                  || e.getBoundingClientRect().height > 1.8 * parseFloat(getComputedStyle(e).lineHeight)))
                .map(e => e.textContent.trim())
                .concat(document.documentElement.scrollWidth > window.innerWidth ? ['the page scrolls sideways'] : [])""")
            if overflow:
                found[f"{who or 'anonymous'} header ({lang})"] = overflow
            if who == "staff":
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / f"header-staff-{lang}.png"))
        context.close()
    assert not found, "\n".join(f"{where}: {v}" for where, vs in found.items() for v in vs)
