"""Settlement of 1,000,000 due rebates on PostgreSQL (time, peak memory, PostgreSQL's work) against one
set-based SQL statement doing the same posting, on identical copies of the same data.

The data is built once in a throwaway database: four orders go through the real engine (a customer
associated by a visit, a billing snapshot decided, the ledger posting each change through its port; one refunded in
part, one in full, one settled and then refunded, which leaves a debt), then `--rows` due orders with a
rebate, 5% more not yet due, 0.5% refunded in full before settlement and 100 ambassadors with debt are
written with `generate_series`, row for row in the shape the engine wrote (checked against those four
orders), spread over 10,000 verified ambassadors (skewed: a few have many orders) and one customer per
order. 1% of the orders are held by risk control (R9.3); 2% were refunded in part before settlement.

Each run copies that database (`CREATE DATABASE … TEMPLATE`) and, in a fresh Python process on the copy
(settings bench.settings, as the other benches), times either `payouts.settlement.settlement_run(day)`,
which commits chunk by chunk (SETTLEMENT_CHUNK_REBATES from the environment, 50,000 by default), or
the baseline: one `INSERT … SELECT` statement whose data-modifying CTEs write the settlement postings,
their two entries each and the debt netting (a run row is inserted before it and updated after it, in
the same transaction). The two alternate; the median of the runs is reported with the peak RSS of the
Python process, the PostgreSQL backend's peak RSS, rows written and blocks read as PostgreSQL counted
them. After each run the process checks the ledger (every due, not-held order settled once with two
entries, totals, debt netted), then settles the same day again and checks that nothing more is posted.
`--explain` then runs both once more with auto_explain (EXPLAIN ANALYZE of every statement over 100 ms).

    .venv/bin/python -m bench.settlement [--rows 1000000] [--runs 3] [--explain] [--reuse-data]

How long, at 1,000,000 rows with 3 runs: 20 minutes on a quiet machine of 2 cores (building the data 3,
each of the 6 runs about 2.5 with its checks and its second run); 40 to 72 minutes when the machine was
shared with other work. --explain adds two runs. --reuse-data skips the build when the database built
last time has the same --rows (and applies any newer migrations to it).

The parts, in the order a bench uses them: `config` (databases, the day, the tables), `build` (the
data: `engine` writes four orders through the real code, `generate` the bulk in their shape, `shape`
checks one against the other), `postgres` (copies, counters, memory), `child` (one measured run in
its own process; `baseline` is the other side), `verify` (the checks of a run), `statements` and
`report` (the Markdown for docs/PERFORMANCE.md); `__main__` puts them together.
"""
