#!/usr/bin/env python
"""Where applying billing's events spends its time: one process, PostgreSQL, the mix of
bench/events_ingest.py, stored as the API stores it, then applied in batches in this process.

Prints the events applied per second, the queries per event (each SQL statement counted once)
and, with --profile, a cProfile of the batches. The figure that counts is events_ingest's (two
worker processes against the API's accepted rate); this one shows where a worker's time goes.

    .venv/bin/python bench/events_apply.py [--events 4500] [--batch-size 50] [--profile]
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import events_ingest, harness

SETUP = harness.Setup(database=harness.database_name("portal_bench_events_apply"), port=0, redis_db=12)


def store(count, customers, placed_base):
    """`count` events of the mix, stored by the API's own code (identity values hashed)."""
    from referrals.billing.schema import parse_event
    from referrals.billing.services import event_accept

    for number in range(count):
        raw = json.dumps(events_ingest.order_event(number, customers, prefix="apply", placed_base=placed_base)).encode()
        event_accept(parse_event(raw), raw)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=4500, help="events stored, then applied (blocks of 750)")
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--profile", action="store_true")
    options = parser.parse_args()
    SETUP.recreate()
    SETUP.django_setup()

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from referrals.billing.services import events_process
    from referrals.models import Event

    customers, _probes = events_ingest.create_customers()
    store(options.events, customers, datetime.now(events_ingest.SHANGHAI) - timedelta(hours=1))
    Event.objects.update(next_attempt_at=timezone.now())  # all due now
    warm = 3 * events_ingest.BLOCK
    with CaptureQueriesContext(connection) as captured:
        events_process(limit=warm, batch_size=options.batch_size)
    profiler = cProfile.Profile() if options.profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    applied = events_process(batch_size=options.batch_size)
    elapsed = time.perf_counter() - started
    if profiler:
        profiler.disable()
    failed = Event.objects.exclude(status=Event.Status.PROCESSED).count()
    statements = {}
    for query in captured.captured_queries:
        kind = " ".join(query["sql"].split()[:8])[:110]
        count, seconds = statements.get(kind, (0, 0.0))
        statements[kind] = (count + 1, seconds + float(query["time"]))
    print(f"load average: {os.getloadavg()[0]:.2f}")
    print(f"queries per event (the first {warm} events, one block of the mix): {len(captured) / warm:.2f}")
    print(
        f"applied in one process, batches of {options.batch_size}: {applied / elapsed:,.1f} events/s ({applied} events)"
    )
    print(f"events not processed: {failed}")
    print(f"statements of the first {warm} events, by time (count, ms, the statement's start):")
    for kind, (count, seconds) in sorted(statements.items(), key=lambda item: -item[1][1])[:25]:
        print(f"  {count:5d} {seconds * 1000:9.1f}  {kind}")
    if profiler:
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(
            r"/work/main/(referrals|payouts|portal|ambassadors)/", 45
        )
        print(stream.getvalue())
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
