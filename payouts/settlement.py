"""Settlement (R7): on day 31 an order's pending rebate becomes withdrawable; an extra
rebate does in the month after next; debt (挂账, R6.2) is repaid from what settles
before anything becomes withdrawable. Held rebates (R9.3) wait.

Orders settle in set-based SQL (a million due rebates is a few statements, not a
million round trips); every posting keeps its unique key, so running a day twice,
or two runs at once, posts nothing twice."""

from datetime import date

from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from ambassadors.models import Ambassador
from portal.kernel.money import ZERO, round_yuan
from referrals.models import Order, QuarterlyBonus

from .ledger import Line, ambassadors_locked, post
from .models import Bucket, Entry, Posting, SettlementRun

ENTRY = Entry._meta.db_table
POSTING = Posting._meta.db_table
ORDER = Order._meta.db_table
AMBASSADOR = Ambassador._meta.db_table

# The orders whose pending rebate is due on the day: one row per order and ambassador.
# Sums are rounded to the fen: SQLite adds decimals as floats, and 0.30 - 0.10 - 0.20 must be 0.
_DUE = f"""
    SELECT e.order_id, e.ambassador_id, ROUND(SUM(e.amount), 2) AS amount
    FROM {ENTRY} e
    JOIN {ORDER} o ON o.id = e.order_id
    JOIN {AMBASSADOR} a ON a.id = e.ambassador_id
    WHERE e.bucket = 'pending' AND o.settles_on <= %(day)s AND NOT o.on_hold AND a.cancelled_at IS NULL
    GROUP BY e.order_id, e.ambassador_id
    HAVING ROUND(SUM(e.amount), 2) <> 0
"""

_POST_SETTLEMENTS = f"""
    INSERT INTO {POSTING} (key, kind, order_id, settlement_run_id, posted_at)
    SELECT DISTINCT 'settlement:' || due.order_id, 'settlement', due.order_id, %(run)s, %(now)s
    FROM ({_DUE}) due
    WHERE true
    ON CONFLICT (key) DO NOTHING
"""

# Credit first, computed from what is still pending; then take it out of pending.
_CREDIT_WITHDRAWABLE = f"""
    INSERT INTO {ENTRY} (posting_id, ambassador_id, bucket, amount, order_id)
    SELECT p.id, due.ambassador_id, 'withdrawable', due.amount, due.order_id
    FROM {POSTING} p JOIN ({_DUE}) due ON due.order_id = p.order_id
    WHERE p.settlement_run_id = %(run)s AND p.kind = 'settlement'
"""

_DEBIT_PENDING = f"""
    INSERT INTO {ENTRY} (posting_id, ambassador_id, bucket, amount, order_id)
    SELECT e.posting_id, e.ambassador_id, 'pending', -e.amount, e.order_id
    FROM {ENTRY} e JOIN {POSTING} p ON p.id = e.posting_id
    WHERE p.settlement_run_id = %(run)s AND p.kind = 'settlement' AND e.bucket = 'withdrawable'
"""


@transaction.atomic
def settlement_run(day: date) -> SettlementRun:
    """Settle everything due on or before `day` (an Asia/Shanghai date)."""
    run = SettlementRun.objects.create(day=day)
    ambassadors_locked(_ambassadors_due(day))
    params = {"day": day, "run": run.pk, "now": timezone.now()}
    with connection.cursor() as cursor:
        cursor.execute(_POST_SETTLEMENTS, params)
        run.orders_settled = cursor.rowcount
        cursor.execute(_CREDIT_WITHDRAWABLE, params)
        cursor.execute(_DEBIT_PENDING, params)
    run.bonuses_settled = _bonuses_settle(day, run)
    run.amount_settled = Entry.objects.filter(
        posting__settlement_run=run, bucket=Bucket.WITHDRAWABLE, posting__kind__in=SETTLING_KINDS
    ).aggregate(total=Sum("amount", default=ZERO))["total"]
    run.debt_netted = _debt_net(run)
    run.finished_at = timezone.now()
    run.save()
    return run


SETTLING_KINDS = (Posting.Kind.SETTLEMENT, Posting.Kind.BONUS_SETTLEMENT)


def _ambassadors_due(day):
    """The ambassadors with something to settle: their rows are locked for the run."""
    orders = (
        Entry.objects.filter(bucket=Bucket.PENDING, order__settles_on__lte=day, order__on_hold=False)
        .filter(ambassador__cancelled_at__isnull=True)
        .values_list("ambassador", flat=True)
        .distinct()
    )
    bonuses = _bonuses_due(day).values_list("ambassador", flat=True)
    return set(orders) | set(bonuses)


def _bonuses_due(day):
    settled = Posting.objects.filter(kind=Posting.Kind.BONUS_SETTLEMENT).values("bonus")
    return QuarterlyBonus.objects.filter(settles_on__lte=day, ambassador__cancelled_at__isnull=True).exclude(
        pk__in=settled
    )


def _bonuses_settle(day, run):
    """R7.2: extra rebates, few enough to post one by one."""
    settled = 0
    for bonus in _bonuses_due(day):
        settled += bool(
            post(
                key=f"bonus_settlement:{bonus.pk}",
                kind=Posting.Kind.BONUS_SETTLEMENT,
                lines=[
                    Line(bonus.ambassador_id, Bucket.PENDING, -bonus.amount),
                    Line(bonus.ambassador_id, Bucket.WITHDRAWABLE, bonus.amount),
                ],
                bonus=bonus,
                settlement_run=run,
            )
        )
    return settled


def _debt_net(run):
    """R6.2: repay each indebted ambassador's debt from what this run settled for them."""
    settled = dict(
        Entry.objects.filter(posting__settlement_run=run, bucket=Bucket.WITHDRAWABLE, posting__kind__in=SETTLING_KINDS)
        .values_list("ambassador")
        .annotate(total=Sum("amount"))
    )
    debts = dict(
        Entry.objects.filter(ambassador__in=settled.keys(), bucket=Bucket.DEBT)
        .values_list("ambassador")
        .annotate(total=Sum("amount"))
    )
    netted = ZERO
    for ambassador_id, debt in debts.items():
        # round_yuan: on SQLite a repaid debt sums to a float crumb, not to 0 (see _DUE).
        repaid = min(-round_yuan(debt), round_yuan(settled[ambassador_id]))
        if repaid <= 0:
            continue
        post(
            key=f"debt_netting:{run.pk}:{ambassador_id}",
            kind=Posting.Kind.DEBT_NETTING,
            lines=[
                Line(ambassador_id, Bucket.WITHDRAWABLE, -repaid),
                Line(ambassador_id, Bucket.DEBT, repaid),
            ],
            settlement_run=run,
        )
        netted += repaid
    return netted


def settlement_day_today() -> date:
    """The scheduled job's date: today in Asia/Shanghai."""
    return timezone.localdate()
