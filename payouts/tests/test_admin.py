"""Finance in the admin: payouts, runs, the ledger and tax records to read, never to edit; one
action that asks Alipay; lists whose query count does not grow with their rows; the monthly
export pages, for those allowed only."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ambassadors.tests.factories import BoundAmbassadorFactory, UserFactory
from payouts.ledger import Line, balances_of, post
from payouts.models import Bucket, Posting, SettlementRun, TaxAssessment, Withdrawal
from payouts.settlement import settlement_run
from payouts.withdrawals import withdrawal_request
from portal.kernel.models import AuditEntry
from portal.kernel.staff import FINANCE, OPERATIONS
from portal.tests.kernel.test_months import HOSTILE_MONTHS
from referrals.models import QuarterlyBonus

from .helpers import paid_order
from .test_exports import csv_rows, exporter_without_identities, paid_withdrawal, staff_in, xlsx_rows

pytestmark = pytest.mark.django_db

LISTS = ["withdrawal", "settlementrun", "posting", "taxassessment"]


@pytest.fixture
def finance_member(db):
    return staff_in(FINANCE)


@pytest.fixture
def finance(client, finance_member):
    client.force_login(finance_member)
    return client


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


@pytest.fixture
def funded(bound_ambassador, current_rules):
    """¥1,000 withdrawable, and a settlement run that made it so."""
    paid_order(bound_ambassador, amount="4000.00", paid="2026-11-10 10:00")
    settlement_run(date(2026, 12, 10))
    return bound_ambassador


def unknown_withdrawal(ambassador, gateway, capture):
    """Paid by Alipay, but the answer never came: the state is unknown until someone asks."""
    gateway.script(None, "timeout_after_paying")
    with capture(execute=True):
        withdrawal = withdrawal_request(ambassador=ambassador, amount="300.00", request_token=uuid.uuid4())
    withdrawal.refresh_from_db()
    assert withdrawal.state == Withdrawal.State.UNKNOWN
    return withdrawal


def reconcile(client, withdrawals):
    return client.post(
        reverse("admin:payouts_withdrawal_changelist"),
        {"action": "reconcile", "_selected_action": [w.pk for w in withdrawals]},
        follow=True,
    )


@pytest.mark.parametrize("model", LISTS)
def test_finance_lists_in_a_constant_number_of_queries(finance, model):
    def queries_for(count):
        for number in range(count):
            ambassador = BoundAmbassadorFactory()
            withdrawal = paid_withdrawal(ambassador, "100.00", f"2026-11-{10 + number % 15} 10:00")
            day = date(2026, 11, 1 + number % 28)
            run = SettlementRun.objects.create(day=day, finished_at=timezone.now())  # one open run a day
            lines = [Line(ambassador.pk, Bucket.PAID_OUT, Decimal("1.00"))]
            post(key=f"test:{uuid.uuid4()}", kind=Posting.Kind.BONUS, lines=lines, withdrawal=withdrawal)
            post(key=f"test:{uuid.uuid4()}", kind=Posting.Kind.BONUS, lines=lines, settlement_run=run)
        with CaptureQueriesContext(connection) as captured:
            page = finance.get(reverse(f"admin:payouts_{model}_changelist"))
        assert page.status_code == 200
        return len(captured)

    assert queries_for(1) == queries_for(12)


def test_the_withdrawal_list_shows_masked_names_and_filters_by_month(finance):
    ambassador = BoundAmbassadorFactory(legal_name="王小明")
    november = paid_withdrawal(ambassador, "100.00", "2026-11-30 23:30")  # Shanghai: still November
    december = paid_withdrawal(ambassador, "200.00", "2026-12-01 08:00")
    url = reverse("admin:payouts_withdrawal_changelist")
    page = finance.get(url).content.decode()
    assert "王**" in page and "王小明" not in page
    assert "2026-11" in page and "2026-12" in page  # the month filter's choices
    page = finance.get(url, {"month": "2026-11"}).content.decode()
    assert november.out_biz_no in page and december.out_biz_no not in page
    assert "导出打款表" in page


@pytest.mark.parametrize("term", ["W{pk:012d}", "w{pk}", "{pk}"])
def test_withdrawals_are_found_by_out_biz_no(finance, term):
    ambassador = BoundAmbassadorFactory()
    wanted = paid_withdrawal(ambassador, "100.00", "2026-11-10 10:00")
    other = paid_withdrawal(ambassador, "200.00", "2026-11-11 10:00")
    page = finance.get(reverse("admin:payouts_withdrawal_changelist"), {"q": term.format(pk=wanted.pk)})
    assert wanted.out_biz_no in page.content.decode() and other.out_biz_no not in page.content.decode()
    by_alipay = finance.get(reverse("admin:payouts_withdrawal_changelist"), {"q": other.alipay_order_id})
    assert other.out_biz_no in by_alipay.content.decode()


def test_a_withdrawal_shows_its_postings_and_audit_trail(finance, funded, alipay_settings, alipay_gateway, capture):
    withdrawal = unknown_withdrawal(funded, alipay_gateway, capture)
    page = finance.get(reverse("admin:payouts_withdrawal_change", args=[withdrawal.pk])).content.decode()
    assert withdrawal.out_biz_no in page
    assert "提现申请" in page and "可提现 -¥300.00" in page and "提现中 +¥300.00" in page  # the posting
    # The audit trail as sentences, oldest first: who did what, and Alipay's code.
    asked = f"{funded.user.email} 申请提现 ¥300.00。"
    answered = "系统 记录支付宝的答复：处理中 → 结果确认中（代码 TIMEOUT）。"
    assert asked in page and answered in page and page.index(asked) < page.index(answered)
    assert "withdrawal.request" not in page and '{"state"' not in page
    assert 'name="_save"' not in page and "deletelink" not in page


@pytest.mark.parametrize("model", LISTS)
@pytest.mark.parametrize("who", ["finance", "superuser"])
def test_nobody_adds_changes_or_deletes_money_here(client, model, who):
    withdrawal = paid_withdrawal(BoundAmbassadorFactory(), "100.00", "2026-11-10 10:00")
    run = SettlementRun.objects.create(day=date(2026, 11, 1))
    row = {
        "withdrawal": withdrawal,
        "settlementrun": run,
        "posting": Posting.objects.create(key="test:1", kind=Posting.Kind.BONUS),
        "taxassessment": TaxAssessment.objects.get(),
    }[model]
    client.force_login(staff_in(FINANCE) if who == "finance" else UserFactory(is_staff=True, is_superuser=True))
    assert client.get(reverse(f"admin:payouts_{model}_add")).status_code == 403
    assert client.get(reverse(f"admin:payouts_{model}_delete", args=[row.pk])).status_code == 403
    change = reverse(f"admin:payouts_{model}_change", args=[row.pk])
    assert client.get(change).status_code == 200  # to view
    assert client.post(change, {"amount": "1000000.00", "state": "succeeded"}).status_code == 403
    listing = client.get(reverse(f"admin:payouts_{model}_changelist")).content.decode()
    assert reverse(f"admin:payouts_{model}_add") not in listing and "delete_selected" not in listing
    withdrawal.refresh_from_db()
    assert str(withdrawal.amount) == "100.00"


def test_finance_asks_alipay_and_an_unknown_withdrawal_is_resolved(
    finance, finance_member, funded, alipay_settings, alipay_gateway, capture
):
    withdrawal = unknown_withdrawal(funded, alipay_gateway, capture)
    done = paid_withdrawal(funded, "10.00", "2026-11-10 10:00")
    with capture(execute=True):
        page = reconcile(finance, [withdrawal, done]).content.decode()
    withdrawal.refresh_from_db()
    assert withdrawal.state == Withdrawal.State.SUCCEEDED
    assert withdrawal.alipay_order_id == alipay_gateway.payments[withdrawal.out_biz_no].order_id
    assert len(alipay_gateway.payments) == 1  # asked, not paid again
    assert balances_of(funded).in_payout == 0
    assert f"{withdrawal.out_biz_no}：结果确认中 → 已到账" in page
    assert "1 笔提现不在处理中或结果确认中，未查询" in page
    query = AuditEntry.objects.get(action="withdrawal.query")
    assert (query.actor, query.target_id, query.after) == (finance_member, str(withdrawal.pk), {"status": "succeeded"})


def test_a_just_submitted_withdrawal_is_not_asked_about_yet(finance, funded, alipay_settings, alipay_gateway):
    """Its transfer may still be on the wire: a "not found" now would send it again (STALE_AFTER)."""
    withdrawal = withdrawal_request(ambassador=funded, amount="300.00", request_token=uuid.uuid4())  # no task ran
    Withdrawal.objects.filter(pk=withdrawal.pk).update(
        state=Withdrawal.State.SUBMITTED, submitted_at=withdrawal.requested_at
    )
    page = reconcile(finance, [withdrawal]).content.decode()
    assert "刚提交" in page
    assert not alipay_gateway.requests
    withdrawal.refresh_from_db()
    assert withdrawal.state == Withdrawal.State.SUBMITTED


def test_the_action_needs_the_reconcile_permission(client, funded, alipay_settings, alipay_gateway, capture):
    withdrawal = unknown_withdrawal(funded, alipay_gateway, capture)
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_withdrawal"))
    client.force_login(viewer)
    listing = client.get(reverse("admin:payouts_withdrawal_changelist")).content.decode()
    assert "向支付宝查询结果" not in listing
    reconcile(client, [withdrawal])
    withdrawal.refresh_from_db()
    assert withdrawal.state == Withdrawal.State.UNKNOWN


@pytest.mark.parametrize("model", LISTS)
def test_operations_staff_see_no_money(client, model):
    client.force_login(staff_in(OPERATIONS))
    assert client.get(reverse(f"admin:payouts_{model}_changelist")).status_code == 403


def test_a_posting_shows_its_entries(finance, funded):
    posting = Posting.objects.filter(kind=Posting.Kind.SETTLEMENT).first()
    page = finance.get(reverse("admin:payouts_posting_change", args=[posting.pk])).content.decode()
    assert posting.key in page and "可提现" in page and "待结算" in page
    assert 'name="_save"' not in page


def test_the_tax_list_links_to_its_export(finance):
    paid_withdrawal(BoundAmbassadorFactory(), "100.00", "2026-11-10 10:00")
    page = finance.get(reverse("admin:payouts_taxassessment_changelist")).content.decode()
    assert "导出个税表" in page and "2026-11" in page


def test_the_export_page_answers_csv_streamed_and_xlsx_as_a_file(finance):
    ambassador = BoundAmbassadorFactory()
    for finished in ["2026-11-03 09:00", "2026-11-20 15:30", "2026-12-01 00:10"]:
        paid_withdrawal(ambassador, "100.00", finished)
    url = reverse("admin:payouts_withdrawal_export")
    page = finance.get(url).content.decode()
    assert 'type="month"' in page and "完整姓名与身份证号" in page  # finance is told it is in clear
    answer = finance.post(url, {"month": "2026-11", "format": "csv"})
    assert answer.streaming and answer["Content-Type"].startswith("text/csv")
    assert 'filename="payout-2026-11.csv"' in answer["Content-Disposition"]
    assert len(csv_rows(b"".join(answer.streaming_content))) == 3  # the header and November's two
    answer = finance.post(reverse("admin:payouts_taxassessment_export"), {"month": "2026-11", "format": "xlsx"})
    assert "tax-2026-11.xlsx" in answer["Content-Disposition"]
    assert len(xlsx_rows(b"".join(answer.streaming_content))) == 3  # the header, one ambassador, the totals
    assert AuditEntry.objects.filter(action="export.full_id_numbers").count() == 2


def test_an_exporter_without_the_identity_permission_is_told_the_sheet_is_masked(client):
    client.force_login(exporter_without_identities())
    assert "已打码" in client.get(reverse("admin:payouts_taxassessment_export")).content.decode()


@pytest.mark.parametrize("month", ["November", *HOSTILE_MONTHS])
@pytest.mark.parametrize("name", ["admin:payouts_withdrawal_export", "admin:payouts_taxassessment_export"])
def test_a_bad_month_shows_the_form_again_as_a_400_and_exports_nothing(finance, name, month):
    paid_withdrawal(BoundAmbassadorFactory(), "100.00", "2026-11-10 10:00")
    answer = finance.post(reverse(name), {"month": month, "format": "csv"})
    assert answer.status_code == 400 and not answer.streaming
    assert "errorlist" in answer.content.decode() and "Content-Disposition" not in answer
    assert not AuditEntry.objects.filter(action="export.full_id_numbers").exists()


@pytest.mark.parametrize("month", HOSTILE_MONTHS)
@pytest.mark.parametrize("model", ["withdrawal", "taxassessment"])
def test_a_month_filter_that_cannot_be_read_is_a_400_with_a_message(finance, model, month):
    paid_withdrawal(BoundAmbassadorFactory(), "100.00", "2026-11-10 10:00")
    answer = finance.get(reverse(f"admin:payouts_{model}_changelist"), {"month": month})
    assert answer.status_code == 400
    assert [str(message) for message in answer.context["messages"]][0].startswith("月份：")


@pytest.mark.parametrize("model", ["withdrawal", "taxassessment"])
def test_a_month_filter_given_twice_is_a_400_and_once_filters(finance, model):
    paid_withdrawal(BoundAmbassadorFactory(), "100.00", "2026-11-10 10:00")
    url = reverse(f"admin:payouts_{model}_changelist")
    assert finance.get(f"{url}?month=2026-11&month=2026-10").status_code == 400
    assert finance.get(url, {"month": "2026-11"}).context["cl"].result_count == 1
    assert finance.get(url, {"month": "2026-10"}).context["cl"].result_count == 0


@pytest.mark.parametrize("name", ["admin:payouts_withdrawal_export", "admin:payouts_taxassessment_export"])
def test_staff_without_the_export_permission_are_refused(client, name):
    client.force_login(staff_in(OPERATIONS))
    assert client.get(reverse(name)).status_code == 403
    assert client.post(reverse(name), {"month": "2026-11", "format": "csv"}).status_code == 403
    assert not AuditEntry.objects.exists()


def test_the_export_page_offers_the_latest_month_with_rows(finance):
    """Finance exports last month's payments most days, but not always: the month offered is the
    latest with payments (or tax records), not a month computed from today."""
    ambassador = BoundAmbassadorFactory()
    paid_withdrawal(ambassador, "100.00", "2026-09-30 23:30")  # Shanghai: September
    for name in ("admin:payouts_withdrawal_export", "admin:payouts_taxassessment_export"):
        form = finance.get(reverse(name)).context["form"]
        assert form["month"].value() == date(2026, 9, 1)
        assert 'value="2026-09"' in str(form["month"])


def test_the_export_link_carries_the_month_the_list_is_filtered_by(finance):
    ambassador = BoundAmbassadorFactory()
    paid_withdrawal(ambassador, "100.00", "2026-10-10 10:00")
    paid_withdrawal(ambassador, "100.00", "2026-11-10 10:00")
    page = finance.get(reverse("admin:payouts_withdrawal_changelist"), {"month": "2026-10"}).content.decode()
    assert 'href="export/?month=2026-10"' in page
    form = finance.get(reverse("admin:payouts_withdrawal_export"), {"month": "2026-10"}).context["form"]
    assert form["month"].value() == date(2026, 10, 1)


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("admin:payouts_withdrawal_export", "这个月没有到账的提现"),
        ("admin:payouts_taxassessment_export", "这个月没有个税记录"),
    ],
)
def test_a_month_without_rows_is_said_so_and_no_file_is_made(finance, name, why):
    paid_withdrawal(BoundAmbassadorFactory(), "100.00", "2026-12-10 10:00")
    answer = finance.post(reverse(name), {"month": "2026-11", "format": "xlsx"})
    assert answer.status_code == 200 and not answer.streaming and "Content-Disposition" not in answer
    page = answer.content.decode()
    assert f"2026-11 没有可导出的行：{why}。最近有数据的月份是 2026-12。" in page
    assert not AuditEntry.objects.filter(action="export.full_id_numbers").exists()  # nothing taken out


def test_a_month_without_rows_is_said_so_in_english(finance):
    finance.cookies["django_language"] = "en"
    answer = finance.post(reverse("admin:payouts_withdrawal_export"), {"month": "2026-11", "format": "csv"})
    assert "No rows for 2026-11: no withdrawal was paid that month." in answer.content.decode()


def test_the_ledger_lists_amounts_and_readable_causes(finance, funded, alipay_settings, capture):
    """Not `payout:1` but what moved and why: 结算 · 订单 …, 提现到账 · W…, with the amounts."""
    with capture(execute=True):
        withdrawal = withdrawal_request(ambassador=funded, amount="300.00", request_token=uuid.uuid4())
    order = Posting.objects.get(kind=Posting.Kind.SETTLEMENT).order
    page = finance.get(reverse("admin:payouts_posting_changelist")).content.decode()
    assert f"结算 · 订单 {order.billing_id}" in page
    assert f"返利变动 · 订单 {order.billing_id}" in page
    assert f"提现申请 · {withdrawal.out_biz_no}" in page and f"提现到账 · {withdrawal.out_biz_no}" in page
    assert "待结算 -¥1,000.00，可提现 +¥1,000.00" in page  # the settlement's entries
    assert ">¥1,000.00<" in page and ">¥300.00<" in page  # what each posting moved
    assert funded.masked_legal_name in page
    assert f">settlement:{order.pk}<" not in page and ">payout:" not in page


def test_a_tax_record_shows_its_rate_as_a_percentage(finance):
    withdrawal = paid_withdrawal(BoundAmbassadorFactory(), "6000.00", "2026-11-10 10:00")
    page = finance.get(reverse("admin:payouts_taxassessment_change", args=[withdrawal.tax_assessment.pk]))
    assert "20%" in page.content.decode() and "0.20" not in page.content.decode()


def test_the_desks_write_amounts_as_the_pages_do_and_the_sheets_keep_plain_figures(finance):
    """¥12,345.00 in the withdrawal and tax lists and pages (portal.kernel.admin_money); the
    exported sheet keeps the figure a spreadsheet reads."""
    withdrawal = paid_withdrawal(BoundAmbassadorFactory(), "12345.00", "2026-11-10 10:00")
    lists = [reverse("admin:payouts_withdrawal_changelist"), reverse("admin:payouts_taxassessment_changelist")]
    pages = [
        reverse("admin:payouts_withdrawal_change", args=[withdrawal.pk]),
        reverse("admin:payouts_taxassessment_change", args=[withdrawal.tax_assessment.pk]),
    ]
    for url in lists + pages:
        page = finance.get(url).content.decode()
        assert "¥12,345.00" in page and "12345.00" not in page, url
    tax = finance.get(lists[1]).content.decode()
    assert f"¥{withdrawal.tax_assessment.tax:,.2f}" in tax
    sheet = finance.post(reverse("admin:payouts_withdrawal_export"), {"month": "2026-11", "format": "csv"})
    cells = [cell for row in csv_rows(b"".join(sheet.streaming_content)) for cell in row]
    assert "12345.00" in cells and not any("12,345" in cell for cell in cells)


def test_change_pages_that_list_every_field_show_the_money_ones_as_yuan(admin_client, bound_ambassador, current_rules):
    """The order, its rebate change, a quarterly bonus and a settlement run: each amount in its
    place as ¥, never the plain figure (portal.kernel.admin_money.YuanFieldsMixin)."""
    order = paid_order(bound_ambassador, amount="49380.00", paid="2026-11-10 10:00")
    change = order.rebate_changes.get()
    bonus = QuarterlyBonus.objects.create(
        ambassador=bound_ambassador,
        quarter=date(2026, 10, 1),
        qualifying_orders=12,
        tier_min_orders=10,
        amount=Decimal("12345.00"),
        rule_set=current_rules,
        settles_on=date(2027, 1, 31),
    )
    run = SettlementRun.objects.create(day=date(2026, 12, 10), amount_settled=Decimal("12345.00"))
    pages = {
        reverse("admin:referrals_order_change", args=[order.pk]): [f"¥{order.amount:,.2f}", f"¥{order.rebate:,.2f}"],
        reverse("admin:referrals_rebatechange_change", args=[change.pk]): [f"¥{change.after:,.2f}"],
        reverse("admin:referrals_quarterlybonus_change", args=[bonus.pk]): ["¥12,345.00"],
        reverse("admin:payouts_settlementrun_change", args=[run.pk]): ["¥12,345.00"],
    }
    for url, amounts in pages.items():
        answer = admin_client.get(url)
        page = answer.content.decode()
        assert answer.status_code == 200, url
        for amount in amounts:
            assert amount in page, (url, amount)
            assert f">{amount[1:].replace(',', '')}<" not in page, (url, amount)  # not also the plain figure
