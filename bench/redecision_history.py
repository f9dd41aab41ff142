#!/usr/bin/env python
"""Applying one more paid order for a customer with 1, 100 and 10,000 unsettled orders, on PostgreSQL.

In-process, no web server: `order_snapshot_apply` of a new order placed and paid now, for an
associated customer whose earlier orders (paid over the last 25 days, so none has settled) are
already decided. The first two orders go through the engine; the rest are bulk-written in the
second one's decided shape (a later purchase of an old customer: NOT_NEW_CUSTOMER). Each
application runs in a transaction rolled back afterwards, so every one sees the same history;
each case is applied once in turn, `--runs` times, and the median (and the fastest) is reported
with the query count.

The baseline, in the same run, is the same application re-deciding every unsettled order of the
customer (the whole re-decision), up to `--full-up-to`
orders: it grows with the history, so 10,000 would take minutes.

    .venv/bin/python bench/redecision_history.py [--sizes 1,100,10000] [--runs 21] [--full-up-to 1000]
        [--database portal_bench_redecision]
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import harness


class Rollback(Exception):
    pass


def history(size, ambassador):
    """A customer associated 26 days ago with `size` paid, unsettled, decided orders, the last
    placed an hour before the new one."""
    from django.utils import timezone

    from ambassadors.tests.factories import UserFactory
    from referrals.attribution.services import association_apply
    from referrals.models import Order, Product
    from referrals.rebates.services import OrderSnapshot, order_snapshot_apply
    from referrals.tests.visits import visit_to

    now = timezone.now()
    customer = UserFactory()
    association_apply(
        customer=customer, visit=visit_to(ambassador, at=now - timedelta(days=26)), now=now - timedelta(days=26)
    )
    product = Product.objects.get(code="ecs")

    def snapshot(billing_id, placed):
        return OrderSnapshot(
            billing_id=billing_id, customer=customer, product=product, billing="prepaid", kind="new", trial=False,
            activity="", amount=Decimal("1000.00"), period_days=360, placed_at=placed, status="paid",
            paid_at=placed + timedelta(minutes=5), refunded_amount=Decimal("0.00"), refunded_at=None, version=1,
        )  # fmt: skip

    start = now - timedelta(days=25)
    order_snapshot_apply(snapshot(f"{customer.pk}-0", start))
    if size >= 2:
        order_snapshot_apply(snapshot(f"{customer.pk}-1", start + timedelta(days=1)))
        second = Order.objects.get(billing_id=f"{customer.pk}-1")
        step = (now - timedelta(hours=1) - (start + timedelta(days=1))) / size  # all placed before the new order
        rows = []
        for number in range(2, size):
            placed = start + timedelta(days=1) + number * step
            row = Order(**{field.attname: getattr(second, field.attname) for field in Order._meta.concrete_fields})
            row.pk, row.billing_id = None, f"{customer.pk}-{number}"
            row.placed_at, row.paid_at = placed, placed + timedelta(minutes=5)
            row.settles_on = timezone.localtime(row.paid_at).date() + timedelta(days=30)
            rows.append(row)
        Order.objects.bulk_create(rows, batch_size=2000)
    assert Order.objects.filter(customer=customer, settles_on__gt=timezone.localdate()).count() == size
    return customer, snapshot


def one_more(customer, snapshot, runs, *, full):
    """Median milliseconds and queries of applying a new paid order, each run rolled back."""
    from django.db import connection, reset_queries, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from referrals.rebates.services import order_snapshot_apply

    patch = mock.patch("referrals.rebates.redecision.changed_since", return_value=timezone.now() - timedelta(days=3650))
    timings, queries = [], 0
    for run in range(runs):
        reset_queries()  # Django keeps the last 9,000 queries: count from an empty log
        try:
            with transaction.atomic(), CaptureQueriesContext(connection) as captured:
                if full:
                    patch.start()
                try:
                    started = time.perf_counter()
                    order_snapshot_apply(snapshot(f"{customer.pk}-new-{run}", timezone.now() - timedelta(minutes=10)))
                    timings.append((time.perf_counter() - started) * 1000)
                finally:
                    if full:
                        patch.stop()
                queries = len(captured)
                raise Rollback
        except Rollback:
            pass
    return statistics.median(timings), queries


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,100,10000")
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--full-up-to", type=int, default=1000, help="largest history for the baseline")
    parser.add_argument("--database", default="portal_bench_redecision")
    parser.add_argument("--redis-db", type=int, default=12)
    options = parser.parse_args()
    sizes = [int(size) for size in options.sizes.split(",")]
    full_sizes = sorted({size for size in sizes if size <= options.full_up_to} | {min(options.full_up_to, max(sizes))})

    started = time.monotonic()
    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)", flush=True)
    setup = harness.Setup(database=options.database, port=0, redis_db=options.redis_db)
    setup.recreate()
    setup.django_setup()
    from django.db import connection

    from ambassadors.tests.factories import VerifiedAmbassadorFactory

    ambassador = VerifiedAmbassadorFactory()
    customers = {size: history(size, ambassador) for size in sorted(set(sizes) | set(full_sizes))}
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"setup: {time.monotonic() - started:.0f} s", flush=True)

    results = {}
    for _ in range(options.runs):  # one application of each case in turn, so noise falls on all alike
        for size, (customer, snapshot) in customers.items():
            for full in (False, True):
                if full and size not in full_sizes or not full and size not in sizes:
                    continue
                results.setdefault((size, full), []).append(one_more(customer, snapshot, 1, full=full))

    print(f"\nPostgreSQL, in-process, {options.runs} runs of each case taken in turn")
    print("| unsettled orders of the customer | re-decided | median ms | fastest ms | queries | median / 1 order |")
    print("| --- | --- | --- | --- | --- | --- |")
    medians = {key: (statistics.median(ms for ms, _ in runs), runs[-1][1]) for key, runs in results.items()}
    for (size, full), (milliseconds, queries) in sorted(medians.items(), key=lambda item: (item[0][1], item[0][0])):
        base = medians.get((min(sizes), full), (milliseconds,))[0]
        fastest = min(ms for ms, _ in results[(size, full)])
        label = "every unsettled order (baseline)" if full else "those placed or paid from its payment"
        print(f"| {size:,} | {label} | {milliseconds:.1f} | {fastest:.1f} | {queries} | {milliseconds / base:.2f} |")
    scoped = [medians[(size, False)][0] for size in sizes]
    spread = max(scoped) / min(scoped)
    print(f"\nlargest / smallest (scoped): {spread:.2f} (target within 2x: {'met' if spread <= 2 else 'NOT met'})")
    print(f"total time: {time.monotonic() - started:.0f} s; load average at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
