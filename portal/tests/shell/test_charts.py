"""概览's earnings chart: an axis of round amounts, the year, settled and pending apart, each
month's figures in words, and a sentence instead of an empty drawing."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from portal.kernel.months import add_months
from portal.shell.charts import HEIGHT, TOP, axis_step, month_bars
from referrals.tests.rebates.test_rebate_pages import make_order, settle_today

MOMENT = datetime(2027, 2, 10, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def twelve_months(figures=None, *, last=date(2027, 2, 1)):
    figures = figures or {}
    first = add_months(last, -11)
    return [
        (add_months(first, n), *figures.get(add_months(first, n), (Decimal("0.00"), Decimal("0.00"))))
        for n in range(12)
    ]


@pytest.mark.parametrize(
    ("peak", "step"),
    [("1", "0.25"), ("7", "2"), ("40", "10"), ("95.5", "25"), ("4950", "2000"), ("120000", "50000")],
)
def test_the_axis_steps_are_round(peak, step):
    assert axis_step(Decimal(peak)) == Decimal(step)


def test_the_axis_covers_the_highest_month_with_round_values():
    chart = month_bars(twelve_months({date(2026, 12, 1): (Decimal("1200.00"), Decimal("3750.00"))}))
    assert [tick.text for tick in chart["ticks"]] == ["¥0", "¥2,000", "¥4,000", "¥6,000"]
    assert chart["ticks"][0].y == chart["baseline"] and chart["ticks"][-1].y == TOP


def test_settled_and_pending_are_stacked_apart_in_proportion():
    chart = month_bars(twelve_months({date(2026, 12, 1): (Decimal("1000.00"), Decimal("3000.00"))}))
    december = next(bar for bar in chart["bars"] if bar.month == date(2026, 12, 1))
    assert december.settled_height == pytest.approx(3 * december.pending_height)
    assert december.settled_y + december.settled_height == chart["baseline"]
    assert december.pending_y + december.pending_height == pytest.approx(december.settled_y)
    assert december.readout == "2026-12：已结算 ¥3,000.00，待结算 ¥1,000.00"


def test_the_year_is_written_where_one_starts():
    chart = month_bars(twelve_months())
    assert [(f"{bar.month:%Y-%m}", bar.year) for bar in chart["bars"] if bar.year] == [
        ("2026-03", "2026"),
        ("2027-01", "2027"),
    ]
    assert all(bar.label == f"{bar.month:%m}" for bar in chart["bars"])


def test_nothing_yet_is_said_so():
    assert month_bars(twelve_months())["empty"] is True
    assert month_bars(twelve_months({date(2027, 2, 1): (Decimal("0.01"), Decimal("0"))}))["empty"] is False
    assert all(0 <= bar.pending_y <= HEIGHT for bar in month_bars(twelve_months())["bars"])


@pytest.fixture
def at_moment():
    with time_machine.travel(MOMENT, tick=False):
        yield


@pytest.mark.django_db
def test_the_overview_says_what_to_do_when_there_is_nothing_yet(at_moment, client, verified_ambassador):
    client.force_login(verified_ambassador.user)
    page = client.get(reverse("center:home")).content.decode()
    assert "2026-03 至 2027-02 还没有返利" in page
    assert '<svg class="chart' not in page and reverse("center:link") in page


@pytest.mark.django_db
def test_the_overview_chart_shows_settled_and_pending_apart(at_moment, client, verified_ambassador):
    make_order(verified_ambassador, 1, rebate="40.00", days_ago=45)  # settled on day 31 (R7.1)
    make_order(verified_ambassador, 2, rebate="25.00", days_ago=1)  # pending
    settle_today()  # settled is what the ledger's run settled
    client.force_login(verified_ambassador.user)
    page = client.get(reverse("center:home")).content.decode()
    assert "还没有返利" not in page
    december, february = (f"{timezone.localtime(timezone.now() - timedelta(days=days)):%Y-%m}" for days in (45, 1))
    assert f'data-readout="{december}：已结算 ¥40.00，待结算 ¥0.00"' in page
    assert f'data-readout="{february}：已结算 ¥0.00，待结算 ¥25.00"' in page
    assert 'class="bar-settled"' in page and 'class="bar-pending"' in page
    assert "2026-03 至 2027-02" in page and ">2027</text>" in page


@pytest.mark.django_db
def test_the_overview_api_gives_pending_and_settled_by_month(at_moment, client, verified_ambassador):
    make_order(verified_ambassador, 1, rebate="40.00", days_ago=45)
    make_order(verified_ambassador, 2, rebate="25.00", days_ago=1)
    settle_today()
    client.force_login(verified_ambassador.user)
    months = client.get("/api/v1/me/overview").json()["months"]
    assert months[-1] == {"month": "2027-02", "rebate": "25.00", "pending": "25.00", "settled": "0.00"}
    assert months[-3] == {"month": "2026-12", "rebate": "40.00", "pending": "0.00", "settled": "40.00"}
