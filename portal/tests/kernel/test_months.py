"""portal.kernel.months: the one reader of "YYYY-MM" and the one place months are counted."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.http import QueryDict

from portal.kernel.forms import MonthField, QueryForm
from portal.kernel.months import (
    FIRST_MONTH,
    LAST_MONTH,
    MonthError,
    add_months,
    month_bounds,
    month_of,
    month_parse,
    quarter_number,
    quarter_of,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Each refused: a 500 at year 9999 once, or silently read as no month at all.
HOSTILE_MONTHS = [
    "9999-12", "0000-01", "0001-01", "1800-01", "2100-01", "1999-12", "2026-13", "2026-00", "2026-1", "26-11",
    "abc", " 2026-11", "2026-11 ", "2026-11-01", "２０２６-１１", "2026-1" * 2000, "+2026-11",
]  # fmt: skip


@pytest.mark.parametrize(
    ("day", "month"),
    [
        (date(2026, 12, 31), date(2026, 12, 1)),
        (date(2026, 1, 1), date(2026, 1, 1)),
        (datetime(2026, 2, 28, 23, 59, tzinfo=UTC), date(2026, 2, 1)),
    ],
)
def test_the_month_of_a_day(day, month):
    assert month_of(day) == month


@pytest.mark.parametrize(
    ("month", "count", "expected"),
    [
        (date(2026, 12, 1), 1, date(2027, 1, 1)),
        (date(2026, 1, 15), -1, date(2025, 12, 1)),
        (date(2026, 12, 1), -11, date(2026, 1, 1)),
        (date(2026, 3, 1), -15, date(2024, 12, 1)),
        (date(2026, 11, 30), 0, date(2026, 11, 1)),
        (date(2026, 10, 1), 4, date(2027, 2, 1)),
    ],
)
def test_months_are_counted_across_years(month, count, expected):
    assert add_months(month, count) == expected


def test_a_months_bounds_are_its_first_instant_and_the_next_months_in_the_zone():
    start, end = month_bounds(date(2026, 12, 9), SHANGHAI)
    assert (start, end) == (datetime(2026, 12, 1, tzinfo=SHANGHAI), datetime(2027, 1, 1, tzinfo=SHANGHAI))
    assert month_bounds(LAST_MONTH, SHANGHAI)[1] == datetime(2100, 1, 1, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("text", "month"), [("2026-11", date(2026, 11, 1)), ("2000-01", FIRST_MONTH), ("2099-12", LAST_MONTH)]
)
def test_a_month_is_read_from_year_dash_month(text, month):
    assert month_parse(text) == month


@pytest.mark.parametrize("text", [*HOSTILE_MONTHS, "2026-11\x00", "", None, 202611])
def test_anything_else_is_refused_with_a_sentence(text):
    with pytest.raises(MonthError) as refused:
        month_parse(text)
    assert refused.value.message


class MonthQuery(QueryForm):
    month = MonthField(required=False)


def test_the_form_field_names_what_is_wrong_and_a_month_given_twice_is_refused():
    assert MonthQuery(QueryDict("month=2026-11")).is_valid()
    assert MonthQuery(QueryDict("")).is_valid()
    for query in ["month=9999-12", "month=2026-11&month=2026-10", "month=abc"]:
        form = MonthQuery(QueryDict(query))
        assert not form.is_valid()
        assert [error["field"] for error in form.error_list()] == ["month"]


@pytest.mark.parametrize(
    ("day", "first_month", "number"),
    [
        (date(2026, 1, 1), date(2026, 1, 1), 1),
        (date(2026, 6, 30), date(2026, 4, 1), 2),
        (date(2026, 12, 31), date(2026, 10, 1), 4),
    ],
)
def test_a_day_falls_in_the_quarter_that_starts_in_its_first_month(day, first_month, number):
    assert (quarter_of(day), quarter_number(day)) == (first_month, number)
