"""The personal center's menu: every section, the current one marked, in the page's language."""

import re

import pytest
from django.urls import reverse

from portal.shell.center import SECTIONS

pytestmark = pytest.mark.django_db


def menu_of(page):
    return re.search(r'<nav class="center-nav".*?</nav>', page, re.S).group(0)


def test_the_menu_lists_every_section_and_marks_the_page_read(client, ambassador):
    client.force_login(ambassador.user)
    menu = menu_of(client.get(reverse("center:orders")).content.decode())
    assert re.findall(r'<a href="([^"]+)"', menu) == [section.url for section in SECTIONS]
    assert re.findall(r'<a href="([^"]+)" aria-current="page">', menu) == [reverse("center:orders")]
    assert ">返利订单</a>" in menu


def test_a_page_under_another_entry_marks_that_entry(client, ambassador):
    client.force_login(ambassador.user)
    menu = menu_of(client.get(reverse("center:cancel")).content.decode())
    assert re.findall(r'<a href="([^"]+)" aria-current="page">', menu) == [reverse("center:account")]


def test_the_menu_follows_the_language_of_each_request(client, ambassador):
    client.force_login(ambassador.user)
    english = menu_of(client.get(reverse("center:orders"), HTTP_ACCEPT_LANGUAGE="en").content.decode())
    chinese = menu_of(client.get(reverse("center:orders"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode())
    assert ">Rebate orders</a>" in english and "返利订单" not in english
    assert ">返利订单</a>" in chinese
