#!/usr/bin/env python
"""Events ingested per second on PostgreSQL (order snapshots for 10,000 customers) against a bare view
that only stores the raw body, in the same server.

gunicorn (sync workers, DEBUG off, persistent connections) on a throwaway PostgreSQL database and
Redis, loaded with wrk on 127.0.0.1. wrk's Lua has no HMAC, so before each run the bench writes a
file of validly signed requests (each a different event id, a real customer uid, product "ecs") and
bench/signed_requests.lua sends each once. The bare view (bench/urls.py) gets requests of the same
shape and only INSERTs the raw body, in a transaction like the real view. The two alternate and the
median of the runs is reported. At the end the database is checked against the answers wrk counted.

The events come in blocks of 750: 250 new orders as `unpaid` snapshots (version 1), the same
250 orders `paid` (version 2), then a third of the 250 refunded in part (version 3), a third of
the customers sending `customer.updated` (segment and a phone), a third placing a new order paid
at once. Half the customers are associated with an ambassador, so their paid orders go through
the whole rebate decision.

After the load, two worker processes apply the stored backlog: the first half one event to a
transaction, the second half in batches (`--batch-size`), each half timed;
applied events/s in batches is compared with accepted events/s.

    .venv/bin/python bench/events_ingest.py [--runs 3] [--seconds 10] [--batch-size 50] [--profile]
        [--database portal_bench_events --redis-db 13]
"""

import argparse
import cProfile
import hashlib
import hmac
import io
import json
import os
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import harness

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "portal_bench_events"
PORT = 8766
SIGNING_SECRET = "bench-events-signing-secret-of-32-chars"
CUSTOMERS = 10_000
PROBE_CUSTOMERS = 200  # extra customers, outside the load, for the in-process query count and profile
BLOCK = 250  # a customer's `paid` snapshot follows its `unpaid` one by this many events
SHANGHAI = ZoneInfo("Asia/Shanghai")
LUA = ROOT / "bench" / "signed_requests.lua"
RAW_EVENTS_TABLE = "bench_raw_event"  # the same name as in bench/urls.py
VIEWS = {"bare": "/bench/raw-event", "events": "/api/v1/events"}

stop_server = harness.stop_server


def use_setup(setup):
    """The database and Redis db the bench runs on."""
    global SETUP, environment, manage, start_server, django_setup, settle
    SETUP = setup
    environment, manage, start_server = setup.environment, setup.manage, setup.start_server
    django_setup, settle = setup.django_setup, setup.settle


use_setup(harness.Setup(database=DATABASE, port=PORT, redis_db=13, signing_secret=SIGNING_SECRET))
_millis = harness.millis


def prepare():
    """A clean start: a new database with the migrations, the bare view's table, an empty Redis db."""
    SETUP.recreate()
    postgres = harness.POSTGRES
    subprocess.run(
        ["psql", *postgres, "-q", "-d", SETUP.database, "-c"]
        + [
            f"CREATE TABLE {RAW_EVENTS_TABLE} (id bigserial PRIMARY KEY,"
            " received_at timestamptz NOT NULL DEFAULT now(), body bytea NOT NULL)"
        ],
        check=True,
    )


def create_customers():
    """10,000 customers (and a few probes), half of them associated with one verified ambassador."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from ambassadors.tests.factories import VerifiedAmbassadorFactory
    from portal.kernel.models import User
    from referrals.models import Association, CustomerProfile

    ambassador = VerifiedAmbassadorFactory()
    password = make_password(None)  # unusable, and hashed once
    users = [
        User(email=f"customer{number}@bench.example", password=password)
        for number in range(CUSTOMERS + PROBE_CUSTOMERS)
    ]
    User.objects.bulk_create(users, batch_size=2000)
    now = timezone.now()
    associated = users[::2]
    CustomerProfile.objects.bulk_create([CustomerProfile(customer=user) for user in associated], batch_size=2000)
    Association.objects.bulk_create(
        [
            Association(
                customer=user,
                ambassador=ambassador,
                visit_id=uuid.uuid4(),
                started_at=now - timedelta(days=1),
                expires_at=now + timedelta(days=29),
            )
            for user in associated
        ],
        batch_size=2000,
    )
    return [str(user.uid) for user in users[:CUSTOMERS]], [str(user.uid) for user in users[CUSTOMERS:]]


def order_event(number, customers, *, prefix, placed_base):
    """Event `number` of the sequence: customer slot, kind and version from its place in the sequence."""
    block, within = divmod(number, 3 * BLOCK)
    part = within // BLOCK
    slot = block * BLOCK + within % BLOCK
    customer, order_number = slot % len(customers), slot // len(customers)
    placed_at = placed_base + timedelta(seconds=slot % 1800)
    event_id = f"evt_{prefix}_{number:09d}"
    if part == 2 and slot % 3 == 1:  # the customer's segment and a phone
        data = {"customer": customers[customer], "segment": "normal", "identity": {"phone": f"139{customer:08d}"}}
        return {"id": event_id, "type": "customer.updated", "created": int(time.time()), "data": data}
    paid = part >= 1
    refund = part == 2 and slot % 3 == 0
    order_id = f"{prefix}-{customer:05d}-{order_number}" + ("-new" if part == 2 and slot % 3 == 2 else "")
    amount = 100 + slot % 900
    order = {
        "id": order_id,
        "customer": customers[customer],
        "product": "ecs",
        "billing": "prepaid",
        "kind": "new",
        "trial": False,
        "activity": None,
        "amount": f"{amount}.00",
        "period_days": 360,
        "placed_at": placed_at.isoformat(timespec="seconds"),
        "status": "paid" if paid else "unpaid",
        "paid_at": (placed_at + timedelta(minutes=5)).isoformat(timespec="seconds") if paid else None,
        "refunded_amount": f"{amount // 2}.00" if refund else "0.00",
        "refunded_at": (placed_at + timedelta(minutes=20)).isoformat(timespec="seconds") if refund else None,
        "version": 3 if refund else (2 if part == 1 else 1),
    }
    return {"id": event_id, "type": "order.updated", "created": int(time.time()), "data": {"order": order}}


def signed(body):
    raw = json.dumps(body, separators=(",", ":")).encode()
    timestamp = int(time.time())
    digest = hmac.new(SIGNING_SECRET.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}", raw


def write_requests(path, first, count, customers, *, prefix, placed_base):
    """`count` signed requests, events `first` to `first + count - 1`, one a line for the Lua script."""
    with open(path, "wb") as file:
        for number in range(first, first + count):
            signature, raw = signed(order_event(number, customers, prefix=prefix, placed_base=placed_base))
            file.write(signature.encode() + b"\t" + raw + b"\n")


def wrk(path, requests_file, seconds, connections, threads):
    output = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency"]
        + ["-s", str(LUA)]
        + [f"http://127.0.0.1:{SETUP.port}{path}", "--", str(requests_file), path, str(threads)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures = harness.wrk_figures(output)
    return figures | {"errors": figures["other"]}


def verify(results, options):
    """What the database holds against the 200s wrk counted. A request still in flight when wrk
    stopped may be stored without wrk counting its answer: at most one per connection per run."""
    from django.db import connection

    from referrals.models import Event, Order

    # The API stores events; workers apply them. Two worker processes at once (SKIP LOCKED
    # shares the backlog out): the first half one event to a transaction, then the rest in batches.
    stored = Event.objects.count()
    drain = {}
    for label, batch_size, limit in [("one", 1, stored // 4), ("batches", options.batch_size, None)]:
        # Timed inside each worker, from its first event to its last: Django's start-up is not applying.
        code = (
            "import time; from referrals.billing.services import events_process;"
            f" started = time.perf_counter(); done = events_process(limit={limit}, batch_size={batch_size});"
            " print(done, time.perf_counter() - started)"
        )
        workers = [
            subprocess.Popen(
                [sys.executable, "manage.py", "shell", "-c", code],
                cwd=ROOT,
                env=environment(),
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        answers = [worker.communicate()[0].strip().splitlines()[-1].split() for worker in workers]
        drain[label] = (sum(int(done) for done, _ in answers), max(float(seconds) for _, seconds in answers))
    processed = sum(done for done, _ in drain.values())

    def one(sql):
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]

    events, orders = Event._meta.db_table, Order._meta.db_table
    figures = {
        "events_stored": one(f"SELECT count(*) FROM {events}"),
        "events_applied": one(f"SELECT count(*) FROM {events} WHERE result->>'applied' = 'true'"),
        "events_without_order": one(
            f"SELECT count(*) FROM {events} e WHERE e.type = 'order.updated' AND NOT EXISTS"
            f" (SELECT 1 FROM {orders} o WHERE o.billing_id = e.result->>'order')"
        ),
        "customer_updates_applied": one(f"SELECT count(*) FROM {events} WHERE result ? 'orders_rejudged'"),
        "refunds_stored": one(f"SELECT count(*) FROM {orders} WHERE refunded_amount > 0"),
        "orders_in_events": one(f"SELECT count(DISTINCT result->>'order') FROM {events}"),
        "orders_stored": one(f"SELECT count(*) FROM {orders}"),
        "orders_paid": one(f"SELECT count(*) FROM {orders} WHERE status = 'paid'"),
        "orders_with_rebate": one(f"SELECT count(*) FROM {orders} WHERE rebate > 0"),
        "raw_stored": one(f"SELECT count(*) FROM {RAW_EVENTS_TABLE}"),
        "events_processed_after_the_run": processed,
        "events_applied_one_to_a_transaction": drain["one"][0],
        "events_per_second_one_to_a_transaction_two_workers": round(drain["one"][0] / drain["one"][1], 1),
        "events_applied_in_batches": drain["batches"][0],
        "events_per_second_in_batches_two_workers": round(drain["batches"][0] / drain["batches"][1], 1),
        "events_not_processed": one(f"SELECT count(*) FROM {events} WHERE status <> 'processed'"),
    }
    slack = options.runs * options.connections
    answered = {name: sum(run["ok"] for run in runs) for name, runs in results.items()}
    errors = {name: sum(run["errors"] + run["timeouts"] for run in runs) for name, runs in results.items()}
    repeated = sum(run["repeated"] for runs in results.values() for run in runs)
    checks = {
        "no answer other than 200, no timeout": not any(errors.values()),
        "no request sent twice (the request files were long enough)": repeated == 0,
        f"Events stored = events answered 200 (+ up to {slack} in flight)": 0
        <= figures["events_stored"] - answered["events"]
        <= slack,
        "every Event applied by a worker, none failed or left waiting": figures["events_not_processed"] == 0,
        "every order.updated Event has its Order": figures["events_without_order"] == 0,
        "Orders stored = distinct orders in the Events": figures["orders_in_events"] == figures["orders_stored"],
        f"raw rows stored = bare answered 200 (+ up to {slack} in flight)": 0
        <= figures["raw_stored"] - answered["bare"]
        <= slack,
    }
    return figures, answered, errors, checks


def probe(probe_customers, count, profile):
    """In this process, through Django's test client: the queries of one event of each kind, the mean
    time of 100 events, and optionally a cProfile of `count` more (unpaid then paid for each probe customer)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="127.0.0.1")
    placed_base = datetime.now(SHANGHAI) - timedelta(hours=1)
    # Probe events: event n of this sequence is customer n // 2, unpaid then paid, straight after.
    bodies = []
    for number in range(len(probe_customers) * 2):
        body = order_event(
            (number // 2) + (number % 2) * BLOCK, probe_customers, prefix="probe", placed_base=placed_base
        )
        bodies.append(body)

    def post(body):
        signature, raw = signed(body)
        answer = client.post(
            VIEWS["events"], data=raw, content_type="application/json", HTTP_PORTAL_SIGNATURE=signature
        )
        assert answer.status_code == 200, answer.content
        return answer

    queries = {}
    # Customer 0 is associated (even index), customer 1 is not.
    for label, body in [
        ("unpaid v1, associated customer", bodies[0]),
        ("paid v2, associated customer", bodies[1]),
        ("unpaid v1, customer without association", bodies[2]),
        ("paid v2, customer without association", bodies[3]),
        ("replay of an event already stored", bodies[3]),
    ]:
        with CaptureQueriesContext(connection) as captured:
            post(body)
        queries[label] = len(captured)
    timed = bodies[4:104]
    started = time.perf_counter()
    for body in timed:
        post(body)
    milliseconds = {"events": (time.perf_counter() - started) / len(timed) * 1000}
    started = time.perf_counter()
    for body in timed:
        signature, raw = signed(body)
        client.post(VIEWS["bare"], data=raw, content_type="application/json", HTTP_PORTAL_SIGNATURE=signature)
    milliseconds["bare"] = (time.perf_counter() - started) / len(timed) * 1000
    profile_text = ""
    rest = bodies[104 : 104 + count]
    if profile and rest:
        profiler = cProfile.Profile()
        profiler.enable()
        for body in rest:
            post(body)
        profiler.disable()
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(40)
        profile_text = f"{len(rest)} events:\n" + stream.getvalue()
    return queries, milliseconds, profile_text


def main():
    global BLOCK
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--max-rate", type=int, default=2500, help="requests/s to sign for the first run of each view (then measured)"
    )
    parser.add_argument("--profile", action="store_true", help="also cProfile events applied in-process")
    parser.add_argument("--batch-size", type=int, default=50, help="events to a transaction in the second half")
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--redis-db", type=int, default=SETUP.redis_db)
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument(
        "--block", type=int, default=BLOCK, help="orders per block of the sequence (smaller: the mix sooner)"
    )
    options = parser.parse_args()
    BLOCK = options.block
    use_setup(harness.Setup(database=options.database, port=options.port, redis_db=options.redis_db))
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    if options.seconds > 200:
        raise SystemExit("--seconds must stay well inside the signature's 300 s window")

    started = time.monotonic()
    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)", flush=True)
    prepare()
    django_setup()
    customers, probe_customers = create_customers()
    placed_base = datetime.now(SHANGHAI) - timedelta(hours=1)
    print(f"setup: {CUSTOMERS:,} customers in {time.monotonic() - started:.0f} s", flush=True)

    results = {"bare": [], "events": []}
    rate = dict.fromkeys(VIEWS, options.max_rate)
    observed = dict.fromkeys(VIEWS, 0.0)
    next_event = {"bare": 0, "events": 0}  # each view's sequence goes on from run to run
    with tempfile.TemporaryDirectory(prefix="bench-events-") as scratch:
        log_path = Path(scratch) / "gunicorn.log"
        with open(log_path, "w") as log:
            server = start_server(options.workers, log)
            try:
                for _ in range(options.runs):
                    for name, path in VIEWS.items():
                        count = int(rate[name] * options.seconds) + 2 * options.connections
                        settle()
                        requests_file = Path(scratch) / f"{name}.txt"
                        prefix = "raw" if name == "bare" else "bench"
                        write_requests(
                            requests_file, next_event[name], count, customers, prefix=prefix, placed_base=placed_base
                        )
                        run = wrk(path, requests_file, options.seconds, options.connections, options.threads)
                        next_event[name] += count
                        observed[name] = max(observed[name], run["rps"])
                        # A warm-up run can be half as fast as the next: never sign fewer than the first run.
                        rate[name] = max(observed[name] * 1.5, options.max_rate)
                        results[name].append(run)
                        print(
                            f"  {name}: {run['rps']:,.0f} req/s, 200: {run['ok']}, other: {run['errors']},"
                            f" timeouts: {run['timeouts']}, repeated: {run['repeated']}",
                            flush=True,
                        )
            finally:
                stop_server(server)
        server_log = log_path.read_text()

    figures, answered, errors, checks = verify(results, options)
    queries, milliseconds, profile_text = probe(probe_customers, 2 * PROBE_CUSTOMERS - 104, options.profile)
    median = {
        name: {key: statistics.median(run[key] for run in runs) for key in ("rps", "p50", "p99")}
        for name, runs in results.items()
    }
    report(options, results, median, answered, errors, figures, checks, queries, milliseconds, server_log)
    if profile_text:
        print("\ncProfile (cumulative), events applied through Django's test client:\n```")
        print(profile_text.rstrip())
        print("```")
    print(f"\ntotal time: {time.monotonic() - started:.0f} s; load average at the end: {os.getloadavg()[0]:.2f}")
    if not all(checks.values()):
        raise SystemExit(1)


def report(options, results, median, answered, errors, figures, checks, queries, milliseconds, server_log):
    print(
        f"\ngunicorn sync -w{options.workers}, wrk -t{options.threads} -c{options.connections} {options.seconds}s,"
        f" {options.runs} runs, PostgreSQL, {CUSTOMERS:,} customers"
    )
    print("| view | events/s | p50 ms | p99 ms | 200 answers | other answers |")
    print("| --- | --- | --- | --- | --- | --- |")
    labels = {
        "bare": "bare view: INSERT of the raw body in a transaction",
        "events": "`POST /api/v1/events`, `order.updated` snapshots",
    }
    for name in results:
        figures_of = median[name]
        print(
            f"| {labels[name]} | {figures_of['rps']:,.0f} | {figures_of['p50']:.2f} | {figures_of['p99']:.2f}"
            f" | {answered[name]:,} | {errors[name]} |"
        )
    ratio = median["events"]["rps"] / median["bare"]["rps"]
    verdict = "met" if ratio >= 0.4 else "NOT met"
    print(f"\nratio events/bare (median events/s): {ratio:.2f} (target >= 0.40: {verdict})")
    applied = figures["events_per_second_in_batches_two_workers"]
    one_by_one = figures["events_per_second_one_to_a_transaction_two_workers"]
    applying = applied / median["events"]["rps"]
    print(
        f"applied events/s by two workers in batches of {options.batch_size}: {applied:,.1f}"
        f" (one event to a transaction, same run: {one_by_one:,.1f}, {applied / one_by_one:.2f}x);"
        f" / accepted events/s: {applying:.2f} (target >= 0.60: {'met' if applying >= 0.6 else 'NOT met'})"
    )
    print(
        "runs (events/s): "
        + "; ".join(f"{name} {[round(run['rps']) for run in runs]}" for name, runs in results.items())
    )
    for name, runs in results.items():
        for run in runs:
            if run["first_other"]:
                print(f"first other answer ({name}): {run['first_other']}")

    print("\nqueries per event (one request through Django's test client, same settings and database):")
    for label, count in queries.items():
        print(f"- {label}: {count}")
    print(
        "mean time per request in-process, one after another (100 events, unpaid and paid):"
        f" events {milliseconds['events']:.1f} ms, bare {milliseconds['bare']:.1f} ms"
    )

    print("\ndatabase after the runs:")
    for key, value in figures.items():
        print(f"- {key.replace('_', ' ')}: {value:,}")
    print("checks:")
    for label, passed in checks.items():
        print(f"- [{'x' if passed else ' '}] {label}")
    problems = [line for line in server_log.splitlines() if re.search(r"\b(ERROR|CRITICAL|Traceback)\b", line)]
    print(f"server log: {len(problems)} error lines" + (":" if problems else ""))
    for line in problems[:10]:
        print(f"    {line}")


if __name__ == "__main__":
    main()
