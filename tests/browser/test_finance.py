"""R11 in Chromium with the demo data, from finance's side: the finance user watches withdrawals,
settlement runs, the ledger and the tax records in the admin (read-only), and exports the month's
payout and tax sheets in both formats; the files are opened and checked. Operations staff cannot
reach the export pages."""

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from openpyxl import load_workbook
from playwright.sync_api import expect

from payouts.models import TaxAssessment, Withdrawal
from payouts.resources import SHANGHAI
from portal.kernel.models import AuditEntry, User
from portal.shell.management.commands.load_demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAYOUT_HEADERS = [
    "月份",
    "提现单号",
    "姓名",
    "身份证号",
    "支付宝账号",
    "金额",
    "状态",
    "申请时间",
    "到账时间",
    "支付宝单号",
]
TAX_HEADERS = [
    "月份",
    "姓名",
    "身份证号",
    "到手收入",
    "应税收入（含税）",
    "减除费用",
    "应纳税所得额",
    "税率",
    "速算扣除数",
    "个人所得税",
    "缴纳方",
]
FULL_ID_NUMBERS = "export.full_id_numbers"


def log_in(browser, live_server, email):
    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("电子邮件").fill(email)
    page.get_by_label("密码").first.fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))  # staff land on the admin
    return page


def result_rows(page):
    return page.locator("#result_list tbody tr")


def expect_read_only_changelist(page):
    """No add button above the list, and no delete among the actions (if there are actions)."""
    expect(page.locator(".object-tools .addlink")).to_have_count(0)
    expect(page.locator("select[name=action] option[value=delete_selected]")).to_have_count(0)


def expect_read_only_change_page(page):
    """A record opened: its fields shown as text, nothing to save or delete."""
    expect(page.locator("#content-main form input:not([type=hidden]), #content-main form textarea")).to_have_count(0)
    expect(page.locator(".submit-row input[type=submit]")).to_have_count(0)
    expect(page.locator(".submit-row .deletelink, a.deletelink")).to_have_count(0)


def export(page, month, fmt, tmp_path):
    """On an export page: choose the month and format, press 导出, and keep the file."""
    page.get_by_label("月份").fill(month)
    page.get_by_label("格式").select_option(fmt)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="导出").click()
    download = download_info.value
    path = Path(tmp_path) / download.suggested_filename
    download.save_as(path)
    return download.suggested_filename, path


def xlsx_rows(path):
    book = load_workbook(path, read_only=True)
    (sheet,) = book.worksheets
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    book.close()
    return rows


def csv_rows(path):
    with open(path, encoding="utf-8-sig", newline="") as stream:
        return list(csv.reader(stream))


def as_dict(headers, row):
    return dict(zip(headers, row, strict=True))


def test_finance_sees_withdrawals_runs_and_read_only_money_records(live_server, browser, screenshot, reference_data):
    call_command("load_demo", stdout=io.StringIO())
    withdrawal = Withdrawal.objects.get()
    assert re.fullmatch(r"W\d{12}", withdrawal.out_biz_no)

    page = log_in(browser, live_server, "finance@demo.local")
    page.goto(f"{live_server.url}/admin/")
    app = page.locator(".app-payouts")
    for name in ("提现", "结算批次", "记账", "个税记录"):
        expect(app.get_by_role("link", name=name, exact=True)).to_be_visible()
    # View only: no "add" link beside any of them.
    expect(app.locator("a.addlink")).to_have_count(0)
    screenshot(page, "60-finance-admin-index")

    # 提现: the demo withdrawal, the ambassador's name masked; the export beside the list.
    app.get_by_role("link", name="提现", exact=True).click()
    expect(result_rows(page)).to_have_count(1)
    row = result_rows(page).first
    expect(row.locator(".field-out_biz_no")).to_have_text(withdrawal.out_biz_no)
    expect(row.locator(".field-masked_legal_name")).to_have_text("张*")
    expect(row.locator(".field-amount_yuan")).to_have_text("¥3,000.00")
    expect(row.locator(".field-state")).to_have_text("已到账")
    expect(page.locator("#result_list")).not_to_contain_text("张三")
    expect_read_only_changelist(page)
    expect(page.locator(".object-tools").get_by_role("link", name="导出打款表")).to_be_visible()
    screenshot(page, "61-finance-withdrawals")

    # One withdrawal: the Alipay account masked, its postings and audit trail, nothing editable.
    row.locator(".field-out_biz_no a").click()
    expect(page.locator(".field-masked_alipay_account .readonly")).to_have_text("138****5678")
    expect(page.locator(".field-amount_yuan .readonly")).to_have_text("¥3,000.00")
    expect(page.locator(".field-ledger_postings table tbody tr")).not_to_have_count(0)
    expect(page.locator("#content")).not_to_contain_text("13812345678")
    # The audit trail as sentences, oldest first: who did what.
    trail = page.locator(".field-audit_entries tbody tr td:last-child")
    expect(trail).to_have_text(
        [
            "ambassador@demo.local 申请提现 ¥3,000.00。",
            "系统 记录支付宝的答复：已申请 → 已到账，支付宝单号 20261101DEMO000001。",
        ]
    )
    expect(page.locator(".field-audit_entries")).not_to_contain_text("withdrawal.")
    expect_read_only_change_page(page)
    screenshot(page, "62-finance-withdrawal")
    change_page = page.url

    # 结算批次: the demo's settlement run.
    page.goto(f"{live_server.url}/admin/")
    app.get_by_role("link", name="结算批次", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("选择结算批次查看")
    expect(result_rows(page)).not_to_have_count(0)
    expect_read_only_changelist(page)
    screenshot(page, "63-finance-settlement-runs")

    # 记账: the ledger, read-only, and one posting with its entries.
    page.goto(f"{live_server.url}/admin/")
    app.get_by_role("link", name="记账", exact=True).click()
    expect(result_rows(page)).not_to_have_count(0)
    expect_read_only_changelist(page)
    # Each posting says what caused it and how much it moved; no bare keys such as payout:1.
    payout = result_rows(page).filter(has_text=f"提现到账 · {withdrawal.out_biz_no}")
    expect(payout.locator(".field-amount_yuan")).to_have_text("¥3,000.00")
    expect(payout.locator(".field-moves")).to_have_text("提现中 -¥3,000.00，已提现 +¥3,000.00")
    expect(payout.locator(".field-ambassadors")).to_have_text("张*")
    expect(result_rows(page).filter(has_text=re.compile(r"结算 · 订单 DEMO-\d+"))).not_to_have_count(0)
    expect(page.locator("#result_list")).not_to_contain_text(f"payout:{withdrawal.pk}")
    screenshot(page, "64-finance-ledger")
    ledger = page.url
    withdrawal_posting = result_rows(page).filter(has_text=withdrawal.out_biz_no).first
    withdrawal_posting.locator("th a, td a").first.click()
    expect(page.locator(".inline-group")).to_be_visible()
    expect_read_only_change_page(page)
    screenshot(page, "65-finance-posting")

    # 个税记录: the demo month's assessment, read-only.
    assessment = TaxAssessment.objects.get()
    page.goto(f"{live_server.url}/admin/")
    app.get_by_role("link", name="个税记录", exact=True).click()
    expect(result_rows(page)).to_have_count(1)
    row = result_rows(page).first
    expect(row.locator(".field-month_display")).to_have_text(f"{assessment.month:%Y-%m}")
    expect(row.locator(".field-masked_legal_name")).to_have_text("张*")
    expect(row.locator(".field-net_income_yuan")).to_have_text("¥3,000.00")
    expect(row.locator(".field-gross_income_yuan")).to_have_text("¥3,550.00")
    expect(row.locator(".field-tax_yuan")).to_have_text("¥550.00")
    expect_read_only_changelist(page)
    expect(page.locator(".object-tools").get_by_role("link", name="导出个税表")).to_be_visible()
    screenshot(page, "66-finance-tax-records")
    row.locator("th a").click()
    expect_read_only_change_page(page)
    expect(page.locator(".field-rate_percent .readonly")).to_have_text("20%")
    screenshot(page, "67-finance-tax-record")

    # The same pages in English: the sentences and causes are translated.
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page.goto(change_page)
    expect(page.locator(".field-audit_entries tbody tr td:last-child")).to_have_text(
        [
            "ambassador@demo.local requested a withdrawal of ¥3,000.00.",
            "System recorded Alipay's answer: Requested → Paid, Alipay order number 20261101DEMO000001.",
        ]
    )
    screenshot(page, "1366-en-finance-withdrawal")
    page.goto(ledger)
    expect(result_rows(page).filter(has_text=f"Withdrawal paid · {withdrawal.out_biz_no}")).to_have_count(1)
    expect(result_rows(page).filter(has_text=re.compile(r"Settlement · order DEMO-\d+"))).not_to_have_count(0)
    screenshot(page, "1366-en-finance-ledger")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "390-en-finance-ledger")


def test_finance_exports_the_payout_and_tax_sheets(live_server, browser, screenshot, reference_data, tmp_path):
    call_command("load_demo", stdout=io.StringIO())
    finance = User.objects.get(email="finance@demo.local")
    withdrawal = Withdrawal.objects.select_related("ambassador").get()
    ambassador = withdrawal.ambassador
    id_number = ambassador.id_number
    assert len(id_number) == 18
    month = f"{withdrawal.finished_at.astimezone(SHANGHAI):%Y-%m}"  # this month: the demo paid it today
    assert AuditEntry.objects.filter(action=FULL_ID_NUMBERS).count() == 0

    page = log_in(browser, live_server, "finance@demo.local")
    page.goto(f"{live_server.url}/admin/payouts/withdrawal/")
    page.locator(".object-tools").get_by_role("link", name="导出打款表").click()
    expect(page.get_by_role("heading", name="导出打款表")).to_be_visible()
    expect(page.get_by_text("表中写入完整姓名与身份证号；每次导出都会记入审计记录。")).to_be_visible()
    expect(page.get_by_label("月份")).to_have_value(month)  # the latest month with payments
    screenshot(page, "68-finance-payout-export")

    # A month without payments is said so, with the month that has some; no file of headers alone.
    page.get_by_label("月份").fill("2026-11")
    page.get_by_role("button", name="导出").click()
    expect(page.locator(".errorlist")).to_have_text(
        f"2026-11 没有可导出的行：这个月没有到账的提现。最近有数据的月份是 {month}。"
    )
    assert AuditEntry.objects.filter(action=FULL_ID_NUMBERS).count() == 0
    screenshot(page, "1366-zh-finance-export-empty")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "390-zh-finance-export-empty")
    page.set_viewport_size({"width": 1366, "height": 900})

    # 打款表, xlsx then csv: one row, the demo withdrawal, name and ID number in full.
    name, path = export(page, month, "xlsx", tmp_path)
    assert name == f"payout-{month}.xlsx"
    headers, *rows, totals = xlsx_rows(path)
    assert headers == PAYOUT_HEADERS
    assert totals[0] == "合计" and Decimal(str(totals[5])) == Decimal("3000.00")
    assert len(rows) == 1
    payout = as_dict(headers, rows[0])
    assert payout["月份"] == month
    assert payout["提现单号"] == withdrawal.out_biz_no
    assert payout["姓名"] == "张三"
    assert payout["身份证号"] == id_number
    assert payout["支付宝账号"] == "138****5678"
    assert Decimal(str(payout["金额"])) == Decimal("3000.00")
    assert payout["状态"] == "已到账"
    assert payout["支付宝单号"] == "20261101DEMO000001"

    name, path = export(page, month, "csv", tmp_path)
    assert name == f"payout-{month}.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read the Chinese
    headers, *rows = csv_rows(path)
    assert headers == PAYOUT_HEADERS
    assert len(rows) == 1
    payout = as_dict(headers, rows[0])
    assert payout["月份"] == month
    assert payout["提现单号"] == withdrawal.out_biz_no
    assert payout["姓名"] == "张三"
    assert payout["身份证号"] == id_number
    assert payout["支付宝账号"] == "138****5678"
    assert payout["金额"] == "3000.00"
    assert payout["状态"] == "已到账"
    assert payout["到账时间"].startswith(f"{withdrawal.finished_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}")

    # 个税表, from the tax records' list: the month's one assessment, paid by the platform.
    page.goto(f"{live_server.url}/admin/payouts/taxassessment/")
    for language in ("en", "zh-hans"):  # every column in view at 1,366 px, beside the filters
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        page.reload()
        table_fits = "(t => t.scrollWidth <= t.parentElement.clientWidth)(document.querySelector('#result_list'))"
        assert page.evaluate(table_fits), language
    page.locator(".object-tools").get_by_role("link", name="导出个税表").click()
    expect(page.get_by_role("heading", name="导出个税表")).to_be_visible()
    screenshot(page, "69-finance-tax-export")

    name, path = export(page, month, "xlsx", tmp_path)
    assert name == f"tax-{month}.xlsx"
    headers, *rows, totals = xlsx_rows(path)
    assert headers == TAX_HEADERS
    assert totals[0] == "合计" and Decimal(str(totals[9])) == Decimal("550.00")
    assert len(rows) == 1
    tax = as_dict(headers, rows[0])
    assert tax["月份"] == month
    assert tax["姓名"] == "张三"
    assert tax["身份证号"] == id_number
    assert Decimal(str(tax["到手收入"])) == Decimal("3000.00")
    assert Decimal(str(tax["应税收入（含税）"])) == Decimal("3550.00")
    assert Decimal(str(tax["个人所得税"])) == Decimal("550.00")
    assert Decimal(str(tax["税率"])) == Decimal("0.2")  # shown as 20%
    assert tax["缴纳方"] == "平台代缴"

    name, path = export(page, month, "csv", tmp_path)
    assert name == f"tax-{month}.csv"
    headers, *rows = csv_rows(path)
    assert headers == TAX_HEADERS
    assert len(rows) == 1
    tax = as_dict(headers, rows[0])
    assert tax["月份"] == month
    assert tax["姓名"] == "张三"
    assert tax["身份证号"] == id_number
    assert (tax["到手收入"], tax["应税收入（含税）"], tax["个人所得税"]) == ("3000.00", "3550.00", "550.00")
    assert tax["税率"] == "20%"
    assert tax["缴纳方"] == "平台代缴"

    # Each export in clear was audited, by finance, with its sheet, month and row count.
    audited = AuditEntry.objects.filter(action=FULL_ID_NUMBERS).order_by("at", "pk")
    assert [(entry.actor_id, entry.target_id, entry.after) for entry in audited] == [
        (finance.pk, str(finance.pk), {"sheet": sheet, "month": month, "rows": 1})
        for sheet in ("payout", "payout", "tax", "tax")
    ]


def test_the_export_pages_are_closed_to_operations(live_server, browser, screenshot, reference_data):
    call_command("load_demo", stdout=io.StringIO())
    ops = log_in(browser, live_server, "ops@demo.local")
    ops.goto(f"{live_server.url}/admin/")
    expect(ops.get_by_role("link", name="返利规则", exact=True)).to_be_visible()
    expect(ops.locator(".app-payouts")).to_have_count(0)

    for url, name in (
        ("/admin/payouts/withdrawal/export/", "70-payout-export-operations-403"),
        ("/admin/payouts/taxassessment/export/", "71-tax-export-operations-403"),
    ):
        response = ops.goto(f"{live_server.url}{url}")
        assert response.status == 403, url
        expect(ops.get_by_role("heading", name="没有访问权限")).to_be_visible()
        expect(ops.locator("input[type=month]")).to_have_count(0)
        expect(ops.get_by_role("button", name="导出")).to_have_count(0)
        screenshot(ops, name)

    assert AuditEntry.objects.filter(action=FULL_ID_NUMBERS).count() == 0
