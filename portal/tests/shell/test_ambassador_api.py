"""The read-only ambassador API: session or token, scoped to the caller, the pages' selectors."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from ambassadors.tests.factories import AmbassadorFactory, UserFactory, VerifiedAmbassadorFactory
from portal.kernel.api_tokens import api_token_create
from portal.kernel.models import ApiToken
from portal.kernel.personal_data import mask_email
from portal.tests.kernel.test_months import HOSTILE_MONTHS
from referrals.attribution.services import association_apply
from referrals.models import Order, Product
from referrals.tests.visits import visit_to

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
ENDPOINTS = ["/api/v1/me/overview", "/api/v1/me/rebate-orders", "/api/v1/me/customers"]


@pytest.fixture
def ambassador():
    return VerifiedAmbassadorFactory()


def bearer(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def an_order(ambassador, billing_id="o1", rebate="25.00"):
    placed = timezone.now() - timedelta(days=1)
    return Order.objects.create(
        billing_id=billing_id, customer=UserFactory(), product=Product.objects.get(code="ecs"), billing="prepaid",
        kind="new", amount=Decimal("100"), period_days=30, placed_at=placed, status="paid", paid_at=placed, version=1,
        ambassador=ambassador, order_type="member_first_purchase", rebate=Decimal(rebate), reason="",
        decided_at=placed, settles_on=timezone.localdate() + timedelta(days=29),
    )  # fmt: skip


@pytest.mark.parametrize("url", ["/api/v1/me", *ENDPOINTS])
def test_no_session_and_no_token_is_401(client, url):
    assert client.get(url).status_code == 401


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_token_opens_the_api(client, ambassador, url):
    _, raw = api_token_create(user=ambassador.user, name="script")
    assert client.get(url, **bearer(raw)).status_code == 200


@pytest.mark.parametrize("raw", ["amb_wrong", "", "Basic abc", "amb_"])
def test_a_wrong_token_is_401(client, ambassador, raw):
    api_token_create(user=ambassador.user, name="script")
    assert client.get(ENDPOINTS[0], **bearer(raw)).status_code == 401


def test_a_revoked_token_is_401(client, ambassador):
    from portal.kernel.api_tokens import api_token_revoke

    token, raw = api_token_create(user=ambassador.user, name="script")
    api_token_revoke(token=token, actor=ambassador.user)
    assert client.get(ENDPOINTS[0], **bearer(raw)).status_code == 401


def test_only_the_hash_of_a_token_is_stored(ambassador):
    token, raw = api_token_create(user=ambassador.user, name="script")
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert raw not in str(stored)


@pytest.mark.parametrize("url", ENDPOINTS)
def test_a_customer_who_is_not_an_ambassador_gets_404(client, url):
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(AmbassadorFactory().user)  # joined, not verified
    assert client.get(url).status_code == 404


def test_rebate_orders_are_the_callers_own(client, ambassador):
    mine = an_order(ambassador, "mine")
    an_order(VerifiedAmbassadorFactory(), "theirs")
    client.force_login(ambassador.user)
    body = client.get("/api/v1/me/rebate-orders").json()
    assert [row["order"] for row in body["results"]] == ["mine"]
    customer = f"{mask_email(mine.customer.email)} · #{mine.customer.uid.hex[:6].upper()}"
    assert body["results"][0] | {"placed_at": None} == {
        "order": "mine", "placed_at": None, "customer": customer, "under_review": False,
        "product": "ecs", "amount": "100.00", "refunded_amount": "0.00",
        "type": "member_first_purchase", "rebate": "25.00", "status": "pending",
        "settles_on": (timezone.localdate() + timedelta(days=29)).isoformat(), "reason": None,
    }  # fmt: skip


def test_rebate_orders_take_the_pages_filters(client, ambassador):
    an_order(ambassador, "mine")
    client.force_login(ambassador.user)
    assert client.get("/api/v1/me/rebate-orders", {"status": "settled"}).json()["results"] == []
    assert len(client.get("/api/v1/me/rebate-orders", {"status": "pending"}).json()["results"]) == 1


def test_rebate_orders_are_paged_by_cursor(client, ambassador):
    from portal.shell.api import PAGE_SIZE

    for number in range(PAGE_SIZE + 3):
        an_order(ambassador, f"o{number:03d}")
    client.force_login(ambassador.user)
    first = client.get("/api/v1/me/rebate-orders").json()
    second = client.get("/api/v1/me/rebate-orders", {"before": first["next"]}).json()
    assert len(first["results"]) == PAGE_SIZE and len(second["results"]) == 3
    assert second["next"] is None
    seen = [row["order"] for row in first["results"] + second["results"]]
    assert sorted(seen) == sorted(f"o{n:03d}" for n in range(PAGE_SIZE + 3))


def test_overview_figures(client, ambassador):
    an_order(ambassador, "a", rebate="25.00")
    an_order(ambassador, "b", rebate="10.50")
    client.force_login(ambassador.user)
    body = client.get("/api/v1/me/overview").json()
    assert body["all_time"] == {"pending": "35.50", "settled": "0.00", "orders": 2, "invalid_orders": 0}
    assert len(body["months"]) == 12


def test_customers_are_masked(client, ambassador):
    customer = UserFactory(email="zhao@example.com")
    association_apply(customer=customer, visit=visit_to(ambassador))
    client.force_login(ambassador.user)
    body = client.get("/api/v1/me/customers").json()
    assert [row["customer"] for row in body["results"]] == [f"z***@example.com · #{customer.uid.hex[:6].upper()}"]
    assert "zhao@example.com" not in str(body)


def test_a_held_rebate_is_under_review(client, ambassador):
    """R9.3: which order waits for the risk desk, without why it was held."""
    held = an_order(ambassador, "held")
    Order.objects.filter(pk=held.pk).update(on_hold=True)
    client.force_login(ambassador.user)
    row = client.get("/api/v1/me/rebate-orders").json()["results"][0]
    assert (row["status"], row["under_review"]) == ("pending", True)


def test_tokens_are_made_and_revoked_on_the_account_page(client, ambassador):
    client.force_login(ambassador.user)
    page = client.post(reverse("center:token_create"), {"name": "报表"}).content.decode()
    token = ApiToken.objects.get(user=ambassador.user)
    assert "只在创建时显示一次" in client.get(reverse("center:account")).content.decode()
    assert token.prefix in page and "amb_" in page
    client.post(reverse("center:token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_another_users_token_cannot_be_revoked(client, ambassador):
    theirs, _ = api_token_create(user=UserFactory(), name="theirs")
    client.force_login(ambassador.user)
    assert client.post(reverse("center:token_revoke", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


@pytest.mark.parametrize("month", HOSTILE_MONTHS)
def test_a_month_that_cannot_be_read_is_a_400_naming_the_field(client, ambassador, month):
    an_order(ambassador)
    client.force_login(ambassador.user)
    answer = client.get("/api/v1/me/rebate-orders", {"month": month})
    assert answer.status_code == 400
    assert [error["field"] for error in answer.json()["errors"]] == ["month"]


@pytest.mark.parametrize(
    ("query", "fields"),
    [("month=2026-11&month=2026-10", ["month"]), ("status=paid&type=gift", ["status", "type"])],
)
def test_filters_given_twice_or_not_understood_are_400s_naming_each(client, ambassador, query, fields):
    client.force_login(ambassador.user)
    answer = client.get(f"/api/v1/me/rebate-orders?{query}")
    assert answer.status_code == 400 and [error["field"] for error in answer.json()["errors"]] == fields


@time_machine.travel(datetime(2026, 12, 1, 12, tzinfo=SHANGHAI), tick=False)
def test_the_month_filter_of_the_api(client, ambassador):
    an_order(ambassador)  # placed a day ago: in November
    client.force_login(ambassador.user)
    assert len(client.get("/api/v1/me/rebate-orders", {"month": "2026-11"}).json()["results"]) == 1
    assert client.get("/api/v1/me/rebate-orders", {"month": "2026-12"}).json()["results"] == []
    assert client.get("/api/v1/me/rebate-orders", {"month": ""}).json()["results"] != []
