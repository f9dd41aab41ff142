"""返利订单, 概览, 任务与奖励, 最新动态 (R8.3, R12)."""

import csv
import html
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from ambassadors.tests.factories import UserFactory, VerifiedAmbassadorFactory
from portal.shell.api import PAGE_SIZE
from portal.tests.kernel.test_months import HOSTILE_MONTHS
from referrals.models import Order, Product, Reason, RebateChange, RuleSet
from referrals.rebates.ledger_port import rebate_ledger
from referrals.rebates.rule_sets import rule_set_publish
from referrals.rebates.selectors import RebateStatus

pytestmark = pytest.mark.django_db


def make_order(ambassador, number, *, reason="", rebate="25.00", days_ago=1, **fields):
    """An order decided as the rebate engine decides it: stored, its rebate posted to the ledger."""
    placed = timezone.now() - timedelta(days=days_ago)
    order = Order.objects.create(
        billing_id=f"o-{ambassador.pk}-{number}",
        customer=UserFactory(),
        product=Product.objects.get(code="ecs"),
        billing="prepaid",
        kind="new",
        amount=Decimal("100.00"),
        period_days=30,
        placed_at=placed,
        status="paid",
        paid_at=placed,
        version=1,
        ambassador=ambassador,
        order_type="member_first_purchase",
        rebate=Decimal(rebate),
        reason=reason,
        decided_at=placed,
        settles_on=timezone.localtime(placed).date() + timedelta(days=30),
        **fields,
    )
    change = RebateChange.objects.create(
        order=order, cause=RebateChange.Cause.DECISION, before=0, after=order.rebate, reason_after=reason
    )
    rebate_ledger().rebate_post(order=order, change=change)
    return order


def settle_today():
    """Today's settlement run, as the daily job makes it: the ledger settles what is due."""
    call_command("settle_rebates", date=timezone.localdate().isoformat(), stdout=io.StringIO())


def test_r8_3_only_compliant_invalid_and_refunded_orders_are_listed(logged_in, ambassador):
    """R8.2: the same-person order is shown as 无效订单; R1.4: an old customer's order is not shown."""
    make_order(ambassador, 1)
    make_order(ambassador, 2, reason=Reason.SAME_PERSON, rebate="0")
    make_order(ambassador, 3, reason=Reason.REFUNDED, rebate="0")
    for number, reason in enumerate([Reason.UNPAID, Reason.NOT_NEW_CUSTOMER, Reason.NOT_REBATE_PRODUCT], start=4):
        make_order(ambassador, number, reason=reason, rebate="0")
    page = logged_in.get(reverse("center:orders")).content.decode()
    assert all(f"o-{ambassador.pk}-{n}" in page for n in (1, 2, 3))
    assert not any(f"o-{ambassador.pk}-{n}<" in page for n in (4, 5, 6))
    assert "无效订单" in page and "风控/同人订单" in page


def row_of(page, billing_id):
    """The 返利订单 table row of one order."""
    return next(row for row in page.split("<tr>") if f"<code>{billing_id}</code>" in row)


def test_r12_2_each_listed_order_shows_its_amount_type_and_status(logged_in, ambassador):
    make_order(ambassador, 1, days_ago=1)
    renewal = make_order(ambassador, 2, rebate="57.00", days_ago=40)
    Order.objects.filter(pk=renewal.pk).update(amount=Decimal("380.00"), order_type="renewal")
    settle_today()
    page = logged_in.get(reverse("center:orders")).content.decode()
    pending, settled = row_of(page, f"o-{ambassador.pk}-1"), row_of(page, f"o-{ambassador.pk}-2")
    assert all(text in pending for text in ("¥100.00", "会员首购", "待结算", "¥25.00"))
    assert all(text in settled for text in ("¥380.00", "续费", "已结算", "¥57.00"))


def test_r12_5_a_lower_rebate_says_the_customer_refunded_part_of_the_order(logged_in, ambassador):
    """Answers "why is my rebate lower than expected?" on the order's row, from the refund recorded."""
    make_order(ambassador, 1, rebate="10.00", refunded_amount=Decimal("60.00"))
    row = row_of(logged_in.get(reverse("center:orders")).content.decode(), f"o-{ambassador.pk}-1")
    assert "¥10.00" in row and "客户退款 ¥60.00，返利按实际使用计算" in row


def test_another_ambassadors_orders_are_not_shown(logged_in):
    other = VerifiedAmbassadorFactory()
    make_order(other, 1)
    assert f"o-{other.pk}-1" not in logged_in.get(reverse("center:orders")).content.decode()


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ({"status": "pending"}, [1], [2, 3]),
        ({"status": "settled"}, [2], [1, 3]),
        ({"status": "invalid"}, [3], [1, 2]),
        ({"type": "renewal"}, [], [1, 2, 3]),
    ],
)
def test_filters(logged_in, ambassador, query, shown, hidden):
    make_order(ambassador, 1, days_ago=1)
    make_order(ambassador, 2, days_ago=40)
    make_order(ambassador, 3, reason=Reason.SAME_PERSON, rebate="0")
    settle_today()
    page = logged_in.get(reverse("center:orders"), query).content.decode()
    assert all(f"o-{ambassador.pk}-{n}<" in page for n in shown)
    assert not any(f"o-{ambassador.pk}-{n}<" in page for n in hidden)


def test_the_month_filter(logged_in, ambassador):
    make_order(ambassador, 1, days_ago=0)
    make_order(ambassador, 2, days_ago=70)
    this_month = timezone.localdate().strftime("%Y-%m")
    page = logged_in.get(reverse("center:orders"), {"month": this_month}).content.decode()
    assert f"o-{ambassador.pk}-1<" in page and f"o-{ambassador.pk}-2<" not in page


def test_amounts_show_thousands_apart_on_the_page_and_plain_in_the_csv_and_the_api(logged_in, ambassador):
    order = make_order(ambassador, 1, rebate="1234.50")
    Order.objects.filter(pk=order.pk).update(amount=Decimal("12345.00"), refunded_amount=Decimal("1500.00"))
    page = logged_in.get(reverse("center:orders")).content.decode()
    assert "¥12,345.00" in page and "¥1,234.50" in page and "客户退款 ¥1,500.00" in page
    answer = logged_in.get(reverse("center:orders"), {"format": "csv"})
    sheet = b"".join(answer.streaming_content).decode()
    assert "12345.00" in sheet and "1234.50" in sheet and "12,345" not in sheet
    (listed,) = logged_in.get(reverse("api_rebate_orders")).json()["results"]
    assert (listed["amount"], listed["rebate"]) == ("12345.00", "1234.50")


def test_the_csv_export_follows_the_filters_and_escapes_formulae(logged_in, ambassador):
    make_order(ambassador, 1)
    Order.objects.filter(billing_id=f"o-{ambassador.pk}-1").update(billing_id="=HYPERLINK(1)")
    make_order(ambassador, 2, reason=Reason.SAME_PERSON, rebate="0")
    answer = logged_in.get(reverse("center:orders"), {"format": "csv", "status": "pending"})
    rows = list(csv.reader(io.StringIO(b"".join(answer.streaming_content).decode().lstrip("\ufeff"))))
    assert rows[0][0] == "订单号"
    assert [row[0] for row in rows[1:]] == ["'=HYPERLINK(1)"]


@pytest.mark.parametrize(
    ("page_name", "query"),
    [("center:orders", {}), ("center:orders", {"format": "csv"}), ("api_rebate_orders", {}), ("center:home", {})],
)
def test_query_count_does_not_grow_with_orders(client, page_name, query):
    """Nor with their customers and products: the list reads them with the orders."""

    def queries_for(count):
        ambassador = VerifiedAmbassadorFactory()
        for number in range(count):
            make_order(ambassador, number, days_ago=number % 300)
        client.force_login(ambassador.user)
        with CaptureQueriesContext(connection) as captured:
            answer = client.get(reverse(page_name), query)
            assert answer.status_code == 200
            if answer.streaming:
                b"".join(answer.streaming_content)
        return len(captured)

    assert queries_for(1) == queries_for(30)


def test_the_overview_totals(logged_in, ambassador):
    """R12.1: the rebates at a glance: pending, settled and invalid in all, and the last 12 months."""
    make_order(ambassador, 1, rebate="25.00", days_ago=0)
    make_order(ambassador, 2, rebate="40.00", days_ago=45)
    make_order(ambassador, 3, reason=Reason.SAME_PERSON, rebate="0")
    settle_today()
    page = logged_in.get(reverse("center:home"))
    overview = page.context["overview"]
    assert (overview["all_time"].pending, overview["all_time"].settled, overview["all_time"].invalid_count) == (
        Decimal("25.00"),
        Decimal("40.00"),
        1,
    )
    assert len(overview["months"]) == 12 and overview["months"][-1][1] == Decimal("25.00")
    assert "<svg" in page.content.decode()


def test_tasks_show_this_months_rules_and_next_months_once_published(logged_in):
    """R12.4: this month's rule set and rebate products; R5.1: next month's shows once published."""
    today = timezone.localdate()
    this_month = today.replace(day=1)
    next_month = (this_month + timedelta(days=32)).replace(day=1)
    current = RuleSet.objects.create(month=this_month, title="本月规则", member_first_purchase_rate="0.25")
    current.rebate_products.set(Product.objects.filter(code="ecs"))
    rule_set_publish(rule_set=current, actor=None)
    upcoming = RuleSet.objects.create(month=next_month, title="下月规则", member_first_purchase_rate="0.30")
    page = logged_in.get(reverse("center:tasks")).content.decode()
    assert "本月规则" in page and "25%" in page and "云服务器 ECS" in page
    assert "下月规则" not in page  # a draft is not shown
    rule_set_publish(rule_set=upcoming, actor=None)
    page = logged_in.get(reverse("center:tasks")).content.decode()
    assert "下月规则" in page and "30%" in page
    assert "2019-04" in page  # R5.7: past months stay readable


def test_news_lists_published_rule_sets(logged_in):
    """R5.1, R12.4: a published rule set is news on 最新动态."""
    page = logged_in.get(reverse("center:news")).content.decode()
    assert "云大使返利规则（2019 年 4 月起）" in page


def test_a_news_entry_links_to_its_rule_set_and_opens_the_past_ones_for_it(logged_in):
    """R12.4: 查看规则详情 lands on the rule set the entry announces, even among the folded past ones."""
    current = RuleSet.objects.create(
        month=timezone.localdate().replace(day=1), title="本月规则", member_first_purchase_rate="0.25"
    )
    rule_set_publish(rule_set=current, actor=None)
    first = RuleSet.objects.published().order_by("month").first()  # 2019-04, now a past one
    news = logged_in.get(reverse("center:news")).content.decode()
    link = f"{reverse('center:tasks')}?rule_set={first.pk}#rule-set-{first.pk}"
    assert f'href="{link}"' in news

    landed = logged_in.get(link.split("#")[0]).content.decode()
    assert f'id="rule-set-{first.pk}"' in landed and "<details open>" in landed
    assert "<details>" in logged_in.get(reverse("center:tasks")).content.decode()
    assert "<details>" in logged_in.get(reverse("center:tasks"), {"rule_set": "x"}).content.decode()


def test_a_customer_sees_no_rebate_pages(client):
    client.force_login(UserFactory())
    assert client.get(reverse("center:orders")).status_code == 302


def test_dates_of_settlement(ambassador):
    order = make_order(ambassador, 1, days_ago=0)
    assert order.settles_on == timezone.localdate() + timedelta(days=30)
    assert isinstance(order.settles_on, date)


LISTED = re.compile(r"<td data-label=\"[^\"]*\"><code>([^<]+)</code></td>")
OLDER_LINK = re.compile(r'<a href="([^"]*)">(?:更早的订单|Older orders)</a>')


def listed(answer):
    """The orders a page lists, by billing id, as the ambassador reads them."""
    return LISTED.findall(answer.content.decode())


def older_link(answer):
    """Where the page's 更早的订单 link goes, or None."""
    found = OLDER_LINK.search(answer.content.decode())
    return reverse("center:orders") + html.unescape(found.group(1)) if found else None


def test_the_list_pages_by_cursor_and_a_bad_cursor_starts_over(logged_in, ambassador):
    for number in range(45):
        make_order(ambassador, number, days_ago=number)
    first = logged_in.get(reverse("center:orders"))
    second = logged_in.get(older_link(first))
    third = logged_in.get(older_link(second))
    names = [name for page in (first, second, third) for name in listed(page)]
    assert len(names) == 45 and len(set(names)) == 45
    assert older_link(third) is None
    assert "更早的订单" in first.content.decode() and "最新" in second.content.decode()
    for nonsense in ("nonsense", f"{10**30}.1", f"1800000000000000.{10**20}", f"1800000000000000.{2**63}", "1.0"):
        assert listed(logged_in.get(reverse("center:orders"), {"before": nonsense})) == listed(first)
        answer = logged_in.get(reverse("api_rebate_orders"), {"before": nonsense})
        assert answer.status_code == 200 and len(answer.json()["results"]) == min(45, PAGE_SIZE)


def test_orders_placed_at_the_same_instant_are_neither_skipped_nor_repeated(logged_in, ambassador):
    moment = timezone.now() - timedelta(days=1)
    for number in range(25):
        order = make_order(ambassador, number)
        Order.objects.filter(pk=order.pk).update(placed_at=moment)
    first = logged_in.get(reverse("center:orders"))
    second = logged_in.get(older_link(first))
    names = listed(first) + listed(second)
    assert len(names) == 25 and len(set(names)) == 25


@pytest.mark.parametrize("month", HOSTILE_MONTHS)
@pytest.mark.parametrize("fmt", ["", "csv"])
def test_a_month_that_cannot_be_read_is_a_400_naming_the_month(logged_in, ambassador, month, fmt):
    make_order(ambassador, 1)
    answer = logged_in.get(reverse("center:orders"), {"month": month, "format": fmt})
    page = answer.content.decode()
    assert answer.status_code == 400 and not answer.streaming
    assert 'role="alert"' in page and "下单月份：" in page
    assert f"o-{ambassador.pk}-1<" not in page  # no list that only looks filtered


@pytest.mark.parametrize("query", ["month=2026-11&month=2026-10", "status=<script>", "type=gift", "status=x&type=y"])
def test_a_filter_given_twice_or_not_understood_is_a_400(logged_in, ambassador, query):
    answer = logged_in.get(f"{reverse('center:orders')}?{query}")
    assert answer.status_code == 400 and "<script>" not in answer.content.decode()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh-hans", "<li>状态：没有“bogus”这一项，请从列表中选择。</li>"),
        ("en", "<li>Status: There is no option “bogus”: choose one from the list.</li>"),
    ],
)
def test_a_status_not_listed_is_named_back_in_the_pages_language(logged_in, ambassador, language, expected):
    answer = logged_in.get(reverse("center:orders"), {"status": "bogus"}, headers={"accept-language": language})
    assert answer.status_code == 400 and expected in answer.content.decode()


def test_an_english_error_line_uses_an_english_colon(logged_in, ambassador):
    answer = logged_in.get(reverse("center:orders"), {"month": "2026-13"}, headers={"accept-language": "en"})
    page = answer.content.decode()
    assert answer.status_code == 400 and "<li>Order month: " in page and "：" not in page.split('role="alert"')[1][:200]


def test_each_status_is_labelled_in_both_languages(logged_in, ambassador):
    """The statuses' labels are RebateStatus's own: the filter's options, the rows, in zh and en."""
    make_order(ambassador, 1)
    page = logged_in.get(reverse("center:orders")).content.decode()
    assert all(f'value="{status.value}" >{status.label}</option>' in page for status in RebateStatus)
    with translation.override("en"):
        assert [str(status.label) for status in RebateStatus] == [
            "Pending",
            "Settled",
            "Invalid order",
            "Refunded",
            "Forfeited on cancellation",
        ]


def test_r7_1_an_order_past_its_settlement_date_is_pending_until_a_run_settles_it(logged_in, ambassador):
    """已结算 is what the ledger settled: the date alone (the daily run not yet through) is not enough."""
    make_order(ambassador, 1, rebate="40.00", days_ago=45)  # day 31 was two weeks ago
    listed = f"o-{ambassador.pk}-1<"

    def figures():
        totals = logged_in.get(reverse("center:home")).context["overview"]["all_time"]
        settled_list = logged_in.get(reverse("center:orders"), {"status": "settled"}).content.decode()
        row = row_of(logged_in.get(reverse("center:orders")).content.decode(), f"o-{ambassador.pk}-1")
        return totals.pending, totals.settled, listed in settled_list, "已结算" in row

    assert figures() == (Decimal("40.00"), Decimal("0.00"), False, False)
    settle_today()
    assert figures() == (Decimal("0.00"), Decimal("40.00"), True, True)
