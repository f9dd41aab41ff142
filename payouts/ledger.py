"""Posting to the ledger and reading balances from it.

Every write that moves an ambassador's money first locks that ambassador's row. A write that
reads a balance or settles (a withdrawal, a settlement run, a cancellation) takes it exclusively
(`ambassadors_locked`): they happen one at a time, and never beside a rebate being posted. A
rebate's posting reads only its own order's entries, so it shares the lock
(`ambassadors_share_locked`): two workers post rebates for one ambassador side by side, and a
settlement waits for both, as they wait for it."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Sum

from ambassadors.models import Ambassador
from portal.kernel.money import ZERO, round_yuan

from .models import Bucket, Entry, Posting


@dataclass(frozen=True)
class Line:
    ambassador_id: int
    bucket: str
    amount: Decimal
    order_id: int | None = None


@dataclass(frozen=True)
class Balances:
    pending: Decimal = ZERO
    withdrawable: Decimal = ZERO
    in_payout: Decimal = ZERO
    paid_out: Decimal = ZERO
    debt: Decimal = ZERO  # what the ambassador owes (挂账), a positive figure
    forfeited: Decimal = ZERO


def ambassadors_locked(ids):
    """Lock the ambassadors' rows, in id order so that two lockers never deadlock."""
    ids = _in_id_order(ids)
    if ids:
        list(Ambassador.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    return ids


def ambassadors_share_locked(ids) -> dict[int, bool]:
    """Lock the ambassadors' rows FOR SHARE, in id order: against `ambassadors_locked`, not against
    each other. Returns whether each one's membership has ended, read under the lock. Django's
    `select_for_update` has no shared strength, hence the one statement of SQL; SQLite, which lets
    one writer in at a time, needs no row lock."""
    ids = _in_id_order(ids)
    if not ids:
        return {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_SHARE_LOCK, [ids])
            return dict(cursor.fetchall())
    return {
        pk: ended is not None for pk, ended in Ambassador.objects.filter(pk__in=ids).values_list("pk", "cancelled_at")
    }


def _in_id_order(ids):
    """The distinct ids, None left out, in the one order every locker takes them in."""
    return sorted({pk for pk in ids if pk is not None})


_SHARE_LOCK = (
    f"SELECT id, cancelled_at IS NOT NULL FROM {Ambassador._meta.db_table} WHERE id = ANY(%s) ORDER BY id FOR SHARE"
)


def post(*, key, kind, lines, **cause):
    """Post one cause once. Returns the posting, or None when `key` was posted before
    (or every line is zero). Runs in the caller's transaction."""
    lines = [line for line in lines if line.amount != 0]
    if not lines or Posting.objects.filter(key=key).exists():
        return None
    try:
        with transaction.atomic():  # a savepoint: the unique key is the last word
            posting = Posting.objects.create(key=key, kind=kind, **cause)
    except IntegrityError:
        return None
    Entry.objects.bulk_create(_entries(posting, lines))
    return posting


def _entries(posting, lines):
    return [
        Entry(
            posting=posting,
            ambassador_id=line.ambassador_id,
            bucket=line.bucket,
            amount=line.amount,
            order_id=line.order_id,
        )
        for line in lines
        if line.amount != 0
    ]


@dataclass(frozen=True)
class PostingDraft:
    key: str
    kind: str
    lines: list[Line]
    cause: dict  # the posting's cause: its order and rebate change, or its bonus, ...


def post_many(drafts):
    """`post` for many causes in two statements: the postings, then their entries. A key posted
    before is left out; one that another transaction posts meanwhile fails the statement
    (IntegrityError), and the caller's savepoint decides what then."""
    drafts = [draft for draft in drafts if any(line.amount != 0 for line in draft.lines)]
    if not drafts:
        return
    seen = set(Posting.objects.filter(key__in=[draft.key for draft in drafts]).values_list("key", flat=True))
    drafts = [draft for draft in drafts if draft.key not in seen]
    postings = Posting.objects.bulk_create(Posting(key=draft.key, kind=draft.kind, **draft.cause) for draft in drafts)
    Entry.objects.bulk_create(
        entry for posting, draft in zip(postings, drafts, strict=True) for entry in _entries(posting, draft.lines)
    )


def _bucket_sums(entries):
    return entries.aggregate(
        **{bucket: Sum("amount", filter=Q(bucket=bucket), default=ZERO) for bucket in Bucket.values}
    )


def balances_of(ambassador) -> Balances:
    """Every balance of one ambassador, in one query."""
    # round_yuan: SQLite's SUM drops trailing zeros; every figure reads as yuan and fen.
    sums = {
        bucket: round_yuan(total) for bucket, total in _bucket_sums(Entry.objects.filter(ambassador=ambassador)).items()
    }
    return Balances(
        pending=sums[Bucket.PENDING],
        withdrawable=sums[Bucket.WITHDRAWABLE],
        in_payout=sums[Bucket.IN_PAYOUT],
        paid_out=sums[Bucket.PAID_OUT],
        debt=-sums[Bucket.DEBT],
        forfeited=sums[Bucket.FORFEITED],
    )
