"""A page of 返利订单 (compiled once per shape, portal/kernel/compiled_queries.py) holds exactly
the orders and values the ORM's list gives, under every filter, on any page (R8.3, R12.2)."""

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone

from ambassadors.models import Ambassador
from ambassadors.tests.factories import AmbassadorFactory, VerifiedAmbassadorFactory
from portal.kernel.models import User
from referrals.models import Order, OrderType, Reason
from referrals.rebates.selectors import (
    LISTED_FIELDS,
    LISTED_RELATED,
    RebateStatus,
    decode_cursor,
    rebate_orders_of,
    rebate_orders_page,
)

from .test_rebate_pages import make_order, settle_today

pytestmark = pytest.mark.django_db

# The 1st of December in Shanghai begins at 16:00 UTC on 30 November: orders either side of it.
NOW = datetime(2026, 12, 31, 4, 0, tzinfo=UTC)
COLUMNS = ("pk", *LISTED_FIELDS, *LISTED_RELATED, "ledger_settled")


@pytest.fixture
def orders(ambassador):
    """Orders in November and December (Shanghai), some settled, invalid, refunded or held."""
    with time_machine.travel(NOW, tick=False):
        made = []
        for number in range(14):
            days_ago = 27 + 2 * number  # from 4 December back to late October
            reason = {3: Reason.SAME_PERSON, 7: Reason.REFUNDED}.get(number % 8, "")
            order = make_order(
                ambassador,
                number,
                reason=reason,
                rebate="0" if reason else f"{10 + number}.50",
                days_ago=days_ago,
                on_hold=number == 5,
            )
            if number % 2:
                Order.objects.filter(pk=order.pk).update(order_type=OrderType.RENEWAL)
            made.append(order)
        settle_today()  # orders paid 31 days ago or more are settled
    return made


def as_listed(rows):
    return [{column: getattr(row, column) for column in COLUMNS} for row in rows]


FILTERS = [
    dict(zip(("month", "status", "order_type"), values, strict=True))
    for values in itertools.product(
        (None, date(2026, 12, 1), date(2026, 11, 1)), (None, *RebateStatus.values), (None, "renewal")
    )
]


@pytest.mark.parametrize("filters", FILTERS, ids=str)
def test_every_page_under_every_filter_holds_the_orms_orders(ambassador, orders, filters):
    with time_machine.travel(NOW, tick=False):
        expected = as_listed(rebate_orders_of(ambassador, **filters))
        pages, before = [], None
        while True:
            rows, before = rebate_orders_page(ambassador, before=before, size=3, **filters)
            pages += as_listed(rows)
            if before is None:
                break
            assert decode_cursor(before) is not None

    assert pages == expected
    if filters == {"month": None, "status": None, "order_type": None}:
        assert len(expected) == 14 and any(row["ledger_settled"] for row in expected)


def test_the_month_is_the_shanghai_month(ambassador):
    with time_machine.travel(NOW, tick=False):
        late_november = make_order(ambassador, 1, days_ago=0)
        late_november.placed_at = datetime(2026, 11, 30, 15, 59, 59, tzinfo=UTC)  # 23:59:59 in Shanghai
        late_november.save()
        first_of_december = make_order(ambassador, 2, days_ago=0)
        first_of_december.placed_at = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # 00:00 in Shanghai
        first_of_december.save()

        november, _ = rebate_orders_page(ambassador, month=date(2026, 11, 1))
        december, _ = rebate_orders_page(ambassador, month=date(2026, 12, 1))

    assert [row.billing_id for row in november] == [late_november.billing_id]
    assert [row.billing_id for row in december] == [first_of_december.billing_id]


def test_the_values_come_with_the_orms_types(ambassador, orders):
    with time_machine.travel(NOW, tick=False):
        [row], _ = rebate_orders_page(ambassador, size=1)
    [order] = rebate_orders_of(ambassador)[:1]
    for column in COLUMNS:
        assert type(getattr(row, column)) is type(getattr(order, column)), column
    assert timezone.is_aware(row.placed_at)


def test_another_ambassadors_page_is_empty(ambassador, orders):
    other = VerifiedAmbassadorFactory()
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        rows, older = rebate_orders_page(other)
    assert rows == [] and older is None


@pytest.mark.postgresql
def test_a_deep_page_reads_about_a_page_of_rows_even_in_a_generic_plan(ambassador):
    """A prepared statement may get a plan that cannot see the cursor's values; the cursor's
    condition must still bound the index scan (docs/PERFORMANCE.md: the last page once read all
    100,000 orders)."""
    with time_machine.travel(NOW, tick=False):
        for number in range(300):
            make_order(ambassador, number, days_ago=1 + number % 200)
        before = None
        for _ in range(12):  # to the last pages
            _rows, before = rebate_orders_page(ambassador, before=before, size=20)
        rows, read = a_page_on_the_generic_plan(ambassador, before)

    assert len(rows) == 20
    assert read <= 3 * 21, read


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)  # VACUUM runs outside a transaction
def test_on_a_table_of_many_ambassadors_the_generic_plan_reads_a_page_of_a_large_ones_orders(reference_data):
    """Production's table: one ambassador with 1,000 orders among 999 with one each, vacuumed and
    analysed as autovacuum keeps it. The prepared list's generic plan is made for the average
    ambassador; for the large one it must still read about a page of orders, first page or deep,
    not all of theirs and sort them (docs/PERFORMANCE.md: page 1 ran at 3x the bare view)."""
    large = VerifiedAmbassadorFactory()
    members = User.objects.bulk_create(User(email=f"member{number}@example.com") for number in range(1_020))
    small = Ambassador.objects.bulk_create(AmbassadorFactory.build(user=member) for member in members[:1_000])
    with time_machine.travel(NOW, tick=False):
        newest = make_order(large, 0)
    copied = {field.attname: getattr(newest, field.attname) for field in Order._meta.concrete_fields}
    del copied["id"], copied["billing_id"], copied["ambassador_id"], copied["customer_id"], copied["placed_at"]
    Order.objects.bulk_create(
        Order(
            **copied,
            billing_id=f"{owner.pk}-{number}",
            ambassador=owner,
            customer=members[1_000 + number % 20],
            placed_at=NOW - timedelta(hours=number),
        )
        for number in range(1, 1_000)
        for owner in (large, small[number])
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    with time_machine.travel(NOW, tick=False):
        _rows, deep = rebate_orders_page(large, before=rebate_orders_page(large, size=900)[1], size=20)
        first, first_read = a_page_on_the_generic_plan(large, None)
        later, later_read = a_page_on_the_generic_plan(large, deep)

    assert len(first) == len(later) == 20
    assert first_read <= 3 * 21 and later_read <= 3 * 21, (first_read, later_read)


def a_page_on_the_generic_plan(ambassador, before):
    """A page of 20 read by the prepared statement on its generic plan, and the rows of the orders
    table that read took."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        for _ in range(7):  # past psycopg's prepare threshold: the statement is prepared, generic
            rebate_orders_page(ambassador, before=before, size=20)
        read = orders_rows_read()
        rows, _older = rebate_orders_page(ambassador, before=before, size=20)
        return rows, orders_rows_read() - read


def orders_rows_read():
    """Rows of the orders table this transaction has read so far, by index or sequential scan."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_xact_user_tables"
            " WHERE relname = %s",
            [Order._meta.db_table],
        )
        return cursor.fetchone()[0]
