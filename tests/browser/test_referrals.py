"""R3 end to end in Chromium: a visitor signs up through one link, then moves to another."""

import re

import pytest
from playwright.sync_api import expect

from ambassadors.tests.factories import VerifiedAmbassadorFactory
from referrals.tests.visits import link_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery"  # the factories' password


def logged_in_page(browser, base, email):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("电子邮件").fill(email)
    page.get_by_label("密码").first.fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/center/$"))
    return page


def test_last_visit_wins_and_the_first_ambassador_sees_why(live_server, browser, screenshot):
    base = live_server.url
    first = VerifiedAmbassadorFactory(user__email="first@example.com")
    second = VerifiedAmbassadorFactory(user__email="second@example.com")
    first_code, second_code = link_of(first).code, link_of(second).code

    # The first ambassador's link page: the link, a copy button and a QR code.
    first_page = logged_in_page(browser, base, "first@example.com")
    first_page.get_by_role("link", name="推广链接", exact=True).click()
    expect(first_page.get_by_role("textbox", name="专属链接")).to_have_value(f"{base}/r/{first_code}")
    expect(first_page.locator(".qr svg")).to_be_visible()
    first_page.get_by_role("button", name="复制链接").click()
    expect(first_page.get_by_text("已复制")).to_be_visible()
    screenshot(first_page, "20-referral-link")

    # A visitor opens the link, lands on sign-up, and signs up in the same browser.
    visitor_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    visitor = visitor_context.new_page()
    visitor.goto(f"{base}/r/{first_code}")
    expect(visitor).to_have_url(re.compile(r"/accounts/signup/$"))
    visitor.get_by_label("电子邮件").fill("visitor@example.com")
    visitor.get_by_label(re.compile(r"^密码[:：]?$")).fill("a-long-unusual-passphrase-42")
    visitor.get_by_label("密码（重复）").fill("a-long-unusual-passphrase-42")
    visitor.get_by_role("button", name="注册").click()
    expect(visitor).to_have_url(re.compile(r"/welcome/$"))  # a customer, not an ambassador to be

    first_page.get_by_role("link", name="推广客户").click()
    expect(first_page.get_by_role("cell", name=re.compile(r"^v\*\*\*@example\.com · #[0-9A-F]{6}$"))).to_be_visible()
    expect(first_page.get_by_text("visitor@example.com")).to_have_count(0)
    screenshot(first_page, "21-customers-active")

    # Logged in, the visitor opens the second ambassador's link: last visit wins.
    visitor.goto(f"{base}/r/{second_code}")
    second_page = logged_in_page(browser, base, "second@example.com")
    second_page.goto(f"{base}/center/customers/")
    expect(second_page.get_by_role("cell", name=re.compile(r"^v\*\*\*@example\.com · #"))).to_be_visible()

    first_page.reload()
    expect(first_page.get_by_text("还没有关联中的客户")).to_be_visible()
    first_page.get_by_role("link", name="已结束关联").click()
    row = first_page.get_by_role("row", name=re.compile("v\\*\\*\\*@example.com"))
    expect(row.get_by_text("客户访问了其他云大使的推广链接")).to_be_visible()
    screenshot(first_page, "22-customers-lost")
