"""返利订单 and 推广客户 in Chromium with the demo data, at 390 px and 1366 px, in Chinese and English:
a held rebate is 审核中 with the plain reason and nothing of the signals; every order names its
customer; customers whose masked emails agree read apart; the phone's cards are labelled by the
page itself, with script off. Saved as artifacts/screenshots/rows-<width>-<language>-<page>.png."""

import re
from types import SimpleNamespace

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from referrals.risk.services import suspect_share_hold

from .test_center_layout import LAPTOP, PHONE, UNLABELLED_CELLS, browser_page, demo_accounts, page_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "zh": {"held": "审核中", "why": "按平台风控规则需人工审核", "customer": "客户"},
    "en": {"held": "Under review", "why": "Held for a manual review", "customer": "Customer"},
}  # fmt: skip
SIGNALS = ("设备", "手机号", "可疑", "device", "phone", "suspect", "share")


def hold_the_ambassadors_rebates(ambassador):
    """As the risk scan does when the suspect share is reached (R9.3)."""
    figures = SimpleNamespace(total=5, suspect=3, share=0.6)
    policy = SimpleNamespace(risk_suspect_share="0.5", risk_window_days=30)
    suspect_share_hold(ambassador_id=ambassador.pk, figures=figures, policy=policy, today=timezone.localdate())


@pytest.mark.parametrize("language", ["zh", "en"])
def test_held_rebates_and_customers_are_told_apart(live_server, browser, screenshot, reference_data, language):
    accounts = demo_accounts()
    ambassador = accounts["ambassador"]
    hold_the_ambassadors_rebates(ambassador.ambassador)
    words = WORDS[language]
    problems = []
    for width, viewport in (("390", PHONE), ("1366", LAPTOP)):
        page = browser_page(browser, live_server, ambassador, language, viewport)
        page.goto(f"{live_server.url}/center/orders/")
        held = page.locator("tbody tr", has=page.locator(".badge-held"))
        expect(held.first).to_be_visible()
        expect(held.first.locator(".badge-held")).to_have_text(words["held"])
        expect(held.first).to_contain_text(words["why"])
        for row in held.all():
            assert not any(signal in row.inner_text() for signal in SIGNALS)
        customers = page.locator(f"tbody td[data-label='{words['customer']}']").all_inner_texts()
        assert customers and all(re.fullmatch(r"\w\*\*\*@demo\.local\s+#[0-9A-F]{6}", text) for text in customers), (
            customers
        )
        screenshot(page, f"rows-{width}-{language}-orders")
        problems += page_problems(page, f"rows-{width}-{language}-orders", phone=viewport is PHONE)

        for view in ("active", "lost"):
            page.goto(f"{live_server.url}/center/customers/?view={view}")
            labels = page.locator(f"tbody td[data-label='{words['customer']}']").all_inner_texts()
            assert labels and len(set(labels)) == len(labels), labels  # each customer once, each apart
            assert all("***@demo.local · #" in label for label in labels), labels
            screenshot(page, f"rows-{width}-{language}-customers-{view}")
            problems += page_problems(page, f"rows-{width}-{language}-customers-{view}", phone=viewport is PHONE)
        page.context.close()
    assert problems == [], "\n".join(problems)


def test_the_cards_are_labelled_without_script(live_server, browser, screenshot, reference_data):
    """The labels are written by the server: a phone with script off reads each card the same."""
    accounts = demo_accounts()
    page = browser_page(browser, live_server, accounts["ambassador"], "zh", PHONE)
    context = browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False)
    context.add_cookies(page.context.cookies())
    page.context.close()
    page = context.new_page()
    page.goto(f"{live_server.url}/center/orders/")
    expect(page.locator("tbody tr").first).to_be_visible()
    assert page.evaluate(UNLABELLED_CELLS) == []
    screenshot(page, "rows-390-zh-orders-no-script")
    context.close()
