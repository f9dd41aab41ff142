"""The first steps in Chromium, at a phone's 390 px and at 1366 px, in Chinese and English:
one status wording while the real-name check is under review and no offer to submit again;
after approval the checklist on top of 概览 with binding Alipay as the next step and the
approval told by email and on the page; a rejection shown with its reason. Staff who log in
land on the admin, not on the join pitch. Screenshots: artifacts/screenshots/steps-*.png."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from ambassadors import services as ambassador_services
from ambassadors.tests.factories import make_id_number
from portal.kernel.models import User
from portal.shell.management.commands.load_demo import DEMO_PASSWORD
from tests.browser.test_center_layout import LANGUAGES, LAPTOP, PHONE, browser_page, demo_accounts, page_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"390": PHONE, "1366": LAPTOP}
WORDS = {
    "zh": {
        "under_review": "实名认证审核中",
        "verify": "去实名认证",
        "bind": "去绑定支付宝",
        "approved": "实名认证已于",
    },
    "en": {
        "under_review": "Real-name verification under review",
        "verify": "Start verification",
        "bind": "Link Alipay",
        "approved": "Your real-name verification was approved",
    },
}


def each_view(browser, live_server, user):
    for width, viewport in SIZES.items():
        for language in LANGUAGES:
            yield width, language, browser_page(browser, live_server, user, language, viewport)


def test_under_review_then_approved_then_rejected(live_server, browser, screenshot, reference_data):
    accounts = demo_accounts()
    newcomer = accounts["newcomer"]
    problems = []

    # Under review: one wording, no button to submit again, on 概览 and 账号.
    for width, language, page in each_view(browser, live_server, newcomer):
        words = WORDS[language]
        for name, path in (("home", "/center/"), ("account", "/center/account/")):
            page.goto(f"{live_server.url}{path}")
            expect(page.get_by_text(words["under_review"]).first).to_be_visible()
            expect(page.get_by_role("link", name=words["verify"])).to_have_count(0)
            problems += page_problems(page, f"{width}-{language}-{name}", phone=width == "390")
            screenshot(page, f"steps-{width}-{language}-under-review-{name}")
        page.context.close()

    # The risk desk approves: the ambassador is mailed, and 概览 opens with the next step.
    verification = newcomer.ambassador.verifications.get(status="submitted")
    mail.outbox.clear()
    ambassador_services.verification_approve(verification=verification, actor=User.objects.get(email="risk@demo.local"))
    assert [message.to for message in mail.outbox] == [[newcomer.email]]
    assert mail.outbox[0].subject.startswith("实名认证已通过")
    for width, language, page in each_view(browser, live_server, newcomer):
        words = WORDS[language]
        page.goto(f"{live_server.url}/center/")
        expect(page.get_by_text(words["approved"])).to_be_visible()
        checklist = page.locator(".card.onboarding")
        current = checklist.locator("[aria-current=step]")
        expect(current.get_by_role("link", name=words["bind"])).to_be_visible()
        rebates = page.locator(".card").filter(has=page.locator(".totals")).first
        assert checklist.bounding_box()["y"] < rebates.bounding_box()["y"]  # the next step first
        problems += page_problems(page, f"{width}-{language}-approved", phone=width == "390")
        screenshot(page, f"steps-{width}-{language}-approved-home")
        page.context.close()

    # A rejection: the reason, on 概览 and 账号, and the way to submit again.
    joined = accounts["joined"]
    rejected = ambassador_services.verification_submit(
        ambassador=joined.ambassador, legal_name="王小明", id_number=make_id_number(), phone="13912345678", consent=True
    )
    ambassador_services.verification_reject(
        verification=rejected, actor=User.objects.get(email="risk@demo.local"), reason="身份证号与姓名不一致"
    )
    assert "身份证号与姓名不一致" in mail.outbox[-1].body
    for width, language, page in each_view(browser, live_server, joined):
        for name, path in (("home", "/center/"), ("account", "/center/account/")):
            page.goto(f"{live_server.url}{path}")
            expect(page.locator(".notice-line.error")).to_contain_text("身份证号与姓名不一致")
            problems += page_problems(page, f"{width}-{language}-rejected-{name}", phone=width == "390")
            screenshot(page, f"steps-{width}-{language}-rejected-{name}")
        page.context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", SIZES)
def test_staff_land_on_the_admin_with_their_desks(live_server, browser, screenshot, reference_data, width):
    demo_accounts()
    for language, locale in LANGUAGES.items():
        page = browser.new_context(viewport=SIZES[width], locale=locale).new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.locator("input[type=email]").fill("risk@demo.local")
        page.locator("input[type=password]").first.fill(DEMO_PASSWORD)
        page.locator("form button[type=submit]").last.click()
        expect(page).to_have_url(re.compile(r"/admin/$"))
        desks = page.locator("#desks")
        waiting = "待审核" if language == "zh" else "Pending review"
        expect(desks.get_by_role("link", name=re.compile(waiting)).first).to_be_visible()
        # The demo's two same-person orders wait on the risk desk.
        risk_row = desks.locator("tr").filter(has_text="风控案件" if language == "zh" else "Risk cases")
        expect(risk_row.locator(".desk-count")).to_have_text("2")
        screenshot(page, f"steps-{width}-{language}-staff-admin-index")
        page.goto(f"{live_server.url}/center/")
        expect(page.get_by_role("link", name="运营后台" if language == "zh" else "Staff admin")).to_be_visible()
        page.context.close()
