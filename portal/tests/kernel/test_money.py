"""Reading amounts of yuan: one function for the events API, the imports and the forms."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.kernel.money import AmountInvalid, parse_yuan, round_yuan, yuan_figure


@pytest.mark.parametrize(
    ("text", "amount"),
    [("0", "0"), ("100", "100"), ("100.5", "100.5"), ("199.00", "199.00"), ("0.01", "0.01"), ("9999999999.99", None)],
)
def test_plain_ascii_amounts_are_read(text, amount):
    assert parse_yuan(text) == Decimal(amount or text)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("１００", "format"),  # full-width digits: Decimal() reads them as 100
        ("١٠٠", "format"),  # Arabic-Indic digits, likewise
        ("1e3", "format"),
        ("1E3", "format"),
        ("1_000", "format"),
        ("1,000", "format"),
        ("+5", "format"),
        ("-5", "negative"),  # below any minimum: a form says that minimum
        ("-0.5", "negative"),
        ("-", "format"),
        ("--5", "format"),
        ("-1e3", "format"),
        ("NaN", "format"),
        ("Infinity", "format"),
        ("", "format"),
        (" 100", "format"),
        ("100\n", "format"),
        ("100.", "format"),
        (".5", "format"),
        ("12345678901", "format"),  # more than DecimalField(12, 2) holds
        ("1.005", "places"),
        ("1.000", "places"),
        (100, "format"),  # only text is read
        (None, "format"),
    ],
)
def test_anything_else_is_refused_with_its_reason(text, code):
    with pytest.raises(AmountInvalid) as refused:
        parse_yuan(text)
    assert refused.value.code == code


@given(st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2))
def test_every_two_place_amount_reads_back_as_itself(amount):
    assert parse_yuan(f"{amount:f}") == amount == round_yuan(amount)


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        ("0", "0.00"),
        ("999.99", "999.99"),
        ("1000", "1,000.00"),
        (Decimal("12345.6"), "12,345.60"),
        (Decimal("9999999999.99"), "9,999,999,999.99"),
        (Decimal("-1234.50"), "-1,234.50"),
    ],
)
def test_pages_show_amounts_with_two_places_and_thousands_apart(amount, shown):
    assert yuan_figure(amount) == shown


@given(st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2))
def test_a_shown_amount_without_its_commas_reads_back_as_itself(amount):
    assert parse_yuan(yuan_figure(amount).replace(",", "")) == amount
