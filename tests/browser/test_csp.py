"""The Content-Security-Policy in Chromium, with the demo data: the personal center, the log-in
pages and every page of the admin load, and their scripts run, without one violation reported."""

import io
import re

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import expect

from portal.shell.management.commands.load_demo import DEMO_PASSWORD
from portal.urls import center_patterns

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every violation the page sees is written to the console, beside Chromium's own message.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`Content Security Policy violation: ${event.violatedDirective} blocked ${event.blockedURI}`
    + ` (${event.sourceFile}:${event.lineNumber})`);
});
"""
# Every page of the center but those that only take a POST or need an object of their own.
POST_ONLY = {"join", "token_create"}
CENTER_GET_PAGES = [p.name for p in center_patterns if not p.pattern.converters and p.name not in POST_ONLY]


class Watched:
    """A browser page that keeps every CSP violation reported on its console."""

    def __init__(self, browser, base_url):
        self.base_url = base_url
        self.page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        self.page.add_init_script(REPORT_VIOLATIONS)
        self.violations = []
        self.page.on("console", self._console)

    def _console(self, message):
        if "Content Security Policy" in message.text:
            self.violations.append(f"{self.page.url}: {message.text}")

    def visit(self, path):
        answer = self.page.goto(self.base_url + path)
        assert answer.status == 200, (path, answer.status)
        policy = answer.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, (path, policy)
        return answer

    def log_in(self, email, landing=r"/center/$"):
        self.visit("/accounts/login/")
        self.page.get_by_label("电子邮件").fill(email)
        self.page.get_by_label("密码").first.fill(DEMO_PASSWORD)
        self.page.get_by_role("button", name="登录").click()
        expect(self.page).to_have_url(re.compile(landing))


def admin_paths():
    """Every registered model's list, first object and add page, and its import and export pages."""
    from django.test import RequestFactory

    from portal.kernel.models import User

    request = RequestFactory().get("/admin/")
    request.user = User.objects.get(email="admin@demo.local")
    paths = ["/admin/"]
    for model, model_admin in admin.site._registry.items():
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        paths.append(reverse(f"{name}_changelist"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            paths.append(reverse(f"{name}_change", args=[first.pk]))
        if model_admin.has_add_permission(request):
            paths.append(reverse(f"{name}_add"))
        for extra in ("import", "export"):
            try:
                paths.append(reverse(f"{name}_{extra}"))
            except NoReverseMatch:
                continue
    return paths


def test_no_page_breaks_the_content_security_policy(live_server, browser, reference_data, screenshot):
    call_command("load_demo", stdout=io.StringIO())

    visitor = Watched(browser, live_server.url)
    visitor.visit("/accounts/signup/")
    visitor.log_in("ambassador@demo.local")
    for name in CENTER_GET_PAGES:
        visitor.visit(reverse(f"center:{name}"))
    for path in ("/accounts/email/", "/accounts/password/change/"):
        visitor.visit(path)

    # A token is shown once, with a copy button (static/js/copy.js).
    visitor.visit(reverse("center:account"))
    visitor.page.get_by_label("令牌名称").fill("csp")
    visitor.page.get_by_role("button", name="创建令牌").click()
    expect(visitor.page.get_by_role("heading", name="API 令牌已创建")).to_be_visible()
    visitor.page.get_by_role("button", name="复制").click()
    expect(visitor.page.get_by_text("已复制")).to_be_visible()
    # The language menu switches on choosing (static/js/language.js), no button pressed.
    visitor.visit(reverse("center:orders"))
    visitor.page.get_by_label("语言").select_option("en")
    expect(visitor.page.get_by_role("heading", name="Rebate orders")).to_be_visible()
    screenshot(visitor.page, "90-csp-language-switched")
    assert visitor.violations == [], "\n".join(visitor.violations)

    staff = Watched(browser, live_server.url)
    staff.log_in("admin@demo.local", landing=r"/admin/$")
    paths = admin_paths()
    for path in paths:
        staff.visit(path)
    # The admin's own scripts run: selecting every row updates the action counter (actions.js).
    staff.visit(reverse("admin:referrals_product_changelist"))
    staff.page.locator("#action-toggle").check()
    expect(staff.page.locator(".action-counter")).to_contain_text(re.compile(r"选中了 (\d+) 个中的 \1 个"))
    screenshot(staff.page, "91-csp-admin-actions")
    assert staff.violations == [], "\n".join(staff.violations)
    assert len(paths) > 50
