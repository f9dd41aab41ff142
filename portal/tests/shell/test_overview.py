"""概览 and `/api/v1/me/overview` read 已结算 and 可提现 from the ledger (R7.1, R10.2, R12.1)."""

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from ambassadors.tests.factories import VerifiedAmbassadorFactory
from payouts.ledger import balances_of
from payouts.models import Bucket, Entry, Posting
from payouts.settlement import settlement_run
from portal.shell.membership import membership_cancel
from referrals.tests.rebates.test_rebate_pages import make_order

pytestmark = pytest.mark.django_db
MOMENT = datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def pinned_clock():
    with time_machine.travel(MOMENT, tick=False):
        yield


def ledger_settled(ambassador):
    """What settlement runs have made withdrawable for the ambassador: the ledger's 已结算."""
    entries = Entry.objects.filter(
        ambassador=ambassador, bucket=Bucket.WITHDRAWABLE, posting__kind=Posting.Kind.SETTLEMENT
    )
    return entries.aggregate(total=Sum("amount", default=Decimal("0.00")))["total"]


def page_and_api(client, ambassador):
    client.force_login(ambassador.user)
    page = client.get(reverse("center:home"))
    api = client.get("/api/v1/me/overview").json()
    statuses = {row["order"]: row["status"] for row in client.get("/api/v1/me/rebate-orders").json()["results"]}
    return page, api, statuses


def test_r10_2_a_cancelled_ambassadors_rebates_read_alike_on_the_overview_the_api_and_the_ledger(client):
    ambassador = VerifiedAmbassadorFactory()
    settled = make_order(ambassador, "settled", rebate="40.00", days_ago=45)  # day 31 was 15 days ago
    due = make_order(ambassador, "due", rebate="25.00", days_ago=35)  # day 31 was 5 days ago
    make_order(ambassador, "recent", rebate="10.00", days_ago=1)
    settlement_run(timezone.localdate() - timedelta(days=10))  # settles the first only
    membership_cancel(ambassador=ambassador, actor=ambassador.user)  # R10.2: forfeits what was not withdrawn
    settlement_run(timezone.localdate())  # skips a cancelled ambassador: `due` never settles

    page, api, statuses = page_and_api(client, ambassador)
    overview = page.context["overview"]
    assert "注销作废" in client.get(reverse("center:orders"), {"status": "forfeited"}).content.decode()
    assert ledger_settled(ambassador) == Decimal("40.00")
    assert overview["all_time"].settled == Decimal(api["all_time"]["settled"]) == ledger_settled(ambassador)
    # What had not settled was forfeited (R10.2): nothing waits, as the ledger says.
    assert overview["all_time"].pending == Decimal(api["all_time"]["pending"]) == balances_of(ambassador).pending == 0
    assert statuses == {
        settled.billing_id: "settled",
        due.billing_id: "forfeited",
        f"o-{ambassador.pk}-recent": "forfeited",
    }
    assert overview["withdrawable"] == Decimal(api["withdrawable"]) == balances_of(ambassador).withdrawable == 0


def test_the_overview_shows_what_can_be_withdrawn(client):
    ambassador = VerifiedAmbassadorFactory()
    make_order(ambassador, "settled", rebate="40.00", days_ago=45)
    make_order(ambassador, "recent", rebate="10.00", days_ago=1)
    settlement_run(timezone.localdate())

    page, api, _ = page_and_api(client, ambassador)
    assert balances_of(ambassador).withdrawable == Decimal("40.00") == Decimal(api["withdrawable"])
    all_time = page.content.decode().split("累计")[1]
    assert "<dt>可提现</dt><dd>¥40.00</dd>" in all_time
