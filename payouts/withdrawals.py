"""Withdrawals to Alipay (R11.1): requested under the ambassador's lock, transferred
by a worker after commit (never inside a transaction), resolved by Alipay's answer
or, when that answer is unknown, by a query. The withdrawal's id is Alipay's
`out_biz_no`, so a retry can never pay twice."""

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from portal.kernel.audit import audit_record
from portal.kernel.errors import PortalError
from portal.kernel.money import AmountInvalid, parse_yuan, round_yuan, yuan_figure

from .alipay import AlipayClient, TransferOutcome, TransferStatus
from .ledger import Line, ambassadors_locked, balances_of, post
from .models import Bucket, Posting, Withdrawal
from .rules import QueryDue, withdrawal_query_due
from .tax_records import tax_assess

logger = logging.getLogger(__name__)

TRANSFER_TITLE = "云大使返利"
# A withdrawal left `requested` this long (its task was lost) is submitted again.
UNSENT_AFTER = timedelta(minutes=5)


# The local failure code of a withdrawal refused because the binding was tampered with.
BINDING_NOT_INTACT = "BINDING_NOT_INTACT"


def withdrawal_minimum() -> Decimal:
    return round_yuan(settings.WITHDRAWAL_MINIMUM)


def withdrawal_minimum_message() -> str:
    """What an amount below the minimum is told, zero and negative amounts included."""
    return _("单次提现至少 ¥%(minimum)s。") % {"minimum": yuan_figure(withdrawal_minimum())}


def _amount_from(value) -> Decimal:
    """The amount asked for, read as every amount is (a form's Decimal prints plainly)."""
    try:
        return round_yuan(parse_yuan(str(value).strip()))
    except AmountInvalid as invalid:
        if invalid.code == "places":
            raise PortalError(_("金额最多两位小数。")) from None
        if invalid.code == "negative":
            raise PortalError(withdrawal_minimum_message()) from None
        raise PortalError(_("请输入金额，例如 100 或 100.50。")) from None


def withdrawal_check(*, ambassador, amount) -> Decimal:
    """The amount as a withdrawal of it would be made, or PortalError saying why it would
    not. Asked before the ambassador confirms, and again under the lock by `withdrawal_request`."""
    if ambassador.cancelled_at or not ambassador.alipay_bound_at:
        raise PortalError(_("请先完成实名认证并绑定支付宝账号。"))
    if not ambassador.binding_intact():
        logger.error("ambassador %s: bound values do not match their hashes; no withdrawal", ambassador.pk)
        raise PortalError(_("账户信息校验未通过，暂时不能提现，请联系客服。"))
    amount = _amount_from(amount)
    available = balances_of(ambassador).withdrawable
    if amount < withdrawal_minimum():
        raise PortalError(withdrawal_minimum_message())
    if amount > available:
        raise PortalError(_("提现金额超过可提现余额 ¥%(available)s。") % {"available": yuan_figure(available)})
    return amount


@transaction.atomic
def withdrawal_request(*, ambassador, amount, request_token) -> Withdrawal:
    """R11.1: move `amount` from withdrawable to in payout and queue the transfer.
    A second submit of the same form (same token) returns the first withdrawal."""
    ambassadors_locked([ambassador.pk])
    existing = Withdrawal.objects.filter(request_token=request_token, ambassador=ambassador).first()
    if existing:
        return existing
    ambassador.refresh_from_db()
    amount = withdrawal_check(ambassador=ambassador, amount=amount)
    withdrawal = Withdrawal.objects.create(ambassador=ambassador, amount=amount, request_token=request_token)
    post(
        key=f"withdrawal:{withdrawal.pk}",
        kind=Posting.Kind.WITHDRAWAL,
        lines=[
            Line(ambassador.pk, Bucket.WITHDRAWABLE, -amount),
            Line(ambassador.pk, Bucket.IN_PAYOUT, amount),
        ],
        withdrawal=withdrawal,
    )
    audit_record(actor=ambassador.user, action="withdrawal.request", target=withdrawal, after={"amount": str(amount)})
    transaction.on_commit(lambda: async_task("payouts.tasks.submit_withdrawal", withdrawal.pk))
    return withdrawal


def withdrawal_submit(withdrawal_id, *, client=None) -> Withdrawal:
    """The worker's job: mark the withdrawal submitted (committed before the call,
    so a crash leaves a trace to reconcile), transfer, then record the answer."""
    with transaction.atomic():
        withdrawal = Withdrawal.objects.select_for_update().select_related("ambassador").get(pk=withdrawal_id)
        if withdrawal.state != Withdrawal.State.REQUESTED:
            return withdrawal  # already on its way or done: a repeated task does nothing
        withdrawal.state = Withdrawal.State.SUBMITTED
        withdrawal.submitted_at = timezone.now()
        withdrawal.attempts += 1
        withdrawal.save(update_fields=["state", "submitted_at", "attempts"])
    ambassador = withdrawal.ambassador
    if not ambassador.binding_intact():
        # A bound value was tampered with (docs/SECURITY.md): pay nobody, return the money.
        logger.error("withdrawal %s: the binding is not intact; not transferred", withdrawal.out_biz_no)
        refusal = TransferOutcome(TransferStatus.FAILED, code=BINDING_NOT_INTACT, message="binding not intact")
        return withdrawal_outcome_record(withdrawal_id, refusal)
    outcome = (client or AlipayClient.from_settings()).transfer(
        out_biz_no=withdrawal.out_biz_no,
        amount=withdrawal.amount,
        payee_account=str(ambassador.alipay_account),
        payee_name=str(ambassador.legal_name),
        title=TRANSFER_TITLE,
    )
    return withdrawal_outcome_record(withdrawal_id, outcome)


@transaction.atomic
def withdrawal_outcome_record(withdrawal_id, outcome: TransferOutcome) -> Withdrawal:
    """Apply Alipay's answer. A final state is final: a late or repeated answer changes nothing."""
    ambassador_id = Withdrawal.objects.values_list("ambassador", flat=True).get(pk=withdrawal_id)
    ambassadors_locked([ambassador_id])
    withdrawal = Withdrawal.objects.select_for_update().get(pk=withdrawal_id)
    before = withdrawal.state
    if before in (Withdrawal.State.SUCCEEDED, Withdrawal.State.FAILED):
        return withdrawal
    amount = withdrawal.amount
    if outcome.status == TransferStatus.SUCCEEDED:
        withdrawal.state = Withdrawal.State.SUCCEEDED
        withdrawal.alipay_order_id = outcome.alipay_order_id
        withdrawal.finished_at = timezone.now()
        withdrawal.failure_code = withdrawal.failure_message = ""
        post(
            key=f"payout:{withdrawal.pk}",
            kind=Posting.Kind.PAYOUT,
            lines=[Line(ambassador_id, Bucket.IN_PAYOUT, -amount), Line(ambassador_id, Bucket.PAID_OUT, amount)],
            withdrawal=withdrawal,
        )
        withdrawal.save()
        tax_assess(withdrawal)
    elif outcome.status == TransferStatus.FAILED:
        withdrawal.state = Withdrawal.State.FAILED
        withdrawal.finished_at = timezone.now()
        withdrawal.failure_code, withdrawal.failure_message = outcome.code, outcome.message[:255]
        post(
            key=f"reversal:{withdrawal.pk}",
            kind=Posting.Kind.REVERSAL,
            lines=[Line(ambassador_id, Bucket.IN_PAYOUT, -amount), Line(ambassador_id, Bucket.WITHDRAWABLE, amount)],
            withdrawal=withdrawal,
        )
        withdrawal.save()
    elif outcome.status == TransferStatus.NOT_FOUND:
        # Alipay never saw it: send it again, with the same out_biz_no.
        withdrawal.state = Withdrawal.State.REQUESTED
        withdrawal.save(update_fields=["state"])
        transaction.on_commit(lambda: async_task("payouts.tasks.submit_withdrawal", withdrawal.pk))
    else:
        withdrawal.state = Withdrawal.State.UNKNOWN
        withdrawal.failure_code, withdrawal.failure_message = outcome.code, outcome.message[:255]
        withdrawal.save(update_fields=["state", "failure_code", "failure_message"])
    if withdrawal.state != before:
        audit_record(
            actor=None,
            action="withdrawal.outcome",
            target=withdrawal,
            reason=outcome.code,
            before={"state": before},
            after={"state": withdrawal.state, "alipay_order_id": withdrawal.alipay_order_id},
        )
    logger.info("withdrawal %s: %s → %s (%s)", withdrawal.out_biz_no, before, withdrawal.state, outcome.code)
    return withdrawal


def withdrawals_reconcile(*, client=None, now=None) -> int:
    """Resolve withdrawals whose fate is not known: unknown ones, submitted ones whose
    worker died, and requested ones whose task was lost. Returns how many were asked about."""
    now = now or timezone.now()
    client = client or AlipayClient.from_settings()
    asked = 0
    unsent = Withdrawal.objects.filter(state=Withdrawal.State.REQUESTED, requested_at__lt=now - UNSENT_AFTER)
    for withdrawal_id in unsent.values_list("pk", flat=True):
        withdrawal_submit(withdrawal_id, client=client)
    waiting = Withdrawal.objects.filter(state__in=[Withdrawal.State.UNKNOWN, Withdrawal.State.SUBMITTED])
    for withdrawal in waiting.order_by("pk"):
        if withdrawal_query_due(state=withdrawal.state, submitted_at=withdrawal.submitted_at, now=now) == QueryDue.ASK:
            withdrawal_outcome_record(withdrawal.pk, client.query(out_biz_no=withdrawal.out_biz_no))
            asked += 1
    return asked


@dataclass(frozen=True)
class QueryAnswer:
    """What staff asking about one withdrawal learn: whether Alipay was asked, and the states."""

    due: QueryDue
    withdrawal: Withdrawal
    state_before: str
    code: str = ""


def withdrawal_query(withdrawal_id, *, actor, client, now=None) -> QueryAnswer:
    """Staff ask Alipay where one withdrawal stands, when its fate is open (R11.1); the question
    is audited with the actor and Alipay's answer is recorded by `withdrawal_outcome_record`,
    as the worker's and the schedule's are."""
    withdrawal = Withdrawal.objects.get(pk=withdrawal_id)
    due = withdrawal_query_due(state=withdrawal.state, submitted_at=withdrawal.submitted_at, now=now or timezone.now())
    if due != QueryDue.ASK:
        return QueryAnswer(due, withdrawal, withdrawal.state)
    outcome = client.query(out_biz_no=withdrawal.out_biz_no)
    audit_record(
        actor=actor,
        action="withdrawal.query",
        target=withdrawal,
        reason=outcome.code,
        after={"status": str(outcome.status)},
    )
    return QueryAnswer(due, withdrawal_outcome_record(withdrawal.pk, outcome), withdrawal.state, outcome.code)
