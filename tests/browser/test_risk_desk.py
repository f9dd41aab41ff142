"""R9.3 and R4.4 in Chromium with the demo data: a risk reviewer clears one same-person
case and confirms another on the risk desk, and the ambassador's pages follow."""

import io
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from portal.kernel.models import User
from portal.kernel.money import round_yuan, yuan_figure
from portal.kernel.months import month_of
from portal.shell.management.commands.load_demo import DEMO_PASSWORD
from referrals.models import Order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAME_PERSON = "风控/同人订单：购买者与云大使为同一人"


def log_in(browser, live_server, email):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("电子邮件").fill(email)
    page.get_by_label("密码").first.fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    # Staff land on the admin, ambassadors on the personal center.
    landing = r"/admin/$" if User.objects.get(email=email).is_staff else r"/center/$"
    expect(page).to_have_url(re.compile(landing))
    return page


def order_row(page, billing_id):
    """A row of 返利订单."""
    return page.get_by_role("row").filter(has=page.get_by_role("cell", name=billing_id, exact=True))


def case_row(page, billing_id):
    """A row of the risk desk's list."""
    return page.locator("#result_list tbody tr").filter(has_text=billing_id)


def overview_figures(page):
    """待结算 (yuan) and 无效订单 (a count) of 本月 and of 累计, read from 概览."""

    def figure(totals, heading):
        shown = totals.locator("div").filter(has_text=heading).locator("dd").inner_text()
        return Decimal(shown.removeprefix("¥").replace(",", ""))

    expect(page.get_by_role("heading", name="返利一览")).to_be_visible()
    this_month, all_time = page.locator(".totals").all()
    return {
        "pending this month": figure(this_month, "待结算"),
        "invalid this month": figure(this_month, "无效订单"),
        "pending": figure(all_time, "待结算"),
        "invalid": figure(all_time, "无效订单"),
    }


def decide(page, billing_id, action, reason):
    """Select one case on the desk, run the action, and give the reason on the page it asks on."""
    case_row(page, billing_id).get_by_role("checkbox").check()
    page.get_by_label("动作").select_option(label=action)
    page.get_by_role("button", name="运行").click()
    expect(page.get_by_text("1 个待审核案件：")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text=f"同人订单 · a***@demo.local · {billing_id}")).to_be_visible()
    page.get_by_label("理由").fill(reason)


def test_the_risk_desk_clears_one_case_and_confirms_another(live_server, browser, screenshot, reference_data):
    call_command("load_demo", stdout=io.StringIO())
    twin_order = Order.objects.select_related("rule_set").get(billing_id="DEMO-1006")
    # What clearing pays (R4.4 lifted): a member's first purchase at the month's rate.
    expected_rebate = round_yuan(twin_order.amount * twin_order.rule_set.member_first_purchase_rate)
    assert expected_rebate == Decimal("125.00")  # 500 × 25%

    # The ambassador sees both same-person orders as invalid, with the reason.
    ambassador = log_in(browser, live_server, "ambassador@demo.local")
    before = overview_figures(ambassador)
    ambassador.get_by_role("link", name="返利订单").click()
    for billing_id in ("DEMO-1006", "DEMO-1009"):
        row = order_row(ambassador, billing_id)
        expect(row.locator(".badge")).to_have_text("无效订单")
        expect(row.get_by_role("cell", name=SAME_PERSON)).to_be_visible()
        expect(row.get_by_role("cell", name="¥0.00")).to_be_visible()
    screenshot(ambassador, "50-orders-before-desk")

    # The risk reviewer logs in like everyone else and opens the desk.
    risk = log_in(browser, live_server, "risk@demo.local")
    risk.goto(f"{live_server.url}/admin/")
    risk.get_by_role("link", name="风控案件").first.click()
    expect(risk.locator("#result_list tbody tr")).to_have_count(2)
    device_case, phone_case = case_row(risk, "DEMO-1006"), case_row(risk, "DEMO-1009")
    expect(device_case.locator(".field-signal_labels")).to_have_text("设备")
    # As the customer showed it: the ambassador's phone, which is also their Alipay logon id.
    expect(phone_case.locator(".field-signal_labels")).to_have_text("手机号")
    for row in (device_case, phone_case):
        expect(row.locator(".field-kind")).to_have_text("同人订单")
        expect(row.locator(".field-status")).to_have_text("待审核")
    screenshot(risk, "51-risk-desk")

    # One case: the linked accounts, masked.
    phone_case.locator(".field-opened_at a").click()
    linked = risk.locator(".field-linked_accounts .readonly")
    expect(linked).to_contain_text("下单客户：s***@demo.local")
    expect(linked).to_contain_text("云大使本人：a***@demo.local（共用：手机号）")
    expect(risk.locator("#content")).not_to_contain_text("spouse@demo.local")
    expect(risk.locator(".field-order .readonly")).to_have_text("DEMO-1009")
    screenshot(risk, "52-risk-case")

    # Filtered by signal: only the phone case.
    risk.locator(".breadcrumbs").get_by_role("link", name="风控案件").click()
    risk.locator("#changelist-filter").get_by_role("link", name="手机号").click()
    expect(risk.locator("#result_list tbody tr")).to_have_count(1)
    expect(case_row(risk, "DEMO-1009")).to_be_visible()
    risk.locator("#changelist-filter").get_by_role("link", name="设备").click()
    expect(risk.locator("#result_list tbody tr")).to_have_count(1)
    expect(case_row(risk, "DEMO-1006")).to_be_visible()
    risk.goto(f"{live_server.url}/admin/referrals/riskcase/")

    # Clear the shared-device case, with a reason asked for on its own page.
    clearing = "核实为家人共用笔记本电脑，购买者为独立客户"
    decide(risk, "DEMO-1006", "排除风险（需填写理由）", clearing)
    screenshot(risk, "53-clear-reason")
    risk.get_by_role("button", name="排除风险").click()
    expect(risk.locator(".messagelist")).to_contain_text("已排除 1 个案件的风险。")
    expect(case_row(risk, "DEMO-1006").locator(".field-status")).to_have_text("已排除")
    expect(case_row(risk, "DEMO-1009").locator(".field-status")).to_have_text("待审核")

    # Confirm the phone case.
    decide(risk, "DEMO-1009", "确认无效（需填写理由）", "购买者使用云大使本人手机号，确认为同一人")
    risk.get_by_role("button", name="确认无效").click()
    expect(risk.locator(".messagelist")).to_contain_text("已确认 1 个案件无效。")
    expect(case_row(risk, "DEMO-1006").locator(".field-status")).to_have_text("已排除")
    expect(case_row(risk, "DEMO-1009").locator(".field-status")).to_have_text("已确认无效")
    screenshot(risk, "54-risk-desk-decided")

    # The order's admin page carries the decision and its reason.
    risk.goto(f"{live_server.url}/admin/referrals/order/?q=DEMO-1006")
    risk.get_by_role("link", name="DEMO-1006").click()
    decisions = risk.locator(".field-risk_decisions")
    expect(decisions).to_contain_text("风控审核记录")
    expect(decisions).to_contain_text(clearing)
    expect(decisions).to_contain_text("risk@demo.local")
    screenshot(risk, "55-order-decision")

    # The ambassador's pages follow: the cleared order pays, the confirmed one stays invalid.
    ambassador.reload()
    cleared = order_row(ambassador, "DEMO-1006")
    expect(cleared.locator(".badge")).to_have_text("待结算")
    expect(cleared.get_by_role("cell", name=f"¥{yuan_figure(expected_rebate)}")).to_be_visible()
    expect(cleared.get_by_role("cell", name=SAME_PERSON)).to_have_count(0)
    confirmed = order_row(ambassador, "DEMO-1009")
    expect(confirmed.locator(".badge")).to_have_text("无效订单")
    expect(confirmed.get_by_role("cell", name=SAME_PERSON)).to_be_visible()
    screenshot(ambassador, "56-orders-after-desk")

    ambassador.get_by_role("link", name="概览").click()
    # 本月 counts orders by the month placed; the demo's DEMO-1006 is four days old.
    this_month = int(month_of(timezone.localdate(twin_order.placed_at)) == month_of(timezone.localdate()))
    assert overview_figures(ambassador) == {
        "pending this month": before["pending this month"] + this_month * expected_rebate,
        "invalid this month": before["invalid this month"] - this_month,
        "pending": before["pending"] + expected_rebate,
        "invalid": before["invalid"] - 1,
    }
    screenshot(ambassador, "57-overview-after-desk")


def test_the_risk_desk_is_closed_to_finance_and_ambassadors(live_server, browser, screenshot, reference_data):
    call_command("load_demo", stdout=io.StringIO())
    finance = log_in(browser, live_server, "finance@demo.local")
    finance.goto(f"{live_server.url}/admin/")
    expect(finance.get_by_role("link", name="订单")).to_be_visible()
    expect(finance.get_by_role("link", name="风控案件")).to_have_count(0)
    response = finance.goto(f"{live_server.url}/admin/referrals/riskcase/")
    assert response.status == 403
    expect(finance.locator("#result_list")).to_have_count(0)
    screenshot(finance, "58-risk-desk-finance-403")

    ambassador = log_in(browser, live_server, "ambassador@demo.local")
    ambassador.goto(f"{live_server.url}/admin/")
    expect(ambassador).to_have_url(re.compile(r"/admin/login/\?next=/admin/$"))
    expect(ambassador.get_by_role("heading", name="没有访问权限")).to_be_visible()
    expect(ambassador.locator("input[type=password]")).to_have_count(0)  # no form to guess staff passwords at
    screenshot(ambassador, "59-admin-refuses-ambassador")
