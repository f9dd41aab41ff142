"""R4 and the rules it draws on, through the pure decision function: one test per reason code
and per clause. Each test starts from an order that earns its rebate and changes one fact."""

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from referrals.models import OrderType, Reason, RiskVerdict
from referrals.rebates.rules import (
    AssociationFacts,
    CustomerFacts,
    OrderFacts,
    RuleFacts,
    bonus_settlement_date,
    makes_customer_old,
    order_type_of,
    rebate_decide,
    same_person,
    settlement_date,
)

ORDER = OrderFacts(
    kind="new",
    prepaid=True,
    trial=False,
    activity="",
    product_code="ecs",
    product_takes_first_purchase_slot=True,
    amount=Decimal("1000.00"),
    refunded_amount=Decimal("0.00"),
    paid=True,
)
NEW_CUSTOMER = CustomerFacts(
    segment="normal",
    old=False,
    first_purchase_slot_taken=False,
    product_bought_before=False,
    same_person_slot_taken=False,
)
ASSOCIATED = AssociationFacts(active_ambassador_id=7, ever_associated=True)
UNTIL_2019_03 = RuleFacts(
    rates={
        "member_first_purchase": Decimal("0.25"),
        "new_purchase": Decimal("0.15"),
        "renewal": Decimal("0.15"),
        "upgrade": Decimal("0.15"),
        "product_first_purchase": Decimal("0.15"),
    },
    rebate_product_codes=frozenset({"ecs", "rds", "vhost-shared"}),
    excluded_activities=frozenset({"double11"}),
)
FROM_2019_04 = replace(
    UNTIL_2019_03,
    rates={
        "member_first_purchase": Decimal("0.25"),
        "new_purchase": 0,
        "renewal": 0,
        "upgrade": 0,
        "product_first_purchase": 0,
    },
)


def decide(order=ORDER, customer=NEW_CUSTOMER, association=ASSOCIATED, rules=FROM_2019_04, same_person=False):
    return rebate_decide(order=order, customer=customer, association=association, rules=rules, same_person=same_person)


def test_a_member_first_purchase_earns_25_percent():
    result = decide()
    assert (result.reason, result.order_type, result.rate, result.rebate) == (
        "",
        OrderType.MEMBER_FIRST_PURCHASE,
        Decimal("0.25"),
        Decimal("250.00"),
    )


# R4: each reason code.


def test_r4_1_no_association():
    assert decide(association=AssociationFacts(None, ever_associated=False)).reason == Reason.NO_ASSOCIATION


def test_r4_1_outside_the_window():
    assert decide(association=AssociationFacts(None, ever_associated=True)).reason == Reason.OUTSIDE_WINDOW


def test_r4_2_unpaid():
    assert decide(order=replace(ORDER, paid=False)).reason == Reason.UNPAID


@pytest.mark.parametrize("segment", ["cbm", "partner"])
def test_r4_3_cbm_or_partner(segment):
    assert decide(customer=replace(NEW_CUSTOMER, segment=segment)).reason == Reason.CBM_OR_PARTNER


def test_r4_4_same_person():
    result = decide(same_person=True)
    assert (result.reason, result.rebate) == (Reason.SAME_PERSON, 0)


def test_r4_5_not_a_new_customer():
    assert decide(customer=replace(NEW_CUSTOMER, old=True)).reason == Reason.NOT_NEW_CUSTOMER


def test_r4_6_not_a_first_purchase_under_the_2019_04_terms():
    after_first = replace(NEW_CUSTOMER, first_purchase_slot_taken=True, product_bought_before=True)
    result = decide(customer=after_first)
    assert (result.reason, result.order_type) == (Reason.NOT_FIRST_PURCHASE, OrderType.NEW_PURCHASE)


def test_r4_7_not_a_rebate_product():
    assert decide(order=replace(ORDER, product_code="cdn")).reason == Reason.NOT_REBATE_PRODUCT


def test_r4_8_not_prepaid():
    assert decide(order=replace(ORDER, prepaid=False)).reason == Reason.NOT_PREPAID


def test_r4_9_activity_product():
    assert decide(order=replace(ORDER, activity="double11")).reason == Reason.ACTIVITY_PRODUCT
    assert decide(order=replace(ORDER, activity="spring")).reason == ""


def test_r4_10_refunded_in_full():
    assert decide(order=replace(ORDER, refunded_amount=Decimal("1000.00"))).reason == Reason.REFUNDED


def test_the_first_failing_condition_is_the_one_reported():
    everything_wrong = replace(ORDER, paid=False, prepaid=False, product_code="cdn", activity="double11")
    result = decide(
        order=everything_wrong,
        customer=replace(NEW_CUSTOMER, segment="cbm", old=True),
        association=AssociationFacts(None, ever_associated=False),
        same_person=True,
    )
    assert result.reason == Reason.NO_ASSOCIATION
    assert decide(order=everything_wrong, customer=replace(NEW_CUSTOMER, segment="cbm")).reason == Reason.UNPAID


def test_without_any_published_rules_nothing_is_a_rebate_product():
    assert decide(rules=None).reason == Reason.NOT_REBATE_PRODUCT


# R1: new and old customers; R2: the member first purchase.


@pytest.mark.parametrize(
    "first_order",
    [
        replace(ORDER, trial=True),
        replace(ORDER, amount=Decimal("0")),
        replace(ORDER, product_takes_first_purchase_slot=False),  # a domain
        replace(ORDER, paid=False),
    ],
)
def test_r2_2_and_r2_3_trials_free_orders_domains_and_unpaid_orders_take_no_slot(first_order):
    assert not first_order.takes_first_purchase_slot


def test_r2_1_the_first_paid_slot_taking_order_is_the_member_first_purchase():
    assert order_type_of(ORDER, NEW_CUSTOMER) == OrderType.MEMBER_FIRST_PURCHASE
    assert (
        order_type_of(ORDER, replace(NEW_CUSTOMER, first_purchase_slot_taken=True)) != OrderType.MEMBER_FIRST_PURCHASE
    )


def test_r2_4_a_same_person_accounts_first_purchase_uses_the_slot():
    result = decide(customer=replace(NEW_CUSTOMER, same_person_slot_taken=True))
    # The FAQ names this reason apart (⑤客户的同人账号已发生首购): the order is this
    # account's member first purchase, so "not a member first purchase" would contradict it.
    assert (result.reason, result.order_type, result.rebate) == (
        Reason.SAME_PERSON_SLOT_TAKEN,
        OrderType.MEMBER_FIRST_PURCHASE,
        0,
    )
    assert Reason.SAME_PERSON_SLOT_TAKEN.label == "客户的同人账号已发生首购"


def test_r4_6_a_month_paying_nothing_for_member_first_purchases_says_so():
    nothing_for_first_purchases = replace(
        FROM_2019_04, rates={**FROM_2019_04.rates, "member_first_purchase": Decimal("0")}
    )
    result = decide(rules=nothing_for_first_purchases)
    assert (result.reason, result.order_type) == (Reason.TYPE_NOT_REBATED, OrderType.MEMBER_FIRST_PURCHASE)
    # It comes before R2.4: the month's terms, not the slot, are why it earns nothing.
    twin_used_the_slot = replace(NEW_CUSTOMER, same_person_slot_taken=True)
    assert decide(customer=twin_used_the_slot, rules=nothing_for_first_purchases).reason == Reason.TYPE_NOT_REBATED


@given(
    kind=st.sampled_from(["new", "renew", "upgrade"]),
    trial=st.booleans(),
    slot_product=st.booleans(),
    paid=st.booleans(),
    slot_taken=st.booleans(),
    bought_before=st.booleans(),
    same_person_slot_taken=st.booleans(),
    rates=st.fixed_dictionaries(
        {order_type: st.sampled_from([Decimal("0"), Decimal("0.15")]) for order_type in OrderType}
    ),
)
def test_r4_6_no_member_first_purchase_is_refused_as_not_a_member_first_purchase(
    kind, trial, slot_product, paid, slot_taken, bought_before, same_person_slot_taken, rates
):
    result = decide(
        order=replace(ORDER, kind=kind, trial=trial, product_takes_first_purchase_slot=slot_product, paid=paid),
        customer=replace(
            NEW_CUSTOMER,
            first_purchase_slot_taken=slot_taken,
            product_bought_before=bought_before,
            same_person_slot_taken=same_person_slot_taken,
        ),
        rules=replace(FROM_2019_04, rates=rates),
    )
    if result.reason == Reason.NOT_FIRST_PURCHASE:
        assert result.order_type != OrderType.MEMBER_FIRST_PURCHASE
    if result.reason in (Reason.SAME_PERSON_SLOT_TAKEN, Reason.TYPE_NOT_REBATED):
        assert result.order_type == OrderType.MEMBER_FIRST_PURCHASE


def test_r1_a_customer_whose_first_order_was_a_host_is_still_new_and_can_earn_under_the_old_terms():
    # R1.1: a shared virtual host took the slot but did not make the customer old.
    after_host = replace(NEW_CUSTOMER, first_purchase_slot_taken=True)
    result = decide(customer=after_host, rules=UNTIL_2019_03)
    assert (result.reason, result.order_type, result.rebate) == (
        "",
        OrderType.PRODUCT_FIRST_PURCHASE,
        Decimal("150.00"),
    )


# R5.3: up to March 2019 every kind of order earned; from April 2019 only member first purchases.


@pytest.mark.parametrize(
    ("kind", "bought_before", "order_type"),
    [
        ("renew", True, OrderType.RENEWAL),
        ("upgrade", True, OrderType.UPGRADE),
        ("new", True, OrderType.NEW_PURCHASE),
        ("new", False, OrderType.PRODUCT_FIRST_PURCHASE),
    ],
)
def test_r5_3_other_order_types_earn_15_percent_until_2019_03_and_nothing_after(kind, bought_before, order_type):
    customer = replace(NEW_CUSTOMER, first_purchase_slot_taken=True, product_bought_before=bought_before)
    order = replace(ORDER, kind=kind)
    before = decide(order=order, customer=customer, rules=UNTIL_2019_03)
    after = decide(order=order, customer=customer, rules=FROM_2019_04)
    assert (before.order_type, before.rebate, before.reason) == (order_type, Decimal("150.00"), "")
    assert (after.rebate, after.reason) == (0, Reason.NOT_FIRST_PURCHASE)


# R6.1: a refund recomputes the rebate on what the customer kept.


def test_r6_1_a_partial_refund_reduces_the_rebate_to_the_kept_part():
    # 1000 bought for 360 days, 90 days used: 250 kept, so 25% of 250.
    result = decide(order=replace(ORDER, refunded_amount=Decimal("750.00")))
    assert (result.reason, result.rebate) == ("", Decimal("62.50"))


def test_rounding_is_half_up_to_the_fen():
    assert decide(order=replace(ORDER, amount=Decimal("0.06"))).rebate == Decimal("0.02")  # 0.015 → 0.02


# The rules the services apply around the decision, each a pure function.


@pytest.mark.parametrize(
    ("cloud_product", "amount", "trial", "old"),
    [
        (True, Decimal("100.00"), False, True),  # R1.2: a paid cloud product
        (True, Decimal("0.00"), False, False),  # a 0-yuan purchase
        (True, Decimal("100.00"), True, False),  # a free trial
        (False, Decimal("100.00"), False, False),  # a domain or a virtual host
    ],
)
def test_r1_1_free_trial_and_hosting_purchases_leave_a_customer_new(cloud_product, amount, trial, old):
    assert makes_customer_old(cloud_product=cloud_product, amount=amount, trial=trial) is old


@pytest.mark.parametrize(
    ("signals_shared", "verdict", "expected"),
    [
        (True, "", True),
        (False, "", False),
        (True, RiskVerdict.CLEARED, False),  # the desk cleared it: paid as if nothing linked them
        (False, RiskVerdict.CONFIRMED, True),  # the desk confirmed it: invalid whatever the signals say now
    ],
)
def test_r4_4_same_person_from_the_signals_unless_the_desk_ruled(signals_shared, verdict, expected):
    assert same_person(signals_shared=signals_shared, risk_verdict=verdict) is expected


def test_r7_1_an_order_settles_on_day_31_after_payment():
    assert settlement_date(date(2026, 4, 1)) == date(2026, 5, 1)
    assert settlement_date(date(2026, 1, 31)) == date(2026, 3, 2)
    assert settlement_date(None) is None  # unpaid: never settles


@pytest.mark.parametrize(
    ("quarter", "settles_on"),
    [(date(2026, 1, 1), date(2026, 5, 1)), (date(2026, 10, 1), date(2027, 2, 1))],
)
def test_r7_2_extra_rebates_settle_in_the_month_after_next(quarter, settles_on):
    assert bonus_settlement_date(quarter) == settles_on


def test_r12_5_every_reason_the_rule_book_names_is_a_code_with_its_own_sentence():
    """Each reason code that R2 and R4 name is one of the order's reasons, and no two reasons
    share a sentence, in Chinese or in English: the page answers "why nothing?" with the one
    reason that applies."""
    rule_book = (Path(__file__).resolve().parents[3] / "docs" / "RULES.md").read_text()
    sections = "".join(
        rule_book[rule_book.index(f"## {start} ") : rule_book.index(f"## {end} ")]
        for start, end in (("R2", "R3"), ("R4", "R5"))
    )
    named = set(re.findall(r"`([A-Z][A-Z_]{4,})`", sections))
    assert "SAME_PERSON_SLOT_TAKEN" in named and "TYPE_NOT_REBATED" in named
    assert named == set(Reason.values)
    for language in ("zh-hans", "en"):
        with translation.override(language):
            sentences = [str(label) for label in Reason.labels]
        assert len(set(sentences)) == len(sentences), (language, sentences)
