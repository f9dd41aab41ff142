"""Individual income tax on labour remuneration (劳务报酬所得), borne by the vendor (R11.2–11.3).

Pure arithmetic, no database. The ambassador receives the net (tax-exclusive) amount;
the vendor pays the tax on top, so the taxable income is the net grossed up:
the gross G whose tax T leaves G - T = net. One month's payments to one person are
one payment (同一项目连续性收入以一个月为一次), so the month's tax is computed on the
month's net total and each payment bears the difference."""

from dataclasses import dataclass
from decimal import Decimal

from portal.kernel.money import ZERO, round_yuan

DEDUCTION_FLAT = Decimal("800")  # when the income is at most 4,000
DEDUCTION_SHARE = Decimal("0.20")  # above 4,000: 20% of the income
FLAT_LIMIT = Decimal("4000")

# (taxable income up to, rate, quick deduction): 劳务报酬 预扣率表
BRACKETS = (
    (Decimal("20000"), Decimal("0.20"), Decimal("0")),
    (Decimal("50000"), Decimal("0.30"), Decimal("2000")),
    (None, Decimal("0.40"), Decimal("7000")),
)


@dataclass(frozen=True)
class TaxFigures:
    net: Decimal  # what the ambassador receives
    gross: Decimal  # the taxable (tax-inclusive) income
    deduction: Decimal
    taxable: Decimal
    rate: Decimal
    quick_deduction: Decimal
    tax: Decimal  # gross - net, paid by the vendor


def deduction_for(gross: Decimal) -> Decimal:
    if gross <= DEDUCTION_FLAT:
        return gross
    if gross <= FLAT_LIMIT:
        return DEDUCTION_FLAT
    return gross * DEDUCTION_SHARE


def bracket_for(taxable: Decimal):
    for limit, rate, quick in BRACKETS:
        if limit is None or taxable <= limit:
            return rate, quick
    raise AssertionError("the last bracket has no limit")


def tax_forward(gross: Decimal) -> TaxFigures:
    """The tax on a gross income, as the tax table states it."""
    gross = round_yuan(gross)
    deduction = round_yuan(deduction_for(gross))
    taxable = gross - deduction
    rate, quick = bracket_for(taxable)
    tax = round_yuan(taxable * rate - quick) if taxable > 0 else ZERO
    return TaxFigures(gross - tax, gross, deduction, taxable, rate, quick, tax)


def _gross_candidates(net: Decimal):
    """For each region of the table, the gross that would leave `net` if it fell there:
    net = G - (G - d(G)) * r + q, which is linear in G within a region."""
    yield net  # at most 800: no tax
    yield (net - DEDUCTION_FLAT * BRACKETS[0][1]) / (1 - BRACKETS[0][1])  # 800 < G <= 4,000
    for _, rate, quick in BRACKETS:  # G > 4,000: taxable is 80% of G
        share = (1 - DEDUCTION_SHARE) * rate
        yield (net - quick) / (1 - share)


def tax_for_net(net: Decimal) -> TaxFigures:
    """Gross up a net income: invert the table region by region and keep the region
    whose forward computation gives back the net (checked to the fen)."""
    net = round_yuan(net)
    if net <= 0:
        return TaxFigures(net, net, ZERO, ZERO, BRACKETS[0][1], BRACKETS[0][2], ZERO)
    for candidate in _gross_candidates(net):
        figures = tax_forward(candidate)
        if abs(figures.net - net) <= Decimal("0.01"):
            # The fen rounding of G may leave the net a fen off; the tax is what tops the net up.
            return TaxFigures(
                net,
                figures.gross,
                figures.deduction,
                figures.taxable,
                figures.rate,
                figures.quick_deduction,
                figures.gross - net,
            )
    raise ArithmeticError(f"no gross income leaves a net of {net}")
