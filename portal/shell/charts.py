"""概览's earnings chart, drawn on the server as SVG: no script needed to see it, no library.

Each month is one bar, settled at the bottom and pending on top, on an axis of round amounts;
months carry their year where it starts (the first bar and each January). The numbers behind
the bars are also passed on as text, for the page to print and for screen readers."""

import math
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from portal.kernel.money import yuan_figure

WIDTH, HEIGHT, LEFT = 600, 230, 80  # a laptop's drawing; LEFT is the room for the axis' values
NARROW = {"width": 360, "height": 250, "left": 58}  # a phone's: taller, so its text is not shrunk away
RIGHT, TOP, BOTTOM = 6, 12, 46  # BOTTOM: two lines under the bars, the month and the year
STEPS = 4  # lines of the axis above zero, at most


@dataclass(frozen=True)
class Tick:
    y: float
    text: str


@dataclass(frozen=True)
class MonthBar:
    month: object  # the first day of the month
    pending: Decimal
    settled: Decimal
    x: float
    width: float
    centre: float
    settled_y: float
    settled_height: float
    pending_y: float
    pending_height: float
    label: str  # the month, 01–12
    year: str  # the year under the bar where one starts, else ""
    readout: str  # the month's figures in words: its title and what a tap shows


def axis_step(peak):
    """A round step (1, 2, 2.5 or 5 times a power of ten) that covers `peak` in STEPS lines."""
    raw = float(peak) / STEPS
    if raw <= 0:
        return Decimal(1)
    power = Decimal(10) ** math.floor(math.log10(raw))
    for factor in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10)):
        if factor * power >= Decimal(str(raw)):
            return factor * power
    return 10 * power  # pragma: no cover (10 always covers)


def _amount(value):
    """¥1,500 for a whole amount, ¥2.50 otherwise."""
    return f"¥{value:,.0f}" if value == value.to_integral_value() else f"¥{value:,.2f}"


def month_bars(months, *, width=WIDTH, height=HEIGHT, left=LEFT):
    """`months`: (first day, pending, settled) triples, oldest first, one bar each, drawn in a
    box of `width` × `height` whose first `left` units hold the axis' values."""
    peak = max((pending + settled for _, pending, settled in months), default=Decimal(0))
    step = axis_step(peak)
    top = step * max(1, math.ceil(peak / step)) if peak else step * STEPS
    baseline, plot = height - BOTTOM, height - BOTTOM - TOP
    ticks = [
        Tick(y=baseline - float(step * n / top) * plot, text=_amount(step * n)) for n in range(int(top / step) + 1)
    ]
    slot = (width - left - RIGHT) / max(len(months), 1)
    bars = []
    for index, (month, pending, settled) in enumerate(months):
        settled_height = float(settled / top) * plot
        pending_height = float(pending / top) * plot
        x = left + index * slot + slot * 0.18
        bars.append(
            MonthBar(
                month=month,
                pending=pending,
                settled=settled,
                x=x,
                width=slot * 0.64,
                centre=left + index * slot + slot / 2,
                settled_y=baseline - settled_height,
                settled_height=settled_height,
                pending_y=baseline - settled_height - pending_height,
                pending_height=pending_height,
                label=f"{month:%m}",
                year=f"{month:%Y}" if index == 0 or month.month == 1 else "",
                readout=_("%(month)s：已结算 ¥%(settled)s，待结算 ¥%(pending)s")
                % {"month": f"{month:%Y-%m}", "settled": yuan_figure(settled), "pending": yuan_figure(pending)},
            )
        )
    return {
        "bars": bars,
        "ticks": ticks,
        "width": width,
        "height": height,
        "left": left,
        "baseline": baseline,
        "month_y": baseline + 18,
        "year_y": baseline + 38,
        "empty": not peak,
        "first": months[0][0] if months else None,
        "last": months[-1][0] if months else None,
    }
