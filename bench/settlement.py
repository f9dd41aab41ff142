#!/usr/bin/env python
"""Settlement of 1,000,000 due rebates on PostgreSQL (time, peak memory, PostgreSQL's work) against one
set-based SQL statement doing the same posting, on identical copies of the same data.

The data is built once in a throwaway database: four orders go through the real engine (a customer
associated by a visit, a billing snapshot decided, the ledger following by its signal; one refunded in
part, one in full, one settled and then refunded, which leaves a debt), then `--rows` due orders with a
rebate, 5% more not yet due, 0.5% refunded in full before settlement and 100 ambassadors with debt are
written with `generate_series`, row for row in the shape the engine wrote (checked against those four
orders), spread over 10,000 verified ambassadors (skewed: a few have many orders) and one customer per
order. 1% of the orders are held by risk control (R9.3); 2% were refunded in part before settlement.

Each run copies that database (`CREATE DATABASE … TEMPLATE`) and, in a fresh Python process on the copy
(settings bench.settings, as the other benches), times either `payouts.settlement.settlement_run(day)`
or the baseline: one `INSERT … SELECT` statement whose data-modifying CTEs write the settlement postings,
their two entries each and the debt netting (a run row is inserted before it and updated after it, in
the same transaction). The two alternate; the median of the runs is reported with the peak RSS of the
Python process, the PostgreSQL backend's peak RSS, rows written and blocks read as PostgreSQL counted
them. After each run the process checks the ledger (every due, not-held order settled once with two
entries, totals, debt netted), then settles the same day again and checks that nothing more is posted.
`--explain` then runs both once more with auto_explain (EXPLAIN ANALYZE of every statement over 100 ms).

    .venv/bin/python bench/settlement.py [--rows 1000000] [--runs 3] [--explain] [--reuse-data]

How long, at 1,000,000 rows with 3 runs: 20 minutes on a quiet machine of 2 cores (building the data 3,
each of the 6 runs about 2.5 with its checks and its second run); 40 to 72 minutes when the machine was
shared with other work. --explain adds two runs. --reuse-data skips the build when the database built
last time has the same --rows (and applies any newer migrations to it).
"""

import argparse
import hashlib
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import harness

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "portal_bench_settlement"
COPY = f"{DATABASE}_copy"
REDIS_DB = 11
DAY = date(2026, 12, 31)  # the settlement day: due orders settle on one of the 30 days up to it
AMBASSADORS = 10_000
TARGET = 3  # settlement within 3x the time of the one statement
RATE = "0.2500"  # the rule set's member-first-purchase rate
SHANGHAI = "Asia/Shanghai"

SETUP = harness.Setup(database=DATABASE, port=0, redis_db=REDIS_DB)

TABLES = {
    "user": "portal_user",
    "ambassador": "ambassadors_ambassador",
    "profile": "referrals_customerprofile",
    "association": "referrals_association",
    "order": "referrals_order",
    "change": "referrals_rebatechange",
    "run": "payouts_settlementrun",
    "posting": "payouts_posting",
    "entry": "payouts_entry",
}


def tables():
    """The table names, from the models (checked against TABLES, which the SQL below uses)."""
    from ambassadors.models import Ambassador
    from payouts.models import Entry, Posting, SettlementRun
    from portal.kernel.models import User
    from referrals.models import Association, CustomerProfile, Order, RebateChange

    models = {
        "user": User,
        "ambassador": Ambassador,
        "profile": CustomerProfile,
        "association": Association,
        "order": Order,
        "change": RebateChange,
        "run": SettlementRun,
        "posting": Posting,
        "entry": Entry,
    }
    found = {name: model._meta.db_table for name, model in models.items()}
    assert found == TABLES, found
    return TABLES


# ---------------------------------------------------------------------------------------------------
# The baseline: one statement doing the posting settlement_run does (orders and debt netting).

BASELINE = """
WITH due AS (
    SELECT e.order_id, e.ambassador_id, SUM(e.amount) AS amount
    FROM {entry} e
    JOIN {order} o ON o.id = e.order_id
    JOIN {ambassador} a ON a.id = e.ambassador_id
    WHERE e.bucket = 'pending' AND o.settles_on <= %(day)s AND NOT o.on_hold AND a.cancelled_at IS NULL
    GROUP BY e.order_id, e.ambassador_id
    HAVING SUM(e.amount) <> 0
), postings AS (
    INSERT INTO {posting} (key, kind, order_id, settlement_run_id, posted_at)
    SELECT 'settlement:' || order_id, 'settlement', order_id, %(run)s, %(now)s
    FROM (SELECT DISTINCT order_id FROM due) d
    ON CONFLICT (key) DO NOTHING
    RETURNING id, order_id
), entries AS (
    INSERT INTO {entry} (posting_id, ambassador_id, bucket, amount, order_id)
    SELECT p.id, d.ambassador_id, side.bucket, side.sign * d.amount, d.order_id
    FROM postings p
    JOIN due d ON d.order_id = p.order_id
    CROSS JOIN (VALUES ('withdrawable', 1), ('pending', -1)) AS side (bucket, sign)
    RETURNING ambassador_id, bucket, amount
), settled AS (
    SELECT ambassador_id, SUM(amount) AS amount FROM entries WHERE bucket = 'withdrawable' GROUP BY ambassador_id
), netting AS (
    SELECT s.ambassador_id, LEAST(-d.debt, s.amount) AS repaid
    FROM settled s
    JOIN (SELECT ambassador_id, SUM(amount) AS debt FROM {entry} WHERE bucket = 'debt' GROUP BY ambassador_id) d
        ON d.ambassador_id = s.ambassador_id
    WHERE LEAST(-d.debt, s.amount) > 0
), netting_postings AS (
    INSERT INTO {posting} (key, kind, settlement_run_id, posted_at)
    SELECT 'debt_netting:' || %(run)s || ':' || ambassador_id, 'debt_netting', %(run)s, %(now)s FROM netting
    RETURNING id, key
), netting_entries AS (
    INSERT INTO {entry} (posting_id, ambassador_id, bucket, amount)
    SELECT p.id, n.ambassador_id, side.bucket, side.sign * n.repaid
    FROM netting_postings p
    JOIN netting n ON p.key = 'debt_netting:' || %(run)s || ':' || n.ambassador_id
    CROSS JOIN (VALUES ('withdrawable', -1), ('debt', 1)) AS side (bucket, sign)
    RETURNING amount
)
SELECT (SELECT COUNT(*) FROM postings), (SELECT COALESCE(SUM(amount), 0) FROM settled),
    (SELECT COALESCE(SUM(repaid), 0) FROM netting), (SELECT COUNT(*) FROM netting_entries)
"""


def baseline_run(day):
    """The baseline in one transaction: the run row, the one statement, the run's figures."""
    from django.db import connection, transaction
    from django.utils import timezone

    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLES['run']} (day, started_at, orders_settled, bonuses_settled, amount_settled,"
            " debt_netted) VALUES (%s, %s, 0, 0, 0, 0) RETURNING id",
            [day, now],
        )
        run = cursor.fetchone()[0]
        cursor.execute(BASELINE.format(**TABLES), {"day": day, "run": run, "now": now})
        orders, amount, netted, _netting_entries = cursor.fetchone()
        cursor.execute(
            f"UPDATE {TABLES['run']} SET orders_settled = %s, amount_settled = %s, debt_netted = %s,"
            " finished_at = %s WHERE id = %s",
            [orders, amount, netted, timezone.now(), run],
        )
    return run


# ---------------------------------------------------------------------------------------------------
# The data: four orders through the real engine, then the bulk in the same shape with generate_series.


def engine_orders():
    """What the engine writes, through the engine: a rule set like the tests' (25% on member first
    purchases), a bound ambassador, and four orders of a customer each (payouts/tests/helpers.py):
    plain, refunded in part before settlement, refunded in full before settlement, and settled
    (a real settlement_run) then refunded in full, which leaves a debt (R6.2)."""
    from ambassadors.tests.factories import BoundAmbassadorFactory
    from payouts.settlement import settlement_run
    from payouts.tests.helpers import paid_order, refund
    from referrals.models import Product, RuleSet
    from referrals.rebates.rule_sets import rule_set_publish

    rule_set = RuleSet.objects.create(month=date(2026, 1, 1), title="bench 2026", member_first_purchase_rate=RATE)
    rule_set.rebate_products.set(Product.objects.filter(code__in=["ecs", "rds"]))
    rule_set = rule_set_publish(rule_set=rule_set, actor=None)
    ambassador = BoundAmbassadorFactory()
    plain = paid_order(ambassador, paid="2026-11-10 10:05")
    partial = refund(paid_order(ambassador, paid="2026-11-11 10:05"), "400.00", on="2026-11-20 12:00")
    full = refund(paid_order(ambassador, paid="2026-11-12 10:05"), "1000.00", on="2026-11-21 12:00")
    debt = paid_order(ambassador, paid="2026-10-01 10:05")
    settlement_run(date(2026, 10, 31))
    debt = refund(debt, "1000.00", on="2026-11-05 09:00")
    assert plain.rebate == Decimal("250.00") and partial.rebate == Decimal("150.00") and full.rebate == 0
    return rule_set, ambassador, {"plain": plain.pk, "partial": partial.pk, "full": full.pk, "debt": debt.pk}


PLAN = """
CREATE UNLOGGED TABLE bench_plan AS
WITH numbered AS (
    SELECT n,
        CASE WHEN n < %(due)s THEN 'due' WHEN n < %(due)s + %(ahead)s THEN 'ahead'
             WHEN n < %(orders)s THEN 'full' ELSE 'debt' END AS category
    FROM generate_series(0::bigint, %(all)s - 1) AS n
), shaped AS (
    SELECT n, category,
        CASE category WHEN 'full' THEN 'full' WHEN 'debt' THEN 'after'
             ELSE CASE WHEN mod(n, 50) = 1 THEN 'partial' ELSE '' END END AS refund,
        category IN ('due', 'ahead') AND mod(n, 100) = 7 AS held,
        CASE WHEN category <> 'debt' THEN round((10000 + mod(n * 7919, 990000))::numeric / 100, 2)
             WHEN mod(n - %(orders)s, 5) = 0 THEN 2000000.00  -- more than the ambassador settles: netted in part
             ELSE 400.00 + 10 * (n - %(orders)s) END AS amount,
        CASE category WHEN 'ahead' THEN %(day)s::date + 1 + mod(n, 30)::int
                      WHEN 'debt' THEN %(day)s::date - 45
                      ELSE %(day)s::date - mod(n, 30)::int END AS settles_on,
        CASE WHEN category = 'debt' THEN ((n - %(orders)s) * %(stride)s + %(stride)s / 2)::int
             ELSE least(%(ambassadors)s - 1, floor(%(ambassadors)s * power(
                 n * 0.6180339887498949::float8 - floor(n * 0.6180339887498949::float8), 2))::int)
        END AS ambassador_index,
        CASE WHEN mod(n, 3) = 0 THEN %(rds)s ELSE %(ecs)s END AS product_id
    FROM numbered
), paid AS (
    SELECT s.*, ((s.settles_on - 30) + make_interval(secs => mod(n * 7907, 86400))) AT TIME ZONE %(tz)s AS paid_at,
        round(s.amount * %(rate)s, 2) AS earned,
        CASE s.refund WHEN '' THEN 0 WHEN 'partial' THEN round(s.amount * 0.4, 2) ELSE s.amount END AS refunded_amount
    FROM shaped s
)
SELECT p.*,
    CASE p.refund WHEN '' THEN NULL
        WHEN 'after' THEN (p.settles_on + 3 + time '09:00') AT TIME ZONE %(tz)s
        ELSE p.paid_at + interval '5 days' END AS refunded_at,
    (p.settles_on + time '02:00') AT TIME ZONE %(tz)s AS settled_at,
    CASE p.refund WHEN '' THEN p.earned WHEN 'partial' THEN round((p.amount - p.refunded_amount) * %(rate)s, 2)
        ELSE 0 END AS rebate,
    CASE WHEN p.refund IN ('full', 'after') THEN 'REFUNDED' ELSE '' END AS reason
FROM paid p
"""

# Each INSERT reads bench_plan; ids are the bases + n (several rows of one order: + all, + 2 * all, ...).
# A column an INSERT does not name (NULL in every row, or added by a later migration) is copied from the
# row the engine wrote for its plain order (with_other_columns).
GENERATE = [
    (
        "users",
        """INSERT INTO {user} (id, password, is_superuser, is_staff, is_active, date_joined, email, uid)
        SELECT %(user_base)s + i, '!bench', false, false, true, %(verified)s::timestamptz,
            'ambassador-' || i || '@bench.example', gen_random_uuid()
        FROM generate_series(0, %(ambassadors)s - 1) AS i
        UNION ALL
        SELECT %(customer_base)s + n, '!bench', false, false, true, paid_at - interval '2 days',
            'customer-' || n || '@bench.example', gen_random_uuid()
        FROM bench_plan""",
    ),
    (
        "ambassadors",
        """INSERT INTO {ambassador} (id, joined_at, legal_name, legal_name_hash, id_number, id_number_hash,
            verified_at, phone, phone_hash, alipay_account, alipay_account_hash, alipay_bound_at, user_id)
        SELECT %(ambassador_base)s + i, %(verified)s::timestamptz - interval '1 day', m.legal_name, m.legal_name_hash,
            m.id_number, encode(sha256(convert_to('bench-id-' || i, 'UTF8')), 'hex'), %(verified)s, m.phone,
            encode(sha256(convert_to('bench-phone-' || i, 'UTF8')), 'hex'), m.alipay_account,
            encode(sha256(convert_to('bench-alipay-' || i, 'UTF8')), 'hex'), %(verified)s, %(user_base)s + i
        FROM generate_series(0, %(ambassadors)s - 1) AS i, (SELECT * FROM {ambassador} WHERE id = %(model)s) AS m""",
    ),
    (
        "customer profiles",
        """INSERT INTO {profile} (customer_id, segment, became_old_at)
        SELECT %(customer_base)s + n, 'normal', paid_at FROM bench_plan""",
    ),
    (
        "associations",
        """INSERT INTO {association} (id, visit_id, started_at, expires_at, ended_at, end_reason, ambassador_id,
            customer_id)
        SELECT %(association_base)s + n, gen_random_uuid(), paid_at - make_interval(hours => 1 + mod(n, 72)::int),
            paid_at - make_interval(hours => 1 + mod(n, 72)::int) + interval '30 days', paid_at, 'became_old',
            %(ambassador_base)s + ambassador_index, %(customer_base)s + n
        FROM bench_plan""",
    ),
    (
        "orders",
        """INSERT INTO {order} (id, billing_id, billing, kind, trial, activity, amount, period_days, placed_at,
            status, paid_at, refunded_amount, refunded_at, version, order_type, rate, rebate, reason, decided_at,
            settles_on, ambassador_id, association_id, customer_id, product_id, rule_set_id, on_hold)
        SELECT %(order_base)s + n, 'bench-' || n, 'prepaid', 'new', false, '', amount, 30 * (1 + mod(n, 12)::int),
            paid_at, CASE WHEN refund IN ('full', 'after') THEN 'refunded' ELSE 'paid' END, paid_at, refunded_amount,
            refunded_at, CASE WHEN refund = '' THEN 1 ELSE 2 END, 'member_first_purchase', %(rate)s, rebate, reason,
            COALESCE(refunded_at, paid_at), (paid_at AT TIME ZONE %(tz)s)::date + 30,
            %(ambassador_base)s + ambassador_index, %(association_base)s + n, %(customer_base)s + n, product_id,
            %(rule_set)s, held
        FROM bench_plan""",
    ),
    (
        "rebate changes",
        """INSERT INTO {change} (id, cause, before, after, reason_after, after_settlement, created_at, order_id)
        SELECT %(change_base)s + n, 'decision', 0, earned, '', false, paid_at, %(order_base)s + n FROM bench_plan
        UNION ALL
        SELECT %(change_base)s + %(all)s + n, 'refund', earned, rebate, reason, refund = 'after', refunded_at,
            %(order_base)s + n
        FROM bench_plan WHERE refund <> ''""",
    ),
    (
        "postings",
        """INSERT INTO {posting} (id, key, kind, posted_at, order_id, rebate_change_id, settlement_run_id)
        SELECT %(posting_base)s + n, 'rebate:' || (%(change_base)s + n), 'rebate', paid_at, %(order_base)s + n,
            %(change_base)s + n, NULL::bigint
        FROM bench_plan
        UNION ALL
        SELECT %(posting_base)s + %(all)s + n, 'settlement:' || (%(order_base)s + n), 'settlement', settled_at,
            %(order_base)s + n, NULL, %(prior_run)s
        FROM bench_plan WHERE refund = 'after'
        UNION ALL
        SELECT %(posting_base)s + 2 * %(all)s + n, 'rebate:' || (%(change_base)s + %(all)s + n), 'rebate',
            refunded_at, %(order_base)s + n, %(change_base)s + %(all)s + n, NULL
        FROM bench_plan WHERE refund <> ''""",
    ),
    (
        "entries",
        """INSERT INTO {entry} (id, posting_id, ambassador_id, bucket, amount, order_id)
        SELECT %(entry_base)s + n, %(posting_base)s + n, %(ambassador_base)s + ambassador_index, 'pending', earned,
            %(order_base)s + n
        FROM bench_plan
        UNION ALL
        SELECT %(entry_base)s + %(all)s + n, %(posting_base)s + %(all)s + n, %(ambassador_base)s + ambassador_index,
            'withdrawable', earned, %(order_base)s + n
        FROM bench_plan WHERE refund = 'after'
        UNION ALL
        SELECT %(entry_base)s + 2 * %(all)s + n, %(posting_base)s + %(all)s + n,
            %(ambassador_base)s + ambassador_index, 'pending', -earned, %(order_base)s + n
        FROM bench_plan WHERE refund = 'after'
        UNION ALL
        SELECT %(entry_base)s + 3 * %(all)s + n, %(posting_base)s + 2 * %(all)s + n,
            %(ambassador_base)s + ambassador_index, CASE WHEN refund = 'after' THEN 'debt' ELSE 'pending' END,
            rebate - earned, %(order_base)s + n
        FROM bench_plan WHERE refund <> ''""",
    ),
]


def engine_rows(cursor, order_id):
    """For each table written, the row the engine wrote for its plain order: (key column, key)."""
    cursor.execute(
        f"SELECT o.customer_id, o.ambassador_id, o.association_id, c.id, p.id, e.id FROM {TABLES['order']} o"
        f" JOIN {TABLES['change']} c ON c.order_id = o.id JOIN {TABLES['posting']} p ON p.rebate_change_id = c.id"
        f" JOIN {TABLES['entry']} e ON e.posting_id = p.id WHERE o.id = %s",
        [order_id],
    )
    customer, ambassador, association, change, posting, entry = cursor.fetchone()
    return {
        "user": ("id", customer),
        "ambassador": ("id", ambassador),
        "profile": ("customer_id", customer),
        "association": ("id", association),
        "order": ("id", order_id),
        "change": ("id", change),
        "posting": ("id", posting),
        "entry": ("id", entry),
    }


def with_other_columns(cursor, sql, engine):
    """The INSERT with every column it does not name (one added since this bench was written) copied from
    the engine's row of that table, so that it stays the engine's shape; and those columns."""
    table, columns, select = re.fullmatch(r"\s*INSERT INTO \{(\w+)\} \(([^)]*)\)(.*)", sql, re.DOTALL).groups()
    named = {column.strip() for column in columns.split(",")}
    cursor.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
        [TABLES[table]],
    )
    others = [column for (column,) in cursor.fetchall() if column not in named and column != "id"]
    if not others:
        return sql.format(**TABLES), others
    key, value = engine[table]
    wrapped = (
        f"INSERT INTO {{{table}}} ({columns}, {', '.join(others)})"
        f" SELECT generated.*, {', '.join(f'engine.{column}' for column in others)} FROM ({select}) AS generated"
        f" CROSS JOIN (SELECT * FROM {{{table}}} WHERE {key} = {int(value)}) AS engine"
    )
    return wrapped.format(**TABLES), others


def generate(rows, rule_set, model_ambassador, model_order):
    """The bulk, with SQL: returns what was planned, and the generated order of each kind engine_orders made."""
    from django.db import connection

    from referrals.models import Product

    ahead, full = rows // 20, max(1, rows // 200)
    ambassadors = min(AMBASSADORS, max(10, rows // 100))
    debtors = max(1, ambassadors // 100)
    orders = rows + ahead + full
    params = {
        "due": rows,
        "ahead": ahead,
        "orders": orders,
        "all": orders + debtors,
        "ambassadors": ambassadors,
        "stride": ambassadors // debtors,
        "day": DAY,
        "tz": SHANGHAI,
        "rate": Decimal(RATE),
        "ecs": Product.objects.get(code="ecs").pk,
        "rds": Product.objects.get(code="rds").pk,
        "rule_set": rule_set.pk,
        "model": model_ambassador.pk,
        "verified": datetime.combine(DAY - timedelta(days=300), dt_time(10), tzinfo=ZoneInfo(SHANGHAI)),
    }
    with connection.cursor() as cursor:
        for name, column in [("user", "user"), ("ambassador", "ambassador"), ("association", "association")]:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {TABLES[name]}")
            params[f"{column}_base"] = cursor.fetchone()[0]
        params["customer_base"] = params["user_base"] + ambassadors
        for name in ["order", "change", "posting", "entry"]:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {TABLES[name]}")
            params[f"{name}_base"] = cursor.fetchone()[0]
        began = time.monotonic()
        cursor.execute("DROP TABLE IF EXISTS bench_plan")
        cursor.execute(PLAN, params)
        cursor.execute(
            f"INSERT INTO {TABLES['run']} (day, started_at, finished_at, orders_settled, bonuses_settled,"
            " amount_settled, debt_netted)"
            " SELECT %(day)s::date - 45, MIN(settled_at), MIN(settled_at), COUNT(*), 0, SUM(earned), 0"
            " FROM bench_plan WHERE category = 'debt' RETURNING id",
            params,
        )
        params["prior_run"] = cursor.fetchone()[0]
        print(f"  plan of {params['all']:,} orders: {time.monotonic() - began:.0f} s", flush=True)
        engine = engine_rows(cursor, model_order)
        for label, sql in GENERATE:
            began = time.monotonic()
            sql, copied = with_other_columns(cursor, sql, engine)
            cursor.execute(sql, params)
            copied = f" ({', '.join(copied)} as in the engine's row)" if copied else ""
            print(f"  {label}: {cursor.rowcount:,} rows, {time.monotonic() - began:.0f} s{copied}", flush=True)
        for name in ["user", "ambassador", "association", "order", "change", "posting", "entry", "run"]:
            table = TABLES[name]
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        cursor.execute(
            "SELECT COUNT(*) FILTER (WHERE category = 'due' AND NOT held), "
            " COALESCE(SUM(rebate) FILTER (WHERE category = 'due' AND NOT held), 0),"
            " COUNT(*) FILTER (WHERE held), COUNT(*) FILTER (WHERE refund = 'partial')"
            " FROM bench_plan"
        )
        settle, settle_amount, held, partial = cursor.fetchone()
        cursor.execute("DROP TABLE bench_plan")
    samples = {
        "plain": params["order_base"],
        "partial": params["order_base"] + 1,
        "full": params["order_base"] + rows + ahead,
        "debt": params["order_base"] + orders,
    }
    plan = {
        "rows": rows,
        "ahead": ahead,
        "refunded_in_full": full,
        "held": held,
        "partial_refunds": partial,
        "ambassadors": ambassadors,
        "debtors": debtors,
        "customers": orders + debtors,
        "generated_to_settle": settle,
        "generated_amount_to_settle": str(settle_amount),
    }
    return plan, samples


# ---------------------------------------------------------------------------------------------------
# Checking the generated rows against the engine's.

ORDER_KEPT = {"billing", "kind", "trial", "activity", "status", "version", "order_type", "rate", "reason", "on_hold"}


def _rows(cursor, sql, params):
    cursor.execute(sql, params)
    names = [column.name for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _presence(row, kept=()):
    return {name: (value if name in kept else value is not None) for name, value in row.items() if name != "id"}


def order_shape(cursor, order_id):
    """An order, its customer's profile and association, its rebate changes, postings and entries, with ids
    replaced by what they point at and amounts by how they follow from each other: equal for two orders
    of the same kind if the rows were written the same way."""
    from decimal import ROUND_HALF_UP

    order = _rows(cursor, f"SELECT * FROM {TABLES['order']} WHERE id = %s", [order_id])[0]
    association = _rows(cursor, f"SELECT * FROM {TABLES['association']} WHERE id = %s", [order["association_id"]])[0]
    profile = _rows(cursor, f"SELECT * FROM {TABLES['profile']} WHERE customer_id = %s", [order["customer_id"]])[0]
    changes = _rows(cursor, f"SELECT * FROM {TABLES['change']} WHERE order_id = %s ORDER BY id", [order_id])
    postings = _rows(cursor, f"SELECT * FROM {TABLES['posting']} WHERE order_id = %s ORDER BY id", [order_id])
    entries = _rows(
        cursor,
        f"SELECT * FROM {TABLES['entry']} WHERE posting_id = ANY(%s) ORDER BY posting_id, bucket",
        [[posting["id"] for posting in postings]],
    )
    paid_on = order["paid_at"].astimezone(ZoneInfo(SHANGHAI)).date()
    kept = order["amount"] - order["refunded_amount"]
    change_index = {change["id"]: index for index, change in enumerate(changes)}
    earned = changes[0]["after"]
    shape = {
        "order": _presence(order, ORDER_KEPT),
        "settles_on is paid date + 30": order["settles_on"] == paid_on + timedelta(days=30),
        "rebate from kept amount": order["rebate"]
        == ((kept * order["rate"]).quantize(Decimal("0.01"), ROUND_HALF_UP) if not order["reason"] else 0),
        "association": _presence(association, {"end_reason"}),
        "association is the order's": (association["ambassador_id"], association["customer_id"])
        == (order["ambassador_id"], order["customer_id"]),
        "association ended at payment": association["ended_at"] == order["paid_at"],
        "association held at placing": association["started_at"] <= order["placed_at"] < association["expires_at"],
        "profile": _presence(profile, {"segment"}),
        "became old at payment": profile["became_old_at"] == order["paid_at"],
        "changes": [
            _presence(change, {"cause", "reason_after", "after_settlement"})
            | {"before is previous after": change["before"] == (changes[index - 1]["after"] if index else 0)}
            for index, change in enumerate(changes)
        ],
        "last change is the rebate": changes[-1]["after"] == order["rebate"],
        "postings": [],
    }
    for posting in postings:
        change = changes[change_index[posting["rebate_change_id"]]] if posting["rebate_change_id"] else None
        lines = []
        for entry in (entry for entry in entries if entry["posting_id"] == posting["id"]):
            amount = entry["amount"]
            if change and amount == change["after"] - change["before"]:
                amount = "change after - before"
            elif amount in (earned, -earned):
                amount = "+earned" if amount > 0 else "-earned"
            lines.append(
                {
                    "bucket": entry["bucket"],
                    "amount": amount,
                    "ambassador is the order's": entry["ambassador_id"] == order["ambassador_id"],
                    "order is the order": entry["order_id"] == order_id,
                }
            )
        key = {
            f"rebate:{posting['rebate_change_id']}": "rebate:<change>",
            f"settlement:{order_id}": "settlement:<order>",
        }
        shape["postings"].append(
            _presence(posting, {"kind"})
            | {
                "key": key.get(posting["key"], posting["key"]),
                "order is the order": posting["order_id"] == order_id,
                "change": change_index.get(posting["rebate_change_id"]),
                "entries": lines,
            }
        )
    return shape


def shapes_compare(engine, generated):
    """Every generated kind of order against the engine's: the differences (none expected)."""
    from django.db import connection

    differences = []
    with connection.cursor() as cursor:
        for kind, engine_id in engine.items():
            expected, found = order_shape(cursor, engine_id), order_shape(cursor, generated[kind])
            if expected != found:
                differences.append(f"{kind}: engine {expected}\n  generated {found}")
    return differences


INVARIANTS = {
    # What an order has earned is what the ledger holds for it (payouts/receivers.py).
    "orders whose rebate postings do not sum to the order's rebate": """
        SELECT COUNT(*) FROM {order} o
        LEFT JOIN (SELECT e.order_id, SUM(e.amount) AS total FROM {entry} e JOIN {posting} p ON p.id = e.posting_id
                   WHERE p.kind = 'rebate' GROUP BY e.order_id) l ON l.order_id = o.id
        WHERE o.rebate <> COALESCE(l.total, 0)""",
    "orders whose settlement date is not day 31 in Shanghai": """
        SELECT COUNT(*) FROM {order} WHERE settles_on <> (paid_at AT TIME ZONE 'Asia/Shanghai')::date + 30""",
    "rebate postings whose key is not rebate:<change id> of the order": """
        SELECT COUNT(*) FROM {posting} p LEFT JOIN {change} c ON c.id = p.rebate_change_id
        WHERE p.kind = 'rebate' AND (p.key <> 'rebate:' || c.id OR c.order_id IS DISTINCT FROM p.order_id)""",
    "entries not carrying their posting's order": """
        SELECT COUNT(*) FROM {entry} e JOIN {posting} p ON p.id = e.posting_id
        WHERE p.order_id IS NOT NULL AND e.order_id IS DISTINCT FROM p.order_id""",
    "entries of an order for another ambassador than the order's": """
        SELECT COUNT(*) FROM {entry} e JOIN {order} o ON o.id = e.order_id WHERE e.ambassador_id <> o.ambassador_id""",
}


def build(rows):
    """A new database with the engine's orders and the bulk; checked, VACUUM ANALYZEd and checkpointed."""
    from django.db import connection, connections

    began = time.monotonic()
    SETUP.recreate()
    SETUP.django_setup()
    tables()
    rule_set, ambassador, engine = engine_orders()
    print(f"  engine: 4 orders through the rebate engine and a settlement ({time.monotonic() - began:.0f} s)")
    plan, samples = generate(rows, rule_set, ambassador, engine["plain"])
    differences = shapes_compare(engine, samples)
    if differences:
        raise SystemExit("generated rows differ from the engine's:\n" + "\n".join(differences))
    print(
        "  shape: each generated kind of order matches the engine's rows (order, association, profile,"
        " rebate changes, postings, entries)"
    )
    with connection.cursor() as cursor:
        for label, sql in INVARIANTS.items():
            cursor.execute(sql.format(**TABLES))
            count = cursor.fetchone()[0]
            if count:
                raise SystemExit(f"{label}: {count}")
        print(f"  invariants: none of {len(INVARIANTS)} broken")
        began_vacuum = time.monotonic()
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would have by the settlement day
        cursor.execute("CHECKPOINT")
        plan["engine"] = engine
        cursor.execute(f"COMMENT ON DATABASE {DATABASE} IS %s", [json.dumps(plan)])
        print(f"  VACUUM ANALYZE and CHECKPOINT: {time.monotonic() - began_vacuum:.0f} s")
    connections.close_all()
    return plan


def reuse(rows):
    """The plan of the database built last time, if it was built with the same --rows."""
    output = psql(
        "postgres", f"SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '{DATABASE}'"
    )
    if not output:
        return None
    plan = json.loads(output)
    return plan if plan["rows"] == rows else None


# ---------------------------------------------------------------------------------------------------
# One measured run, in its own process on its own copy.


def psql(database, sql):
    return subprocess.run(
        ["psql", *harness.POSTGRES, "-X", "-At", "-d", database, "-c", sql], check=True, capture_output=True, text=True
    ).stdout.strip()


def copy_database():
    """A fresh copy of the built database; FILE_COPY copies the files (hint bits, statistics and all)."""
    psql("postgres", f"DROP DATABASE IF EXISTS {COPY} WITH (FORCE)")
    began = time.monotonic()
    for attempt in range(30):
        try:
            psql("postgres", f"CREATE DATABASE {COPY} TEMPLATE {DATABASE} STRATEGY FILE_COPY")
            return time.monotonic() - began
        except subprocess.CalledProcessError as error:
            if "being accessed by other users" not in error.stderr or attempt == 29:
                raise  # autovacuum may be visiting the template: wait for it
            time.sleep(2)


def database_size(database):
    return int(psql("postgres", f"SELECT pg_database_size('{database}')"))


STATS = """SELECT tup_inserted, tup_fetched, tup_returned, blks_read, blks_hit, temp_files, temp_bytes,
    pg_current_wal_lsn() FROM pg_stat_database WHERE datname = current_database()"""


def pg_stats(cursor):
    """PostgreSQL's counters for this database, this backend's included (flushed first)."""
    cursor.execute("SELECT pg_stat_force_next_flush()")
    cursor.execute("SELECT pg_stat_clear_snapshot()")
    cursor.execute(STATS)
    names = ["inserted", "fetched", "returned", "blocks_read", "blocks_hit", "temp_files", "temp_bytes", "wal"]
    return dict(zip(names, cursor.fetchone(), strict=True))


def stats_delta(cursor, before, after):
    delta = {name: after[name] - before[name] for name in after if name != "wal"}
    cursor.execute("SELECT pg_wal_lsn_diff(%s, %s)", [after["wal"], before["wal"]])
    return delta | {"wal_bytes": int(cursor.fetchone()[0])}


def kib_of(pid, field):
    """VmRSS / VmHWM of a process, in KiB (None if it cannot be read)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


VERIFY = """
WITH expected AS (
    SELECT o.id, o.ambassador_id, o.rebate
    FROM {order} o JOIN {ambassador} a ON a.id = o.ambassador_id
    WHERE o.rebate > 0 AND o.settles_on <= %(day)s AND NOT o.on_hold AND a.cancelled_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM {posting} p
                      WHERE p.order_id = o.id AND p.kind = 'settlement' AND p.settlement_run_id <> %(run)s)
), lines AS (
    SELECT p.order_id, COUNT(DISTINCT p.id) AS postings, COUNT(e.id) AS entries,
        SUM(e.amount) FILTER (WHERE e.bucket = 'withdrawable') AS withdrawable,
        SUM(e.amount) FILTER (WHERE e.bucket = 'pending') AS pending,
        COUNT(e.id) FILTER (WHERE e.bucket NOT IN ('withdrawable', 'pending')) AS other,
        BOOL_AND(e.order_id = p.order_id AND e.ambassador_id = o.ambassador_id) AS carried
    FROM {posting} p JOIN {entry} e ON e.posting_id = p.id JOIN {order} o ON o.id = p.order_id
    WHERE p.kind = 'settlement' AND p.settlement_run_id = %(run)s
    GROUP BY p.order_id
), pending AS (
    SELECT e.order_id FROM {entry} e JOIN expected x ON x.id = e.order_id
    WHERE e.bucket = 'pending' GROUP BY e.order_id HAVING SUM(e.amount) <> 0
), settled AS (
    SELECT ambassador_id, SUM(rebate) AS amount FROM expected GROUP BY ambassador_id
), owed AS (
    SELECT e.ambassador_id, -SUM(e.amount) AS amount FROM {entry} e JOIN {posting} p ON p.id = e.posting_id
    WHERE e.bucket = 'debt' AND p.settlement_run_id IS DISTINCT FROM %(run)s GROUP BY e.ambassador_id
), netting AS (
    SELECT LEAST(o.amount, s.amount) AS repaid, o.amount > s.amount AS partly
    FROM settled s JOIN owed o ON o.ambassador_id = s.ambassador_id WHERE LEAST(o.amount, s.amount) > 0
)
SELECT
    (SELECT COUNT(*) FROM expected),
    (SELECT COALESCE(SUM(rebate), 0) FROM expected),
    (SELECT COUNT(*) FROM lines),
    (SELECT COUNT(*) FROM expected x JOIN lines l ON l.order_id = x.id
     WHERE l.postings = 1 AND l.entries = 2 AND l.withdrawable = x.rebate AND l.pending = -x.rebate
       AND l.other = 0 AND l.carried),
    (SELECT COUNT(*) FROM (SELECT order_id FROM {posting} WHERE kind = 'settlement'
                           GROUP BY order_id HAVING COUNT(*) > 1) twice),
    (SELECT COUNT(*) FROM pending),
    (SELECT COALESCE(SUM(repaid), 0) FROM netting),
    (SELECT COUNT(*) FROM netting),
    (SELECT COUNT(*) FILTER (WHERE partly) FROM netting)
"""

BUCKETS = """
SELECT e.bucket, COALESCE(SUM(e.amount) FILTER (WHERE p.settlement_run_id = %(run)s), 0),
    COALESCE(SUM(e.amount) FILTER (WHERE p.settlement_run_id IS DISTINCT FROM %(run)s), 0),
    COUNT(*) FILTER (WHERE p.settlement_run_id = %(run)s AND p.kind = 'debt_netting')
FROM {entry} e JOIN {posting} p ON p.id = e.posting_id GROUP BY e.bucket
"""

# The same ledger whatever wrote it: balances per ambassador and bucket, the run's postings and entries.
FINGERPRINT = """
SELECT
    (SELECT md5(string_agg(ambassador_id || ':' || bucket || ':' || total, ',' ORDER BY ambassador_id, bucket))
     FROM (SELECT ambassador_id, bucket, SUM(amount) AS total FROM {entry} GROUP BY ambassador_id, bucket) b),
    (SELECT md5(string_agg(p.key || ':' || e.ambassador_id || ':' || e.bucket || ':' || e.amount || ':'
                           || COALESCE(e.order_id, 0), ',' ORDER BY p.key, e.bucket))
     FROM {posting} p JOIN {entry} e ON e.posting_id = p.id WHERE p.settlement_run_id = %(run)s)
"""


def ledger_verify(cursor, run_id, expected_to_settle):
    """The checks of one run, and what they read."""
    params = {"day": DAY, "run": run_id}
    cursor.execute(VERIFY.format(**TABLES), params)
    (expected, expected_amount, posted, posted_right, twice, still_pending, netted, netted_count, partly) = (
        cursor.fetchone()
    )
    cursor.execute(BUCKETS.format(**TABLES), params)
    buckets = {bucket: (in_run, before, netting) for bucket, in_run, before, netting in cursor.fetchall()}
    in_run = {bucket: figures[0] for bucket, figures in buckets.items()}
    netting_entries = sum(figures[2] for figures in buckets.values())
    cursor.execute(f"SELECT orders_settled, amount_settled, debt_netted FROM {TABLES['run']} WHERE id = %s", [run_id])
    orders_settled, amount_settled, debt_netted = cursor.fetchone()
    cursor.execute(FINGERPRINT.format(**TABLES), params)
    balances_md5, run_md5 = cursor.fetchone()
    zero = Decimal("0.00")
    checks = {
        "due orders as planned (generated + the engine's)": expected == expected_to_settle,
        "every due, not-held order has exactly one settlement posting with two entries"
        " (withdrawable +rebate, pending -rebate, the order's ambassador and order)": posted_right == expected,
        "no settlement posting for any other order (held, not due, refunded, settled before)": posted == expected,
        "no order settled twice, over all runs": twice == 0,
        "nothing left pending on a settled order": still_pending == 0,
        "withdrawable added = due pending total - debt netted": in_run.get("withdrawable", zero)
        == expected_amount - netted,
        "pending taken = due pending total": in_run.get("pending", zero) == -expected_amount,
        "debt repaid = what was owed, up to what settled (R6.2)": in_run.get("debt", zero) == netted,
        "one netting posting (2 entries) per indebted ambassador who settled": netting_entries == 2 * netted_count,
        "the run's figures": (orders_settled, amount_settled, debt_netted) == (expected, expected_amount, netted),
    }
    figures = {
        "orders_settled": expected,
        "amount_settled": str(expected_amount),
        "debt_netted": str(netted),
        "ambassadors_netted": netted_count,
        "ambassadors_netted_in_part": partly,
        "balances_md5": balances_md5,
        "run_md5": run_md5,
    }
    return checks, figures


def counts(cursor):
    cursor.execute(f"SELECT (SELECT COUNT(*) FROM {TABLES['posting']}), (SELECT COUNT(*) FROM {TABLES['entry']})")
    return cursor.fetchone()


def label(sql):
    """A short name for a statement of settlement_run (or of the baseline)."""
    text = " ".join(sql.split())
    known = [
        ("WITH due AS", "the one statement (CTE: postings, entries, debt netting)"),
        ("INSERT INTO payouts_settlementrun", "INSERT the run"),
        ("UPDATE payouts_settlementrun", "UPDATE the run's figures"),
        ('INSERT INTO "payouts_settlementrun"', "SettlementRun.objects.create"),
        ('UPDATE "payouts_settlementrun"', "run.save()"),
        ("SELECT DISTINCT 'settlement:'", "_POST_SETTLEMENTS (due set, INSERT a posting per order)"),
        ("'withdrawable', due.amount", "_CREDIT_WITHDRAWABLE (due set again, INSERT withdrawable entries)"),
        ("'pending', -e.amount", "_DEBIT_PENDING (INSERT pending entries)"),
        ("FOR UPDATE", "ambassadors_locked (SELECT … FOR UPDATE)"),
        ('SELECT DISTINCT "payouts_entry"."ambassador_id"', "_ambassadors_due (SELECT DISTINCT ambassador)"),
        ('FROM "referrals_quarterlybonus"', "_bonuses_due"),
        ('COALESCE(SUM("payouts_entry"."amount")', "amount_settled (SUM of the run's entries)"),
        ('AS "total" FROM "payouts_entry" INNER JOIN', "_debt_net: settled per ambassador"),
        ('AS "total" FROM "payouts_entry" WHERE', "_debt_net: debts of the ambassadors who settled"),
        ('INSERT INTO "payouts_posting"', "post(): INSERT posting (debt netting)"),
        ('INSERT INTO "payouts_entry"', "post(): INSERT entries (debt netting)"),
        ('FROM "payouts_posting" WHERE "payouts_posting"."key"', "post(): key posted before?"),
        ("SAVEPOINT", "post(): savepoints"),
    ]
    for needle, name in known:
        if needle in text:
            return name
    return text[:90]


def child(options, code):
    """In a fresh process on the copy: the measured call, then the checks and a second run."""
    from django.db import connections

    from payouts.settlement import settlement_run

    tables()
    connection = connections["default"]
    connection.ensure_connection()
    plans = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
        if options.explain:
            connection.connection.add_notice_handler(lambda diagnostic: plans.append(diagnostic.message_primary))
            for setting in [
                "LOAD 'auto_explain'",
                "SET auto_explain.log_min_duration = '100ms'",
                "SET auto_explain.log_analyze = on",
                "SET auto_explain.log_buffers = on",
                "SET auto_explain.log_wal = on",
                "SET auto_explain.log_triggers = on",
                "SET client_min_messages = log",
            ]:
                cursor.execute(setting)
        before = pg_stats(cursor)

    queries = []

    def timed(execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append((label(sql), time.perf_counter() - began))

    commit_seconds = []
    real_commit = connection._commit

    def timed_commit():
        began = time.perf_counter()
        real_commit()
        commit_seconds.append(time.perf_counter() - began)

    measure = settlement_run if options.child == "settlement" else baseline_run
    connection._commit = timed_commit  # the deferred foreign-key checks run here
    rss_before = kib_of(os.getpid(), "VmRSS")
    with connection.execute_wrapper(timed):
        began = time.perf_counter()
        result = measure(DAY)
        seconds = time.perf_counter() - began
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    backend_peak = kib_of(backend, "VmHWM")
    connection._commit = real_commit
    run_id = result.pk if options.child == "settlement" else result
    outcome = {
        "kind": options.child,
        "code": code if code == code_fingerprint() else f"{code}, changed while it ran",
        "seconds": seconds,
        "commit_seconds": sum(commit_seconds),
        "rss_before_kib": rss_before,
        "peak_rss_kib": peak_rss,
        "backend_peak_kib": backend_peak,
        "statements": queries,
    }
    with connection.cursor() as cursor:
        outcome["postgres"] = stats_delta(cursor, before, pg_stats(cursor))
        if options.explain:
            print(json.dumps(outcome | {"plans": plans}))
            return
        began = time.perf_counter()
        checks, figures = ledger_verify(cursor, run_id, options.expected)
        outcome["verify_seconds"] = time.perf_counter() - began
        # A second run of the same day posts nothing.
        postings, entries = counts(cursor)
        rerun_before = pg_stats(cursor)
        began = time.perf_counter()
        again = measure(DAY)
        outcome["rerun_seconds"] = time.perf_counter() - began
        outcome["rerun_postgres"] = stats_delta(cursor, rerun_before, pg_stats(cursor))
        again_id = again.pk if options.child == "settlement" else again
        cursor.execute(f"SELECT orders_settled, debt_netted FROM {TABLES['run']} WHERE id = %s", [again_id])
        again_orders, again_netted = cursor.fetchone()
        checks["a second run of the same day posts nothing"] = (
            counts(cursor) == (postings, entries) and again_orders == 0 and again_netted == 0
        )
    outcome |= {"checks": checks, "figures": figures, "size_after": database_size(COPY)}
    print(json.dumps(outcome, default=str))


def code_fingerprint():
    """The settlement code measured (others may change it while the bench runs)."""
    digest = hashlib.sha256()
    for path in ["payouts/settlement.py", "payouts/ledger.py", "payouts/models/ledger.py"]:
        digest.update((ROOT / path).read_bytes())
    return digest.hexdigest()[:12]


def run_child(kind, plan, explain=False):
    """One measured run on a fresh copy; returns what the child reported."""
    copy_seconds = copy_database()
    expected = plan["generated_to_settle"] + plan["engine_to_settle"]
    command = [sys.executable, __file__, "--child", kind, "--expected", str(expected)]
    if explain:
        command.append("--explain")
    environment = harness.Setup(database=COPY, port=0, redis_db=REDIS_DB).environment()
    began = time.monotonic()
    finished = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True)
    if finished.returncode:
        raise SystemExit(f"{kind} run failed:\n{finished.stdout[-3000:]}\n{finished.stderr[-5000:]}")
    outcome = json.loads(finished.stdout.strip().splitlines()[-1])
    outcome["copy_seconds"] = copy_seconds
    outcome["process_seconds"] = time.monotonic() - began
    return outcome


# ---------------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="due orders with a rebate (1%% of them held)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--explain", action="store_true", help="then EXPLAIN ANALYZE both (auto_explain), once")
    parser.add_argument("--reuse-data", action="store_true", help="keep the database built last time (same --rows)")
    parser.add_argument("--child", choices=["settlement", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--expected", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        code = code_fingerprint()  # before Django imports it
        harness.Setup(database=COPY, port=0, redis_db=REDIS_DB).django_setup()
        return child(options, code)

    started = time.monotonic()
    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)", flush=True)
    plan = reuse(options.rows) if options.reuse_data else None
    if plan:
        pending = SETUP.manage("showmigrations", "--plan", capture=True).stdout.count("[ ]")
        SETUP.manage("migrate", "-v0")  # the code may have moved on since the build
        print(f"reusing {DATABASE} (built with --rows {options.rows:,}; {pending} migrations applied)", flush=True)
    else:
        print(f"building {DATABASE} with --rows {options.rows:,}", flush=True)
        plan = build(options.rows)
        print(f"built in {time.monotonic() - started:.0f} s", flush=True)
    plan["engine_to_settle"] = 2  # the engine's plain and partly refunded orders
    template_size = database_size(DATABASE)

    results = {"baseline": [], "settlement": []}
    for number in range(options.runs):
        for kind in ["baseline", "settlement"] if number % 2 == 0 else ["settlement", "baseline"]:
            outcome = run_child(kind, plan)
            results[kind].append(outcome)
            failed = [name for name, passed in outcome["checks"].items() if not passed]
            print(
                f"  run {number + 1} {kind}: {outcome['seconds']:.1f} s (commit {outcome['commit_seconds']:.1f} s),"
                f" peak RSS {outcome['peak_rss_kib'] / 1024:.0f} MiB; second run {outcome['rerun_seconds']:.1f} s;"
                f" copy {outcome['copy_seconds']:.0f} s, checks {outcome['verify_seconds']:.0f} s;"
                f" code {outcome['code']};"
                f" {'all checks passed' if not failed else 'FAILED: ' + '; '.join(failed)}",
                flush=True,
            )
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


def _median(runs, key):
    return statistics.median(run[key] for run in runs)


def report(options, plan, results, template_size):
    command = " ".join([".venv/bin/python", "bench/settlement.py", *sys.argv[1:]])
    settle, base = results["settlement"], results["baseline"]
    figures = settle[0]["figures"]
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
    print(
        "\n| what | median s | runs s | / baseline | commit s | Python peak RSS MiB (before) | PostgreSQL backend"
        " peak MiB | rows inserted | blocks read / hit | temp MiB | WAL MiB |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
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
        commit = memory = backend = ""
        if key == "seconds":
            commit = f"{_median(runs, 'commit_seconds'):.1f}"
            memory = f"{_median(runs, 'peak_rss_kib') / 1024:.0f} ({_median(runs, 'rss_before_kib') / 1024:.0f})"
            backend = f"{_median(runs, 'backend_peak_kib') / 1024:.0f}"
        print(
            f"| {name} | {seconds:.1f} | {' / '.join(f'{run[key]:.1f}' for run in runs)} | {seconds / against:.2f}"
            f" | {commit} | {memory} | {backend} | {pg['inserted']:,.0f}"
            f" | {pg['blocks_read']:,.0f} / {pg['blocks_hit']:,.0f} | {pg['temp_bytes'] / 2**20:,.0f}"
            f" | {pg['wal_bytes'] / 2**20:,.0f} |"
        )
    ratio = _median(settle, "seconds") / _median(base, "seconds")
    verdict = "met" if ratio <= TARGET else "NOT met"
    print(f"\n**settlement / baseline: {ratio:.2f}** (target within {TARGET}x: {verdict})")
    print(
        "(commit: the deferred foreign-key checks of every row inserted run at COMMIT; PostgreSQL backend peak:"
        " VmHWM of the backend, shared buffers it touched included; WAL: the whole cluster's, anything else"
        " writing at the time included; rows inserted, blocks and temp: this database's counters)"
    )

    print(f"\nwhere `settlement_run(day)` spends its time (median of {len(settle)} runs):")
    print("| statement | calls | s | share |")
    print("| --- | --- | --- | --- |")
    statements = {}
    for run in settle + base:
        for name, seconds in run["statements"]:
            statements.setdefault((run["kind"], name), {})
            statements[(run["kind"], name)].setdefault(id(run), []).append(seconds)
    for kind, runs in (("settlement", settle), ("baseline", base)):
        if kind == "baseline":
            print("\nand the baseline:")
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
        commit = _median(runs, "commit_seconds")
        print(f"| COMMIT (deferred foreign-key checks) | 1 | {commit:.2f} | {commit / total:.0%} |")

    print("\nchecks (every run of both):")
    passed = True
    names = list(settle[0]["checks"])
    for name in names:
        ok = all(run["checks"][name] for run in settle + base)
        passed = passed and ok
        print(f"- [{'x' if ok else ' '}] {name}")
    same = {(run["figures"]["balances_md5"], run["figures"]["run_md5"]) for run in settle + base}
    passed = passed and len(same) == 1
    print(
        f"- [{'x' if len(same) == 1 else ' '}] baseline and settlement_run leave the same ledger (balances of every"
        " ambassador and bucket, and the run's postings and entries, by md5)"
    )
    codes = {run["code"] for run in settle + base}
    print(
        f"- [{'x' if len(codes) == 1 else ' '}] the same settlement code in every run"
        f" (payouts/settlement.py, payouts/ledger.py, payouts/models/ledger.py: sha256 {', '.join(sorted(codes))})"
    )
    passed = passed and len(codes) == 1
    print(
        f"Python process peak RSS: {max(run['peak_rss_kib'] for run in settle) / 1024:.0f} MiB at most"
        f" (ru_maxrss; {max(run['rss_before_kib'] for run in settle) / 1024:.0f} MiB after Django's setup);"
        f" database after a run: {settle[0]['size_after'] / 2**30:.1f} GiB"
    )
    return passed


if __name__ == "__main__":
    main()
