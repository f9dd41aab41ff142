#!/usr/bin/env python
"""Throughput of GET /r/<code> against a bare Django view in the same server.

gunicorn (sync workers, DEBUG off, persistent connections) on PostgreSQL and
Redis, loaded with wrk on 127.0.0.1; bare view and link endpoint alternate,
and the median of the runs is reported. At the end the buffered clicks are
flushed and counted against what wrk sent, so nothing was lost on the way.

    .venv/bin/python bench/link_endpoint.py [--runs 3] [--seconds 10]
"""

import argparse
import re
import shutil
import signal
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import harness

ROOT = Path(__file__).resolve().parent.parent
DATABASE = harness.database_name("portal_bench")
PORT = harness.port(8765)

SETUP = harness.Setup(database=DATABASE, port=PORT, redis_db=harness.redis_db(14))
environment, manage, start_server = SETUP.environment, SETUP.manage, SETUP.start_server
_millis = harness.millis


def prepare():
    SETUP.recreate()
    script = (
        "from ambassadors.tests.factories import VerifiedAmbassadorFactory;"
        "from referrals.attribution.services import referral_link_for;"
        "print(referral_link_for(VerifiedAmbassadorFactory()).code)"
    )
    return manage("shell", "-c", script, capture=True).stdout.strip().splitlines()[-1]


def wrk(path, seconds, connections):
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", f"http://127.0.0.1:{PORT}{path}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": _millis(re.search(r"50%\s+([\d.]+\w+)", output).group(1)),
        "p99": _millis(re.search(r"99%\s+([\d.]+\w+)", output).group(1)),
        "requests": requests,
        "errors": int(errors.group(1)) if errors else 0,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--write-through", action="store_true", help="also measure one INSERT per click (no Redis), for comparison"
    )
    options = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")

    code = prepare()
    server = start_server(options.workers)
    results = {"bare": [], "link": []}
    try:
        for _ in range(options.runs):
            results["bare"].append(wrk("/bench/bare", options.seconds, options.connections))
            results["link"].append(wrk(f"/r/{code}", options.seconds, options.connections))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    sent = sum(run["requests"] for run in results["link"])
    flushed = manage("flush_visits", capture=True).stdout.strip()
    stored = manage("shell", "-c", "from referrals.models import Visit; print(Visit.objects.count())", capture=True)
    stored = int(stored.stdout.strip().splitlines()[-1])

    if options.write_through:
        results["write_through"] = []
        server = start_server(options.workers, redis=False)
        try:
            for _ in range(options.runs):
                results["write_through"].append(wrk(f"/r/{code}", options.seconds, options.connections))
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)

    median = {
        name: {key: statistics.median(run[key] for run in runs) for key in ("rps", "p50", "p99")}
        for name, runs in results.items()
    }
    report(options, results, median)
    print(f"clicks wrk counted: {sent} (requests in flight when it stopped are not counted)")
    print(f"{flushed} Visits stored: {stored}")


def report(options, results, median):
    print(f"gunicorn sync -w{options.workers}, wrk -t2 -c{options.connections} {options.seconds}s, {options.runs} runs")
    print("| view | req/s | p50 ms | p99 ms | errors |")
    print("| --- | --- | --- | --- | --- |")
    labels = {
        "bare": "bare `HttpResponse('ok')`",
        "link": "`/r/<code>`, visit recorded (batched through Redis)",
        "write_through": "`/r/<code>`, one INSERT per click (no Redis)",
    }
    for name, runs in results.items():
        figures = median[name]
        errors = sum(run["errors"] for run in runs)
        print(f"| {labels[name]} | {figures['rps']:,.0f} | {figures['p50']:.2f} | {figures['p99']:.2f} | {errors} |")
    for name in results:
        if name != "bare":
            print(f"ratio {name}/bare (median req/s): {median[name]['rps'] / median['bare']['rps']:.2f}")
    print(
        "runs (req/s): " + "; ".join(f"{name} {[round(run['rps']) for run in runs]}" for name, runs in results.items())
    )


if __name__ == "__main__":
    main()
