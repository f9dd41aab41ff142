"""The exclusive link is not an open redirect."""

import pytest

from referrals.attribution.rules import landing_url

DEFAULT = "/accounts/signup/"


def land(requested, *, require_https=False):
    return landing_url(requested, default=DEFAULT, allowed_hosts=["portal.example.com"], require_https=require_https)


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
    ["/pricing", "/accounts/signup/?plan=ecs", "https://portal.example.com/pricing", "http://portal.example.com/x"],
)
def test_paths_and_allowed_hosts_are_kept(allowed):
    assert land(allowed) == allowed


def test_production_refuses_plain_http_to_an_allowed_host():
    assert land("http://portal.example.com/x", require_https=True) == DEFAULT


@pytest.mark.parametrize("empty", [None, ""])
def test_no_target_lands_on_the_default(empty):
    assert land(empty) == DEFAULT
