"""The bulk, written with `generate_series` in the shape the engine wrote: a plan of every order
(an unlogged table), then one INSERT per table reading it."""

import re
import time
from datetime import datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from zoneinfo import ZoneInfo

from .config import AMBASSADORS, DAY, RATE, SHANGHAI, TABLES

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

    params = _params(rows, rule_set, model_ambassador)
    with connection.cursor() as cursor:
        _id_bases(cursor, params)
        _plan_write(cursor, params)
        _tables_write(cursor, params, engine_rows(cursor, model_order))
        plan = _plan_read(cursor, params)
        cursor.execute("DROP TABLE bench_plan")
    base, due, ahead = params["order_base"], params["due"], params["ahead"]
    samples = {"plain": base, "partial": base + 1, "full": base + due + ahead, "debt": base + params["orders"]}
    return plan, samples


def _params(rows, rule_set, model_ambassador):
    """The sizes of each kind of order, and what the SQL reads besides."""
    from referrals.models import Product

    ahead, full = rows // 20, max(1, rows // 200)
    ambassadors = min(AMBASSADORS, max(10, rows // 100))
    debtors = max(1, ambassadors // 100)
    orders = rows + ahead + full
    return {
        "due": rows,
        "ahead": ahead,
        "full": full,
        "orders": orders,
        "all": orders + debtors,
        "ambassadors": ambassadors,
        "debtors": debtors,
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


def _id_bases(cursor, params):
    """The first free id of each table: generated ids are a base + n."""
    for name in ["user", "ambassador", "association", "order", "change", "posting", "entry"]:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {TABLES[name]}")
        params[f"{name}_base"] = cursor.fetchone()[0]
    params["customer_base"] = params["user_base"] + params["ambassadors"]


def _plan_write(cursor, params):
    """bench_plan, and the earlier run that settled the orders later refunded into debt."""
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


def _tables_write(cursor, params, engine):
    """Every table's rows from bench_plan, then each sequence past the ids written."""
    for label, sql in GENERATE:
        began = time.monotonic()
        sql, copied = with_other_columns(cursor, sql, engine)
        cursor.execute(sql, params)
        copied = f" ({', '.join(copied)} as in the engine's row)" if copied else ""
        print(f"  {label}: {cursor.rowcount:,} rows, {time.monotonic() - began:.0f} s{copied}", flush=True)
    for name in ["user", "ambassador", "association", "order", "change", "posting", "entry", "run"]:
        table = TABLES[name]
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")


def _plan_read(cursor, params):
    """What was planned, as the report states it and the checks expect it."""
    cursor.execute(
        "SELECT COUNT(*) FILTER (WHERE category = 'due' AND NOT held), "
        " COALESCE(SUM(rebate) FILTER (WHERE category = 'due' AND NOT held), 0),"
        " COUNT(*) FILTER (WHERE held), COUNT(*) FILTER (WHERE refund = 'partial')"
        " FROM bench_plan"
    )
    settle, settle_amount, held, partial = cursor.fetchone()
    return {
        "rows": params["due"],
        "ahead": params["ahead"],
        "refunded_in_full": params["full"],
        "held": held,
        "partial_refunds": partial,
        "ambassadors": params["ambassadors"],
        "debtors": params["debtors"],
        "customers": params["all"],
        "generated_to_settle": settle,
        "generated_amount_to_settle": str(settle_amount),
    }
