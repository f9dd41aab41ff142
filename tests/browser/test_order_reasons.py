"""R2.4 in Chromium with the demo data: an order refused because the customer's same-person
account already made its member first purchase says so, in its own words, to the ambassador
(推广客户, at 390 px and 1366 px) and to staff (the order list), in Chinese and in English; the
admin never shows the type 会员首购 beside the reason 不是会员首购."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from ambassadors.identity import identity_signal_record
from ambassadors.tests.factories import UserFactory
from portal.kernel.models import User
from referrals.attribution.services import association_apply
from referrals.models import Order, OrderType, Product, Reason
from referrals.rebates.services import OrderSnapshot, order_snapshot_apply
from referrals.tests.visits import visit_to

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The reason, its type, and the reason that would contradict the type.
WORDS = {
    "zh": ("客户的同人账号已发生首购", "会员首购", "不是会员首购"),
    "en": (
        "An account of the same person as the customer has already made its member first purchase",
        "Member first purchase",
        "This is not the customer's member first purchase",
    ),
}


def paid_order(customer, billing_id, placed):
    order_snapshot_apply(
        OrderSnapshot(
            billing_id=billing_id,
            customer=customer,
            product=Product.objects.get(code="ecs"),
            billing="prepaid",
            kind="new",
            trial=False,
            activity="",
            amount=Decimal("1000.00"),
            period_days=360,
            placed_at=placed,
            status="paid",
            paid_at=placed + timedelta(minutes=1),
            refunded_amount=Decimal("0.00"),
            refunded_at=None,
            version=1,
        )
    )
    return Order.objects.get(billing_id=billing_id)


def logged_in_page(browser, live_server, user, language, viewport):
    client = Client()
    client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[0])
    context = browser.new_context(viewport=viewport, locale={"zh": "zh-CN", "en": "en-US"}[language])
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return context.new_page()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_r2_4_a_same_person_first_purchase_is_named_apart(live_server, browser, screenshot, reference_data, language):
    call_command("load_demo", stdout=io.StringIO())
    ambassador = User.objects.get(email="ambassador@demo.local").ambassador
    twin, customer = UserFactory(email="twin-of-kai@example.com"), UserFactory(email="kai@example.com")
    for account in (twin, customer):
        identity_signal_record(user=account, kind="phone", value_hash="kai-phone", source="billing")
    now = timezone.now()
    paid_order(twin, "TWIN-FIRST", now - timedelta(hours=5))
    association_apply(customer=customer, visit=visit_to(ambassador, at=now - timedelta(hours=4)), now=now)
    order = paid_order(customer, "KAI-FIRST", now - timedelta(hours=3))
    assert (order.order_type, order.reason) == (OrderType.MEMBER_FIRST_PURCHASE, Reason.SAME_PERSON_SLOT_TAKEN)
    sentence, order_type, contradiction = WORDS[language]

    # The ambassador: the customer, no longer new after that purchase, is among the ended ones.
    for width, viewport in (("390", {"width": 390, "height": 844}), ("1366", {"width": 1366, "height": 768})):
        page = logged_in_page(browser, live_server, ambassador.user, language, viewport)
        page.goto(f"{live_server.url}/center/customers/?view=lost")
        expect(page.locator("main")).to_contain_text(sentence)
        expect(page.locator("main")).not_to_contain_text(contradiction)
        screenshot(page, f"{width}-{language}-customers-same-person-first-purchase")
        page.context.close()

    # Staff: the order list shows the type and the reason side by side, and they agree.
    page = logged_in_page(
        browser, live_server, User.objects.get(email="ops@demo.local"), language, {"width": 1366, "height": 768}
    )
    page.goto(f"{live_server.url}/admin/referrals/order/?q=KAI-FIRST")
    row = page.locator("#result_list tbody tr").filter(has_text="KAI-FIRST")
    expect(row).to_contain_text(sentence)
    expect(row).to_contain_text(order_type)
    expect(row).not_to_contain_text(contradiction)
    row.locator("td.field-reason").scroll_into_view_if_needed()  # the list is wider than the window
    screenshot(page, f"1366-{language}-admin-order-same-person-first-purchase")
