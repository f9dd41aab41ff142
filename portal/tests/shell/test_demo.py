"""The demo reads the same on any day: 概览's month is never empty, old rebates have settled."""

import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from payouts.ledger import balances_of
from portal.kernel.models import User
from referrals.rebates.selectors import overview_of

SHANGHAI = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2027, 1, 1, 0, 20, tzinfo=SHANGHAI),  # twenty minutes into a month
        datetime(2027, 1, 15, 12, 0, tzinfo=SHANGHAI),
        datetime(2027, 2, 28, 23, 59, tzinfo=SHANGHAI),  # the last minute of a month
        datetime(2028, 2, 29, 9, 0, tzinfo=SHANGHAI),  # a leap day
    ],
    ids=str,
)
def test_the_demo_overview_reads_the_same_on_any_day(moment):
    with time_machine.travel(moment, tick=False):
        call_command("load_demo", stdout=io.StringIO())
        ambassador = User.objects.get(email="ambassador@demo.local").ambassador
        overview = overview_of(ambassador)

    # DEMO-1001 300.00 + DEMO-1002 745.00 + DEMO-1003 50.00 (kept 200.00) + DEMO-1005 24.75
    assert overview["this_month"].pending == Decimal("1119.75")
    assert overview["this_month"].invalid_count == 2  # the twin's and the spouse's orders (R8.2)
    # Months before this one hold the settled orders that paid the demo withdrawal (R7.1).
    assert sum(1 for _, total in overview["months"] if total) >= 2
    assert balances_of(ambassador).withdrawable > 0


def test_loading_the_demo_twice_changes_nothing():
    with time_machine.travel(datetime(2027, 1, 1, 0, 20, tzinfo=SHANGHAI), tick=False):
        call_command("load_demo", stdout=io.StringIO())
        ambassador = User.objects.get(email="ambassador@demo.local").ambassador
        before = (overview_of(ambassador), balances_of(ambassador))
        call_command("load_demo", stdout=io.StringIO())
        assert (overview_of(ambassador), balances_of(ambassador)) == before
