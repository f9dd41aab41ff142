"""The risk desk's case page (R4.4, R9.3): the reviewer decides one case there, with a
reason, through the same service as the list's actions; the evidence reads as sentences
and a table of figures, not as the stored JSON."""

import pytest
from django.urls import reverse

from portal.kernel.models import AuditEntry
from portal.kernel.staff import FINANCE, RISK
from referrals.models import Reason, RiskCase
from referrals.risk.evidence import case_evidence, percent
from referrals.tests.risk.test_risk import same_person_order
from referrals.tests.staff import staff_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(client):
    member = staff_in(RISK)
    client.force_login(member)
    return member


def case_page(case):
    return reverse("admin:referrals_riskcase_change", args=[case.pk])


def decide(client, case, verdict, reason):
    return client.post(
        reverse("admin:referrals_riskcase_decide", args=[case.pk]), {"verdict": verdict, "reason": reason}
    )


def test_r4_4_the_case_page_offers_the_decision_and_confirms_with_a_reason(reviewer, client, ambassador, current_rules):
    order = same_person_order(ambassador, "page-1")
    case = RiskCase.objects.get()
    page = client.get(case_page(case)).content.decode()
    assert 'name="verdict" value="cleared"' in page and 'name="verdict" value="confirmed"' in page

    answer = decide(client, case, "confirmed", "同一设备下单，已核实")
    assert answer.status_code == 302 and answer.url == case_page(case)
    case.refresh_from_db()
    order.refresh_from_db()
    assert (case.status, case.decision_reason, case.decided_by) == (
        RiskCase.Status.CONFIRMED,
        "同一设备下单，已核实",
        reviewer,
    )
    assert order.reason == Reason.SAME_PERSON
    assert AuditEntry.objects.filter(action="risk.case_confirmed", reason="同一设备下单，已核实").count() == 1
    decided_page = client.get(case_page(case)).content.decode()
    assert "已确认该案件无效。" in decided_page
    assert 'name="verdict"' not in decided_page  # nothing left to decide


def test_clearing_on_the_case_page_pays_the_order(reviewer, client, ambassador, current_rules):
    order = same_person_order(ambassador, "page-2")
    decide(client, RiskCase.objects.get(), "cleared", "家人代付，购买者为独立客户")
    order.refresh_from_db()
    assert order.reason == "" and order.rebate > 0


def test_an_empty_reason_is_named_and_changes_nothing(reviewer, client, ambassador, current_rules):
    same_person_order(ambassador, "page-3")
    case = RiskCase.objects.get()
    answer = decide(client, case, "cleared", "   ")
    page = client.get(answer.url).content.decode()
    assert "请填写审核理由。" in page
    case.refresh_from_db()
    assert case.status == RiskCase.Status.OPEN
    assert not AuditEntry.objects.filter(action__startswith="risk.case_").exists()


def test_a_second_decision_is_refused_and_changes_nothing(reviewer, client, ambassador, current_rules):
    """A double click, or two reviewers at once: the first decision stands, audited once."""
    same_person_order(ambassador, "page-4")
    case = RiskCase.objects.get()
    decide(client, case, "cleared", "第一次")
    answer = decide(client, case, "confirmed", "第二次")
    assert "该案件已审核。" in client.get(answer.url).content.decode()
    case.refresh_from_db()
    assert (case.status, case.decision_reason) == (RiskCase.Status.CLEARED, "第一次")
    assert AuditEntry.objects.filter(action__startswith="risk.case_").count() == 1


def test_only_deciders_may_decide_and_only_by_post(client, ambassador, current_rules):
    same_person_order(ambassador, "page-5")
    case = RiskCase.objects.get()
    client.force_login(staff_in(FINANCE))
    assert decide(client, case, "cleared", "not mine").status_code == 403
    client.force_login(staff_in(RISK))
    assert client.get(reverse("admin:referrals_riskcase_decide", args=[case.pk])).status_code == 405
    case.refresh_from_db()
    assert case.status == RiskCase.Status.OPEN


def test_the_evidence_of_a_suspect_share_reads_as_sentences(reviewer, client, ambassador):
    case = RiskCase.objects.create(
        ambassador=ambassador,
        kind=RiskCase.Kind.SUSPECT_SHARE,
        details={"total": 7, "suspect": 3, "share": "0.429", "threshold": "0.30", "window_days": 30},
    )
    evidence = case_evidence(case)
    assert evidence.sentences[0] == "近 30 天已付款 7 单，其中可疑 3 单，占 42.9%，达到规则的 30%。"
    assert ("可疑占比", "42.9%") in evidence.figures and ("已付款订单", 7) in evidence.figures
    page = client.get(case_page(case)).content.decode()
    assert "近 30 天已付款 7 单，其中可疑 3 单" in page
    assert '"total"' not in page and "&quot;total&quot;" not in page


def test_the_evidence_of_a_same_person_order_names_the_signals(reviewer, ambassador, current_rules):
    same_person_order(ambassador, "page-6", kind="phone")
    evidence = case_evidence(RiskCase.objects.get())
    assert evidence.sentences[:2] == ["下单客户与云大使本人共用：手机号。", "按规则该订单暂判无效，等待审核。"]
    assert ("订单", "page-6") in evidence.figures


@pytest.mark.parametrize(("value", "shown"), [("0.429", "42.9%"), ("0.30", "30%"), ("1", "100%"), ("n/a", "n/a")])
def test_shares_read_as_percentages(value, shown):
    assert percent(value) == shown


def test_a_decided_case_no_longer_says_it_waits(reviewer, client, ambassador, current_rules):
    same_person_order(ambassador, "page-7", kind="device")
    case = RiskCase.objects.get()
    decide(client, case, "confirmed", "同一设备")
    case.refresh_from_db()
    assert case_evidence(case).sentences == ["下单客户与云大使本人共用：设备。"]
