"""One measured run, in its own process on its own copy of the data: the call timed (its statements
and its COMMITs too), PostgreSQL's counters around it, then the checks and a second run of the
same day, which must post nothing."""

import hashlib
import json
import os
import resource
import subprocess
import sys
import time

from .baseline import baseline_run
from .config import COPY, COPY_SETUP, DAY, ROOT, TABLES, tables
from .postgres import copy_database, database_size, kib_of, pg_stats, stats_delta
from .statements import label
from .verify import counts, ledger_verify

CODE = ["payouts/settlement.py", "payouts/ledger.py", "payouts/models/ledger.py"]

AUTO_EXPLAIN = [
    "LOAD 'auto_explain'",
    "SET auto_explain.log_min_duration = '100ms'",
    "SET auto_explain.log_analyze = on",
    "SET auto_explain.log_buffers = on",
    "SET auto_explain.log_wal = on",
    "SET auto_explain.log_triggers = on",
    "SET client_min_messages = log",
]


def code_fingerprint():
    """The settlement code measured (others may change it while the bench runs)."""
    digest = hashlib.sha256()
    for path in CODE:
        digest.update((ROOT / path).read_bytes())
    return digest.hexdigest()[:12]


def run_child(kind, plan, explain=False):
    """One measured run on a fresh copy; returns what the child reported."""
    copy_seconds = copy_database()
    expected = plan["generated_to_settle"] + plan["engine_to_settle"]
    command = [sys.executable, "-m", "bench.settlement", "--child", kind, "--expected", str(expected)]
    if explain:
        command.append("--explain")
    began = time.monotonic()
    finished = subprocess.run(command, cwd=ROOT, env=COPY_SETUP.environment(), capture_output=True, text=True)
    if finished.returncode:
        raise SystemExit(f"{kind} run failed:\n{finished.stdout[-3000:]}\n{finished.stderr[-5000:]}")
    outcome = json.loads(finished.stdout.strip().splitlines()[-1])
    outcome["copy_seconds"] = copy_seconds
    outcome["process_seconds"] = time.monotonic() - began
    return outcome


def child(options, code):
    """In a fresh process on the copy: the measured call, then the checks and a second run."""
    from django.db import connections

    tables()
    connection = connections["default"]
    connection.ensure_connection()
    plans = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
        if options.explain:
            connection.connection.add_notice_handler(lambda diagnostic: plans.append(diagnostic.message_primary))
            for setting in AUTO_EXPLAIN:
                cursor.execute(setting)
        before = pg_stats(cursor)
    measure = _measured_call(options.child)
    outcome = {"kind": options.child, "code": code if code == code_fingerprint() else f"{code}, changed while it ran"}
    outcome |= _timed(connection, measure, backend)
    run_id = outcome.pop("run_id")
    with connection.cursor() as cursor:
        outcome |= _chunks(cursor, run_id)
        outcome["postgres"] = stats_delta(cursor, before, pg_stats(cursor))
        if options.explain:
            print(json.dumps(outcome | {"plans": plans}))
            return
        began = time.perf_counter()
        checks, figures = ledger_verify(cursor, run_id, options.expected)
        outcome["verify_seconds"] = time.perf_counter() - began
        checks["a second run of the same day posts nothing"] = _rerun_posts_nothing(cursor, measure, outcome)
    outcome |= {"checks": checks, "figures": figures, "size_after": database_size(COPY)}
    print(json.dumps(outcome, default=str))


def _chunks(cursor, run_id):
    """How many chunks the run committed, and the size asked for (the baseline is one)."""
    from django.conf import settings

    cursor.execute(f"SELECT chunks_committed FROM {TABLES['run']} WHERE id = %s", [run_id])
    return {"chunks": cursor.fetchone()[0] or 1, "chunk_rebates": settings.SETTLEMENT_CHUNK_REBATES}


def _measured_call(kind):
    """`settlement_run(day)` or the baseline, as a call returning the run's id."""
    if kind == "baseline":
        return lambda: baseline_run(DAY)
    from payouts.settlement import settlement_run

    return lambda: settlement_run(DAY).pk


def _timed(connection, measure, backend):
    """The call, timed with each statement and each COMMIT (where the deferred foreign-key checks
    run), the longest time between two COMMITs (the longest transaction, near enough); the peak
    memory of this process and of the PostgreSQL backend."""
    queries, commit_seconds, committed_at = [], [], []

    def timed(execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append((label(sql), time.perf_counter() - began))

    real_commit = connection._commit

    def timed_commit():
        began = time.perf_counter()
        real_commit()
        committed_at.append(time.perf_counter())
        commit_seconds.append(committed_at[-1] - began)

    connection._commit = timed_commit
    rss_before = kib_of(os.getpid(), "VmRSS")
    with connection.execute_wrapper(timed):
        began = time.perf_counter()
        run_id = measure()
        seconds = time.perf_counter() - began
    connection._commit = real_commit
    gaps = [after - before for before, after in zip([began, *committed_at], committed_at, strict=False)]
    return {
        "run_id": run_id,
        "seconds": seconds,
        "commit_seconds": sum(commit_seconds),
        "commits": len(commit_seconds),
        "longest_transaction_seconds": max(gaps, default=seconds),
        "rss_before_kib": rss_before,
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "backend_peak_kib": kib_of(backend, "VmHWM"),
        "statements": queries,
    }


def _rerun_posts_nothing(cursor, measure, outcome):
    """The same day settled again: times it into `outcome`, and whether it posted nothing."""
    postings, entries = counts(cursor)
    before = pg_stats(cursor)
    began = time.perf_counter()
    again = measure()
    outcome["rerun_seconds"] = time.perf_counter() - began
    outcome["rerun_postgres"] = stats_delta(cursor, before, pg_stats(cursor))
    cursor.execute(f"SELECT orders_settled, debt_netted FROM {TABLES['run']} WHERE id = %s", [again])
    again_orders, again_netted = cursor.fetchone()
    return counts(cursor) == (postings, entries) and again_orders == 0 and again_netted == 0
