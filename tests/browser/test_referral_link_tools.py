"""推广链接 and the referred visitor's way in, in Chromium with the demo data, at 390 px and 1366 px,
in Chinese and English: the last 30 days' funnel, the QR code downloaded as PNG and SVG; the
sign-up page of a visitor who came through the link names the inviter (masked) and what they
gain, and after signing up the visitor lands on the welcome, not the ambassador join pitch.
Saved as artifacts/screenshots/link-*.png."""

import re

import pytest
from playwright.sync_api import expect

from referrals.tests.visits import link_of

from .test_center_layout import LANGUAGES, LAPTOP, PHONE, browser_page, demo_accounts, page_problems

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"390": PHONE, "1366": LAPTOP}
WORDS = {
    "zh": {
        "funnel": "近 30 天的推广效果", "png": "下载 PNG", "svg": "下载 SVG",
        "invited": "云大使 张* 邀请你上云", "gain": "价格与官网完全相同",
        "email": "电子邮件", "password": r"^密码:?$", "again": "密码（重复）", "sign up": "注册",
        "welcome": "你已接受云大使 张* 的邀请",
    },
    "en": {
        "funnel": "Your link in the last 30 days", "png": "Download PNG", "svg": "Download SVG",
        "invited": "Ambassador 张* invites you to the cloud", "gain": "costs exactly what it costs on the site",
        "email": "Email", "password": r"^Password:?$", "again": "Password (again)", "sign up": "Sign Up",
        "welcome": "You accepted the invitation of ambassador 张*",
    },
}  # fmt: skip


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_link_page_and_the_referred_visitors_way_in(
    live_server, browser, screenshot, reference_data, tmp_path, language
):
    accounts = demo_accounts()
    ambassador = accounts["ambassador"]
    code = link_of(ambassador.ambassador).code
    words = WORDS[language]
    problems = []
    for width, viewport in SIZES.items():
        page = browser_page(browser, live_server, ambassador, language, viewport)
        page.goto(f"{live_server.url}/center/link/")
        funnel = page.locator(".funnel li")
        expect(page.get_by_role("heading", name=words["funnel"])).to_be_visible()
        expect(funnel).to_have_count(4)
        figures = [int(text) for text in page.locator(".funnel-figure").all_inner_texts()]
        assert figures[2] > 0, figures  # the demo's customers were associated in the last 30 days
        for kind in ("png", "svg"):
            with page.expect_download() as download:
                page.get_by_role("link", name=words[kind]).click()
            saved = tmp_path / f"{width}-{language}.{kind}"
            download.value.save_as(saved)
            assert download.value.suggested_filename == f"referral-qr-{code}.{kind}"
            assert saved.read_bytes().startswith(b"\x89PNG" if kind == "png" else b"<?xml")
        screenshot(page, f"link-{width}-{language}-funnel")
        problems += page_problems(page, f"link-{width}-{language}-funnel", phone=viewport is PHONE)
        page.context.close()

        # A visitor opens the link in their own browser and signs up there.
        visitor = browser.new_context(viewport=viewport, locale=LANGUAGES[language]).new_page()
        visitor.goto(f"{live_server.url}/r/{code}")
        expect(visitor).to_have_url(re.compile(r"/accounts/signup/$"))
        invitation = visitor.locator(".invitation")
        expect(invitation).to_contain_text(words["invited"])
        expect(invitation).to_contain_text(words["gain"])
        assert "张三" not in visitor.content() and ambassador.email not in visitor.content()
        screenshot(visitor, f"link-{width}-{language}-invitation")
        problems += page_problems(visitor, f"link-{width}-{language}-invitation", phone=viewport is PHONE)

        visitor.get_by_label(words["email"]).fill(f"visitor-{width}-{language}@example.com")
        visitor.get_by_label(re.compile(words["password"])).fill("a-long-unusual-passphrase-42")
        visitor.get_by_label(words["again"]).fill("a-long-unusual-passphrase-42")
        visitor.get_by_role("button", name=words["sign up"]).click()
        expect(visitor).to_have_url(re.compile(r"/welcome/$"))
        expect(visitor.locator("main")).to_contain_text(words["welcome"])
        expect(visitor.locator("form[action$='/center/join/']")).to_have_count(0)  # no join pitch
        screenshot(visitor, f"link-{width}-{language}-welcome")
        problems += page_problems(visitor, f"link-{width}-{language}-welcome", phone=viewport is PHONE)
        visitor.context.close()
    assert problems == [], "\n".join(problems)
