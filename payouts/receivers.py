"""The ledger follows the rebates that referrals decides (its signals), in the
same transaction: what an order has earned an ambassador is always what the
ledger holds for it."""

from collections import defaultdict

from django.db.models import Sum
from django.dispatch import receiver

from ambassadors.models import Ambassador
from portal.kernel.money import round_yuan
from referrals.rebates.signals import bonus_granted, rebate_changed

from .ledger import Line, ambassadors_locked, post
from .models import Bucket, Entry, Posting


@receiver(rebate_changed, dispatch_uid="payouts.rebate_change_post")
def rebate_change_post(sender, *, order, change, **kwargs):
    """Bring the ledger to the order's current rebate.

    Reconciles rather than adding the change's difference, so an order that
    moved to another ambassador on re-judging leaves the first with nothing.
    Where the difference goes (R6.2, R10.2):
      - before settlement: pending;
      - after settlement: a cut is debt (挂账), a rise is withdrawable at once;
      - for a cancelled ambassador: forfeited."""
    earned = defaultdict(
        int,
        Entry.objects.filter(order=order, posting__kind=Posting.Kind.REBATE)
        .values_list("ambassador")
        .annotate(total=Sum("amount")),
    )
    wanted = {order.ambassador_id: order.rebate} if order.ambassador_id else {}
    ambassadors = ambassadors_locked(set(earned) | set(wanted))
    settled = set(
        Entry.objects.filter(order=order, posting__kind=Posting.Kind.SETTLEMENT).values_list("ambassador", flat=True)
    )
    cancelled = set(
        Ambassador.objects.filter(pk__in=ambassadors, cancelled_at__isnull=False).values_list("pk", flat=True)
    )
    lines = []
    for ambassador_id in ambassadors:
        # round_yuan: SQLite sums decimals as floats; the ledger holds fen only.
        difference = round_yuan(wanted.get(ambassador_id, 0) - earned[ambassador_id])
        if ambassador_id in cancelled:
            bucket = Bucket.FORFEITED
        elif ambassador_id in settled:
            bucket = Bucket.DEBT if difference < 0 else Bucket.WITHDRAWABLE
        else:
            bucket = Bucket.PENDING
        lines.append(Line(ambassador_id, bucket, difference, order.pk))
    post(key=f"rebate:{change.pk}", kind=Posting.Kind.REBATE, lines=lines, order=order, rebate_change=change)


@receiver(bonus_granted, dispatch_uid="payouts.bonus_post")
def bonus_post(sender, *, bonus, **kwargs):
    """An extra rebate is pending until the month after next (R5.5, R7.2)."""
    ambassadors_locked([bonus.ambassador_id])
    post(
        key=f"bonus:{bonus.pk}",
        kind=Posting.Kind.BONUS,
        lines=[Line(bonus.ambassador_id, Bucket.PENDING, bonus.amount)],
        bonus=bonus,
    )
