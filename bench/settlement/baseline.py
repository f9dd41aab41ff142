"""The baseline: one statement doing the posting `settlement_run` does (orders and debt netting),
in one transaction with the run row it belongs to."""

from .config import TABLES

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
