"""Money is Decimal yuan with 2 places, read and rounded here and nowhere else."""

import re
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# ASCII digits only: Python's `\d` and `Decimal()` also take "１００" (full width),
# "1e3", "1_000", "+5", "NaN" and "Infinity", none of which is an amount anyone typed.
_YUAN = re.compile(r"(?P<whole>[0-9]+)(?:\.(?P<fraction>[0-9]+))?", re.ASCII)
MAX_WHOLE_DIGITS = 10  # DecimalField(max_digits=12, decimal_places=2)


class AmountInvalid(ValueError):
    """Text that is not an amount of yuan; `code` says why: "format", "places" or "negative"."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


def parse_yuan(text) -> Decimal:
    """An amount of yuan from text: ASCII digits, an optional point and at most
    two places ("100", "100.5", "100.50"); nothing else, no sign, no spaces.
    Raises AmountInvalid: "negative" for a minus sign before such an amount, which a
    form with a minimum can answer with that minimum."""
    match = _YUAN.fullmatch(text) if isinstance(text, str) else None
    if match is None and _is_negative(text):
        raise AmountInvalid("negative")
    if match is None or len(match["whole"]) > MAX_WHOLE_DIGITS:
        raise AmountInvalid("format")
    if match["fraction"] is not None and len(match["fraction"]) > 2:
        raise AmountInvalid("places")
    return Decimal(text)


def _is_negative(text) -> bool:
    return isinstance(text, str) and text.startswith("-") and _YUAN.fullmatch(text[1:]) is not None


def round_yuan(amount) -> Decimal:
    """Half up to the fen, as finance rounds."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def yuan_figure(amount) -> str:
    """An amount as a page shows it after "¥": two places, thousands apart ("12,345.60").
    CSV sheets and the API keep the plain figure ("12345.60"), which programs read."""
    return f"{Decimal(amount):,.2f}"


def yuan_text(amount) -> str:
    """An amount with its sign and "¥", as the desks and records write it: ¥12,345.60, -¥300.00."""
    return f"-¥{yuan_figure(-amount)}" if amount < 0 else f"¥{yuan_figure(amount)}"
