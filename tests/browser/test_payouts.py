"""R11 in Chromium with the demo data: an ambassador withdraws to Alipay (the local fake
gateway), sees the history and the tax the vendor pays."""

import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from payouts.tests.alipay_fixtures import *  # noqa: F403  (the fake gateway the withdrawal is paid by)
from portal.shell.management.commands.load_demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(browser, live_server, email, **context):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN", **context)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("电子邮件").fill(email)
    page.get_by_label("密码").first.fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    return page


def test_the_ambassador_withdraws_and_sees_history_and_tax(
    live_server, browser, screenshot, reference_data, alipay_settings, alipay_gateway
):
    call_command("load_demo", stdout=io.StringIO())
    page = log_in(browser, live_server, "ambassador@demo.local")
    page.get_by_role("link", name="提现").click()
    balances = page.locator(".totals")
    expect(balances.get_by_text("¥2024.50")).to_be_visible()  # withdrawable
    expect(page.get_by_text("提现到已绑定的支付宝账号 138****5678")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"¥3000\.00.*已到账"))).to_be_visible()  # the demo's
    screenshot(page, "40-withdrawals")

    page.get_by_label("提现金额（元）").fill("99999")
    page.get_by_role("button", name="申请提现").click()
    expect(page.get_by_text("提现金额超过可提现余额 ¥2024.50。")).to_be_visible()
    screenshot(page, "41-withdrawal-refused")

    page.get_by_label("提现金额（元）").fill("1000")
    page.get_by_role("button", name="申请提现").click()
    expect(page.get_by_text("已申请提现 ¥1000.00")).to_be_visible()
    page.reload()  # the transfer ran after the request committed
    expect(page.get_by_role("row", name=re.compile(r"¥1000\.00.*已到账"))).to_be_visible()
    expect(balances.get_by_text("¥1024.50")).to_be_visible()
    assert [payment.amount for payment in alipay_gateway.payments.values()] == [Decimal("1000.00")]
    screenshot(page, "42-withdrawal-paid")

    page.get_by_role("link", name="税务").click()
    month = page.get_by_role("row", name=re.compile(r"¥4000\.00"))  # 3,000 and 1,000: one month's income
    expect(month.get_by_role("cell", name="¥4761.90")).to_be_visible()  # grossed up: 4,000 / 0.84
    expect(month.get_by_role("cell", name="平台代缴")).to_be_visible()
    expect(page.get_by_text(re.compile(r"纳税人：张\*，身份证号 110\*{11}\d{3}[0-9X]"))).to_be_visible()
    screenshot(page, "43-tax")

    page.get_by_label("语言").select_option("en")
    page.get_by_role("link", name="Withdrawals").click()
    expect(page.get_by_role("heading", name="Withdrawals")).to_be_visible()
    screenshot(page, "44-withdrawals-english")
    page.get_by_role("link", name="Tax").click()
    screenshot(page, "45-tax-english")


def test_the_withdrawal_page_on_a_phone(live_server, browser, screenshot, reference_data):
    call_command("load_demo", stdout=io.StringIO())
    page = log_in(browser, live_server, "ambassador@demo.local")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/center/withdrawals/")
    expect(page.get_by_role("button", name="申请提现")).to_be_visible()
    screenshot(page, "46-withdrawals-phone")
