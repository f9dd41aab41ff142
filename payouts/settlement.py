"""Settlement (R7): on day 31 an order's pending rebate becomes withdrawable; an extra
rebate does in the month after next; debt (挂账, R6.2) is repaid from what settles
before anything becomes withdrawable. Held rebates (R9.3) wait.

Orders settle in set-based SQL (a million due rebates is a few statements, not a
million round trips), in chunks of ambassadors taken in id order, each chunk one
transaction that commits: no transaction holds millions of rows or their locks for
minutes, and a run that stops (a crash, a deploy) resumes after its last committed
chunk when the same day is settled again. An ambassador's rebates all settle in one
chunk, so debt is netted against everything the run settles for them. Every posting
keeps its unique key, so running a day twice, or two runs at once, posts nothing twice."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone

from ambassadors.models import Ambassador
from portal.kernel.money import ZERO, round_yuan
from referrals.models import Order, QuarterlyBonus

from .ledger import Line, post
from .models import Bucket, Entry, Posting, SettlementRun

ENTRY = Entry._meta.db_table
POSTING = Posting._meta.db_table
ORDER = Order._meta.db_table
AMBASSADOR = Ambassador._meta.db_table

# The orders of the chunk's ambassadors whose pending rebate is due on the day: one row per
# order and ambassador. Sums are rounded to the fen: SQLite adds decimals as floats, and
# 0.30 - 0.10 - 0.20 must be 0.
_DUE = f"""
    SELECT e.order_id, e.ambassador_id, ROUND(SUM(e.amount), 2) AS amount
    FROM {ENTRY} e
    JOIN {ORDER} o ON o.id = e.order_id
    JOIN {AMBASSADOR} a ON a.id = e.ambassador_id
    WHERE e.bucket = 'pending' AND e.ambassador_id > %(after)s AND e.ambassador_id <= %(through)s
      AND o.settles_on <= %(day)s AND NOT o.on_hold AND a.cancelled_at IS NULL
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

# Credit first, computed from what is still pending; then take it out of pending. Only this
# chunk's postings: their ids are above the highest id before the chunk (`floor`).
_CREDIT_WITHDRAWABLE = f"""
    INSERT INTO {ENTRY} (posting_id, ambassador_id, bucket, amount, order_id)
    SELECT p.id, due.ambassador_id, 'withdrawable', due.amount, due.order_id
    FROM {POSTING} p JOIN ({_DUE}) due ON due.order_id = p.order_id
    WHERE p.id > %(floor)s AND p.settlement_run_id = %(run)s AND p.kind = 'settlement'
"""

_DEBIT_PENDING = f"""
    INSERT INTO {ENTRY} (posting_id, ambassador_id, bucket, amount, order_id)
    SELECT e.posting_id, e.ambassador_id, 'pending', -e.amount, e.order_id
    FROM {ENTRY} e JOIN {POSTING} p ON p.id = e.posting_id
    WHERE e.posting_id > %(floor)s AND p.id > %(floor)s AND p.settlement_run_id = %(run)s
      AND p.kind = 'settlement' AND e.bucket = 'withdrawable'
"""

# What a chunk made withdrawable, per ambassador: its settlement and bonus postings only (both
# ids bounded, so that neither side reads the run's earlier chunks).
_SETTLED = f"""
    SELECT e.ambassador_id, ROUND(SUM(e.amount), 2)
    FROM {ENTRY} e JOIN {POSTING} p ON p.id = e.posting_id
    WHERE e.posting_id > %(floor)s AND p.id > %(floor)s AND p.settlement_run_id = %(run)s
      AND p.kind IN ('settlement', 'bonus_settlement') AND e.bucket = 'withdrawable'
    GROUP BY e.ambassador_id
"""


@dataclass(frozen=True)
class Chunk:
    """The ambassadors with ids in (after, through], settled in one transaction."""

    after: int
    through: int


def settlement_run(day: date, *, chunk_rebates: int | None = None) -> SettlementRun:
    """Settle everything due on or before `day` (an Asia/Shanghai date), or the rest of it when
    a run of that day stopped before its end. Chunks hold about `chunk_rebates` due rebates
    (settings.SETTLEMENT_CHUNK_REBATES); one ambassador's never split."""
    run = _run_open(day)
    due = _ambassadors_due(day, after=run.settled_through or 0)
    size = chunk_rebates or settings.SETTLEMENT_CHUNK_REBATES
    while True:
        with transaction.atomic():
            run = SettlementRun.objects.select_for_update().get(pk=run.pk)
            if run.finished_at:  # finished by a run of the same day started at the same time
                return run
            chunk = _chunk_next(due, after=run.settled_through or 0, size=size)
            if chunk is None:
                run.finished_at = timezone.now()
                run.save(update_fields=["finished_at"])
                return run
            _chunk_settle(run, day, chunk)


def _run_open(day):
    """The day's unfinished run, to continue, or a new one."""
    for _attempt in range(2):
        run = SettlementRun.objects.filter(day=day, finished_at__isnull=True).first()
        if run:
            return run
        try:
            with transaction.atomic():
                return SettlementRun.objects.create(day=day)
        except IntegrityError:  # another run of the day began at the same moment: continue it
            continue
    return SettlementRun.objects.get(day=day, finished_at__isnull=True)


def _ambassadors_due(day, *, after):
    """Each ambassador past `after` with something to settle, in id order, with about how many
    rebates (a settled order's pending entries count too: the figure only sizes chunks)."""
    orders = (
        Entry.objects.filter(bucket=Bucket.PENDING, order__settles_on__lte=day, order__on_hold=False)
        .filter(ambassador__cancelled_at__isnull=True, ambassador__gt=after)
        .values_list("ambassador")
        .annotate(rebates=Count("pk"))
    )
    due = dict(orders)
    for ambassador_id in _bonuses_due(day).filter(ambassador__gt=after).values_list("ambassador", flat=True):
        due[ambassador_id] = due.get(ambassador_id, 0) + 1
    return sorted(due.items())


def _chunk_next(due, *, after, size):
    """The next ambassadors past `after`, up to about `size` rebates (at least one ambassador)."""
    ambassadors, rebates = [], 0
    for ambassador_id, count in due:
        if ambassador_id <= after:
            continue
        if ambassadors and rebates + count > size:
            break
        ambassadors.append(ambassador_id)
        rebates += count
    if not ambassadors:
        return None
    return Chunk(after=after, through=ambassadors[-1])


def _chunk_settle(run, day, chunk):
    """One chunk, in the caller's transaction: its ambassadors locked, their due orders and
    bonuses settled, their debt netted, and the run's figures and progress moved on."""
    _range_locked(chunk)
    floor = Posting.objects.aggregate(highest=Max("pk"))["highest"] or 0
    params = {"day": day, "run": run.pk, "now": timezone.now(), "after": chunk.after, "through": chunk.through}
    with connection.cursor() as cursor:
        cursor.execute(_POST_SETTLEMENTS, params)
        orders = cursor.rowcount
        cursor.execute(_CREDIT_WITHDRAWABLE, params | {"floor": floor})
        cursor.execute(_DEBIT_PENDING, params | {"floor": floor})
    run.orders_settled += orders
    run.bonuses_settled += _bonuses_settle(day, run, chunk)
    settled = _settled_by_ambassador(run, floor)
    run.amount_settled = round_yuan(run.amount_settled + sum(settled.values(), ZERO))
    run.debt_netted = round_yuan(run.debt_netted + _debt_net(run, settled))
    run.chunks_committed += 1
    run.settled_through = chunk.through
    run.save()


def _range_locked(chunk):
    """Lock every ambassador of the chunk's id range, in id order as `ambassadors_locked` does:
    one who became due after the run began is written by the same statements."""
    list(
        Ambassador.objects.select_for_update()
        .filter(pk__gt=chunk.after, pk__lte=chunk.through)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _bonuses_due(day):
    settled = Posting.objects.filter(kind=Posting.Kind.BONUS_SETTLEMENT).values("bonus")
    return QuarterlyBonus.objects.filter(settles_on__lte=day, ambassador__cancelled_at__isnull=True).exclude(
        pk__in=settled
    )


def _bonuses_settle(day, run, chunk):
    """R7.2: extra rebates of the chunk's ambassadors, few enough to post one by one."""
    settled = 0
    for bonus in _bonuses_due(day).filter(ambassador__gt=chunk.after, ambassador__lte=chunk.through):
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


def _settled_by_ambassador(run, floor):
    """What this chunk made withdrawable, per ambassador."""
    with connection.cursor() as cursor:
        cursor.execute(_SETTLED, {"floor": floor, "run": run.pk})
        return {ambassador_id: round_yuan(total) for ambassador_id, total in cursor.fetchall()}


def _debt_net(run, settled):
    """R6.2: repay each indebted ambassador's debt from what this run settled for them."""
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
