"""The risk desk in the admin (R9.3): the `risk` group decides cases with a reason, singly
and in bulk; nobody else can; the list is a constant number of queries; the audit
trail cannot be edited or deleted."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ambassadors.tests.factories import UserFactory
from portal.kernel.models import AuditEntry
from portal.kernel.staff import FINANCE, RISK
from referrals.attribution.services import association_apply
from referrals.models import Association, EndReason, Order, Reason, RiskCase
from referrals.tests.risk.test_risk import same_person_order
from referrals.tests.staff import staff_in
from referrals.tests.visits import visit_to

pytestmark = pytest.mark.django_db
DESK = reverse("admin:referrals_riskcase_changelist")


@pytest.fixture
def reviewer(client):
    member = staff_in(RISK)
    client.force_login(member)
    return member


def act(client, action, cases, reason=None):
    data = {"action": action, ACTION_CHECKBOX_NAME: [case.pk for case in cases]}
    if reason is not None:
        data["reason"] = reason
    return client.post(DESK, data)


def test_the_desk_lists_cases_in_a_constant_number_of_queries(reviewer, client, ambassador, current_rules):
    same_person_order(ambassador, "q-1")
    with CaptureQueriesContext(connection) as few:
        assert client.get(DESK).status_code == 200
    for number in range(2, 8):
        same_person_order(ambassador, f"q-{number}", kind="address")
    with CaptureQueriesContext(connection) as many:
        page = client.get(DESK)
    assert len(many) == len(few)
    assert page.content.decode().count("q-") >= 7


def test_the_desk_filters_by_signal_kind(reviewer, client, ambassador, current_rules):
    same_person_order(ambassador, "by-phone", kind="phone")
    same_person_order(ambassador, "by-device", kind="device")
    page = client.get(DESK, {"signal": "phone"}).content.decode()
    assert "by-phone" in page and "by-device" not in page


def test_a_reviewer_clears_one_and_confirms_another_with_reasons(reviewer, client, ambassador, current_rules):
    cleared_order = same_person_order(ambassador, "c-1")
    confirmed_order = same_person_order(ambassador, "c-2")
    first, second = RiskCase.objects.order_by("pk")

    asked = act(client, "clear_cases", [first])  # the first step asks for the reason
    assert asked.status_code == 200 and "理由" in asked.content.decode()
    assert act(client, "clear_cases", [first], reason="").status_code == 200  # an empty reason changes nothing
    first.refresh_from_db()
    assert first.status == RiskCase.Status.OPEN

    act(client, "clear_cases", [first], reason="家人代付，已核实")
    act(client, "confirm_cases", [second], reason="同一设备下单")
    cleared_order.refresh_from_db()
    confirmed_order.refresh_from_db()
    assert (cleared_order.reason, confirmed_order.reason) == ("", Reason.SAME_PERSON)
    order_page = client.get(reverse("admin:referrals_order_change", args=[cleared_order.pk])).content.decode()
    assert "家人代付，已核实" in order_page and "排除风险" in order_page


def test_bulk_decisions_need_one_reason(reviewer, client, ambassador, current_rules):
    for number in range(3):
        same_person_order(ambassador, f"b-{number}")
    act(client, "confirm_cases", RiskCase.objects.all(), reason="批量核实：同一团伙")
    assert set(RiskCase.objects.values_list("status", flat=True)) == {RiskCase.Status.CONFIRMED}
    assert AuditEntry.objects.filter(action="risk.case_confirmed").count() == 3


def test_a_finance_user_cannot_decide_a_risk_case(client, ambassador, current_rules):
    same_person_order(ambassador)
    client.force_login(staff_in(FINANCE))
    assert client.get(DESK).status_code == 403
    act(client, "clear_cases", RiskCase.objects.all(), reason="not mine to decide")
    assert RiskCase.objects.get().status == RiskCase.Status.OPEN
    assert Order.objects.get().reason == Reason.SAME_PERSON


def test_an_ambassador_cannot_reach_the_admin(client, ambassador):
    client.force_login(ambassador.user)
    answer = client.get(DESK)
    assert answer.status_code == 302 and "/admin/login/" in answer.url


def test_the_audit_trail_cannot_be_edited_or_deleted_in_the_admin(reviewer, client, ambassador, current_rules):
    same_person_order(ambassador)
    act(client, "clear_cases", RiskCase.objects.all(), reason="ok")
    entry = AuditEntry.objects.get(action="risk.case_cleared")
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    change = reverse("admin:portal_auditentry_change", args=[entry.pk])
    client.post(change, {"reason": "edited"})
    assert client.post(reverse("admin:portal_auditentry_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.reason == "ok"
    assert 'name="reason"' not in client.get(change).content.decode()


def test_staff_blacklist_in_the_admin_with_a_reason_and_the_customers_are_let_go(reviewer, client, ambassador):
    """R6.3 by hand: the ambassador admin's action asks for the reason, then blacklists and ends
    the associations in one step (referrals.risk.services.membership_blacklist); lifting undoes
    the first only."""
    customer = UserFactory()
    association_apply(customer=customer, visit=visit_to(ambassador))
    changelist = reverse("admin:ambassadors_ambassador_changelist")
    chosen = {ACTION_CHECKBOX_NAME: [ambassador.pk]}

    asked = client.post(changelist, {"action": "blacklist", **chosen})
    assert "填写理由" in asked.content.decode()
    ambassador.refresh_from_db()
    assert ambassador.blacklisted_at is None  # nothing changes without a reason

    client.post(changelist, {"action": "blacklist", **chosen, "reason": "推广中存在误导宣传"})
    ambassador.refresh_from_db()
    association = Association.objects.get(customer=customer)
    assert (ambassador.blacklist_reason, association.end_reason) == (
        "推广中存在误导宣传",
        EndReason.AMBASSADOR_BLACKLISTED,
    )
    assert association.ended_at == ambassador.blacklisted_at

    client.post(changelist, {"action": "lift_blacklist", **chosen, "reason": "申诉通过"})
    ambassador.refresh_from_db()
    assert ambassador.can_refer and Association.objects.get(customer=customer).ended_at is not None
