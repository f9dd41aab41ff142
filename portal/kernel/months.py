"""Calendar months: the one place where months are read from text and counted.

A month is the date of its first day. Months typed by people ("YYYY-MM" in a query string or a
form) are read by `month_parse`, which accepts only FIRST_MONTH to LAST_MONTH: the program's
history starts in 2018, and a month far outside that range is a typo or an attack, and would
overflow date arithmetic at year 9999 (a 500 rather than an answer).
"""

import re
from datetime import date, datetime, time, tzinfo

from django.utils.translation import gettext_lazy as _

from .errors import PortalError

FIRST_MONTH = date(2000, 1, 1)
LAST_MONTH = date(2099, 12, 1)
_YEAR_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")  # ASCII digits only: not "２０２６-１１"


class MonthError(PortalError):
    """A month that cannot be read; `message` says why, to the person who typed it."""


def month_of(day: date) -> date:
    """The month a date (or a datetime, by its own calendar day) falls in."""
    if isinstance(day, datetime):
        day = day.date()
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    """The month `count` months after (or, negative, before) the month of `month`."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def quarter_of(day: date) -> date:
    """The first month of the calendar quarter `day` falls in."""
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def quarter_number(day: date) -> int:
    """Which quarter of its year `day` falls in, 1 to 4."""
    return (day.month - 1) // 3 + 1


def month_bounds(month: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The first instant of the month and of the next one, in `zone`: a half-open range."""
    first = month_of(month)
    return (
        datetime.combine(first, time.min, tzinfo=zone),
        datetime.combine(add_months(first, 1), time.min, tzinfo=zone),
    )


def month_parse(text) -> date:
    """The month written as "YYYY-MM", between FIRST_MONTH and LAST_MONTH; MonthError otherwise."""
    match = _YEAR_MONTH.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise MonthError(_("月份应写作“年-月”，例如 2026-11。"))
    year, number = int(match[1]), int(match[2])
    if not 1 <= number <= 12:
        raise MonthError(_("月份应在 01 到 12 之间。"))
    if not (FIRST_MONTH.year, FIRST_MONTH.month) <= (year, number) <= (LAST_MONTH.year, LAST_MONTH.month):
        raise MonthError(
            _("月份应在 %(first)s 到 %(last)s 之间。")
            % {"first": f"{FIRST_MONTH:%Y-%m}", "last": f"{LAST_MONTH:%Y-%m}"}
        )
    return date(year, number, 1)
