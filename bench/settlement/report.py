"""The report: what was run on which data, the medians of both sides with their ratio, where
`settlement_run` spends its time, and the checks of every run. Markdown, for docs/PERFORMANCE.md."""

import os
import statistics
import sys

from .config import ESTIMATE_ROWS, TARGET
from .postgres import psql


def report(options, plan, results, template_size):
    """Prints the report; returns whether every check of every run passed."""
    settle, base = results["settlement"], results["baseline"]
    _setting(options, plan, settle[0]["figures"], template_size)
    _medians(settle, base)
    ratio = _median(settle, "seconds") / _median(base, "seconds")
    verdict = "met" if ratio <= TARGET else "NOT met"
    print(f"\n**settlement / baseline: {ratio:.2f}** (target within {TARGET}x: {verdict})")
    _estimate(plan, settle, base)
    print(
        "(commit: the deferred foreign-key checks of every row inserted run at COMMIT; longest transaction:"
        " the longest time between two COMMITs; PostgreSQL backend peak: VmHWM of the backend, shared"
        " buffers it touched included; WAL: the whole cluster's, anything else writing at the time included;"
        " rows inserted, blocks and temp: this database's counters)"
    )
    _where_time_goes(settle, base)
    passed = _checks(settle, base)
    print(
        f"Python process peak RSS: {max(run['peak_rss_kib'] for run in settle) / 1024:.0f} MiB at most"
        f" (ru_maxrss; {max(run['rss_before_kib'] for run in settle) / 1024:.0f} MiB after Django's setup);"
        f" database after a run: {settle[0]['size_after'] / 2**30:.1f} GiB"
    )
    return passed


def _estimate(plan, settle, base):
    """A run of ESTIMATE_ROWS due rebates, from this one's time per rebate: the work per chunk is
    the same at any size, so the run grows with the rebates and its longest transaction does not."""
    scale = ESTIMATE_ROWS / plan["rows"]
    chunks, size = _median(settle, "chunks"), settle[0]["chunk_rebates"]
    print(
        f"chunks: {chunks:.0f} of about {size:,} rebates; longest transaction"
        f" {_median(settle, 'longest_transaction_seconds'):.1f} s (the baseline's one:"
        f" {_median(base, 'longest_transaction_seconds'):.1f} s)"
    )
    print(
        f"estimate for {ESTIMATE_ROWS:,} due rebates (x{scale:g} this run): settlement"
        f" {_median(settle, 'seconds') * scale / 60:.0f} min in about {ESTIMATE_ROWS / size:,.0f} chunks or more,"
        f" none much longer than {_median(settle, 'longest_transaction_seconds'):.1f} s; the one statement"
        f" {_median(base, 'seconds') * scale / 60:.0f} min in one transaction"
    )


def _median(runs, key):
    return statistics.median(run[key] for run in runs)


def _setting(options, plan, figures, template_size):
    command = " ".join([".venv/bin/python", "-m", "bench.settlement", *sys.argv[1:]])
    print(f"\ncommand: {command}")
    print(
        f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; PostgreSQL"
        f" {psql('postgres', 'SHOW server_version')}, shared_buffers {psql('postgres', 'SHOW shared_buffers')},"
        f" work_mem {psql('postgres', 'SHOW work_mem')}; {options.runs} runs each, alternating, each on a fresh"
        f" copy of the database ({template_size / 2**30:.1f} GiB)"
    )
    print(
        f"data: {plan['rows']:,} due orders with a rebate ({plan['held']:,} of all orders held by risk control,"
        f" {plan['partial_refunds']:,} refunded in part), {plan['ahead']:,} not yet due,"
        f" {plan['refunded_in_full']:,} refunded in full; {plan['ambassadors']:,} ambassadors,"
        f" {plan['debtors']} of them with debt; {plan['customers']:,} customers; settled per run:"
        f" {figures['orders_settled']:,} orders, {float(figures['amount_settled']):,.2f} yuan, debt netted"
        f" {float(figures['debt_netted']):,.2f} yuan for {figures['ambassadors_netted']} ambassadors"
        f" ({figures['ambassadors_netted_in_part']} in part)"
    )


def _medians(settle, base):
    print(
        "\n| what | median s | runs s | / baseline | commits | commit s | longest transaction s"
        " | Python peak RSS MiB (before) | PostgreSQL backend peak MiB | rows inserted | blocks read / hit"
        " | temp MiB | WAL MiB |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    rows = [
        ("baseline: one `INSERT … SELECT` (CTEs: postings, entries, debt netting)", base, "seconds", "postgres"),
        ("`settlement_run(day)`", settle, "seconds", "postgres"),
        ("baseline again, nothing due", base, "rerun_seconds", "rerun_postgres"),
        ("`settlement_run(day)` again, nothing due", settle, "rerun_seconds", "rerun_postgres"),
    ]
    for name, runs, key, stats in rows:
        seconds = _median(runs, key)
        against = _median(base, key)  # the baseline's figure of the same kind (first run or second run)
        pg = {field: statistics.median(run[stats][field] for run in runs) for field in runs[0][stats]}
        measured = ["", "", "", "", ""]
        if key == "seconds":
            measured = [
                f"{_median(runs, 'commits'):.0f}",
                f"{_median(runs, 'commit_seconds'):.1f}",
                f"{_median(runs, 'longest_transaction_seconds'):.1f}",
                f"{_median(runs, 'peak_rss_kib') / 1024:.0f} ({_median(runs, 'rss_before_kib') / 1024:.0f})",
                f"{_median(runs, 'backend_peak_kib') / 1024:.0f}",
            ]
        print(
            f"| {name} | {seconds:.1f} | {' / '.join(f'{run[key]:.1f}' for run in runs)} | {seconds / against:.2f}"
            f" | {' | '.join(measured)} | {pg['inserted']:,.0f}"
            f" | {pg['blocks_read']:,.0f} / {pg['blocks_hit']:,.0f} | {pg['temp_bytes'] / 2**20:,.0f}"
            f" | {pg['wal_bytes'] / 2**20:,.0f} |"
        )


def _where_time_goes(settle, base):
    """Each statement's median total over the runs, and its share of the run."""
    statements = {}
    for run in settle + base:
        for name, seconds in run["statements"]:
            statements.setdefault((run["kind"], name), {}).setdefault(id(run), []).append(seconds)
    for kind, runs in (("settlement", settle), ("baseline", base)):
        title = f"where `settlement_run(day)` spends its time (median of {len(runs)} runs)"
        print(f"\n{title if kind == 'settlement' else 'and the baseline'}:")
        print("| statement | calls | s | share |")
        print("| --- | --- | --- | --- |")
        total = _median(runs, "seconds")
        for (of, name), by_run in statements.items():
            if of != kind:
                continue
            seconds = statistics.median(sum(values) for values in by_run.values())
            calls = statistics.median(len(values) for values in by_run.values())
            if seconds >= 0.05 or calls > 1:
                print(f"| {name} | {calls:.0f} | {seconds:.2f} | {seconds / total:.0%} |")
        commit, commits = _median(runs, "commit_seconds"), _median(runs, "commits")
        print(f"| COMMIT (deferred foreign-key checks) | {commits:.0f} | {commit:.2f} | {commit / total:.0%} |")


def _checks(settle, base):
    print("\nchecks (every run of both):")
    passed = True
    for name in settle[0]["checks"]:
        ok = all(run["checks"][name] for run in settle + base)
        passed = passed and ok
        print(f"- [{'x' if ok else ' '}] {name}")
    same = {(run["figures"]["balances_md5"], run["figures"]["run_md5"]) for run in settle + base}
    print(
        f"- [{'x' if len(same) == 1 else ' '}] baseline and settlement_run leave the same ledger (balances of every"
        " ambassador and bucket, and the run's postings and entries, by md5)"
    )
    codes = {run["code"] for run in settle + base}
    print(
        f"- [{'x' if len(codes) == 1 else ' '}] the same settlement code in every run"
        f" (payouts/settlement.py, payouts/ledger.py, payouts/models/ledger.py: sha256 {', '.join(sorted(codes))})"
    )
    return passed and len(same) == 1 and len(codes) == 1
