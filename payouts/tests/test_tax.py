"""The vendor-borne labour remuneration tax: net grossed up (R11.2–11.3), worked examples included."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payouts.tax import tax_for_net, tax_forward


@pytest.mark.parametrize(
    ("net", "gross", "tax"),
    [
        ("3000", "3550.00", "550.00"),  # at most 4,000: taxable is gross - 800
        ("10000", "11904.76", "1904.76"),  # above 4,000: 80%, rate 20%
        ("30000", "36842.11", "6842.11"),  # taxable above 20,000: 30% minus 2,000
        ("60000", "77941.18", "17941.18"),  # above 50,000: 40% minus 7,000
        ("800", "800.00", "0.00"),  # at most 800: nothing
    ],
)
def test_net_is_grossed_up(net, gross, tax):
    figures = tax_for_net(Decimal(net))
    assert (figures.gross, figures.tax) == (Decimal(gross), Decimal(tax))
    assert figures.gross - figures.tax == Decimal(net)


def test_the_figures_of_each_region_are_those_of_the_table():
    """R11.3: the table of labour remuneration (劳务报酬所得), not of wages: 800 yuan or 20% deducted,
    then 20%, 30% or 40% less 0, 2,000 or 7,000."""
    low = tax_for_net(Decimal("3000"))
    assert (low.deduction, low.taxable, low.rate, low.quick_deduction) == (
        Decimal("800.00"), Decimal("2750.00"), Decimal("0.20"), Decimal("0"),
    )  # fmt: skip
    high = tax_for_net(Decimal("60000"))
    assert (high.deduction, high.taxable, high.rate, high.quick_deduction) == (
        Decimal("15588.24"), Decimal("62352.94"), Decimal("0.40"), Decimal("7000"),
    )  # fmt: skip


def test_two_payments_in_one_month_are_one_payment():
    """同一项目连续性收入以一个月为一次: 3,000 twice is taxed as 6,000, the second bears the rest."""
    first = tax_for_net(Decimal("3000"))
    month = tax_for_net(Decimal("6000"))
    assert month.tax == Decimal("1142.86")
    assert month.tax - first.tax == Decimal("592.86")


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000000"), places=2))
def test_grossing_up_inverts_the_forward_table(net):
    """Recomputed forward, the gross gives the tax back to the fen, and the net to within a fen."""
    figures = tax_for_net(net)
    forward = tax_forward(figures.gross)
    assert abs(forward.tax - figures.tax) <= Decimal("0.01")
    assert figures.gross - figures.tax == net
    assert figures.tax >= 0
