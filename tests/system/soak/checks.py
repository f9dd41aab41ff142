"""What must hold once the load has stopped, the workers have drained and reconciliation has
resolved every withdrawal: read from the database, the gateway's own record of money moved, and
what the soak itself sent and was answered. Each check is (label, passed, detail)."""

from collections import defaultdict
from datetime import datetime
from decimal import Decimal


def _check(results, label, violations, *, limit=8):
    detail = "; ".join(str(v) for v in violations[:limit])
    if len(violations) > limit:
        detail += f"; … {len(violations) - limit} more"
    results.append((label, not violations, detail))


def http_checks(run, results):
    unexpected = run.stats.total_unexpected()
    _check(
        results,
        "every request answered as expected (no 5xx, no connection error or timeout, no unexpected 4xx)",
        [
            f"{kind}: {counts} (first: {run.stats.first_unexpected.get(kind, '')})"
            for kind, counts in unexpected.items()
        ],
    )
    _check(results, "nothing went wrong during the run (commands, cookies, pages)", list(run.problems))


def event_checks(billing, results):
    from referrals.models import Event

    stored = dict(Event.objects.values_list("id", "body_digest"))
    answered_200 = {event_id for event_id, _digest, status in billing.answers if status == 200}
    sent = {event_id for event_id, _digest, _status in billing.answers}
    _check(results, "every event answered 200 is stored", sorted(answered_200 - stored.keys()))
    _check(results, "every stored event was sent by billing", sorted(stored.keys() - sent))
    wrong = []
    for event_id, digest, status in billing.answers:
        if status == 200 and stored.get(event_id) != digest:
            wrong.append(f"{event_id}: 200 for a body other than the one stored")
        if status == 409 and stored.get(event_id) == digest:
            wrong.append(f"{event_id}: 409 for the body stored")
    _check(results, "a repeated event id answers 200 with the body stored first and 409 with another", wrong)
    unfinished = list(
        Event.objects.exclude(status=Event.Status.PROCESSED, processed_at__isnull=False, error="").values_list(
            "id", "status", "attempts", "error"
        )
    )
    _check(
        results,
        "every stored event processed once (none failed, none waiting)",
        [
            f"{event_id} {status} after {attempts} attempts {error[:120]}"
            for event_id, status, attempts, error in unfinished
        ],
    )


def order_checks(billing, results):
    from referrals.models import Order

    orders = {order.billing_id: order for order in Order.objects.all()}
    accepted = {billing_id for billing_id, versions in billing.accepted_versions.items() if versions}
    _check(results, "every order billing sent is stored", sorted(accepted - orders.keys()))
    _check(results, "no order stored that billing did not send", sorted(orders.keys() - accepted))
    stale, undecided = [], []
    for billing_id, order in orders.items():
        versions = billing.accepted_versions.get(billing_id)
        if versions:
            newest = max(versions)
            snapshot = billing.snapshots[billing_id][newest]
            expected = (
                newest,
                snapshot["status"],
                Decimal(snapshot["amount"]),
                Decimal(snapshot["refunded_amount"]),
                datetime.fromisoformat(snapshot["paid_at"]) if snapshot["paid_at"] else None,
            )
            held = (order.version, order.status, order.amount, order.refunded_amount, order.paid_at)
            if held != expected:
                stale.append(f"{billing_id}: holds {held}, newest snapshot sent {expected}")
        if order.decided_at is None or not (order.reason or order.rebate > 0):
            undecided.append(
                f"{billing_id}: decided_at={order.decided_at} reason={order.reason!r} rebate={order.rebate}"
            )
    _check(results, "every order holds its newest snapshot, whatever order they arrived in", stale)
    _check(results, "every order decided: a reason or a rebate", undecided)


def customer_checks(run, billing, results):
    from referrals.models import Association, AssociationRefusal, CustomerProfile

    segments = dict(CustomerProfile.objects.values_list("customer__uid", "segment"))
    wrong = []
    for uid, updates in billing.segments.items():
        newest = max(updates)[1]
        if segments.get(_uuid(uid)) != newest:
            wrong.append(f"{uid}: segment {segments.get(_uuid(uid))!r}, newest sent {newest!r}")
    _check(results, "every customer's segment is the newest billing sent (created), whatever the arrival order", wrong)
    associated = set(Association.objects.values_list("customer__uid", "ambassador_id"))
    refused = set(AssociationRefusal.objects.values_list("customer__uid", "ambassador_id"))
    missing = []
    for uid, ambassador, how in run.referred:
        key = (_uuid(uid), ambassador)
        must = how in ("sign-up", "log-in")  # a new account, or one with no association and no order yet
        if key not in associated and (must or key not in refused):
            missing.append(f"{how} of {uid} through ambassador {ambassador}: neither associated nor refused")
    _check(
        results,
        "every sign-up and log-in carrying a referral cookie associated the customer "
        "(or, for old customers and links of another ambassador, refused with a reason)",
        missing,
    )


def _uuid(text):
    import uuid

    return uuid.UUID(text)


def visit_checks(run, results):
    from referrals.models import Visit

    stored, clicked = Visit.objects.count(), run.counters.get("link clicks", 0)
    problems = [] if stored == clicked else [f"{stored} visits stored for {clicked} clicks answered 302"]
    _check(results, "every link click recorded as a visit (through the Redis buffer)", problems)


def ledger_checks(last_day, results):
    from django.db.models import Sum

    from ambassadors.models import Ambassador
    from payouts.ledger import balances_of
    from payouts.models import Bucket, Entry, Posting, Withdrawal
    from referrals.models import Order, QuarterlyBonus

    earned = defaultdict(dict)  # order -> ambassador -> what the ledger holds from its rebate postings
    for order_id, ambassador_id, total in (
        Entry.objects.filter(posting__kind=Posting.Kind.REBATE)
        .values_list("order_id", "ambassador_id")
        .annotate(total=Sum("amount"))
    ):
        if total != 0:
            earned[order_id][ambassador_id] = total
    wrong = []
    orders = list(Order.objects.values_list("id", "billing_id", "ambassador_id", "rebate"))
    for order_id, billing_id, ambassador_id, rebate in orders:
        wanted = {ambassador_id: rebate} if ambassador_id and rebate else {}
        held = earned.get(order_id, {})
        if wanted != held:
            wrong.append(f"{billing_id}: rebate {wanted}, ledger {held}")
    _check(results, "the ledger holds exactly each order's rebate, for its ambassador only", wrong)

    moves = (
        Posting.objects.exclude(kind__in=[Posting.Kind.REBATE, Posting.Kind.BONUS, Posting.Kind.FORFEIT])
        .annotate(total=Sum("entries__amount"))
        .exclude(total=0)
        .values_list("key", "total")
    )
    _check(results, "every posting that moves money between buckets sums to zero", [f"{k}: {t}" for k, t in moves])

    pending_due = (
        Entry.objects.filter(
            bucket=Bucket.PENDING, order__settles_on__lte=last_day, order__on_hold=False, ambassador__cancelled_at=None
        )
        .values_list("order__billing_id")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
    )
    _check(
        results,
        f"every rebate due by {last_day} settled (nothing due left pending)",
        [f"{b}: {t}" for b, t in pending_due],
    )

    wrong = []
    bonuses = dict(QuarterlyBonus.objects.values_list("ambassador").annotate(total=Sum("amount")))
    rebates = dict(Order.objects.values_list("ambassador").annotate(total=Sum("rebate")))
    for ambassador in Ambassador.objects.all():
        sums = dict(Entry.objects.filter(ambassador=ambassador).values_list("bucket").annotate(total=Sum("amount")))

        def of(bucket, sums=sums):
            return sums.get(bucket, Decimal("0.00"))

        balances = balances_of(ambassador)
        read = (balances.pending, balances.withdrawable, balances.in_payout, balances.paid_out, -balances.debt)
        summed = tuple(
            of(b) for b in (Bucket.PENDING, Bucket.WITHDRAWABLE, Bucket.IN_PAYOUT, Bucket.PAID_OUT, Bucket.DEBT)
        )
        name = ambassador.user.email
        if read != summed:
            wrong.append(f"{name}: balances {read} but entries sum to {summed}")
        if of(Bucket.WITHDRAWABLE) < 0 or of(Bucket.PENDING) < 0 or of(Bucket.DEBT) > 0:
            wrong.append(f"{name}: a balance below zero {summed}")
        if of(Bucket.IN_PAYOUT) != 0:
            wrong.append(f"{name}: ¥{of(Bucket.IN_PAYOUT)} still in payout")
        succeeded = Withdrawal.objects.filter(ambassador=ambassador, state=Withdrawal.State.SUCCEEDED).aggregate(
            total=Sum("amount", default=Decimal("0.00"))
        )["total"]
        if of(Bucket.PAID_OUT) != succeeded:
            wrong.append(f"{name}: paid out ¥{of(Bucket.PAID_OUT)}, withdrawals succeeded ¥{succeeded}")
        total = sum(sums.values(), Decimal("0.00"))
        earned_total = rebates.get(ambassador.pk, Decimal("0.00")) + bonuses.get(ambassador.pk, Decimal("0.00"))
        if total != earned_total:
            wrong.append(f"{name}: buckets sum to ¥{total}, rebates and bonuses earned ¥{earned_total}")
    _check(
        results,
        "every ambassador's balances equal the sums of their entries; withdrawable, pending ≥ 0; "
        "nothing left in payout; paid out = withdrawals succeeded; all buckets = rebates earned",
        wrong,
    )


def withdrawal_checks(run, gateway, results):
    from django.db.models import Count, Q

    from payouts.models import Posting, TaxAssessment, Withdrawal

    open_states = [Withdrawal.State.REQUESTED, Withdrawal.State.SUBMITTED, Withdrawal.State.UNKNOWN]
    left = list(Withdrawal.objects.filter(state__in=open_states).values_list("pk", "state"))
    _check(results, "no withdrawal left requested, submitted or unknown", [f"W{pk:012d} {state}" for pk, state in left])

    payments = gateway.payments
    withdrawals = {
        w.out_biz_no: w
        for w in Withdrawal.objects.select_related("ambassador").annotate(
            payouts=Count("postings", filter=Q(postings__kind=Posting.Kind.PAYOUT)),
            reversals=Count("postings", filter=Q(postings__kind=Posting.Kind.REVERSAL)),
            requests=Count("postings", filter=Q(postings__kind=Posting.Kind.WITHDRAWAL)),
        )
    }
    taxed = set(TaxAssessment.objects.values_list("withdrawal_id", flat=True))
    wrong = []
    if gateway.paid_count != len(payments):
        wrong.append(f"the gateway moved money {gateway.paid_count} times for {len(payments)} out_biz_no")
    for out_biz_no, payment in payments.items():
        withdrawal = withdrawals.get(out_biz_no)
        if withdrawal is None or withdrawal.state != Withdrawal.State.SUCCEEDED:
            state = withdrawal.state if withdrawal else "no withdrawal"
            wrong.append(f"{out_biz_no}: paid ¥{payment.amount} by the gateway, but {state}")
    for out_biz_no, withdrawal in withdrawals.items():
        payment = payments.get(out_biz_no)
        if withdrawal.requests != 1:
            wrong.append(f"{out_biz_no}: {withdrawal.requests} withdrawal postings")
        if withdrawal.state == Withdrawal.State.SUCCEEDED:
            ambassador = withdrawal.ambassador
            if payment is None:
                wrong.append(f"{out_biz_no}: succeeded, never paid by the gateway")
            elif (payment.amount, payment.order_id, payment.payee_account, payment.payee_name) != (
                withdrawal.amount,
                withdrawal.alipay_order_id,
                str(ambassador.alipay_account),
                str(ambassador.legal_name),
            ):
                wrong.append(
                    f"{out_biz_no}: paid ¥{payment.amount} ({payment.order_id}), withdrawal ¥{withdrawal.amount}"
                )
            if (withdrawal.payouts, withdrawal.reversals) != (1, 0):
                wrong.append(
                    f"{out_biz_no}: succeeded with {withdrawal.payouts} payouts, {withdrawal.reversals} reversals"
                )
            if withdrawal.pk not in taxed:
                wrong.append(f"{out_biz_no}: succeeded without its tax record")
        elif withdrawal.state == Withdrawal.State.FAILED:
            if payment is not None:
                wrong.append(f"{out_biz_no}: failed and returned to the balance, but paid by the gateway")
            if (withdrawal.payouts, withdrawal.reversals) != (0, 1):
                wrong.append(
                    f"{out_biz_no}: failed with {withdrawal.payouts} payouts, {withdrawal.reversals} reversals"
                )
    _check(
        results,
        "every succeeded withdrawal paid exactly once by the gateway, every payment a succeeded withdrawal",
        wrong,
    )

    by_token = {str(w.request_token): w for w in withdrawals.values()}
    wrong = []
    for token, (ambassador_id, amount, statuses) in run.withdrawal_forms.items():
        withdrawal = by_token.get(token)
        made = any(status == 302 for status in statuses)
        if made and (withdrawal is None or (withdrawal.ambassador_id, withdrawal.amount) != (ambassador_id, amount)):
            wrong.append(f"form {token} answered {statuses}: withdrawal {withdrawal}")
        if not made and withdrawal is not None:
            wrong.append(f"form {token} answered {statuses} but made {withdrawal}")
    _check(results, "every withdrawal form made one withdrawal, or none when refused (twice submitted: one)", wrong)


def page_checks(run, sessions, results):
    """The 提现 page an ambassador reads shows the balance the ledger holds."""
    from ambassadors.models import Ambassador
    from payouts.ledger import balances_of

    from .drivers import _WITHDRAWABLE, CHINESE, withdrawable_shown

    wrong = []
    for ambassador in run.ambassadors:
        page = sessions[ambassador.pk].get("/center/withdrawals/", kind="withdrawal page (end)", headers=CHINESE)
        found = _WITHDRAWABLE.search(page.text)
        held = balances_of(Ambassador.objects.get(pk=ambassador.pk)).withdrawable
        if not found or withdrawable_shown(found) != held:
            wrong.append(f"{ambassador.email}: page shows {found and found.group(1)}, ledger ¥{held}")
    _check(results, "every ambassador's 提现 page shows the withdrawable balance of the ledger", wrong)


def all_checks(run, billing, gateway, sessions, last_day):
    results = []
    page_checks(run, sessions, results)
    http_checks(run, results)
    event_checks(billing, results)
    order_checks(billing, results)
    customer_checks(run, billing, results)
    visit_checks(run, results)
    ledger_checks(last_day, results)
    withdrawal_checks(run, gateway, results)
    return results
