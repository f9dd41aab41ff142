"""The layout's fragments kept per process (the top bar up to the language form's token, the
sign-out form's fixed part, the center's script): every page is what it is rendered afresh, in
each language, signed in or not, staff or not; and each form still carries its own token."""

import re

import pytest
from django.core.cache import caches
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

NO_FRAGMENTS = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
NO_FRAGMENTS["fragments"] = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
LANGUAGES = ("zh-hans", "en", "zh-hans")


def pages(client, paths):
    return [
        TOKEN.sub("token", client.get(path, headers={"accept-language": language}).content.decode())
        for language in LANGUAGES
        for path in paths
    ]


def cached_and_fresh(client, paths):
    caches["fragments"].clear()
    cached = pages(client, paths)
    with override_settings(CACHES=NO_FRAGMENTS):
        return cached, pages(client, paths)


def test_signed_out_pages_are_what_they_are_without_the_cache(client):
    cached, fresh = cached_and_fresh(client, [reverse("account_login"), reverse("account_signup")])
    assert cached == fresh
    assert 'lang="en"' in cached[2] and "Sign out" not in cached[2]


@pytest.mark.parametrize("staff", [False, True])
def test_center_pages_are_what_they_are_without_the_cache(client, ambassador, staff):
    ambassador.user.is_staff = staff
    ambassador.user.save()
    client.force_login(ambassador.user)
    paths = [reverse("center:home"), reverse("center:orders"), reverse("center:account")]
    cached, fresh = cached_and_fresh(client, paths)
    assert cached == fresh
    english, chinese = cached[len(paths)], cached[0]
    assert ">English</option>" in english and 'value="en" selected' in english
    assert 'value="zh-hans" selected' in chinese and "退出" in chinese and "Sign out" in english
    assert (reverse("admin:index") in chinese) is staff


def test_each_form_of_the_top_bar_carries_the_token_and_the_language_form_the_page(client, ambassador):
    client.force_login(ambassador.user)
    page = client.get(reverse("center:orders"), {"status": "settled"}).content.decode()
    language_form = re.search(r'<form action="/i18n/setlang/".*?</form>', page, re.S).group(0)
    sign_out_form = re.search(rf'<form action="{reverse("account_logout")}".*?</form>', page, re.S).group(0)
    assert TOKEN.search(language_form) and TOKEN.search(sign_out_form)
    assert 'name="next" type="hidden" value="/center/orders/?status=settled"' in language_form
