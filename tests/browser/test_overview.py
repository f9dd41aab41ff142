"""概览 in Chromium with the demo data: 可提现 is the ledger's balance, the figure 提现 shows,
beside 待结算 and 已结算, at 390 px and 1366 px, in Chinese and in English."""

import pytest
from playwright.sync_api import expect

from payouts.ledger import balances_of
from portal.kernel.money import yuan_figure

from .test_center_layout import LAPTOP, PHONE, browser_page, demo_accounts, page_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WITHDRAWABLE = {"zh": "可提现", "en": "Withdrawable"}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_overview_shows_what_can_be_withdrawn(live_server, browser, screenshot, reference_data, language):
    accounts = demo_accounts()
    withdrawable = balances_of(accounts["ambassador"].ambassador).withdrawable
    assert withdrawable > 0  # the demo's settled rebates, less its paid withdrawal
    problems = []
    for width, viewport in (("390", PHONE), ("1366", LAPTOP)):
        page = browser_page(browser, live_server, accounts["ambassador"], language, viewport)
        page.goto(f"{live_server.url}/center/")
        all_time = page.locator(".totals").nth(1)
        figure = all_time.locator("div").filter(has=page.get_by_text(WITHDRAWABLE[language], exact=True))
        expect(figure.locator("dd")).to_have_text(f"¥{yuan_figure(withdrawable)}")
        expect(page.locator(".totals").first.get_by_text(WITHDRAWABLE[language], exact=True)).to_have_count(0)
        screenshot(page, f"overview-withdrawable-{width}-{language}")
        problems += page_problems(page, f"overview-{width}-{language}", phone=viewport is PHONE)

        page.goto(f"{live_server.url}/center/withdrawals/")  # the same figure where it is withdrawn
        expect(page.locator("dd[data-balance=withdrawable]")).to_have_text(f"¥{yuan_figure(withdrawable)}")
        page.context.close()
    assert problems == [], "\n".join(problems)
