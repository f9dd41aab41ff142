"""The checks of one run, read from the ledger it left: every due, not-held order settled once
with two entries, nothing else settled, debt netted up to what settled, and the ledger's
fingerprint (to compare the baseline's with `settlement_run`'s)."""

from decimal import Decimal

from .config import DAY, TABLES

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
