"""The risk desk's case page in Chromium, at 390 and 1366 px, in Chinese and English: the
reviewer reaches a case from the admin index's count, reads the evidence as sentences and a
table (never the stored JSON), and decides on the page with a reason. Screenshots:
artifacts/screenshots/risk-case-*.png."""

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import expect

from ambassadors.models import Ambassador
from portal.kernel.models import User
from referrals.models import RiskCase

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"390": {"width": 390, "height": 844}, "1366": {"width": 1366, "height": 900}}
LOCALES = {"zh": "zh-CN", "en": "en-US"}


def staff_page(browser, live_server, email, language, viewport):
    client = Client()
    client.force_login(User.objects.get(email=email), backend=settings.AUTHENTICATION_BACKENDS[0])
    context = browser.new_context(viewport=viewport, locale=LOCALES[language])
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return context.new_page()


def no_overflow(page):
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_a_case_is_read_and_decided_on_its_page(live_server, browser, screenshot, reference_data):
    call_command("load_demo", stdout=io.StringIO())
    share_case = RiskCase.objects.create(
        ambassador=Ambassador.objects.get(user__email="rival@demo.local"),
        kind=RiskCase.Kind.SUSPECT_SHARE,
        details={"total": 7, "suspect": 3, "share": "0.429", "threshold": "0.30", "window_days": 30},
    )
    for width, viewport in SIZES.items():
        for language in LOCALES:
            page = staff_page(browser, live_server, "risk@demo.local", language, viewport)
            page.goto(f"{live_server.url}/admin/referrals/riskcase/{share_case.pk}/change/")
            evidence = page.locator(".field-evidence")
            sentence = "其中可疑 3 单，占 42.9%" if language == "zh" else "3 of 7 paid orders were suspect (42.9%)"
            expect(evidence).to_contain_text(sentence)
            expect(evidence.locator("table tr")).to_have_count(5)
            expect(page.locator("#content")).not_to_contain_text('"total"')
            expect(page.locator("#decision button")).to_have_count(2)
            assert no_overflow(page), f"{width}-{language}: wider than the window"
            screenshot(page, f"risk-case-{width}-{language}-suspect-share")
            page.context.close()

    # From the index's count to a same-person case, decided there with a reason.
    page = staff_page(browser, live_server, "risk@demo.local", "zh", SIZES["1366"])
    page.goto(f"{live_server.url}/admin/")
    page.locator("#desks").get_by_role("link", name="风控案件 · 待审核").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    page.locator("#result_list tbody tr").filter(has_text="DEMO-1006").locator(".field-opened_at a").click()
    expect(page.locator(".field-evidence")).to_contain_text(
        "下单客户与云大使本人共用：设备。按规则该订单暂判无效，等待审核。"
    )
    screenshot(page, "risk-case-1366-zh-same-person")
    page.locator("#decision").get_by_role("button", name="排除风险").click()
    # The browser asks for the reason first: nothing is sent without one.
    assert RiskCase.objects.get(order__billing_id="DEMO-1006").status == RiskCase.Status.OPEN
    page.get_by_label("审核理由").fill("核实为家人共用电脑，购买者为独立客户")
    page.locator("#decision").get_by_role("button", name="排除风险").click()
    expect(page.locator(".messagelist")).to_contain_text("已排除该案件的风险。")
    expect(page.locator(".field-status .readonly")).to_have_text("已排除")
    expect(page.locator(".field-decision_reason .readonly")).to_have_text("核实为家人共用电脑，购买者为独立客户")
    expect(page.locator("#decision button")).to_have_count(0)
    screenshot(page, "risk-case-1366-zh-decided")
    case = RiskCase.objects.get(order__billing_id="DEMO-1006")
    assert (case.status, case.decided_by.email) == (RiskCase.Status.CLEARED, "risk@demo.local")

    for language in LOCALES:
        phone = staff_page(browser, live_server, "risk@demo.local", language, SIZES["390"])
        phone.goto(f"{live_server.url}/admin/referrals/riskcase/{case.pk}/change/")
        assert no_overflow(phone)
        screenshot(phone, f"risk-case-390-{language}-decided")
        phone.context.close()
