"""R10.1 end to end in Chromium: sign up, join, verify, staff approval, Alipay binding."""

import json
import re

import pytest
from playwright.sync_api import expect

from ambassadors.tests.factories import AmbassadorFactory, UserFactory, make_id_number
from portal.kernel.staff import RISK, staff_groups_sync
from tests.browser.test_center_layout import LANGUAGES, PHONE, browser_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-unusual-passphrase-42"


@pytest.fixture
def risk_reviewer():
    from django.contrib.auth.models import Group

    staff_groups_sync()
    reviewer = UserFactory(email="reviewer@example.com", is_staff=True)
    reviewer.set_password(PASSWORD)
    reviewer.save()
    reviewer.groups.add(Group.objects.get(name=RISK))
    return reviewer


def log_in(page, base_url, email, next_path):
    page.goto(f"{base_url}/accounts/login/?next={next_path}")
    page.get_by_label("电子邮件").fill(email)
    page.get_by_label(re.compile(r"^密码[:：]?$")).fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_a_newcomer_becomes_a_bound_ambassador(live_server, browser, risk_reviewer, screenshot):
    base = live_server.url
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")

    # Sign up by email and land in the personal center.
    page.goto(f"{base}/accounts/signup/")
    page.get_by_label("电子邮件").fill("newcomer@example.com")
    page.get_by_label(re.compile(r"^密码[:：]?$")).fill(PASSWORD)
    page.get_by_label("密码（重复）").fill(PASSWORD)
    screenshot(page, "01-signup")
    page.get_by_role("button", name="注册").click()
    expect(page).to_have_url(re.compile(r"/center/$"))
    screenshot(page, "02-center-not-joined")

    # Join, then submit the verification: first with a wrong check digit.
    page.get_by_role("button", name="加入云大使").click()
    expect(page.get_by_text("欢迎加入云大使")).to_be_visible()
    screenshot(page, "03-joined")
    page.get_by_role("link", name="去实名认证").click()
    page.get_by_label("真实姓名").fill("王小明")
    page.get_by_label("身份证号").fill("440304199001011234")
    page.get_by_label("手机号").fill("13912345678")
    page.get_by_label("我已阅读并同意上述个人信息使用说明").check()
    page.get_by_role("button", name="提交认证").click()
    expect(page.get_by_role("alert").get_by_role("link")).to_have_text(
        ["身份证号：身份证号校验位不正确，请核对后重新输入。"]
    )
    expect(page.locator("#id_id_number_error")).to_contain_text("身份证号校验位不正确")  # by the field too
    expect(page.get_by_label("身份证号")).to_be_focused()
    screenshot(page, "04-verify-bad-check-digit")
    id_number = make_id_number(birth="19900101")
    page.get_by_label("身份证号").fill(id_number)
    page.get_by_label("我已阅读并同意上述个人信息使用说明").check()
    page.get_by_role("button", name="提交认证").click()
    expect(page.get_by_text("已提交实名认证")).to_be_visible()
    expect(page.get_by_text("审核中").first).to_be_visible()
    screenshot(page, "05-verification-submitted")

    # A risk reviewer approves it in the admin, in another browser context.
    staff_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    staff_page = staff_context.new_page()
    log_in(staff_page, base, "reviewer@example.com", "/admin/ambassadors/verification/")
    masked = id_number[:3] + "*" * 11 + id_number[-4:]
    expect(staff_page.get_by_text(masked)).to_be_visible()  # the list: masked
    expect(staff_page.get_by_text(id_number)).to_have_count(0)
    staff_page.get_by_role("row", name=re.compile("王")).get_by_role("link").first.click()
    # The review page: in clear for the risk group, who compare it with the documents; audited.
    expect(staff_page.locator(".field-id_number_in_clear .readonly")).to_have_text(id_number)
    expect(staff_page.locator(".field-legal_name_in_clear .readonly")).to_have_text("王小明")
    staff_page.get_by_label("审核结果").select_option("approve")
    screenshot(staff_page, "06-admin-decision")
    staff_page.get_by_role("button", name="保存", exact=True).click()
    expect(staff_page.get_by_text("已通过").first).to_be_visible()
    staff_context.close()

    # The ambassador sees the verified identity, masked, and binds Alipay.
    page.goto(f"{base}/center/account/")
    expect(page.get_by_text("实名认证已于").first).to_be_visible()  # the review's outcome, on the page
    expect(page.get_by_text("待绑定支付宝").first).to_be_visible()
    expect(page.get_by_text("王**").first).to_be_visible()
    screenshot(page, "07-account-verified")
    page.get_by_role("link", name="绑定支付宝").click()
    expect(page.get_by_text("绑定后不能更改").first).to_be_visible()
    page.get_by_label("支付宝账号", exact=True).fill("Wang.XM@example.com")
    page.get_by_label("再次输入支付宝账号").fill("wang.xm@example.com")
    page.get_by_label(re.compile("我确认该支付宝账号的实名认证姓名")).check()
    screenshot(page, "08-alipay-bind")
    page.get_by_role("button", name="确认绑定").click()
    expect(page.get_by_text("支付宝账号已绑定，返利将提现到该账号")).to_be_visible()
    expect(page.get_by_text("w***@example.com")).to_be_visible()
    expect(page.get_by_text("139****5678")).to_be_visible()  # the phone, masked
    screenshot(page, "09-account-bound")

    me = json.loads(page.goto(f"{base}/api/v1/me").text())
    assert me["email"] == "newcomer@example.com"
    assert me["program_state"] == "bound"

    page.goto(f"{base}/center/")
    expect(page.get_by_text("已绑定支付宝").first).to_be_visible()
    screenshot(page, "10-overview-bound")

    # The same center in English, and on a phone.
    page.get_by_label("语言").select_option("en")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    screenshot(page, "11-overview-english")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/center/account/")
    expect(page.get_by_role("heading", name="Account", exact=True)).to_be_visible()
    screenshot(page, "12-account-english-phone")


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_empty_verify_submit_on_a_phone_opens_on_what_to_correct(live_server, browser, screenshot, language):
    """The fields' own messages start far below a phone's screen: the page must open on the
    summary of what to correct and the first field to correct, not at its top."""
    page = browser_page(browser, live_server, AmbassadorFactory().user, language, PHONE)
    page.goto(f"{live_server.url}/center/verify/")
    page.locator("form.form button[type=submit]").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text(
        {"zh": "请更正以下 4 处问题", "en": "Please correct the 4 problems below"}[language]
    )
    expect(summary.get_by_role("link")).to_have_count(4)
    expect(page.locator("#id_legal_name")).to_be_focused()
    expect(summary).to_be_in_viewport(ratio=1)
    expect(page.locator("#id_legal_name")).to_be_in_viewport(ratio=1)
    screenshot(page, f"390-{language}-verify-empty-submit", full_page=False)
    summary.get_by_role("link").nth(3).click()  # the consent's item leads to the checkbox
    expect(page).to_have_url(re.compile("#id_consent$"))
    expect(page.locator("#id_consent")).to_be_in_viewport()
