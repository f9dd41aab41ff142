"""Every page of the personal center in Chromium, with the demo data, at a phone's 390×844 and at
1366 px, in Chinese and in English: nothing is wider than the window, no table is cut, a table's
rows become labelled cards on the phone, and the section menu neither leaves a gap nor hides the
page the reader is on. Each page is saved as artifacts/screenshots/<width>-<language>-<page>.png."""

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import expect

from ambassadors import services as ambassador_services
from portal.kernel.models import User
from portal.shell.center import SECTIONS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 768}
LANGUAGES = {"zh": "zh-CN", "en": "en-US"}

# What a page would need to be read on a phone, measured in the page itself.
MEASURE = """() => {
  const overflowing = [...document.querySelectorAll("main *")]
    .filter((element) => element.getBoundingClientRect().right > window.innerWidth + 0.5)
    .map((element) => element.tagName.toLowerCase() + (element.className ? "." + element.className : ""));
  const cut = [...document.querySelectorAll(".table-wrap, main table")]
    .filter((element) => element.scrollWidth > element.clientWidth + 1)
    .map((element) => element.className || element.tagName);
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    overflowing: overflowing.slice(0, 5),
    cut,
  };
}"""

# Each cell of a table with column heads, shown with no label in front of it (a table of row
# heads, th scope=row, reads as it is).
UNLABELLED_CELLS = """() => [...document.querySelectorAll("main table:has(thead) td")]
  .filter((cell) => cell.offsetParent !== null && cell.textContent.trim())
  .filter((cell) => !getComputedStyle(cell, "::before").content.replace(/^(none|normal|"")$/, ""))
  .map((cell) => cell.textContent.trim())"""

# Column heads on more than two lines: a column so narrow that its head wraps inside words, at
# worst one character per line.
TALL_HEADS = """() => [...document.querySelectorAll("main thead th")]
  .filter((th) => th.closest("thead").getBoundingClientRect().width > 1)  // shown, not the cards' hidden head
  .filter((th) => {
    const style = getComputedStyle(th);
    const text = th.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
    return text > 2.5 * parseFloat(style.lineHeight);
  })
  .map((th) => th.textContent.trim())"""


def center_pages(accounts):
    """(name, account, path) of every section in the center's menu, and the account's sub-pages."""
    ambassador = accounts["ambassador"].ambassador
    pages = [(section.slug, "ambassador", section.url) for section in SECTIONS]
    pages += [
        ("customers-lost", "ambassador", "/center/customers/?view=lost"),
        ("verification", "ambassador", f"/center/verifications/{ambassador.verifications.first().pk}/"),
        ("cancel", "ambassador", "/center/account/cancel/"),
        ("verify", "joined", "/center/verify/"),
        ("alipay", "verified", "/center/alipay/"),
        ("account-pending", "newcomer", "/center/account/"),
        ("home-not-joined", "customer", "/center/"),
    ]
    return pages


def browser_page(browser, live_server, user, language, viewport):
    """A page logged in as `user`, its browser asking for `language` first."""
    client = Client()
    client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[0])
    context = browser.new_context(viewport=viewport, locale=LANGUAGES[language])
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return context.new_page()


def demo_accounts():
    call_command("load_demo", stdout=io.StringIO())
    by_email = {user.email: user for user in User.objects.filter(email__endswith="@demo.local")}
    joined = by_email["customer@demo.local"]
    ambassador_services.ambassador_join(user=joined)
    return {
        "ambassador": by_email["ambassador@demo.local"],
        "joined": joined,  # joined, not verified yet: the verification form
        "verified": by_email["rival@demo.local"],  # verified, Alipay not bound: the binding form
        "newcomer": by_email["newcomer@demo.local"],  # verification under review
        "customer": by_email["spouse@demo.local"],  # never joined: the invitation to join
    }


def page_problems(page, name, *, phone):
    """What keeps this page from reading well at the page's width, as readable lines (none: fine)."""
    problems = []
    measured = page.evaluate(MEASURE)
    if measured["scrollWidth"] > measured["innerWidth"]:
        problems.append(f"{name}: {measured['scrollWidth']} px wide in {measured['innerWidth']}: {measured}")
    if measured["cut"]:
        problems.append(f"{name}: tables cut: {measured['cut']}")
    if phone and (unlabelled := page.evaluate(UNLABELLED_CELLS)):
        problems.append(f"{name}: cells without a label: {unlabelled[:5]}")
    if tall := page.evaluate(TALL_HEADS):
        problems.append(f"{name}: column heads wrapped letter by letter: {tall}")
    nav = page.locator(".center-nav")
    current = nav.locator("[aria-current=page]")
    if current.count():
        box = current.bounding_box()
        if box["x"] < -1 or box["x"] + box["width"] > measured["innerWidth"] + 1:  # within a pixel
            problems.append(f"{name}: the menu hides the current page: {box}")
    if phone and nav.count() and nav.bounding_box()["height"] > 60:
        problems.append(f"{name}: the menu strip is {nav.bounding_box()['height']} px tall")
    return problems


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_center_page_reads_on_a_phone_and_a_laptop(live_server, browser, screenshot, reference_data, language):
    accounts = demo_accounts()
    pages = center_pages(accounts)
    problems = []
    for width, viewport in (("390", PHONE), ("1366", LAPTOP)):
        logged_in = {}
        for name, account, path in pages:
            if account not in logged_in:
                logged_in[account] = browser_page(browser, live_server, accounts[account], language, viewport)
            page = logged_in[account]
            answer = page.goto(live_server.url + path)
            assert answer.status == 200, (name, answer.status, page.url)
            screenshot(page, f"{width}-{language}-{name}")
            problems += page_problems(page, f"{width}-{language}-{name}", phone=viewport is PHONE)

        # The token page, shown once after making a token on the account page.
        page = logged_in["ambassador"]
        page.goto(live_server.url + "/center/account/")
        page.locator("#token-name").fill(f"phone-{width}")
        page.locator("form[action$='/tokens/'] button").click()
        expect(page.locator("#token-value")).to_be_visible()
        screenshot(page, f"{width}-{language}-token")
        problems += page_problems(page, f"{width}-{language}-token", phone=viewport is PHONE)
        page.goto(live_server.url + "/center/account/")  # now with its table of tokens
        expect(page.locator("td", has_text=f"phone-{width}")).to_be_visible()
        screenshot(page, f"{width}-{language}-account-tokens")
        problems += page_problems(page, f"{width}-{language}-account-tokens", phone=viewport is PHONE)
        for page in logged_in.values():
            page.context.close()
    assert problems == [], "\n".join(problems)
