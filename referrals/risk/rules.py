"""Pure rules of risk control (R9.3, R6.3): no database."""

from dataclasses import dataclass
from decimal import Decimal

RATINGS = "ABCDEFGHIJ"  # A until the first refund step is reached


@dataclass(frozen=True)
class ShareFigures:
    total: int
    suspect: int

    @property
    def share(self) -> Decimal:
        return Decimal(self.suspect) / Decimal(self.total) if self.total else Decimal(0)


def share_exceeded(figures: ShareFigures, *, min_orders: int, threshold: Decimal) -> bool:
    """R9.3: act when the share of suspect orders reaches the threshold; below the
    minimum number of orders a share says too little to act on."""
    return figures.total >= min_orders and figures.total > 0 and figures.share >= threshold


def refund_rating(refunds: int, steps) -> tuple[str, bool]:
    """R6.3: each step reached lowers the rating by one letter; reaching the last
    step blacklists. Returns (rating, blacklisted)."""
    steps = sorted(int(step) for step in steps)
    reached = sum(1 for step in steps if refunds >= step)
    blacklisted = bool(steps) and reached == len(steps)
    return RATINGS[min(reached, len(RATINGS) - 1)], blacklisted
