"""The data migration that gives each cause of R4.6's refusal of a member first purchase its own
reason: stored orders decided before it say what a decision says now."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from referrals.models import Order, Reason, RebateChange

BEFORE = ("referrals", "0016_event_retry_schedule")


def _order(apps, billing_id, *, order_type, rate, reason):
    customer = apps.get_model("portal", "User").objects.create(email=f"{billing_id}@example.com")
    return apps.get_model("referrals", "Order").objects.create(
        billing_id=billing_id,
        customer=customer,
        product=apps.get_model("referrals", "Product").objects.get(code="ecs"),
        billing="prepaid",
        kind="new",
        amount=Decimal("1000.00"),
        period_days=360,
        placed_at=datetime(2026, 11, 10, 2, tzinfo=UTC),
        status="paid",
        paid_at=datetime(2026, 11, 10, 2, 5, tzinfo=UTC),
        version=1,
        order_type=order_type,
        rate=rate,
        reason=reason,
    )


@pytest.mark.django_db(transaction=True)
def test_r2_4_and_r4_6_stored_refusals_of_member_first_purchases_get_their_own_reason(reference_data):
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    old = executor.loader.project_state([BEFORE]).apps
    twin_used_slot = _order(old, "twin", order_type="member_first_purchase", rate="0.25", reason="NOT_FIRST_PURCHASE")
    old.get_model("referrals", "RebateChange").objects.create(
        order=twin_used_slot, cause="decision", before=0, after=0, reason_after="NOT_FIRST_PURCHASE"
    )
    _order(old, "month-pays-none", order_type="member_first_purchase", rate="0", reason="NOT_FIRST_PURCHASE")
    _order(old, "renewal", order_type="renewal", rate="0", reason="NOT_FIRST_PURCHASE")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    reasons = dict(Order.objects.values_list("billing_id", "reason"))
    assert reasons == {
        "twin": Reason.SAME_PERSON_SLOT_TAKEN,
        "month-pays-none": Reason.TYPE_NOT_REBATED,
        "renewal": Reason.NOT_FIRST_PURCHASE,
    }
    assert RebateChange.objects.get(order__billing_id="twin").reason_after == Reason.SAME_PERSON_SLOT_TAKEN
