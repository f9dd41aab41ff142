"""Chinese first, English second, switchable by the user."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_chinese_is_the_default(client, ambassador):
    client.force_login(ambassador.user)
    page = client.get(reverse("center:home")).content.decode()
    assert '<html lang="zh-hans">' in page
    assert "概览" in page and "提现" in page and "税务" in page


def test_the_language_menu_switches_to_english_and_back(client, ambassador):
    client.force_login(ambassador.user)
    client.post(reverse("set_language"), {"language": "en", "next": "/center/"})
    page = client.get(reverse("center:home")).content.decode()
    assert '<html lang="en">' in page
    assert "Overview" in page and "Withdrawals" in page and "Rebate orders" in page
    assert "概览" not in page

    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/center/"})
    assert "概览" in client.get(reverse("center:home")).content.decode()


def test_validation_messages_are_translated(client, ambassador):
    client.force_login(ambassador.user)
    client.post(reverse("set_language"), {"language": "en"})
    page = client.post(
        reverse("center:verify"),
        {"legal_name": "张三", "id_number": "440304199001011234", "phone": "13812345678", "consent": "on"},
    ).content.decode()
    assert "check digit" in page.lower()
