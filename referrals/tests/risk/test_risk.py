"""Risk control (R9.3, R6.3, R4.4): same-person cases on the desk, the suspect-share
hold at and around its threshold, the refund rating that blacklists, and staff decisions."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ambassadors.identity import identity_signal_record
from ambassadors.services import ambassador_blacklist_lift
from ambassadors.tests.factories import UserFactory
from portal.kernel.audit import audit_trail
from portal.kernel.errors import PortalError
from referrals.attribution.services import association_apply, customer_segment_set
from referrals.models import Association, AssociationRefusal, EndReason, Order, Reason, RiskCase, RiskVerdict, RuleSet
from referrals.rebates.services import customer_orders_rejudge
from referrals.risk.rules import ShareFigures, refund_rating, share_exceeded
from referrals.risk.selectors import rating_of, share_figures
from referrals.risk.services import risk_case_decide, risk_scan
from referrals.tests.rebates.test_orders import apply, associate, at
from referrals.tests.visits import visit_to

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 26)


@pytest.fixture
def reviewer():
    return UserFactory(is_staff=True)


def same_person_order(ambassador, billing_id="sp-1", kind="device"):
    customer = UserFactory()
    associate(customer, ambassador, "2026-11-01 09:00")
    identity_signal_record(user=customer, kind=kind, value_hash=f"{billing_id}-shared", source="login")
    identity_signal_record(user=ambassador.user, kind=kind, value_hash=f"{billing_id}-shared", source="login")
    return apply(customer, billing_id)


def test_a_same_person_order_opens_a_case_naming_the_signal(ambassador, current_rules):
    order = same_person_order(ambassador, kind="phone")
    case = RiskCase.objects.get()
    assert (case.kind, case.order, case.signals, case.status) == (
        RiskCase.Kind.SAME_PERSON_ORDER, order, "phone", RiskCase.Status.OPEN,
    )  # fmt: skip
    customer_orders_rejudge(order.customer, today=TODAY)  # judged again: still one open case
    assert RiskCase.objects.count() == 1


def test_clearing_a_same_person_case_pays_the_order_and_is_audited_on_it(ambassador, current_rules, reviewer):
    order = same_person_order(ambassador)
    risk_case_decide(
        case=RiskCase.objects.get(), verdict=RiskVerdict.CLEARED, actor=reviewer, reason="家人代付", today=TODAY
    )
    order.refresh_from_db()
    assert (order.reason, order.rebate, order.risk_verdict) == ("", Decimal("250.00"), RiskVerdict.CLEARED)
    entry = audit_trail(order).get(action="risk.cleared")
    assert (entry.actor, entry.reason, entry.before["reason"], entry.after["reason"]) == (
        reviewer, "家人代付", Reason.SAME_PERSON, "",
    )  # fmt: skip
    customer_orders_rejudge(order.customer, today=TODAY)  # the signals do not overrule the desk
    order.refresh_from_db()
    assert order.reason == ""


def test_confirming_keeps_the_order_invalid_and_a_reason_is_required(ambassador, current_rules, reviewer):
    order = same_person_order(ambassador)
    case = RiskCase.objects.get()
    with pytest.raises(PortalError):
        risk_case_decide(case=case, verdict=RiskVerdict.CONFIRMED, actor=reviewer, reason="  ", today=TODAY)
    risk_case_decide(case=case, verdict=RiskVerdict.CONFIRMED, actor=reviewer, reason="同一设备", today=TODAY)
    order.refresh_from_db()
    assert (order.reason, order.risk_verdict) == (Reason.SAME_PERSON, RiskVerdict.CONFIRMED)
    case.refresh_from_db()
    assert (case.status, case.decided_by, case.decision_reason) == (RiskCase.Status.CONFIRMED, reviewer, "同一设备")
    with pytest.raises(PortalError):
        risk_case_decide(case=case, verdict=RiskVerdict.CLEARED, actor=reviewer, reason="again", today=TODAY)


def test_a_late_signal_rejudges_unsettled_orders_and_leaves_settled_ones(ambassador, current_rules):
    """R9.1: a signal after the fact makes the unsettled order invalid; the settled one keeps
    its rebate (a settled rebate only changes through a refund's clawback, R6.2)."""
    customer = UserFactory()
    associate(customer, ambassador, "2026-09-20 09:00")
    settled = apply(customer, "old", placed="2026-09-25 10:00", paid="2026-09-25 10:05", period_days=30)
    associate(customer, ambassador, "2026-11-20 09:00")
    identity_signal_record(user=customer, kind="address", value_hash="same-home", source="billing")
    identity_signal_record(user=ambassador.user, kind="address", value_hash="same-home", source="billing")
    customer_orders_rejudge(customer, today=TODAY)
    settled.refresh_from_db()
    assert settled.settles_on <= TODAY and settled.rebate == Decimal("250.00")


@pytest.mark.parametrize("segment", ["cbm", "partner"])
def test_r9_4_cbm_and_partner_customers_earn_nothing_but_are_not_suspected(ambassador, current_rules, segment):
    """Billing says, after the visit, that the customer is a CBM's or a partner's: the order earns
    nothing for that reason, is not invalid, opens no case and does not count as suspect."""
    customer = UserFactory()
    associate(customer, ambassador, "2026-11-01 09:00")
    customer_segment_set(customer=customer, segment=segment, as_of=at("2026-11-05 09:00"))
    order = apply(customer, "segment-1")
    assert (order.reason, order.rebate, order.is_invalid, order.on_hold) == (Reason.CBM_OR_PARTNER, 0, False, False)
    assert not RiskCase.objects.exists()
    assert share_figures(since=at("2026-11-01 00:00"))[ambassador.pk] == ShareFigures(total=1, suspect=0)


def test_share_rules_at_and_around_the_threshold():
    threshold = Decimal("0.300")
    assert not share_exceeded(ShareFigures(10, 2), min_orders=5, threshold=threshold)
    assert share_exceeded(ShareFigures(10, 3), min_orders=5, threshold=threshold)  # at it
    assert share_exceeded(ShareFigures(10, 4), min_orders=5, threshold=threshold)
    assert not share_exceeded(ShareFigures(4, 4), min_orders=5, threshold=threshold)  # too few to judge


@pytest.mark.parametrize(("refunded", "held"), [(2, False), (3, True)])
def test_the_scan_holds_rebates_when_the_suspect_share_reaches_the_threshold(ambassador, current_rules, refunded, held):
    """R9.3: 10 paid orders in the window, 2 or 3 of them refunded (suspect); threshold 30%."""
    now = timezone.now()
    earlier = now - timedelta(hours=1)  # the visit comes before the order
    for number in range(10):
        customer = UserFactory()
        association_apply(customer=customer, visit=visit_to(ambassador, at=earlier), now=earlier)
        order = apply(customer, f"r-{number}", placed=_shanghai(now), paid=_shanghai(now), today=TODAY)
        if number < refunded:
            Order.objects.filter(pk=order.pk).update(refunded_amount=Decimal("100.00"))
    assert risk_scan(today=timezone.localdate())["held"] == int(held)
    assert RiskCase.objects.filter(kind=RiskCase.Kind.SUSPECT_SHARE).exists() == held
    earning = Order.objects.filter(ambassador=ambassador, reason="")
    assert set(earning.values_list("on_hold", flat=True)) == {held}


def test_clearing_a_hold_releases_it_and_confirming_invalidates_the_suspect_orders(ambassador, current_rules, reviewer):
    now = timezone.now()
    earlier = now - timedelta(hours=1)  # the visit comes before the order
    for number in range(5):
        customer = UserFactory()
        association_apply(customer=customer, visit=visit_to(ambassador, at=earlier), now=earlier)
        if number < 2:  # two customers on one device: suspect among customers (R9.3)
            identity_signal_record(user=customer, kind="device", value_hash="farm-phone", source="login")
        apply(customer, f"h-{number}", placed=_shanghai(now), paid=_shanghai(now), today=TODAY)
    risk_scan(today=timezone.localdate())
    case = RiskCase.objects.get(kind=RiskCase.Kind.SUSPECT_SHARE)
    assert case.details["suspect"] == 2 and Order.objects.filter(on_hold=True).count() == 5

    risk_case_decide(case=case, verdict=RiskVerdict.CONFIRMED, actor=reviewer, reason="刷单", today=TODAY)
    assert Order.objects.filter(on_hold=True).count() == 0
    assert Order.objects.filter(reason=Reason.SAME_PERSON, risk_verdict=RiskVerdict.CONFIRMED).count() == 2
    assert Order.objects.filter(reason="").count() == 3


def test_refund_rating_steps_down_and_blacklists_past_the_last():
    assert refund_rating(0, [3, 6, 10]) == ("A", False)
    assert refund_rating(3, [3, 6, 10]) == ("B", False)
    assert refund_rating(9, [3, 6, 10]) == ("C", False)
    assert refund_rating(10, [3, 6, 10]) == ("D", True)


def test_blacklisting_ends_associations_stops_the_link_and_new_orders_earn_nothing(ambassador, current_rules, reviewer):
    RuleSet.objects.filter(pk=current_rules.pk).update(refund_rating_steps=[1, 2])
    now = timezone.now()
    earlier = now - timedelta(hours=1)  # the visit comes before the order
    for number in range(2):
        customer = UserFactory()
        association_apply(customer=customer, visit=visit_to(ambassador, at=earlier), now=earlier)
        order = apply(customer, f"b-{number}", placed=_shanghai(now), paid=_shanghai(now), today=TODAY)
        Order.objects.filter(pk=order.pk).update(refunded_amount=Decimal("10.00"))
    waiting = UserFactory()
    later_visit = visit_to(ambassador, at=now)  # a click on the link, applied after the blacklisting
    association_apply(customer=waiting, visit=visit_to(ambassador, at=earlier), now=earlier)
    assert rating_of(ambassador) == "C"

    assert risk_scan(today=timezone.localdate())["blacklisted"] == 1
    later = timezone.now() + timedelta(minutes=2)
    ambassador.refresh_from_db()
    assert ambassador.blacklisted_at and "退款订单过多" in ambassador.blacklist_reason and not ambassador.can_refer
    association = Association.objects.get(customer=waiting)
    assert association.end_reason == EndReason.AMBASSADOR_BLACKLISTED
    newcomer = UserFactory()
    assert isinstance(association_apply(customer=newcomer, visit=later_visit, now=now), AssociationRefusal)
    assert not Association.objects.filter(customer=newcomer).exists()
    assert (
        apply(waiting, "after", placed=_shanghai(later), paid=_shanghai(later), today=TODAY).reason
        == Reason.OUTSIDE_WINDOW  # R4.1: the association ended when the blacklisting began
    )

    ambassador_blacklist_lift(ambassador=ambassador, actor=reviewer, reason="申诉通过")
    ambassador.refresh_from_db()
    assert ambassador.can_refer


def _shanghai(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def test_the_overview_explains_a_hold_without_the_detection_details(ambassador, current_rules, client):
    order = same_person_order(ambassador, "shown", kind="device")
    customer = UserFactory()
    associate(customer, ambassador, "2026-11-01 09:00")
    held = apply(customer, "held-1")
    Order.objects.filter(pk=held.pk).update(on_hold=True)
    client.force_login(ambassador.user)
    page = client.get("/center/").content.decode()
    assert "部分返利正在审核" in page
    for detail in ("同人", "设备", "占比", order.customer.email):
        assert detail not in page.split("部分返利正在审核")[1].split("</section>")[0]


def test_a_blacklisted_ambassador_reads_why_on_the_overview_and_the_link_page(ambassador, client, reviewer):
    from ambassadors.services import ambassador_blacklist

    ambassador_blacklist(ambassador=ambassador, actor=reviewer, reason="推广中存在误导宣传")
    client.force_login(ambassador.user)
    overview = client.get("/center/").content.decode()
    assert "你的推广资格已被暂停" in overview and "推广中存在误导宣传" in overview
    link_page = client.get("/center/link/").content.decode()
    assert "专属链接暂时失效" in link_page
