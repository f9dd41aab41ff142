"""Every page carries the Content-Security-Policy: this site's files only, nothing inline.
tests/browser/test_csp.py loads the pages in Chromium and finds no violation."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/accounts/login/", "/center/", "/admin/"])
def test_pages_carry_a_policy_without_inline_code(admin_client, url):
    policy = admin_client.get(url, follow=True)["Content-Security-Policy"]
    directives = dict(directive.strip().split(" ", 1) for directive in policy.split(";"))
    assert directives["default-src"] == directives["script-src"] == directives["style-src"] == "'self'"
    assert directives["object-src"] == directives["base-uri"] == directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy


def test_the_base_template_has_no_inline_script(client):
    page = client.get("/accounts/login/").content.decode()
    assert "<script>" not in page and "onchange=" not in page
    assert "/static/js/language.js" in page
