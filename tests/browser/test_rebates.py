"""R12 in Chromium with the demo data: 概览, 返利订单 and 推广客户."""

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from portal.shell.management.commands.load_demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_ambassador_reads_overview_orders_and_customers(live_server, browser, screenshot, reference_data):
    call_command("load_demo", stdout=io.StringIO())
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("电子邮件").fill("ambassador@demo.local")
    page.get_by_label("密码").first.fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()

    expect(page.get_by_role("heading", name="返利一览")).to_be_visible()
    expect(page.locator("svg.chart:visible g.month")).to_have_count(12)  # one bar a month
    expect(page.locator(".totals").first.get_by_text("¥1,119.75")).to_be_visible()  # pending this month
    screenshot(page, "30-overview")

    page.get_by_role("link", name="返利订单").click()
    expect(page.get_by_role("cell", name="DEMO-1001")).to_be_visible()
    expect(page.get_by_role("cell", name="DEMO-1004")).to_have_count(0)  # a domain: not listed (R8.3)
    expect(page.get_by_text("风控/同人订单：购买者与云大使为同一人")).to_have_count(2)  # DEMO-1006, DEMO-1009
    expect(page.get_by_text("客户退款 ¥600.00，返利按实际使用计算")).to_be_visible()
    screenshot(page, "31-rebate-orders")
    page.get_by_label("状态").select_option("settled")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_role("cell", name="DEMO-1007")).to_be_visible()
    expect(page.get_by_role("cell", name="DEMO-1001")).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_role("link", name="导出 CSV").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "DEMO-1007" in exported and "DEMO-1001" not in exported

    page.get_by_role("link", name="推广客户").click()
    domain_buyer = page.get_by_role("row", name=re.compile(r"l\*\*\*@demo.local")).filter(has_text="不返利")
    expect(domain_buyer.get_by_text("已下单，不返利：不是会员首购")).to_be_visible()
    # A customer's first paid cloud product makes them old and ends the association (R3.4).
    page.get_by_role("link", name="已结束关联").click()
    row = page.get_by_role("row", name=re.compile(r"c\*\*\*@demo.local"))
    expect(row.get_by_text(re.compile("会员首购，返利 ¥300.00"))).to_be_visible()
    expect(row.get_by_text("客户已付费购买云产品，成为老客户")).to_be_visible()
    screenshot(page, "32-customers-with-orders")

    page.get_by_role("link", name="任务与奖励").click()
    expect(page.get_by_role("heading", name=re.compile("本月返利规则"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("下月返利规则"))).to_be_visible()
    screenshot(page, "33-tasks")

    # The same pages in English.
    page.get_by_label("语言").select_option("en")
    page.get_by_role("link", name="Rebate orders").click()
    expect(page.get_by_role("heading", name="Rebate orders")).to_be_visible()
    expect(page.locator("td .badge-invalid")).to_have_text(["Invalid order", "Invalid order"])  # DEMO-1009, DEMO-1006
    screenshot(page, "34-rebate-orders-english")
    page.get_by_role("link", name="Overview").click()
    expect(page.locator("svg.chart:visible g.month")).to_have_count(12)  # one bar a month
    screenshot(page, "35-overview-english")
