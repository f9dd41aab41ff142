"""Amounts in the desks read as on the portal's pages: ¥ and thousands apart, money taken back signed."""

from decimal import Decimal

import pytest

from payouts.models import Withdrawal
from portal.kernel.admin_money import yuan_column
from portal.kernel.money import yuan_text


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal("0"), "¥0.00"),
        (Decimal("3000"), "¥3,000.00"),
        (Decimal("1234567.8"), "¥1,234,567.80"),
        (Decimal("-300.00"), "-¥300.00"),
    ],
)
def test_amounts_are_written_as_yuan(amount, text):
    assert yuan_text(amount) == text


def test_a_column_is_headed_and_sorted_as_its_field():
    column = yuan_column(Withdrawal, "amount")
    assert column.short_description == Withdrawal._meta.get_field("amount").verbose_name
    assert column.admin_order_field == "amount"
    assert column.__name__ == "amount_yuan"
    assert column(None, Withdrawal(amount=Decimal("12345.6"))) == "¥12,345.60"
    assert column(None, Withdrawal(amount=None)) is None  # the admin's dash, as for any empty field
