"""概览's earnings chart in Chromium with the demo data, at 390 px and 1366 px, in Chinese and
English: an axis with values, the year, settled and pending in a legend and apart in the bars, a
month's figures printed when its bar is tapped (on a touch screen) or clicked, text that stays
readable when the drawing shrinks to a phone; and, for an ambassador with no rebate yet, a sentence
and the next step instead of an empty drawing. Saved as artifacts/screenshots/chart-*.png."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from .test_center_layout import LANGUAGES, LAPTOP, PHONE, demo_accounts, page_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "zh": {"settled": "已结算", "pending": "待结算", "empty": "还没有返利", "link": "获取推广链接"},
    "en": {"settled": "Settled", "pending": "Pending", "empty": "No rebates from", "link": "Get your referral link"},
}
SIZES = {"390": PHONE, "1366": LAPTOP}


def logged_in_page(browser, live_server, user, language, width):
    """A page logged in as `user`; the phone is a touch screen."""
    client = Client()
    client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[0])
    context = browser.new_context(viewport=SIZES[width], locale=LANGUAGES[language], has_touch=width == "390")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return context.new_page()


def smallest_text(page):
    """The height in CSS pixels of the chart's smallest label, as drawn."""
    return page.evaluate(
        """() => Math.min(...[...document.querySelectorAll(".chart text")].filter((text) => text.checkVisibility())
             .map((text) => text.getBoundingClientRect().height))"""
    )


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_chart_reads_on_a_phone_and_a_laptop(live_server, browser, screenshot, reference_data, language):
    accounts = demo_accounts()
    words = WORDS[language]
    problems = []
    for width in SIZES:
        page = logged_in_page(browser, live_server, accounts["ambassador"], language, width)
        page.goto(f"{live_server.url}/center/")
        chart = page.locator("svg.chart:visible")  # the phone's drawing or the laptop's
        expect(chart).to_have_class("chart chart-narrow" if width == "390" else "chart chart-wide")
        legend = page.locator(".chart-legend")
        expect(legend).to_contain_text(words["settled"])
        expect(legend).to_contain_text(words["pending"])
        axis = chart.locator("text.axis").all_text_contents()
        assert "¥0" in axis and any(value.startswith("¥") and value != "¥0" for value in axis), axis
        years = chart.locator("text.year").all_text_contents()
        assert years and all(len(year) == 4 and year.isdigit() for year in years), years
        assert chart.locator(".bar-settled").count() and chart.locator(".bar-pending").count()
        assert smallest_text(page) >= 11, smallest_text(page)  # readable, not shrunk to specks

        # A month with pending rebates: tapped on the phone, clicked on the laptop.
        month = chart.locator("g.month", has=page.locator(".bar-pending")).last
        (month.tap if width == "390" else month.click)()
        readout = page.locator("[data-chart-readout]")
        expect(readout).to_contain_text(words["pending"].lower() if language == "en" else words["pending"])
        expect(readout).to_have_text(month.get_attribute("data-readout"))
        screenshot(page, f"chart-{width}-{language}-tapped")
        problems += page_problems(page, f"chart-{width}-{language}", phone=width == "390")

        # An ambassador with no rebate yet: a sentence and where to start.
        empty = logged_in_page(browser, live_server, accounts["verified"], language, width)
        empty.goto(f"{live_server.url}/center/")
        expect(empty.locator(".earnings")).to_contain_text(words["empty"])
        expect(empty.locator(".earnings").get_by_role("link", name=words["link"])).to_be_visible()
        assert empty.locator("svg").filter(has=empty.locator("g.month")).count() == 0
        screenshot(empty, f"chart-{width}-{language}-empty")
        problems += page_problems(empty, f"chart-{width}-{language}-empty", phone=width == "390")
        page.context.close()
        empty.context.close()
    assert problems == [], "\n".join(problems)
