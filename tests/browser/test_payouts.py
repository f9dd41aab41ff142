"""R11 in Chromium with the demo data: an ambassador withdraws to Alipay (the local fake
gateway) through a confirmation, watches the withdrawal reach Alipay without reloading, and sees
the history and the tax the vendor pays."""

import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from payouts.alipay import AlipayClient
from payouts.models import Withdrawal
from payouts.tests.alipay_fixtures import *  # noqa: F403  (the fake gateway the withdrawal is paid by)
from payouts.withdrawals import withdrawals_reconcile
from portal.shell.management.commands.load_demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(browser, live_server, email, **context):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN", **context)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("电子邮件").fill(email)
    page.get_by_label("密码").first.fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    return page


# Nothing wider than the window (a phone's or a laptop's).
FITS = "document.documentElement.scrollWidth <= window.innerWidth"


def test_the_ambassador_withdraws_and_sees_history_and_tax(
    live_server, browser, screenshot, reference_data, alipay_settings, alipay_gateway
):
    """R11.1–11.2: the amount (all of it in one click), a confirmation with the account and the
    tax the platform pays, and the withdrawal's state followed on the page without a reload until
    Alipay's order number and the arrival time are in."""
    call_command("load_demo", stdout=io.StringIO())
    page = log_in(browser, live_server, "ambassador@demo.local")
    page.get_by_role("link", name="提现").click()
    balances = page.locator(".totals")
    expect(balances.get_by_text("¥2,024.50")).to_be_visible()  # withdrawable
    expect(page.get_by_text("提现到已绑定的支付宝账号 138****5678")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"¥3,000\.00.*已到账"))).to_be_visible()  # the demo's
    demo_row = page.get_by_role("row", name=re.compile(r"¥3,000\.00"))
    expect(demo_row.get_by_text("20261101DEMO000001")).to_be_visible()  # Alipay's order number
    screenshot(page, "40-withdrawals")

    page.get_by_label("提现金额（元）").fill("99999")
    page.get_by_role("button", name="下一步：确认").click()
    expect(page.get_by_text("提现金额超过可提现余额 ¥2,024.50。")).to_be_visible()
    screenshot(page, "41-withdrawal-refused")

    page.get_by_role("button", name="全部提现").click()
    expect(page.get_by_label("提现金额（元）")).to_have_value("2024.50")
    page.get_by_label("提现金额（元）").fill("1000")
    page.set_viewport_size({"width": 390, "height": 844})  # the confirmation as a phone shows it
    page.get_by_role("button", name="下一步：确认").click()
    expect(page.get_by_role("heading", name="确认提现")).to_be_visible()
    assert page.evaluate(FITS)
    screenshot(page, "390-zh-withdrawal-confirm")
    page.set_viewport_size({"width": 1366, "height": 768})
    expect(page.get_by_role("heading", name="确认提现")).to_be_visible()
    confirmation = page.locator(".withdrawal-confirm")
    expect(confirmation.locator(".confirm-amount")).to_have_text("¥1,000.00")
    expect(confirmation.get_by_text("支付宝 138****5678（实名 张*）")).to_be_visible()
    # 3,000 paid this month already: 4,000 in the month is 761.90 of tax, 550.00 of it paid.
    expect(confirmation.get_by_text("¥211.90，由平台承担并代缴，不从你的提现中扣除")).to_be_visible()
    assert alipay_gateway.payments == {}
    screenshot(page, "1366-zh-withdrawal-confirm")

    # Alipay answers with a system error: the result is not known, and the page says so.
    alipay_gateway.script(None, "SYSTEM_ERROR")
    page.get_by_role("button", name="确认提现").click()
    expect(page.get_by_text("已申请提现 ¥1,000.00")).to_be_visible()
    withdrawal = Withdrawal.objects.order_by("-pk").first()
    assert withdrawal.state == Withdrawal.State.UNKNOWN
    row = page.locator(f"tr[data-withdrawal='{withdrawal.pk}']")
    expect(row.locator(".badge")).to_have_text("结果确认中")
    expect(row).to_contain_text("正在向支付宝确认结果，不会重复付款")
    screenshot(page, "48-withdrawal-unknown")

    # The reconciliation asks Alipay (not found: sent again, paid); the page follows by itself.
    page.evaluate("window.notReloaded = true")
    withdrawals_reconcile(client=AlipayClient.from_settings())
    paid = alipay_gateway.payments[withdrawal.out_biz_no]
    expect(row.locator(".badge")).to_have_text("已到账", timeout=20_000)
    expect(row.get_by_text(paid.order_id)).to_be_visible()
    withdrawal.refresh_from_db()
    expect(row).to_contain_text(f"{timezone.localtime(withdrawal.finished_at):%Y-%m-%d %H:%M} 到账")
    expect(balances.get_by_text("¥1,024.50")).to_be_visible()  # the balances followed too
    assert page.evaluate("window.notReloaded") is True
    row.get_by_role("button", name="复制").click()
    expect(page.get_by_text("已复制支付宝单号")).to_be_visible()
    assert [payment.amount for payment in alipay_gateway.payments.values()] == [Decimal("1000.00")]
    screenshot(page, "42-withdrawal-paid")

    page.get_by_role("link", name="税务").click()
    month = page.get_by_role("row", name=re.compile(r"¥4,000\.00"))  # 3,000 and 1,000: one month's income
    expect(month.get_by_role("cell", name="¥4,761.90")).to_be_visible()  # grossed up: 4,000 / 0.84
    expect(month.get_by_role("cell", name="平台代缴")).to_be_visible()
    expect(page.get_by_text(re.compile(r"纳税人：张\*，身份证号 110\*{11}\d{3}[0-9X]"))).to_be_visible()
    screenshot(page, "43-tax")

    page.get_by_label("语言").select_option("en")
    page.get_by_role("link", name="Withdrawals").click()
    expect(page.get_by_role("heading", name="Withdrawals")).to_be_visible()
    screenshot(page, "44-withdrawals-english")
    page.get_by_role("button", name="Withdraw all").click()
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("button", name="Next: confirm").click()
    expect(page.get_by_role("heading", name="Confirm withdrawal")).to_be_visible()
    expect(page.locator(".confirm-amount")).to_have_text("¥1,024.50")
    assert page.evaluate(FITS)
    screenshot(page, "390-en-withdrawal-confirm")
    page.set_viewport_size({"width": 1366, "height": 768})
    screenshot(page, "1366-en-withdrawal-confirm")
    page.get_by_role("button", name="Change the amount").click()
    expect(page.get_by_label("Amount to withdraw (¥)")).to_have_value("1024.50")
    page.get_by_role("link", name="Tax").click()
    screenshot(page, "45-tax-english")


def test_the_withdrawal_page_on_a_phone(live_server, browser, screenshot, reference_data):
    call_command("load_demo", stdout=io.StringIO())
    # Alipay's order numbers run to 32 digits (the demo's is shorter): one must wrap, not widen the page.
    Withdrawal.objects.filter(alipay_order_id__gt="").update(alipay_order_id="2026120411007000" + "0" * 15 + "1")
    page = log_in(browser, live_server, "ambassador@demo.local")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/center/withdrawals/")
    expect(page.get_by_role("button", name="下一步：确认")).to_be_visible()
    assert page.evaluate(FITS)
    screenshot(page, "46-withdrawals-phone")
