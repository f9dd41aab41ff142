"""Staff imports of orders and customers' segments: the same checks and services as the events API."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ambassadors.tests.factories import UserFactory
from portal.kernel.staff import FINANCE
from referrals.models import Order
from referrals.tests.billing.events_helpers import order_snapshot
from referrals.tests.staff import staff_in

pytestmark = pytest.mark.django_db


def upload(name, content, content_type):
    return SimpleUploadedFile(name, content, content_type=content_type)


def orders_csv(rows):
    header = list(rows[0])
    lines = [",".join(header)] + [",".join("" if row[key] is None else str(row[key]) for key in header) for row in rows]
    return upload("orders.csv", "\n".join(lines).encode(), "text/csv")


def test_operations_import_orders_through_the_same_service(operations):
    customer = UserFactory()
    rows = [order_snapshot(customer, id="csv-1"), order_snapshot(customer, id="csv-2", amount="20.00")]
    answer = operations.post(reverse("admin:referrals_order_import"), {"file": orders_csv(rows)}, follow=True)
    assert "已导入 2 行" in answer.content.decode()
    assert sorted(Order.objects.values_list("billing_id", flat=True)) == ["csv-1", "csv-2"]
    assert all(order.decided_at for order in Order.objects.all())  # every order decided, with a reason


def test_a_bad_row_names_itself_and_nothing_is_imported(operations):
    customer = UserFactory()
    rows = [order_snapshot(customer, id="ok"), order_snapshot(customer, id="bad", amount="lots")]
    page = operations.post(reverse("admin:referrals_order_import"), {"file": orders_csv(rows)}).content.decode()
    assert "第 3 行 data.order.amount" in page
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "１００"}, "data.order.amount"),  # full-width digits, read as 100 by Decimal()
        ({"amount": "1_000"}, "data.order.amount"),
        ({"refunded_amount": "+0"}, "data.order.refunded_amount"),
        ({"placed_at": "9999-12-31T23:59:59-05:00"}, "data.order.placed_at"),
    ],
)
def test_an_imported_amount_or_time_is_read_as_the_events_api_reads_it(operations, change, field):
    rows = [order_snapshot(UserFactory(), id="bad", **change)]
    page = operations.post(reverse("admin:referrals_order_import"), {"file": orders_csv(rows)}).content.decode()
    assert f"第 2 行 {field}" in page
    assert not Order.objects.exists()


def test_an_unreadable_file_is_a_message_not_an_error(operations):
    page = operations.post(
        reverse("admin:referrals_order_import"),
        {"file": upload("x.xlsx", b"not a spreadsheet", "application/octet-stream")},
        follow=True,
    )
    assert page.status_code == 200 and "无法读取该文件" in page.content.decode()


def test_finance_cannot_import_orders(client):
    client.force_login(staff_in(FINANCE))
    assert client.get(reverse("admin:referrals_order_import")).status_code == 403


def test_operations_import_customer_segments_through_the_customer_service(operations):
    from referrals.models import CustomerProfile

    first, second = UserFactory(), UserFactory()
    content = f"customer,segment\n{first.uid},cbm\n{second.uid},PARTNER\n".encode()
    answer = operations.post(
        reverse("admin:referrals_customerprofile_import"), {"file": upload("s.csv", content, "text/csv")}, follow=True
    )
    assert "已导入 2 行" in answer.content.decode()
    assert CustomerProfile.objects.get(customer=first).segment == "cbm"
    assert CustomerProfile.objects.get(customer=second).segment == "partner"


def test_a_bad_segment_row_changes_nothing(operations):
    from referrals.models import CustomerProfile

    first = UserFactory()
    content = f"customer,segment\n{first.uid},cbm\nnot-an-id,vip\n".encode()
    page = operations.post(
        reverse("admin:referrals_customerprofile_import"), {"file": upload("s.csv", content, "text/csv")}
    ).content.decode()
    assert "第 3 行 customer" in page and "第 3 行 segment" in page
    assert not CustomerProfile.objects.filter(segment="cbm").exists()


def test_xlsx_date_cells_are_read_as_shanghai_time(operations):
    from datetime import datetime

    customer = UserFactory()
    row = order_snapshot(customer, id="xlsx-1")
    book = openpyxl.Workbook()
    book.active.append(list(row))
    values = [row[key] for key in row]
    values[list(row).index("placed_at")] = datetime(2026, 11, 20, 10, 0)
    values[list(row).index("paid_at")] = datetime(2026, 11, 20, 10, 5)
    book.active.append(["" if value is None else value for value in values])
    content = io.BytesIO()
    book.save(content)
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    answer = operations.post(
        reverse("admin:referrals_order_import"), {"file": upload("o.xlsx", content.getvalue(), xlsx)}, follow=True
    )
    assert "已导入 1 行" in answer.content.decode()
    from django.utils import timezone

    assert timezone.localtime(Order.objects.get().placed_at).hour == 10


@pytest.mark.parametrize("key", ["99999999999999999999", "-99999999999999999999", "abc"])
@pytest.mark.parametrize(("view", "status"), [("change", 302), ("history", 302), ("delete", 403)])
def test_a_customer_profile_key_past_any_id_is_no_profile(client, key, view, status):
    """The profile's key is the customer's id through a relation, outside Django's range check."""
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    answer = client.get(f"/admin/referrals/customerprofile/{key}/{view}/")
    assert answer.status_code == status  # "does not exist", or read-only: never a 500
