"""A bar chart drawn on the server as SVG: no script, no library, readable by screen readers."""

from dataclasses import dataclass

WIDTH, HEIGHT, BOTTOM = 600, 180, 22


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: object


def month_bars(months):
    """`months`: (first day, amount) pairs, oldest first, one bar each."""
    peak = max((amount for _, amount in months), default=0) or 1
    slot = WIDTH / max(len(months), 1)
    bars = []
    for index, (month, amount) in enumerate(months):
        height = float(amount) / float(peak) * (HEIGHT - BOTTOM - 14)
        bars.append(
            Bar(
                x=index * slot + slot * 0.2,
                y=HEIGHT - BOTTOM - height,
                width=slot * 0.6,
                height=height,
                label=f"{month:%m}",
                value=amount,
            )
        )
    return {"bars": bars, "width": WIDTH, "height": HEIGHT, "baseline": HEIGHT - BOTTOM}
