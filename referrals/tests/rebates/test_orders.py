"""Orders through the whole engine: snapshots, association at the time, rule sets by month,
refunds before and after settlement (R1, R2, R4, R5, R6, R8)."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from ambassadors.identity import identity_signal_record
from ambassadors.tests.factories import UserFactory
from portal.kernel.staff import OPERATIONS
from referrals.attribution.services import association_apply
from referrals.models import CustomerProfile, EndReason, Order, OrderType, Product, Reason, RebateChange
from referrals.rebates.rule_sets import rule_set_correct, rule_set_publish
from referrals.rebates.selectors import rebate_orders_of
from referrals.rebates.services import OrderSnapshot, order_snapshot_apply
from referrals.tests.staff import staff_in
from referrals.tests.visits import visit_to

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def customer():
    return UserFactory()


def associate(customer, ambassador, when):
    return association_apply(customer=customer, visit=visit_to(ambassador, at=at(when)), now=at(when))


def snapshot(
    customer, billing_id="o1", *, product="ecs", placed="2026-11-10 10:00", paid="2026-11-10 10:05", **changes
):
    values = {
        "billing_id": billing_id,
        "customer": customer,
        "product": Product.objects.get(code=product),
        "billing": "prepaid",
        "kind": "new",
        "trial": False,
        "activity": "",
        "amount": Decimal("1000.00"),
        "period_days": 360,
        "placed_at": at(placed),
        "status": "paid" if paid else "unpaid",
        "paid_at": at(paid) if paid else None,
        "refunded_amount": Decimal("0.00"),
        "refunded_at": None,
        "version": 1,
    }
    return OrderSnapshot(**(values | changes))


def apply(*args, today=date(2026, 11, 26), **kwargs):
    order_snapshot_apply(snapshot(*args, **kwargs), today=today)
    return Order.objects.get(billing_id=kwargs.get("billing_id", args[1] if len(args) > 1 else "o1"))


def test_a_member_first_purchase_inside_the_window_earns_and_settles_on_day_31(customer, ambassador, current_rules):
    associate(customer, ambassador, "2026-11-01 09:00")
    order = apply(customer)
    assert (order.reason, order.order_type, order.rebate, order.ambassador) == (
        "",
        OrderType.MEMBER_FIRST_PURCHASE,
        Decimal("250.00"),
        ambassador,
    )
    assert order.rule_set == current_rules and order.rate == Decimal("0.25")
    assert order.settles_on == date(2026, 12, 10)  # R7.1: paid 11-10, settles on day 31
    assert [(c.cause, c.before, c.after) for c in order.rebate_changes.all()] == [("decision", 0, Decimal("250.00"))]


def test_r7_1_the_settlement_date_follows_the_shanghai_calendar(customer, ambassador, current_rules):
    associate(customer, ambassador, "2026-11-01 09:00")
    order = apply(customer, placed="2026-11-30 23:50", paid="2026-11-30 23:59")  # 15:59 UTC
    assert order.settles_on == date(2026, 12, 30)


def test_r4_1_an_order_placed_after_the_window_earns_nothing(customer, ambassador, current_rules):
    associate(customer, ambassador, "2026-10-01 09:00")
    assert apply(customer).reason == Reason.OUTSIDE_WINDOW


def test_r4_1_an_order_of_a_customer_never_associated(customer, current_rules):
    order = apply(customer)
    assert (order.reason, order.ambassador) == (Reason.NO_ASSOCIATION, None)


def test_r8_1_an_unpaid_order_takes_no_slot(customer, ambassador, current_rules):
    associate(customer, ambassador, "2026-11-01 09:00")
    unpaid = apply(customer, "o1", placed="2026-11-05 10:00", paid=None)
    paid = apply(customer, "o2", placed="2026-11-06 10:00", paid="2026-11-06 10:01")
    assert unpaid.reason == Reason.UNPAID
    assert (paid.order_type, paid.reason) == (OrderType.MEMBER_FIRST_PURCHASE, "")


@pytest.mark.parametrize(
    "first",
    [
        {"product": "domain"},
        {"trial": True},
        {"amount": Decimal("0.00")},
    ],
)
def test_r1_1_and_r2_2_free_trial_and_domain_orders_leave_the_customer_new_and_the_slot_free(
    customer, ambassador, current_rules, first
):
    associate(customer, ambassador, "2026-11-01 09:00")
    apply(customer, "o1", placed="2026-11-05 10:00", paid="2026-11-05 10:01", **first)
    second = apply(customer, "o2", placed="2026-11-06 10:00", paid="2026-11-06 10:01")
    assert (second.order_type, second.reason, second.rebate) == (OrderType.MEMBER_FIRST_PURCHASE, "", Decimal("250.00"))


def test_r1_2_a_paid_cloud_product_makes_the_customer_old_and_ends_the_association(customer, ambassador, current_rules):
    associate(customer, ambassador, "2026-11-01 09:00")
    apply(customer, "o1", placed="2026-11-05 10:00", paid="2026-11-05 10:01")
    second = apply(customer, "o2", placed="2026-11-06 10:00", paid="2026-11-06 10:01")
    # R3.4 ended the association at the first payment, so R4.1 fails first.
    assert second.reason == Reason.OUTSIDE_WINDOW
    assert CustomerProfile.objects.get(customer=customer).became_old_at == at("2026-11-05 10:01")


def test_r1_3_and_r2_1_a_payment_arriving_late_rejudges_the_later_order(customer, ambassador, current_rules):
    associate(customer, ambassador, "2026-11-01 09:00")
    later = apply(customer, "o2", placed="2026-11-06 10:00", paid="2026-11-06 10:01")
    assert later.order_type == OrderType.MEMBER_FIRST_PURCHASE
    # Billing now reports an earlier shared virtual host, paid before o2: it took the slot.
    apply(customer, "o1", product="vhost-shared", placed="2026-11-03 10:00", paid="2026-11-03 10:01")
    later.refresh_from_db()
    assert (later.order_type, later.reason, later.rebate) == (
        OrderType.PRODUCT_FIRST_PURCHASE,
        Reason.NOT_FIRST_PURCHASE,
        0,
    )
    assert later.rebate_changes.last().cause == RebateChange.Cause.REJUDGED


def test_r2_4_a_same_person_accounts_first_purchase_uses_the_slot(customer, ambassador, current_rules):
    twin = UserFactory()
    identity_signal_record(user=twin, kind="phone", value_hash="same-phone", source="billing")
    identity_signal_record(user=customer, kind="phone", value_hash="same-phone", source="billing")
    apply(twin, "twin-1", placed="2026-11-02 10:00", paid="2026-11-02 10:01")
    associate(customer, ambassador, "2026-11-03 09:00")
    order = apply(customer, "o1")
    assert (order.reason, order.order_type) == (Reason.SAME_PERSON_SLOT_TAKEN, OrderType.MEMBER_FIRST_PURCHASE)


def test_r2_4_the_order_admin_names_the_same_person_first_purchase(client, customer, ambassador, current_rules):
    twin = UserFactory()
    identity_signal_record(user=twin, kind="phone", value_hash="same-phone", source="billing")
    identity_signal_record(user=customer, kind="phone", value_hash="same-phone", source="billing")
    apply(twin, "twin-1", placed="2026-11-02 10:00", paid="2026-11-02 10:01")
    associate(customer, ambassador, "2026-11-03 09:00")
    apply(customer, "o1")
    client.force_login(staff_in(OPERATIONS))
    page = client.get(reverse("admin:referrals_order_changelist"), {"q": "o1"}).content.decode()
    row = page[page.index('<table id="result_list">') :].split("</table>")[0].split("<tbody>")[1]
    assert "会员首购" in row and "客户的同人账号已发生首购" in row
    assert "不是会员首购" not in row


def test_r4_4_same_person_orders_are_invalid_and_listed(customer, ambassador, current_rules):
    """R9.2: the ambassador's own second account, found to share their device after the visit,
    buys through their link: a same-person order, no rebate."""
    associate(customer, ambassador, "2026-11-01 09:00")
    identity_signal_record(user=customer, kind="device", value_hash="one-laptop", source="login")
    identity_signal_record(user=ambassador.user, kind="device", value_hash="one-laptop", source="login")
    order = apply(customer)
    assert (order.reason, order.is_invalid, order.rebate) == (Reason.SAME_PERSON, True, 0)


def test_r4_9_activity_products_and_r4_8_postpaid(customer, ambassador, current_rules):
    associate(customer, ambassador, "2026-11-01 09:00")
    assert apply(customer, "o1", activity="promo").reason == Reason.ACTIVITY_PRODUCT
    other = UserFactory()
    associate(other, ambassador, "2026-11-01 09:00")
    assert apply(other, "o2", billing="postpaid").reason == Reason.NOT_PREPAID


# R5: the rules of the month the order was placed in.


def test_r5_3_and_r5_4_the_2019_04_transition_with_an_association_spanning_it(customer, ambassador):
    # Virtual hosts leave the customer new (R1.1), so the association runs across 04-01.
    associate(customer, ambassador, "2019-03-20 09:00")
    options = {"today": date(2019, 4, 10)}
    first = apply(customer, "o1", product="vhost-shared", placed="2019-03-25 10:00", paid="2019-03-25 10:01", **options)
    march = apply(
        customer, "o2", product="vhost-dedicated", placed="2019-03-28 10:00", paid="2019-03-28 10:01", **options
    )
    april = apply(
        customer,
        "o3",
        product="vhost-shared",
        kind="renew",
        placed="2019-04-02 10:00",
        paid="2019-04-02 10:01",
        **options,
    )
    assert (first.order_type, first.rebate) == (OrderType.MEMBER_FIRST_PURCHASE, Decimal("250.00"))
    # Placed before 04-01: judged by the old terms, 15% for a product first purchase (R5.4).
    assert (march.order_type, march.rebate, march.rule_set.month) == (
        OrderType.PRODUCT_FIRST_PURCHASE,
        Decimal("150.00"),
        date(2018, 8, 1),
    )
    # Placed after 04-01 inside the same association: not a member first purchase, nothing.
    assert (april.ambassador, april.order_type, april.reason, april.rebate, april.rule_set.month) == (
        ambassador,
        OrderType.RENEWAL,
        Reason.NOT_FIRST_PURCHASE,
        0,
        date(2019, 4, 1),
    )


def test_r5_2_a_member_first_purchase_in_april_2019_earns_25_percent(customer, ambassador):
    associate(customer, ambassador, "2019-03-30 09:00")
    order = apply(customer, placed="2019-04-02 10:00", paid="2019-04-02 10:01", today=date(2019, 4, 10))
    assert (order.rebate, order.rule_set.month) == (Decimal("250.00"), date(2019, 4, 1))


def test_r5_6_a_correction_does_not_change_rebates_already_computed(customer, ambassador, current_rules):
    associate(customer, ambassador, "2026-11-01 09:00")
    first = apply(customer)
    correction = rule_set_correct(rule_set=current_rules, actor=None)
    correction.member_first_purchase_rate = Decimal("0.30")
    correction.save()
    rule_set_publish(rule_set=correction, actor=None)
    refund = apply(
        customer, version=2, status="refunded", refunded_amount=Decimal("200.00"), refunded_at=at("2026-11-12 10:00")
    )
    assert first.rule_set == refund.rule_set == current_rules  # still v1
    assert refund.rebate == Decimal("200.00")  # 25% of the 800 kept


def test_a_published_rule_set_cannot_be_edited(current_rules):
    from django.core.exceptions import ValidationError

    current_rules.member_first_purchase_rate = Decimal("0.9")
    with pytest.raises(ValidationError):
        current_rules.save()


def test_publishing_adds_a_news_entry(current_rules):
    """R5.1: publishing a rule set announces it on 最新动态."""
    assert current_rules.news.title == "2026"


# R6: refunds reduce the rebate by actual use; after settlement the difference is a clawback.


def test_r6_1_and_r6_2_a_refund_before_settlement_shrinks_the_pending_rebate(customer, ambassador, current_rules):
    associate(customer, ambassador, "2026-11-01 09:00")
    apply(customer)
    order = apply(
        customer,
        version=2,
        status="refunded",
        refunded_amount=Decimal("750.00"),
        refunded_at=at("2026-11-20 10:00"),
        today=date(2026, 11, 26),
    )
    change = order.rebate_changes.last()
    assert (order.rebate, change.cause, change.delta, change.after_settlement) == (
        Decimal("62.50"),
        RebateChange.Cause.REFUND,
        Decimal("-187.50"),
        False,
    )


def test_r6_2_a_refund_after_day_30_is_a_clawback(customer, ambassador, current_rules):
    associate(customer, ambassador, "2026-11-01 09:00")
    apply(customer, today=date(2026, 11, 26))
    order = apply(
        customer,
        version=2,
        status="refunded",
        refunded_amount=Decimal("500.00"),
        refunded_at=at("2026-12-15 10:00"),
        today=date(2026, 12, 15),
    )
    change = order.rebate_changes.last()
    assert (change.delta, change.after_settlement) == (Decimal("-125.00"), True)


def test_r4_10_a_full_refund_earns_nothing_and_stays_listed_with_its_reason(customer, ambassador, current_rules):
    associate(customer, ambassador, "2026-11-01 09:00")
    apply(customer)
    order = apply(
        customer, version=2, status="refunded", refunded_amount=Decimal("1000.00"), refunded_at=at("2026-11-12 10:00")
    )
    assert (order.reason, order.rebate) == (Reason.REFUNDED, 0)
    assert list(rebate_orders_of(ambassador)) == [order]  # R8.3: still on 返利订单


def test_a_first_purchase_paid_the_moment_it_was_placed_still_earns(customer, ambassador, current_rules):
    associate(customer, ambassador, "2026-11-01 09:00")
    order = apply(customer, placed="2026-11-10 10:00", paid="2026-11-10 10:00")
    assert (order.reason, order.rebate) == ("", Decimal("250.00"))


def test_a_signal_arriving_after_the_order_makes_it_invalid(customer, ambassador, current_rules):
    from referrals.rebates.services import customer_orders_rejudge

    associate(customer, ambassador, "2026-11-01 09:00")
    order = apply(customer)
    assert order.reason == ""
    # Billing tells, late, that the ambassador uses the customer's phone (R9.1, R4.4).
    identity_signal_record(user=customer, kind="phone", value_hash="late-phone", source="billing")
    identity_signal_record(user=ambassador.user, kind="phone", value_hash="late-phone", source="billing")
    customer_orders_rejudge(ambassador.user, today=date(2026, 11, 26))
    order.refresh_from_db()
    assert (order.reason, order.rebate) == (Reason.SAME_PERSON, 0)
    assert order.rebate_changes.last().cause == RebateChange.Cause.REJUDGED


# Billing's times are whole seconds; visits keep microseconds (R4.1 at billing's precision).


def associated_at(customer, ambassador, when):
    return association_apply(customer=customer, visit=visit_to(ambassador, at=at(when)), now=at(when))


def test_an_order_placed_in_the_second_of_its_visit_is_associated_and_keeps_the_association(
    customer, ambassador, current_rules
):
    association = associated_at(customer, ambassador, "2026-11-10 12:00:00.700")
    # A shared virtual host: a paid member first purchase that leaves the customer new (R1.1, R2.2).
    order = apply(customer, product="vhost-shared", placed="2026-11-10 12:00:00", paid="2026-11-10 12:00:00")
    assert (order.ambassador, order.association, order.reason, order.rebate) == (
        ambassador,
        association,
        "",
        Decimal("250.00"),
    )
    association.refresh_from_db()
    assert (association.ended_at, association.end_reason) == (None, "")


def test_an_unpaid_order_in_the_second_of_its_visit_is_associated_and_ends_nothing(customer, ambassador, current_rules):
    association = associated_at(customer, ambassador, "2026-11-10 12:00:00.700")
    order = apply(customer, placed="2026-11-10 12:00:00", paid=None)
    assert (order.ambassador, order.reason) == (ambassador, Reason.UNPAID)
    association.refresh_from_db()
    assert association.ended_at is None


def test_a_cloud_order_paid_in_the_second_of_its_visit_earns_and_then_ends_the_association_by_r3_4(
    customer, ambassador, current_rules
):
    association = associated_at(customer, ambassador, "2026-11-10 12:00:00.700")
    order = apply(customer, placed="2026-11-10 12:00:00", paid="2026-11-10 12:00:00")
    assert (order.ambassador, order.reason, order.rebate) == (ambassador, "", Decimal("250.00"))
    # Paying made the customer old (R1.2), which ends the association (R3.4), not before it began.
    association.refresh_from_db()
    assert association.end_reason == EndReason.BECAME_OLD and association.ended_at >= association.started_at
    later = apply(customer, "o2", placed="2026-11-10 12:00:05", paid="2026-11-10 12:00:06")
    assert later.reason == Reason.OUTSIDE_WINDOW


def test_an_order_placed_the_second_before_the_visit_is_not_associated(customer, ambassador, current_rules):
    associated_at(customer, ambassador, "2026-11-10 12:00:00.000001")
    order = apply(customer, placed="2026-11-10 11:59:59", paid=None)
    assert (order.ambassador, order.reason) == (None, Reason.NO_ASSOCIATION)


def test_two_visits_in_the_orders_second_the_later_one_takes_the_order(customer, ambassador, current_rules):
    from ambassadors.tests.factories import VerifiedAmbassadorFactory

    rival = VerifiedAmbassadorFactory()
    associated_at(customer, ambassador, "2026-11-01 09:00")
    associated_at(customer, rival, "2026-11-10 12:00:00.300")  # last visit wins (R3.2)
    order = apply(customer, product="vhost-shared", placed="2026-11-10 12:00:00", paid="2026-11-10 12:00:00")
    assert (order.ambassador, order.reason) == (rival, "")
