"""Every sheet the portal exports, with hostile text in the columns people type: each cell comes out
inert (OWASP, CSV injection), and numbers stay numbers.

The sheets: 返利订单 as csv (the ambassador), the payout and tax sheets as csv and xlsx (finance),
and every django-import-export export of the admin (the products, as csv and xlsx).
"""

import csv
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.contrib import admin
from django.urls import reverse
from import_export.admin import ExportMixin

from ambassadors.tests.factories import BoundAmbassadorFactory, UserFactory
from payouts import exports
from payouts.tests.test_exports import paid_withdrawal, staff_in
from portal.kernel.spreadsheets import spreadsheet_safe
from portal.kernel.staff import FINANCE, OPERATIONS
from referrals.models import Order, Product
from referrals.tests.rebates.test_rebate_pages import make_order

pytestmark = pytest.mark.django_db

HOSTILE = [
    "=1+1",
    "==1+1",
    "+1+1",
    "-1+1",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "=cmd|' /C calc'!A0",
    "-",
    "+86 138 0013 8000",
]
# What a spreadsheet runs: a cell that starts with one of these and is not just a number.
LIVE_START = re.compile(r"[=+\-@\t\r\n]")
PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def is_live(cell):
    return isinstance(cell, str) and bool(LIVE_START.match(cell)) and not PLAIN_NUMBER.fullmatch(cell)


def lines(text):
    """xlsx is XML, whose readers turn a carriage return into a line feed."""
    return text.replace("\r", "\n")


def csv_cells(content: bytes):
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def xlsx_cells(content: bytes):
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert not [cell.coordinate for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def rebate_orders_csv(client):
    ambassador = BoundAmbassadorFactory()
    for number, text in enumerate(HOSTILE):
        order = make_order(ambassador, number, rebate="-12.50" if number == 0 else "25.00")
        Order.objects.filter(pk=order.pk).update(billing_id=text)
    Product.objects.filter(code="ecs").update(name="=HYPERLINK(1)")
    client.force_login(ambassador.user)
    answer = client.get(reverse("center:orders"), {"format": "csv"})
    return csv_cells(b"".join(answer.streaming_content)), {"订单金额": "100.00", "返利": "-12.50"}


def finance_sheet(kind, fmt):
    def export(client):
        for text in HOSTILE:
            paid_withdrawal(BoundAmbassadorFactory(legal_name=text), "100.00", "2026-11-10 10:00", order_id=text)
        client.force_login(staff_in(FINANCE))
        model = "withdrawal" if kind == exports.PAYOUT else "taxassessment"
        answer = client.post(reverse(f"admin:payouts_{model}_export"), {"month": "2026-11", "format": fmt})
        content = b"".join(answer.streaming_content)
        numbers = {"金额": 100} if kind == exports.PAYOUT else {"到手收入": 100, "个人所得税": 0}
        if fmt == exports.CSV:
            return csv_cells(content), {name: f"{value:.2f}" for name, value in numbers.items()}
        return xlsx_cells(content), numbers

    return export


def product_export(fmt):
    def export(client):
        for number, text in enumerate(HOSTILE):
            Product.objects.create(code=f"hostile-{number}", name=text, category="cloud")
        client.force_login(staff_in(OPERATIONS))
        product_admin = admin.site._registry[Product]
        index = next(i for i, f in enumerate(product_admin.get_export_formats()) if f().get_title() == fmt)
        fields = {f"productresource_{name}": "on" for name in ("code", "name", "category")}
        answer = client.post(reverse("admin:referrals_product_export"), {"format": index, "resource": 0, **fields})
        assert answer.status_code == 200, answer.content[:500]
        cells = csv_cells(answer.content) if fmt == "csv" else xlsx_cells(answer.content)
        return cells, {}

    return export


SHEETS = {
    "返利订单 csv": rebate_orders_csv,
    "打款表 csv": finance_sheet(exports.PAYOUT, exports.CSV),
    "打款表 xlsx": finance_sheet(exports.PAYOUT, exports.XLSX),
    "个税表 csv": finance_sheet(exports.TAX, exports.CSV),
    "个税表 xlsx": finance_sheet(exports.TAX, exports.XLSX),
    "产品 csv": product_export("csv"),
    "产品 xlsx": product_export("xlsx"),
}


@pytest.mark.parametrize("sheet", SHEETS)
def test_every_cell_of_every_sheet_is_inert_and_numbers_stay_numbers(client, sheet):
    rows, numbers = SHEETS[sheet](client)
    header, body = rows[0], rows[1:]
    assert len(body) >= len(HOSTILE)
    live = [(number, cell) for number, row in enumerate(rows) for cell in row if is_live(cell)]
    assert not live, f"formulae left live in {sheet}: {live}"
    texts = {lines(cell) for row in body for cell in row if isinstance(cell, str)}
    assert {lines("'" + text) for text in HOSTILE if is_live(text)} <= texts  # still readable, as text
    for name, value in numbers.items():
        column = header.index(name)
        assert value in [row[column] for row in body], f"{name} of {sheet} is not the number {value!r}"


def test_every_export_of_the_portal_is_walked_above():
    """A sheet added later must be added to SHEETS: the finance sheets and import-export's admins."""
    assert set(exports.SHEETS) == {exports.PAYOUT, exports.TAX}
    registry = admin.site._registry.items()
    assert {model._meta.model_name for model, model_admin in registry if isinstance(model_admin, ExportMixin)} == {
        "product"
    }


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("@SUM(1)", "'@SUM(1)"),
        ("-1+1", "'-1+1"),
        ("-12.50", "-12.50"),
        ("+5", "+5"),
        (Decimal("-12.50"), Decimal("-12.50")),
        (-3, -3),
        ("１００", "１００"),
        ("＝1+1", "＝1+1"),
        ("张三", "张三"),
        ("", ""),
        (None, None),
    ],
)
def test_the_one_escaping_function(value, safe):
    assert spreadsheet_safe(value) == safe
    assert type(spreadsheet_safe(value)) is type(safe)


def test_a_customer_cannot_export_products(client):
    client.force_login(UserFactory())
    assert client.get(reverse("admin:referrals_product_export")).status_code == 302
