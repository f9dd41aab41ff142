"""The 推广链接 and 推广客户 pages."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ambassadors.tests.factories import AmbassadorFactory, UserFactory, VerifiedAmbassadorFactory
from referrals.attribution.services import association_apply, customer_mark_old
from referrals.models import Visit
from referrals.tests.visits import days_ago, link_of, visit_to

pytestmark = pytest.mark.django_db


def test_the_link_page_shows_the_full_link_and_a_qr_code(logged_in, ambassador):
    page = logged_in.get(reverse("center:link")).content.decode()
    code = link_of(ambassador).code
    assert f"http://testserver/r/{code}" in page
    assert "<svg" in page and "复制链接" in page


def test_the_link_page_builds_a_link_with_an_allowed_landing_path(logged_in, ambassador):
    page = logged_in.get(reverse("center:link"), {"to": "/accounts/login/"}).content.decode()
    assert f"/r/{link_of(ambassador).code}?to=%2Faccounts%2Flogin%2F" in page


def test_the_chosen_link_is_shown_whole_by_the_form_with_its_copy_button(logged_in, ambassador):
    """On a phone the box at the top cuts the link off; the one by the form wraps."""
    page = logged_in.get(reverse("center:link"), {"to": "/accounts/login/"}).content.decode()
    full = f"http://testserver/r/{link_of(ambassador).code}?to=%2Faccounts%2Flogin%2F"
    assert f'<code id="landing-url">{full}</code>' in page
    assert 'data-copy="#landing-url"' in page and "带落地页的链接：" in page
    assert 'action="#landing-page"' in page  # the reloaded page opens at the form


def test_the_link_page_refuses_an_off_site_landing(logged_in, ambassador):
    page = logged_in.get(reverse("center:link"), {"to": "https://evil.example/"}).content.decode()
    assert f"/r/{link_of(ambassador).code}?to=" not in page
    assert "只能使用本站允许的域名下的页面" in page


def plain_link_only(page, ambassador):
    """A refused landing changes nothing: the link, the QR code and its files stay the plain link."""
    code = link_of(ambassador).code
    return (
        f'value="http://testserver/r/{code}"' in page
        and f"/r/{code}?to=" not in page
        and 'href="/center/link/qr.png"' in page
        and 'id="landing-url"' not in page
    )


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("zh-hans", "站内没有这个页面：<code>/nope/</code>。链接仍落地到默认页面。"),
        ("en", "There is no page <code>/nope/</code> on the site. The link still lands on the default page."),
    ],
)
def test_the_link_page_refuses_a_path_the_site_has_no_page_at(logged_in, ambassador, language, message):
    answer = logged_in.get(reverse("center:link"), {"to": "/nope/"}, headers={"accept-language": language})
    page = answer.content.decode()
    assert answer.status_code == 200 and message in page
    assert 'aria-describedby="landing-refusal"' in page and 'value="/nope/"' in page  # kept to correct
    assert plain_link_only(page, ambassador)
    assert not Visit.objects.exists()


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("zh-hans", "<code>/center/account/</code> 不对新访客开放（如个人中心、管理后台、接口、账号设置）"),
        ("en", "<code>/center/account/</code> is not open to new visitors (like the personal center"),
    ],
)
def test_the_link_page_refuses_a_page_new_visitors_cannot_use(logged_in, ambassador, language, message):
    page = logged_in.get(reverse("center:link"), {"to": "/center/account/"}, headers={"accept-language": language})
    assert message in page.content.decode()
    assert plain_link_only(page.content.decode(), ambassador)


@pytest.mark.parametrize("private", ["/admin/", "/api/v1/me", "/accounts/logout/"])
def test_the_admin_the_api_and_the_account_pages_are_refused_too(logged_in, ambassador, private):
    page = logged_in.get(reverse("center:link"), {"to": private}).content.decode()
    assert "不对新访客开放" in page and plain_link_only(page, ambassador)


def test_the_refused_path_is_shown_escaped(logged_in):
    page = logged_in.get(reverse("center:link"), {"to": "/<b>nope</b>"}).content.decode()
    assert "<code>/&lt;b&gt;nope&lt;/b&gt;</code>" in page and "<b>nope</b>" not in page


def test_an_unverified_ambassador_gets_no_link_yet(client):
    pending = AmbassadorFactory()
    client.force_login(pending.user)
    page = client.get(reverse("center:link")).content.decode()
    assert "完成实名认证后即可获得专属推广链接" in page
    assert "/r/" not in page


@pytest.mark.parametrize("page_name", ["center:link", "center:customers"])
def test_r3_3_ambassadors_are_told_that_a_change_of_browser_loses_the_visit(logged_in, page_name):
    page = logged_in.get(reverse(page_name)).content.decode()
    assert "客户在访问后更换浏览器或设备再注册，关联可能无法保留。" in page


def test_the_customers_page_lists_active_customers_masked(logged_in, ambassador):
    """R12.3: the associated customers, masked, with the days their association has left."""
    customer = UserFactory(email="wangwu@example.com")
    association_apply(customer=customer, visit=visit_to(ambassador, at=days_ago(2)))
    page = logged_in.get(reverse("center:customers")).content.decode()
    assert "w***@example.com" in page and "wangwu@example.com" not in page
    assert "28 天" in page  # days left, rounded up


@pytest.mark.parametrize(
    ("lose", "reason"),
    [
        ("taken_over", "客户访问了其他云大使的推广链接"),
        ("expired", "关联期已结束"),
        ("became_old", "客户已付费购买云产品，成为老客户"),
    ],
)
def test_the_lost_view_says_why_a_customer_left(logged_in, ambassador, lose, reason):
    """R12.5: "why did my customer disappear?" answered from the association's end reason."""
    customer = UserFactory()
    association_apply(customer=customer, visit=visit_to(ambassador, at=days_ago(40 if lose == "expired" else 5)))
    if lose == "taken_over":
        association_apply(customer=customer, visit=visit_to(VerifiedAmbassadorFactory(), at=days_ago(1)))
    if lose == "became_old":
        customer_mark_old(customer=customer, at=days_ago(1))
    active = logged_in.get(reverse("center:customers")).content.decode()
    assert "还没有关联中的客户" in active
    lost = logged_in.get(reverse("center:customers"), {"view": "lost"}).content.decode()
    assert reason in lost
    assert "@example.com" in lost


def test_another_ambassadors_customers_are_not_shown(logged_in):
    customer = UserFactory(email="theirs@example.com")
    association_apply(customer=customer, visit=visit_to(VerifiedAmbassadorFactory()))
    assert "t***@example.com" not in logged_in.get(reverse("center:customers")).content.decode()


def _associate(ambassador, count):
    for _ in range(count):
        association_apply(customer=UserFactory(), visit=visit_to(ambassador, at=timezone.now() - timedelta(hours=1)))


@pytest.mark.parametrize("view", ["active", "lost"])
def test_the_customers_page_query_count_does_not_grow_with_rows(client, view, django_assert_num_queries):
    def queries_for(rows):
        ambassador = VerifiedAmbassadorFactory()
        _associate(ambassador, rows)
        if view == "lost":
            for association in ambassador.associations.all():
                customer_mark_old(customer=association.customer, at=timezone.now())
        client.force_login(ambassador.user)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("center:customers"), {"view": view}).status_code == 200
        return len(captured)

    assert queries_for(1) == queries_for(25)


def test_the_customers_page_is_paginated(logged_in, ambassador):
    _associate(ambassador, 23)
    first = logged_in.get(reverse("center:customers")).content.decode()
    assert "第 1 / 2 页" in first
    second = logged_in.get(reverse("center:customers"), {"page": 2}).content.decode()
    assert second.count('<td data-label="客户">') == 3


def test_customers_whose_masked_emails_agree_read_apart(logged_in, ambassador):
    """Two k***@example.com are told apart by their accounts' short numbers, still masked."""
    kate, kim = UserFactory(email="kate@example.com"), UserFactory(email="kim@example.com")
    for customer in (kate, kim):
        association_apply(customer=customer, visit=visit_to(ambassador, at=days_ago(1)))
    page = logged_in.get(reverse("center:customers")).content.decode()
    labels = re.findall(r'<td data-label="客户">([^<]+)</td>', page)
    assert sorted(labels) == sorted(f"k***@example.com · #{c.uid.hex[:6].upper()}" for c in (kate, kim))
    assert labels[0] != labels[1] and "kate" not in page and "kim@" not in page


def test_a_customer_who_came_and_went_five_times_is_listed_once(logged_in, ambassador):
    """Taken over and won back again and again: one row, the latest, on the list of those who left."""
    customer, rival = UserFactory(email="kate@example.com"), VerifiedAmbassadorFactory()
    for day in range(10, 0, -1):
        association_apply(customer=customer, visit=visit_to(ambassador if day % 2 == 0 else rival, at=days_ago(day)))
    active = logged_in.get(reverse("center:customers")).content.decode()
    lost = logged_in.get(reverse("center:customers"), {"view": "lost"}).content.decode()
    assert '<td data-label="客户">' not in active
    assert lost.count('<td data-label="客户">') == 1 and "客户访问了其他云大使的推广链接" in lost


def test_the_customers_page_says_what_came_of_each_customers_orders(logged_in, ambassador):
    """R12.5: "why is this order not shown?" answered from the order's reason code."""
    from decimal import Decimal

    from referrals.models import Order, Product

    customer = UserFactory(email="buyer@example.com")
    association = association_apply(customer=customer, visit=visit_to(ambassador, at=days_ago(3)))
    quiet = UserFactory(email="quiet@example.com")
    association_apply(customer=quiet, visit=visit_to(ambassador, at=days_ago(2)))
    Order.objects.create(
        billing_id="o1", customer=customer, product=Product.objects.get(code="ecs"), billing="postpaid", kind="new",
        amount=Decimal("10"), period_days=30, placed_at=days_ago(1), status="paid", paid_at=days_ago(1), version=1,
        ambassador=ambassador, association=association, reason="NOT_PREPAID", decided_at=days_ago(1),
    )  # fmt: skip
    page = logged_in.get(reverse("center:customers")).content.decode()
    assert "已下单，不返利：不是预付费购买（如按量付费）" in page
    assert "暂无订单" in page
    assert "buyer@example.com" not in page
