"""返利订单 kept as frames (portal.kernel.frames): the framed page is the page rendered in full,
in every state it can be in, and a frame keeps nothing of whoever first saw it."""

import re
from pathlib import Path

import pytest
import time_machine
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.template import engines
from django.test import RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.autoreload import file_changed

from ambassadors.tests.factories import VerifiedAmbassadorFactory
from portal.kernel.frames import NotInFrame, hole
from portal.shell import center_frame
from referrals.rebates import views
from referrals.rebates.views import ORDERS_PER_PAGE

from .test_rebate_pages import make_order, older_link

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _read(answer):
    """The page with its CSRF tokens blanked (each render masks the secret afresh), and the tokens."""
    text = answer.content.decode()
    return CSRF.sub('name="csrfmiddlewaretoken" value=""', text), CSRF.findall(text)


def pages(client, requests):
    return [client.get(path, query, headers={"accept-language": language}) for path, query, language in requests]


def test_the_framed_page_is_the_page_rendered_in_full_in_every_state(client, ambassador, monkeypatch):
    ambassador.user.email = "o'brien+<b>&co@example.com"  # what autoescaping changes, in the layout's hole
    ambassador.user.is_staff = True  # the desks' link: part of a frame's key
    ambassador.user.save()
    client.force_login(ambassador.user)
    for number in range(ORDERS_PER_PAGE + 5):
        make_order(ambassador, number, days_ago=number + 1)
    make_order(ambassador, 99, on_hold=True)  # the notice of rebates under review
    make_order(ambassador, 98, reason="same_person")
    orders = reverse("center:orders")
    second_page = older_link(client.get(orders))
    requests = [
        (orders, {}, "zh-hans"),
        (orders, {}, "en"),
        (second_page, {}, "zh-hans"),  # the newest link, and no older one
        (orders, {"status": "invalid"}, "en"),
        (orders, {"status": "settled"}, "zh-hans"),  # nothing listed under a filter
        (
            orders,
            {"type": "renewal", "month": "2026-11", "x": '"><script>'},
            "zh-hans",
        ),  # a stray parameter kept by the links
        (orders, {"before": "nonsense"}, "en"),  # a cursor that cannot be read: the first page, with the newest link
    ]

    with time_machine.travel(timezone.now(), tick=False):  # one moment for both: `Expires` is the answer's time
        framed = pages(client, requests)
        monkeypatch.setattr(center_frame, "renders_in_full", lambda request: True)  # as with messages: in full
        in_full = pages(client, requests)

    assert all(answer.status_code == 200 for answer in framed + in_full)
    assert [_read(answer)[0] for answer in framed] == [_read(answer)[0] for answer in in_full]
    first = framed[0].content.decode()
    assert "o&#x27;brien+&lt;b&gt;&amp;co@example.com" in first and "运营后台" in first
    assert first.count("o-") >= ORDERS_PER_PAGE and "审核中" in first
    tokens = _read(framed[0])[1]
    assert len(tokens) == 2 and tokens[0] == tokens[1] and "hole" not in first and "\x00" not in first
    assert [dict(answer.headers) for answer in framed] == [dict(answer.headers) for answer in in_full]
    assert [sorted(answer.cookies) for answer in framed] == [sorted(answer.cookies) for answer in in_full]
    assert framed[0]["Content-Type"] == "text/html; charset=utf-8" and "csrftoken" in framed[0].cookies


def test_a_frame_keeps_nothing_of_the_ambassador_who_first_saw_it(client):
    first, second = VerifiedAmbassadorFactory(user__is_staff=True), VerifiedAmbassadorFactory()
    make_order(first, 1)
    make_order(second, 2)
    views._ORDERS_FRAME.clear()

    client.force_login(first.user)
    seen_first = client.get(reverse("center:orders")).content.decode()
    client.force_login(second.user)
    seen_second = client.get(reverse("center:orders")).content.decode()
    client.force_login(first.user)
    seen_first_again = client.get(reverse("center:orders")).content.decode()

    assert views._ORDERS_FRAME._frame.cache_info().hits >= 1  # a page came from a frame another's visit made
    assert first.user.email in seen_first and f"o-{first.pk}-1" in seen_first and "运营后台" in seen_first
    assert second.user.email in seen_second and f"o-{second.pk}-2" in seen_second
    assert first.user.email not in seen_second and f"o-{first.pk}-1" not in seen_second
    assert "运营后台" not in seen_second and reverse("admin:index") not in seen_second  # being staff is the key's
    assert second.user.email not in seen_first_again and "运营后台" in seen_first_again


def test_for_a_member_who_is_not_staff_the_framed_page_is_the_page_rendered_in_full(client, ambassador, monkeypatch):
    client.force_login(ambassador.user)
    make_order(ambassador, 1)
    requests = [(reverse("center:orders"), {}, "zh-hans"), (reverse("center:orders"), {"status": "settled"}, "en")]

    framed = pages(client, requests)
    monkeypatch.setattr(center_frame, "renders_in_full", lambda request: True)
    in_full = pages(client, requests)

    assert [_read(answer)[0] for answer in framed] == [_read(answer)[0] for answer in in_full]
    assert "运营后台" not in framed[0].content.decode()


def test_a_frame_fails_loudly_when_the_layout_reads_more_of_the_visitor_than_it_gives(client, ambassador):
    views._ORDERS_FRAME.clear()
    client.force_login(ambassador.user)
    strict = center_frame.context(section="orders", is_staff=False)

    assert str(strict["user"].email) == str(hole("user_email")) and strict["user"].is_staff is False
    with pytest.raises(NotInFrame):
        strict["user"].first_name  # noqa: B018  (what a template reading {{ user.first_name }} does)
    with pytest.raises(NotInFrame):
        engines["django"].from_string("{{ user.first_name }}").render(strict)
    signed_out = RequestFactory().get(reverse("center:orders"))
    signed_out.user = AnonymousUser()
    assert center_frame.renders_in_full(signed_out)  # the frames are a member's layout


def test_a_request_with_messages_gets_them_on_the_page_rendered_in_full(ambassador):
    make_order(ambassador, 1)
    request = RequestFactory().get(reverse("center:orders"))
    request.user, request.session = ambassador.user, SessionStore()
    request._messages = FallbackStorage(request)
    messages.success(request, "支付宝账号已绑定。")

    answer = views.orders(request)

    assert answer.status_code == 200 and "支付宝账号已绑定。" in answer.content.decode()


def test_the_csrf_token_of_a_framed_page_is_the_visitors_and_it_is_accepted(client, ambassador):
    client = type(client)(enforce_csrf_checks=True)
    client.force_login(ambassador.user)
    page = client.get(reverse("center:orders"))
    token = CSRF.search(page.content.decode()).group(1)

    switched = client.post(
        reverse("set_language"), {"language": "en", "next": "/center/orders/", "csrfmiddlewaretoken": token}
    )

    assert switched.status_code == 302 and switched["Location"] == "/center/orders/"


def test_frames_are_made_again_when_a_setting_or_a_template_changes(logged_in, ambassador):
    make_order(ambassador, 1)
    kept = views._ORDERS_FRAME._frame.cache_info
    views._ORDERS_FRAME.clear()

    logged_in.get(reverse("center:orders"))
    assert kept().currsize == 1
    with override_settings(TIME_ZONE="UTC"):
        assert kept().currsize == 0
    logged_in.get(reverse("center:orders"))
    file_changed.send(sender=None, file_path=Path("portal/kernel/frames.py"))  # the server restarts for that
    assert kept().currsize == 1
    file_changed.send(sender=None, file_path=Path("referrals/templates/referrals/orders.html"))
    assert kept().currsize == 0
