"""推广链接 and the referred visitor's way in, in Chromium with the demo data, at 390 px and 1366 px,
in Chinese and English: the last 30 days' funnel, the QR code downloaded as PNG and SVG; the
sign-up page of a visitor who came through the link names the inviter (masked) and what they
gain, and after signing up the visitor lands on the welcome, not the ambassador join pitch. On a
phone, a landing path the site has no page at is refused by the form, and an accepted one shows
the whole link there. Saved as artifacts/screenshots/link-*.png."""

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
        "email": "电子邮件", "password": r"^密码[:：]?$", "again": "密码（重复）", "sign up": "注册",
        "welcome": "你已接受云大使 张* 的邀请",
    },
    "en": {
        "funnel": "Your link in the last 30 days", "png": "Download PNG", "svg": "Download SVG",
        "invited": "Ambassador 张* invites you to the cloud", "gain": "costs exactly what it costs on the site",
        "email": "Email", "password": r"^Password:?$", "again": "Password (again)", "sign up": "Sign up",
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


LANDING_WORDS = {
    "zh": {
        "path": "落地页路径", "make": "生成链接", "no page": "站内没有这个页面：/nope/", "made": "带落地页的链接：",
        "copy": "复制链接", "copied": "已复制",
    },
    "en": {
        "path": "Landing page path", "make": "Generate link", "no page": "There is no page /nope/ on the site",
        "made": "Your link with this landing page:", "copy": "Copy link", "copied": "Copied",
    },
}  # fmt: skip


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_landing_path_on_a_phone_is_refused_or_shown_whole_by_the_form(
    live_server, browser, screenshot, reference_data, language
):
    ambassador = demo_accounts()["ambassador"]
    code = link_of(ambassador.ambassador).code
    words = LANDING_WORDS[language]
    page = browser_page(browser, live_server, ambassador, language, PHONE)
    page.goto(f"{live_server.url}/center/link/")
    problems = []

    page.get_by_label(words["path"]).fill("/nope/")
    page.get_by_role("button", name=words["make"]).click()
    refusal = page.locator("#landing-refusal")
    expect(refusal).to_contain_text(words["no page"])
    expect(refusal).to_be_in_viewport()  # the page opens at the form, not at its top
    expect(page.get_by_label(words["path"])).to_have_value("/nope/")
    expect(page.locator("#referral-url")).to_have_value(f"{live_server.url}/r/{code}")
    screenshot(page, f"link-390-{language}-landing-refused")
    problems += page_problems(page, f"link-390-{language}-landing-refused", phone=True)

    page.get_by_label(words["path"]).fill("/accounts/login/")
    page.get_by_role("button", name=words["make"]).click()
    full = f"{live_server.url}/r/{code}?to=%2Faccounts%2Flogin%2F"
    shown = page.locator("#landing-url")
    expect(page.get_by_text(words["made"])).to_be_visible()
    expect(shown).to_have_text(full)
    expect(shown).to_be_in_viewport(ratio=1)  # whole, wrapped within the phone's width
    expect(page.locator("#referral-url")).to_have_value(full)
    landing = page.locator("#landing-page")
    landing.get_by_role("button", name=words["copy"]).click()
    expect(landing.locator(".copy-status")).to_have_text(words["copied"])
    screenshot(page, f"link-390-{language}-landing-accepted")
    problems += page_problems(page, f"link-390-{language}-landing-accepted", phone=True)
    page.context.close()
    assert problems == [], "\n".join(problems)
