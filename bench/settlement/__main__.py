"""`python -m bench.settlement`: build (or reuse) the data, alternate the measured runs, report."""

import argparse
import os
import time

from . import __doc__ as DESCRIPTION
from .build import build, reuse
from .child import child, code_fingerprint, run_child
from .config import COPY, COPY_SETUP, DATABASE, SETUP
from .postgres import database_size, psql
from .report import report


def main():
    options = _options()
    if options.child:
        code = code_fingerprint()  # before Django imports it
        COPY_SETUP.django_setup()
        return child(options, code)

    started = time.monotonic()
    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)", flush=True)
    plan = _data(options.rows, options.reuse_data)
    template_size = database_size(DATABASE)
    results = _alternate(plan, options.runs)
    plans = {}
    if options.explain:
        for kind in ["baseline", "settlement"]:
            plans[kind] = run_child(kind, plan, explain=True)
            print(f"  EXPLAIN ANALYZE {kind}: {plans[kind]['seconds']:.1f} s under auto_explain", flush=True)
    psql("postgres", f"DROP DATABASE IF EXISTS {COPY} WITH (FORCE)")

    passed = report(options, plan, results, template_size)
    for kind, outcome in plans.items():
        print(f"\nEXPLAIN ANALYZE, {kind} (auto_explain, statements over 100 ms, in order):")
        for text in outcome["plans"]:
            print("```\n" + text.rstrip() + "\n```")
    print(f"\ntotal time: {time.monotonic() - started:.0f} s; load average at the end: {os.getloadavg()[0]:.2f}")
    if not passed:
        raise SystemExit(1)


def _options():
    parser = argparse.ArgumentParser(description=DESCRIPTION.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="due orders with a rebate (1%% of them held)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--explain", action="store_true", help="then EXPLAIN ANALYZE both (auto_explain), once")
    parser.add_argument("--reuse-data", action="store_true", help="keep the database built last time (same --rows)")
    parser.add_argument("--child", choices=["settlement", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--expected", type=int, help=argparse.SUPPRESS)
    return parser.parse_args()


def _data(rows, reuse_data):
    """The plan of the data: the database built last time (migrated to the current code), or a new one."""
    began = time.monotonic()
    plan = reuse(rows) if reuse_data else None
    if plan:
        pending = SETUP.manage("showmigrations", "--plan", capture=True).stdout.count("[ ]")
        SETUP.manage("migrate", "-v0")  # the code may have moved on since the build
        print(f"reusing {DATABASE} (built with --rows {rows:,}; {pending} migrations applied)", flush=True)
    else:
        print(f"building {DATABASE} with --rows {rows:,}", flush=True)
        plan = build(rows)
        print(f"built in {time.monotonic() - began:.0f} s", flush=True)
    plan["engine_to_settle"] = 2  # the engine's plain and partly refunded orders
    return plan


def _alternate(plan, runs):
    """Baseline and settlement alternately, each on a fresh copy; each run's line as it ends."""
    results = {"baseline": [], "settlement": []}
    for number in range(runs):
        for kind in ["baseline", "settlement"] if number % 2 == 0 else ["settlement", "baseline"]:
            outcome = run_child(kind, plan)
            results[kind].append(outcome)
            failed = [name for name, passed in outcome["checks"].items() if not passed]
            print(
                f"  run {number + 1} {kind}: {outcome['seconds']:.1f} s ({outcome['commits']} commits,"
                f" {outcome['commit_seconds']:.1f} s; longest transaction"
                f" {outcome['longest_transaction_seconds']:.1f} s),"
                f" peak RSS {outcome['peak_rss_kib'] / 1024:.0f} MiB; second run {outcome['rerun_seconds']:.1f} s;"
                f" copy {outcome['copy_seconds']:.0f} s, checks {outcome['verify_seconds']:.0f} s;"
                f" code {outcome['code']};"
                f" {'all checks passed' if not failed else 'FAILED: ' + '; '.join(failed)}",
                flush=True,
            )
    return results


if __name__ == "__main__":
    main()
