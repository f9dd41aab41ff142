"""推广链接's funnel and QR code files; the invitation a referred visitor sees, and where they
land after signing up."""

import io
from datetime import timedelta

import pytest
import segno
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ambassadors.tests.factories import UserFactory, VerifiedAmbassadorFactory
from referrals.attribution import selectors
from referrals.attribution.services import association_apply
from referrals.models import Order, Product
from referrals.tests.visits import days_ago, link_of, visit_to

pytestmark = pytest.mark.django_db


def follow(client, code):
    return client.get(reverse("referral_follow", args=[code]))


def sign_up(client, email):
    return client.post(
        reverse("account_signup"),
        {"email": email, "password1": "a-long-passphrase-9", "password2": "a-long-passphrase-9"},
    )


def paid_order(customer, ambassador, number):
    placed = timezone.now() - timedelta(hours=1)
    return Order.objects.create(
        billing_id=f"funnel-{number}", customer=customer, product=Product.objects.get(code="ecs"),
        billing="prepaid", kind="new", amount="100.00", period_days=30, placed_at=placed, status="paid",
        paid_at=placed, version=1, ambassador=ambassador,
    )  # fmt: skip


# The funnel of the last 30 days


def test_the_funnel_counts_clicks_sign_ups_associations_and_orders(ambassador):
    code = link_of(ambassador).code
    browsers = [Client() for _ in range(4)]
    for browser in browsers:
        follow(browser, code)
    follow(browsers[0], code)  # a second click from the same browser is a click too
    for number, browser in enumerate(browsers[:3]):
        sign_up(browser, f"new{number}@example.com")
    existing = UserFactory()
    browsers[3].force_login(existing)
    follow(browsers[3], code)  # an existing account: associated, but not a sign-up
    paid_order(existing, ambassador, 1)
    paid_order(existing, ambassador, 2)  # one customer, however many orders

    funnel = selectors.link_funnel_of(ambassador, now=timezone.now())
    assert (funnel.clicks, funnel.sign_ups, funnel.associated, funnel.ordering) == (6, 3, 4, 1)


def test_the_funnel_is_the_last_30_days_and_the_ambassadors_own(ambassador):
    other = VerifiedAmbassadorFactory()
    customer = UserFactory()
    association_apply(customer=customer, visit=visit_to(ambassador, at=days_ago(31)))
    association_apply(customer=UserFactory(), visit=visit_to(other, at=days_ago(1)))
    paid_order(customer, other, 1)
    funnel = selectors.link_funnel_of(ambassador, now=timezone.now())
    assert (funnel.clicks, funnel.sign_ups, funnel.associated, funnel.ordering) == (0, 0, 0, 0)


def test_the_link_page_shows_the_funnel_and_what_to_do_first(logged_in):
    page = logged_in.get(reverse("center:link")).content.decode()
    assert "近 30 天的推广效果" in page
    assert all(step in page for step in ("点击", "注册", "关联", "下单"))
    assert "还没有人打开你的链接" in page


# The QR code as files


@pytest.mark.parametrize(
    ("kind", "content_type", "start"), [("png", "image/png", b"\x89PNG"), ("svg", "image/svg+xml", b"<?xml")]
)
def test_the_qr_code_downloads_as_png_and_svg(logged_in, ambassador, kind, content_type, start):
    answer = logged_in.get(reverse("center:link_qr", args=[kind]))
    assert answer.status_code == 200 and answer["Content-Type"] == content_type
    assert answer.content.startswith(start)
    code = link_of(ambassador).code
    assert answer["Content-Disposition"] == f'attachment; filename="referral-qr-{code}.{kind}"'


def test_the_qr_code_file_encodes_the_link_as_shared(logged_in, ambassador):
    """With its landing page: the same QR code as the page's, scaled up."""
    with_landing = logged_in.get(reverse("center:link_qr", args=["svg"]), {"to": "/accounts/login/"}).content
    plain = logged_in.get(reverse("center:link_qr", args=["svg"])).content
    url = f"http://testserver/r/{link_of(ambassador).code}?to=%2Faccounts%2Flogin%2F"
    expected = io.BytesIO()
    segno.make(url, error="m").save(expected, kind="svg", scale=12, border=4, xmldecl=True)
    assert with_landing == expected.getvalue() != plain
    page = logged_in.get(reverse("center:link"), {"to": "/accounts/login/"}).content.decode()
    assert 'href="/center/link/qr.png?to=%2Faccounts%2Flogin%2F"' in page


def test_no_qr_code_file_for_another_format_or_without_a_link(client, logged_in):
    assert logged_in.get("/center/link/qr.gif").status_code == 404
    client.force_login(VerifiedAmbassadorFactory(blacklisted_at=timezone.now(), blacklist_reason="x").user)
    assert client.get(reverse("center:link_qr", args=["png"])).status_code == 404


# The invitation on sign-up and the welcome after it


def test_a_referred_visitor_is_told_whose_invitation_it_is_and_what_they_gain(client, ambassador):
    follow(client, link_of(ambassador).code)
    page = client.get(reverse("account_signup")).content.decode()
    assert "云大使 张* 邀请你上云" in page
    assert "价格与官网完全相同" in page
    assert "张三" not in page and ambassador.user.email not in page


def test_a_visitor_without_an_invitation_sees_none(client):
    assert "邀请你上云" not in client.get(reverse("account_signup")).content.decode()


def test_a_link_that_associates_no_one_names_no_one(client):
    """An unknown code, or a blacklisted ambassador's link: nothing is said of either."""
    follow(client, "no-such-code")
    assert "邀请你上云" not in client.get(reverse("account_signup")).content.decode()
    ambassador = VerifiedAmbassadorFactory()
    follow(client, link_of(ambassador).code)
    type(ambassador).objects.filter(pk=ambassador.pk).update(blacklisted_at=timezone.now(), blacklist_reason="x")
    assert "邀请你上云" not in client.get(reverse("account_signup")).content.decode()


def test_a_referred_customer_lands_on_the_welcome_not_the_join_pitch(client, ambassador):
    follow(client, link_of(ambassador).code)
    answer = sign_up(client, "new@example.com")
    assert answer.status_code == 302 and answer["Location"] == reverse("customer_welcome")
    page = client.get(answer["Location"]).content.decode()
    assert "你已接受云大使 <strong>张*</strong> 的邀请" in page
    assert "加入云大使，分享专属链接赚取返利" not in page


def test_a_visitor_who_came_on_their_own_lands_on_the_center(client):
    answer = sign_up(client, "own@example.com")
    assert answer["Location"] == reverse("center:home")


def test_the_welcome_names_only_the_customers_own_inviter(client, ambassador):
    customer = UserFactory()
    with time_machine.travel(timezone.now() - timedelta(days=40)):
        association_apply(customer=customer, visit=visit_to(ambassador))  # long expired
    client.force_login(customer)
    page = client.get(reverse("customer_welcome")).content.decode()
    assert "你的账号已经可以使用了" in page and "张*" not in page
    assert "no-store" in client.get(reverse("customer_welcome"))["Cache-Control"]
