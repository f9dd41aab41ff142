"""The exclusive link is not an open redirect, and lands only on a page of the site that a new
visitor can open."""

import pytest

from referrals.attribution.rules import LandingRefusal, landing_refusal, landing_url

DEFAULT = "/accounts/signup/"
HOSTS = ["portal.example.com", "www.vendor.example"]


def land(requested, *, require_https=False, site_host="portal.example.com"):
    return landing_url(
        requested, default=DEFAULT, allowed_hosts=HOSTS, require_https=require_https, site_host=site_host
    )


def refusal(requested):
    return landing_refusal(requested, allowed_hosts=HOSTS, require_https=False, site_host="portal.example.com")


@pytest.mark.parametrize(
    "attack",
    [
        "//evil.example",
        "//evil.example/path",
        "\\\\evil.example",
        "\\/evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "https://evil.example/",
        "http://evil.example",
        "https://portal.example.com.evil.example/",
        "https://evil.example@portal.example.com.evil.example/",
        "data:text/html,<script>alert(1)</script>",
        "/\t/evil.example",
        "ftp://portal.example.com/",
        "https:evil.example",
    ],
)
def test_open_redirect_vectors_land_on_the_default_page(attack):
    assert land(attack) == DEFAULT


@pytest.mark.parametrize(
    "allowed",
    [
        "/",
        "/accounts/signup/?plan=ecs",
        "/accounts/login/",
        "/accounts/sign%75p/",  # what the browser asks for is the page once decoded
        "/accounts/signup",  # redirected to /accounts/signup/ (APPEND_SLASH)
        "https://portal.example.com/accounts/login/",
        "http://portal.example.com",
        "https://www.vendor.example/pricing",  # another allowed host: its pages are its own
    ],
)
def test_visitor_pages_and_other_allowed_hosts_are_kept(allowed):
    assert land(allowed) == allowed


def test_production_refuses_plain_http_to_an_allowed_host():
    assert land("http://portal.example.com/accounts/login/", require_https=True) == DEFAULT


@pytest.mark.parametrize(
    "missing", ["/nope/", "/pricing", "accounts/signup/", "?plan=ecs", "https://portal.example.com/nope/"]
)
def test_a_path_the_site_has_no_page_at_is_refused_and_lands_on_the_default(missing):
    assert refusal(missing) == LandingRefusal.NO_PAGE
    assert land(missing) == DEFAULT


@pytest.mark.parametrize(
    "private",
    [
        "/center/",
        "/center",
        "/center/link/",
        "/admin/",
        "/admin/referrals/visit/",
        "/api/v1/me",
        "/api/v1/events",
        "/accounts/logout/",
        "/accounts/password/reset/",
        "/accounts/email/",
        "/r/ABCDEFGHJKLM",  # another link: the visit would go to its ambassador
        "/welcome/",
        "/i18n/setlang/",
        "https://portal.example.com/center/link/",
    ],
)
def test_a_page_a_new_visitor_cannot_use_is_refused_and_lands_on_the_default(private):
    assert refusal(private) == LandingRefusal.NOT_FOR_VISITORS
    assert land(private) == DEFAULT


def test_off_site_targets_are_refused_as_off_site():
    assert refusal("https://evil.example/") == refusal("//evil.example") == LandingRefusal.OFF_SITE


@pytest.mark.parametrize("empty", [None, ""])
def test_no_target_lands_on_the_default(empty):
    assert land(empty) == DEFAULT
