"""返利订单's rows: each names its customer apart from the others, marks a held rebate 审核中
with the plain reason, and labels each cell with its column for the phone's cards."""

import csv
import io
import re

import pytest
from django.urls import reverse
from django.utils import translation

from ambassadors.tests.factories import UserFactory
from portal.kernel.personal_data import account_short_number
from referrals.models import Order, Reason

from .test_rebate_pages import make_order, row_of

pytestmark = pytest.mark.django_db

UNDER_REVIEW_SENTENCE = "按平台风控规则需人工审核，审核完成前暂不结算。"


def orders_page(client, **query):
    return client.get(reverse("center:orders"), query).content.decode()


def test_r9_3_a_held_rebate_is_marked_under_review_with_the_plain_reason(logged_in, ambassador):
    held = make_order(ambassador, 1, on_hold=True)
    make_order(ambassador, 2)
    page = orders_page(logged_in)
    held_row, free_row = row_of(page, held.billing_id), row_of(page, f"o-{ambassador.pk}-2")
    assert '<span class="badge badge-held">审核中</span>' in held_row
    assert UNDER_REVIEW_SENTENCE in held_row and "审核后" in held_row
    assert "待结算" in free_row and "审核中" not in free_row
    assert "部分返利正在审核" in page  # what comes of it, said once above the list


def test_no_notice_of_a_review_when_nothing_is_held(logged_in, ambassador):
    make_order(ambassador, 1)
    assert "部分返利正在审核" not in orders_page(logged_in)


def test_r9_3_the_reason_never_names_what_was_detected(logged_in, ambassador):
    """The signals behind a hold (devices, addresses, the suspect share) stay on the risk desk."""
    make_order(ambassador, 1, on_hold=True)
    row = row_of(orders_page(logged_in), f"o-{ambassador.pk}-1")
    for detail in ("设备", "地址", "同人", "可疑", "比例", "device", "suspect", "share"):
        assert detail not in row


def test_a_held_rebate_is_still_pending_money(logged_in, ambassador):
    """The 待结算 filter keeps it (its money is pending until the desk releases it)."""
    make_order(ambassador, 1, on_hold=True)
    assert row_of(orders_page(logged_in, status="pending"), f"o-{ambassador.pk}-1")
    assert f"o-{ambassador.pk}-1" not in orders_page(logged_in, status="settled")


def test_a_held_rebate_that_became_invalid_says_why_it_is_invalid(logged_in, ambassador):
    make_order(ambassador, 1, on_hold=True, reason=Reason.SAME_PERSON, rebate="0")
    row = row_of(orders_page(logged_in), f"o-{ambassador.pk}-1")
    assert "无效订单" in row and "审核中" not in row


def test_the_csv_marks_held_rebates_and_names_customers(logged_in, ambassador):
    held = make_order(ambassador, 1, on_hold=True)
    answer = logged_in.get(reverse("center:orders"), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(answer.streaming_content).decode().lstrip("\ufeff"))))
    header, line = rows[0], rows[1]
    assert line[header.index("状态")] == "审核中"
    assert line[header.index("说明")].startswith(UNDER_REVIEW_SENTENCE)
    assert line[header.index("客户")] == f"u***@example.com · #{account_short_number(held.customer.uid)}"


def test_customers_whose_masked_emails_agree_read_apart(logged_in, ambassador):
    first = make_order(ambassador, 1)
    second = make_order(ambassador, 2)
    kate, kim = UserFactory(email="kate@example.com"), UserFactory(email="kim@example.com")
    Order.objects.filter(pk=first.pk).update(customer=kate)
    Order.objects.filter(pk=second.pk).update(customer=kim)
    page = orders_page(logged_in)
    cells = [re.search(r'data-label="客户" class="customer">(.+?)</td>', row_of(page, order.billing_id))[1]
             for order in (first, second)]  # fmt: skip
    labels = [re.sub(r"<[^>]+>", "", cell) for cell in cells]
    assert labels == [f"k***@example.com #{account_short_number(customer.uid)}" for customer in (kate, kim)]
    assert labels[0] != labels[1]
    assert "kate" not in page and "kim@" not in page


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_each_cell_is_labelled_with_its_columns_head(logged_in, ambassador, language):
    """Written by the template tag itself: the cards on a phone need no script to be read."""
    make_order(ambassador, 1)
    make_order(ambassador, 2, on_hold=True)
    page = logged_in.get(reverse("center:orders"), headers={"accept-language": language}).content.decode()
    heads = re.findall(r'<th scope="col"[^>]*>([^<]+)</th>', page)
    with translation.override(language):
        assert heads[0] == translation.gettext("订单号") and heads[2] == translation.gettext("客户")
    for number in (1, 2):
        labels = re.findall(r'<td data-label="([^"]+)"', row_of(page, f"o-{ambassador.pk}-{number}"))
        assert labels == heads


def test_each_row_names_its_product_in_the_page_language(logged_in, ambassador):
    order = make_order(ambassador, 1)
    chinese = row_of(orders_page(logged_in), order.billing_id)
    english_page = logged_in.get(reverse("center:orders"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    english = row_of(english_page, order.billing_id)
    assert 'data-label="产品" class="product">云服务器 ECS</td>' in chinese
    assert 'data-label="Product" class="product">Cloud server ECS</td>' in english
