#!/usr/bin/env python
"""The 返利订单 page and its API for an ambassador with 100,000 orders: latency p50/p99 and query count,
against a bare Django view in the same run.

gunicorn (sync workers, DEBUG off, persistent connections) on a throwaway PostgreSQL database and
Redis, loaded with wrk on 127.0.0.1 with a logged-in session cookie (made in this process with
Django's test client, against the same database). The ambassador's orders are bulk-created: first
1,000, measured, then up to 100,000, measured again; as many again belong to 2,000 other
ambassadors, so that the table holds many ambassadors' orders, as production's does, and PostgreSQL
plans for that. At each size: the bare view, the bare view that loads the session's user, `/center/orders/`
page 1 and its last page, and `/api/v1/me/rebate-orders` page 1 and its last page, alternating; the
median of the runs is reported.
Each page is judged against the logged-in bare view twice: the ratio of the two views' medians, and
the median of the ratios within each round (the page's run against the bare view's run of the same
round, half a minute apart at most, where this shared machine's speed drifts by up to 2x between
rounds). The target is met when both are within it.
Each answer is checked to be a 200 (wrk alone counts a redirect to the log-in page as a success),
and the queries of each view are counted in this process with CaptureQueriesContext.

    .venv/bin/python bench/rebate_orders_page.py [--runs 5] [--seconds 5] [--rows 1000,100000]
"""

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import harness

ROOT = Path(__file__).resolve().parent.parent
DATABASE = harness.database_name("portal_bench_orders")
PORT = harness.port(8767)
LUA = ROOT / "bench" / "count_status.lua"
CUSTOMERS = 20
# The measured ambassador's orders share the table with as many of 2,000 others: with one
# ambassador's orders alone (or a few ambassadors'), PostgreSQL's generic plan for the list scanned
# the placement-time index of the whole table and sorted, a plan no table of many ambassadors gets
# (docs/PERFORMANCE.md).
OTHER_AMBASSADORS = 2_000
BATCH = 5_000
# The page within 2x the latency of the bare view behind the same log-in, at p50 and p99
# (docs/PERFORMANCE.md says why that is the baseline of a logged-in page); the anonymous bare
# view's ratio is shown too.
TARGET = 2

SETUP = harness.Setup(database=DATABASE, port=PORT, redis_db=harness.redis_db(12))
environment, manage, start_server = SETUP.environment, SETUP.manage, SETUP.start_server
django_setup, settle, stop_server = SETUP.django_setup, SETUP.settle, harness.stop_server
_millis = harness.millis


def prepare():
    """A clean start: a new database with the migrations, an empty Redis db, the static manifest."""
    SETUP.recreate()


def create_ambassadors():
    """The measured ambassador, the other ambassadors, and the customers their orders are spread over."""
    from django.contrib.auth.hashers import make_password

    from ambassadors.models import Ambassador
    from ambassadors.tests.factories import AmbassadorFactory, VerifiedAmbassadorFactory
    from portal.kernel.models import User

    ambassador = VerifiedAmbassadorFactory()
    password = make_password(None)
    customers = User.objects.bulk_create(
        [User(email=f"customer{number}@bench.example", password=password) for number in range(CUSTOMERS)]
    )
    members = User.objects.bulk_create(
        [User(email=f"ambassador{number}@bench.example", password=password) for number in range(OTHER_AMBASSADORS)]
    )
    others = Ambassador.objects.bulk_create([AmbassadorFactory.build(user=member) for member in members])
    return ambassador, others, customers


def orders_add(ambassador, others, customers, start, stop, now):
    """The measured ambassador's orders `start` to `stop - 1`, newest first: one every 259 s going back
    (100,000 span ~300 days), and beside each one an order of one of the `others`, at a time between
    two of them. One in 20 is invalid (same person), one in 20 refunded in full; all are listed on the page."""
    from django.db import connection
    from django.utils import timezone

    from referrals.models import Order, OrderType, Product, Reason

    product = Product.objects.get(code="ecs")
    types = [OrderType.MEMBER_FIRST_PURCHASE, OrderType.NEW_PURCHASE, OrderType.RENEWAL, OrderType.UPGRADE]
    for first in range(start, stop, BATCH):
        batch = []
        for number, owner, placed in _placements(ambassador, others, range(first, min(first + BATCH, stop)), now):
            amount = Decimal(100 + number % 900)
            reason = {7: Reason.SAME_PERSON, 13: Reason.REFUNDED}.get(number % 20, "")
            batch.append(
                Order(
                    billing_id=f"bench-{number:06d}" if owner is ambassador else f"other-{number:06d}",
                    customer=customers[number % len(customers)],
                    product=product,
                    billing="prepaid",
                    kind="new",
                    amount=amount,
                    period_days=30,
                    placed_at=placed,
                    status="refunded" if reason == Reason.REFUNDED else "paid",
                    paid_at=placed,
                    refunded_amount=amount if reason == Reason.REFUNDED else Decimal("0"),
                    refunded_at=placed + timedelta(days=1) if reason == Reason.REFUNDED else None,
                    version=1,
                    ambassador=owner,
                    order_type=types[number % len(types)],
                    rate=Decimal("0.25"),
                    rebate=Decimal("0") if reason else amount * Decimal("0.25"),
                    reason=reason,
                    decided_at=placed,
                    settles_on=timezone.localtime(placed).date() + timedelta(days=30),
                )
            )
        Order.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # every table (the orders, the members), as autovacuum would have by then


def _placements(ambassador, others, numbers, now):
    """(number, ambassador, placed at) of the measured ambassador's orders `numbers` and, beside
    each, one of another ambassador's, half-way to the next older one."""
    for number in numbers:
        placed = now - timedelta(hours=1, seconds=259 * number)
        yield number, ambassador, placed
        yield number, others[number % len(others)], placed - timedelta(seconds=129)


def views_for(rows, ambassador):
    """name → (path, text the answer must contain)."""
    from portal.shell.api import PAGE_SIZE
    from referrals.models import Order
    from referrals.rebates.selectors import encode_cursor
    from referrals.rebates.views import ORDERS_PER_PAGE

    oldest = f"bench-{rows - 1:06d}"

    def cursor_before_last(size):
        """The cursor that opens the last page: the order just newer than the last `size`."""
        newest_first = Order.objects.filter(ambassador=ambassador).order_by("-placed_at", "-pk")
        return encode_cursor(newest_first[max(rows - size - 1, 0)])

    return {
        "bare": ("/bench/bare", "ok"),
        "bare_user": ("/bench/bare-user", "ok"),
        "page_1": ("/center/orders/", "bench-000000<"),
        "page_last": (f"/center/orders/?before={cursor_before_last(ORDERS_PER_PAGE)}", f"{oldest}<"),
        "api_1": ("/api/v1/me/rebate-orders", '"order": "bench-000000"'),
        "api_last": (f"/api/v1/me/rebate-orders?before={cursor_before_last(PAGE_SIZE)}", f'"order": "{oldest}"'),
    }


LABELS = {
    "bare": "bare `HttpResponse('ok')`",
    "bare_user": "bare + session user loaded",
    "page_1": "`/center/orders/` page 1",
    "page_last": "`/center/orders/` last page",
    "api_1": "`/api/v1/me/rebate-orders` page 1",
    "api_last": "`/api/v1/me/rebate-orders` last page",
}


def session_cookie(ambassador):
    """A logged-in session stored in the bench database, as the Cookie header a browser would send:
    with the device cookie the portal gives every browser (so no view sets it again) and the CSRF
    cookie that a signed-in browser holds since the log-in form (so no page makes a new secret)."""
    from django.conf import settings
    from django.test import Client

    from referrals.attribution.cookies import DEVICE_COOKIE

    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(ambassador.user)
    assert client.get("/bench/bare").status_code == 200
    assert client.get("/center/orders/").status_code == 200  # a page with a form: the CSRF cookie
    cookies = [settings.SESSION_COOKIE_NAME, DEVICE_COOKIE, settings.CSRF_COOKIE_NAME]
    return client, "; ".join(f"{name}={client.cookies[name].value}" for name in cookies)


def query_counts(client, views, repeat=20):
    """Each view's queries, and its mean time in this process (requests one after another, no queueing)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts, milliseconds = {}, {}
    for name, (path, expected) in views.items():
        client.get(path)  # warm: the first request of a process may load more
        with CaptureQueriesContext(connection) as captured:
            answer = client.get(path)
        assert answer.status_code == 200 and expected in answer.content.decode(), (name, answer.status_code)
        counts[name] = len(captured)
        started = time.perf_counter()
        for _ in range(repeat):
            client.get(path)
        milliseconds[name] = (time.perf_counter() - started) / repeat * 1000
    return counts, milliseconds


def preflight(views, cookie):
    """Through gunicorn, once each, before wrk: a 200 carrying the expected rows (so the session works)."""
    for name, (path, expected) in views.items():
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        connection.request("GET", path, headers={"Cookie": cookie})
        answer = connection.getresponse()
        body = answer.read().decode()
        connection.close()
        if answer.status != 200 or expected not in body:
            raise SystemExit(f"{name} {path}: {answer.status}, {expected!r} not in the answer: {body[:300]}")
        if name == "api_1":
            assert json.loads(body)["results"]


def wrk(path, cookie, seconds, connections, threads):
    output = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency"]
        + ["-s", str(LUA)]
        + ["-H", f"Cookie: {cookie}", f"http://127.0.0.1:{PORT}{path}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures = harness.wrk_figures(output)
    return figures | {"errors": figures["other"] + figures["timeouts"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rows", default="1000,100000", help="order counts to measure at, growing")
    options = parser.parse_args()
    sizes = sorted(int(rows) for rows in options.rows.split(","))
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")

    started = time.monotonic()
    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)", flush=True)
    prepare()
    django_setup()
    from django.utils import timezone

    ambassador, others, customers = create_ambassadors()
    client, cookie = session_cookie(ambassador)
    now = timezone.now()
    results, queries, in_process = {}, {}, {}
    with tempfile.TemporaryDirectory(prefix="bench-orders-") as scratch:
        log_path = Path(scratch) / "gunicorn.log"
        with open(log_path, "w") as log:
            server = start_server(options.workers, log)
            try:
                stored = 0
                for rows in sizes:
                    began = time.monotonic()
                    orders_add(ambassador, others, customers, stored, rows, now)
                    stored = rows
                    print(
                        f"{rows:,} orders stored, and as many of {OTHER_AMBASSADORS:,} other ambassadors"
                        f" ({time.monotonic() - began:.0f} s)",
                        flush=True,
                    )
                    views = views_for(rows, ambassador)
                    queries[rows], in_process[rows] = query_counts(client, views)
                    preflight(views, cookie)
                    results[rows] = {name: [] for name in views}
                    for _ in range(options.runs):
                        for name, (path, _expected) in views.items():
                            settle()
                            run = wrk(path, cookie, options.seconds, options.connections, options.threads)
                            results[rows][name].append(run)
                            print(
                                f"  {rows:,} {name}: {run['rps']:,.0f} req/s, p50 {run['p50']:.1f} ms,"
                                f" p99 {run['p99']:.1f} ms, other answers {run['errors']}",
                                flush=True,
                            )
            finally:
                stop_server(server)
        server_log = log_path.read_text()

    met = report(options, results, queries, in_process, server_log)
    print(f"\ntotal time: {time.monotonic() - started:.0f} s; load average at the end: {os.getloadavg()[0]:.2f}")
    if not met["answers"]:
        raise SystemExit(1)


def _ratios(figures, logged_in, runs, logged_in_runs):
    """A page against the logged-in bare view: the ratio of their medians over the runs, and the
    median of the ratios round by round (each round runs every view once, in turn)."""
    return {
        "p50": figures["p50"] / logged_in["p50"],
        "p99": figures["p99"] / logged_in["p99"],
        **{
            f"{key} paired": statistics.median(
                run[key] / base[key] for run, base in zip(runs, logged_in_runs, strict=True)
            )
            for key in ("p50", "p99")
        },
    }


def report(options, results, queries, in_process, server_log):
    print(
        f"\ngunicorn sync -w{options.workers}, wrk -t{options.threads} -c{options.connections} {options.seconds}s,"
        f" {options.runs} runs, PostgreSQL, logged-in ambassador (session in the database)"
    )
    print("| orders | view | req/s | p50 ms | p99 ms | queries | p50 / bare | p99 / bare | in-process ms | non-200 |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    verdicts, all_answers_ok = [], True
    for rows, views in results.items():
        median = {
            name: {key: statistics.median(run[key] for run in runs) for key in ("rps", "p50", "p99")}
            for name, runs in views.items()
        }
        bare = median["bare"]
        for name, runs in views.items():
            figures = median[name]
            errors = sum(run["errors"] for run in runs)
            all_answers_ok = all_answers_ok and errors == 0 and all(run["ok"] > 0 for run in runs)
            p50_ratio, p99_ratio = figures["p50"] / bare["p50"], figures["p99"] / bare["p99"]
            print(
                f"| {rows:,} | {LABELS[name]} | {figures['rps']:,.0f} | {figures['p50']:.2f} | {figures['p99']:.2f}"
                f" | {queries[rows][name]} | {p50_ratio:.2f} | {p99_ratio:.2f} | {in_process[rows][name]:.2f}"
                f" | {errors} |"
            )
            if name.startswith("page_"):
                verdicts.append((rows, name, _ratios(figures, median["bare_user"], runs, views["bare_user"])))
    print(
        "(in-process ms: mean of 20 requests one after another through Django's test client, no queueing;"
        " wrk's latencies include the queue of 16 connections on 2 workers)"
    )
    print(f"\ntarget: the page within {TARGET}x the latency of the bare view behind the same log-in, at any row count")
    print("(of medians: the page's median over the runs ÷ the bare view's; paired: the median of the rounds' ratios)")
    for rows, name, ratios in verdicts:
        verdict = "met" if max(ratios.values()) <= TARGET else "NOT met"
        print(
            f"- {rows:,} orders, {LABELS[name]}:"
            f" p50 {ratios['p50']:.2f}x of medians, {ratios['p50 paired']:.2f}x paired;"
            f" p99 {ratios['p99']:.2f}x of medians, {ratios['p99 paired']:.2f}x paired: {verdict}"
        )
    for rows, views in results.items():
        print(
            f"runs at {rows:,} (req/s): "
            + "; ".join(f"{name} {[round(run['rps']) for run in runs]}" for name, runs in views.items())
        )
        for name, runs in views.items():
            for run in runs:
                if run["first_other"]:
                    print(f"first other answer ({rows:,} {name}): {run['first_other']}")
    problems = [line for line in server_log.splitlines() if re.search(r"\b(ERROR|CRITICAL|Traceback)\b", line)]
    print(f"server log: {len(problems)} error lines" + (":" if problems else ""))
    for line in problems[:10]:
        print(f"    {line}")
    return {"answers": all_answers_ok and not problems}


if __name__ == "__main__":
    main()
