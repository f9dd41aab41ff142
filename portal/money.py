"""Money is Decimal yuan with 2 places, rounded here and nowhere else."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def round_yuan(amount) -> Decimal:
    """Half up to the fen, as finance rounds."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)
