"""The link's cookies carry the `Expires` date Django would write for their `Max-Age`, though
it is formatted once per second rather than per click."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.http import HttpResponse

from referrals.attribution.cookies import DEVICE_MAX_AGE, cookie_expires

MOMENTS = [
    datetime(2027, 2, 28, 15, 59, 59, 999_999, tzinfo=UTC),  # Shanghai's midnight, a hair before
    datetime(2027, 2, 28, 16, 0, 0, tzinfo=UTC),
    datetime(2027, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC),
]


@pytest.mark.parametrize("moment", MOMENTS)
@pytest.mark.parametrize("max_age", [30 * 24 * 3600, DEVICE_MAX_AGE])
def test_the_expires_date_is_djangos_for_the_same_max_age(moment, max_age):
    with time_machine.travel(moment, tick=False):
        django, ours = HttpResponse(), HttpResponse()
        django.set_cookie("k", "v", max_age=max_age)
        ours.set_cookie("k", "v", max_age=max_age, expires=cookie_expires(max_age))
    assert ours.cookies["k"].output() == django.cookies["k"].output()


def test_the_date_moves_on_at_the_next_second():
    moment = MOMENTS[0]  # 15:59:59.999999: the next microsecond is the next second
    with time_machine.travel(moment, tick=False):
        before = cookie_expires(DEVICE_MAX_AGE)
    with time_machine.travel(moment + timedelta(microseconds=1), tick=False):
        after = cookie_expires(DEVICE_MAX_AGE)
    assert (before, after) == ("Tue, 27 Feb 2029 15:59:59 GMT", "Tue, 27 Feb 2029 16:00:00 GMT")
