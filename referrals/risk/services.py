"""Risk control's writes (R9, R6.3, R4.4): the suspect-share trigger that holds an
ambassador's rebates, the refund rating that blacklists, and the staff decisions of the
risk desk on same-person and suspect-share cases. Every decision is audited on the case
and its orders."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ambassadors.models import Ambassador
from ambassadors.services import ambassador_blacklist
from portal.kernel.audit import audit_record
from portal.kernel.errors import PortalError
from portal.kernel.months import month_of
from referrals.attribution.services import ambassador_release
from referrals.models import EndReason, Order, RiskCase, RiskVerdict, RuleSet
from referrals.rebates.services import order_decide

from . import rules as risk_rules
from .selectors import refund_counts, share_figures, suspect_condition


@transaction.atomic
def membership_blacklist(*, ambassador, actor, reason):
    """R6.3: blacklist the ambassador and let their customers go at that moment, in one
    transaction, so the link associates no one and new orders earn nothing. Each app makes
    its own change, called here in turn, as cancelling is composed in the shell
    (`portal.shell.membership`): risk control, by the scan or by staff, calls this."""
    ambassador = ambassador_blacklist(ambassador=ambassador, actor=actor, reason=reason)
    ambassador_release(ambassador=ambassador, at=ambassador.blacklisted_at, reason=EndReason.AMBASSADOR_BLACKLISTED)
    return ambassador


def _unsettled(ambassador_id, today):
    return Order.objects.filter(ambassador_id=ambassador_id, reason="").filter(
        Q(settles_on__isnull=True) | Q(settles_on__gte=today)
    )


@transaction.atomic
def suspect_share_hold(*, ambassador_id, figures, policy, today):
    """Open the ambassador's case and hold every unsettled rebate until staff decide."""
    case, created = RiskCase.objects.get_or_create(
        ambassador_id=ambassador_id,
        kind=RiskCase.Kind.SUSPECT_SHARE,
        status=RiskCase.Status.OPEN,
        defaults={
            "details": {
                "total": figures.total,
                "suspect": figures.suspect,
                "share": str(round(figures.share, 3)),
                "threshold": str(policy.risk_suspect_share),
                "window_days": policy.risk_window_days,
            }
        },
    )
    held = _unsettled(ambassador_id, today).filter(on_hold=False).update(on_hold=True)
    if created:
        audit_record(actor=None, action="risk.hold", target=case, after={"orders_held": held})
    return case


def risk_scan(*, today=None):
    """The scheduled scan: hold rebates where the suspect share is reached (R9.3) and
    blacklist where refunds passed the last rating step (R6.3). Safe to run again."""
    today = today or timezone.localdate()
    policy = RuleSet.objects.in_force_for(month_of(today))
    if policy is None:
        return {"held": 0, "blacklisted": 0}
    now = timezone.now()
    held = blacklisted = 0
    for ambassador_id, figures in share_figures(since=now - timedelta(days=policy.risk_window_days)).items():
        if risk_rules.share_exceeded(figures, min_orders=policy.risk_min_orders, threshold=policy.risk_suspect_share):
            suspect_share_hold(ambassador_id=ambassador_id, figures=figures, policy=policy, today=today)
            held += 1
    refunds = refund_counts(since=now - timedelta(days=policy.refund_window_days))
    for ambassador in Ambassador.objects.filter(pk__in=refunds, blacklisted_at__isnull=True):
        past_last_step = risk_rules.refund_rating(refunds[ambassador.pk], policy.refund_rating_steps)[1]
        if past_last_step:
            reason = _("退款订单过多（近 %(days)s 天 %(count)s 单），推广资格已暂停。") % {
                "days": policy.refund_window_days,
                "count": refunds[ambassador.pk],
            }
            membership_blacklist(ambassador=ambassador, actor=None, reason=reason)
            blacklisted += 1
    return {"held": held, "blacklisted": blacklisted}


def _order_state(order):
    return {
        "reason": order.reason,
        "rebate": str(order.rebate),
        "on_hold": order.on_hold,
        "verdict": order.risk_verdict,
    }


def _judge_again(order, verdict, *, actor, case, reason, today):
    """Record staff's verdict on one order and decide it again; audited on the order."""
    before = _order_state(order)
    order.risk_verdict = verdict
    order.on_hold = False
    order.save(update_fields=["risk_verdict", "on_hold"])
    order_decide(order, today=today)
    audit_record(
        actor=actor,
        action=f"risk.{verdict}",
        target=order,
        reason=reason,
        before=before,
        after=_order_state(order) | {"case": case.pk},
    )


@transaction.atomic
def risk_case_decide(*, case, verdict, actor, reason, today=None):
    """Clear or confirm a case (the desk's two actions), with a reason.

    - A same-person order: cleared, it is paid as if no signal linked the two;
      confirmed, it stays invalid (R8.2).
    - A suspect-share case: cleared, the held rebates are released; confirmed,
      its suspect orders become invalid and the others are released."""
    reason = (reason or "").strip()
    if not reason:
        raise PortalError(_("请填写审核理由。"))
    today = today or timezone.localdate()
    case = RiskCase.objects.select_for_update().get(pk=case.pk)
    if case.status != RiskCase.Status.OPEN:
        raise PortalError(_("该案件已审核。"))
    if case.kind == RiskCase.Kind.SAME_PERSON_ORDER:
        order = (
            Order.objects.select_for_update(of=("self",), no_key=True)
            .select_related("customer", "product")
            .get(pk=case.order_id)
        )
        _judge_again(order, verdict, actor=actor, case=case, reason=reason, today=today)
    else:
        held = _unsettled(case.ambassador_id, today).filter(on_hold=True).select_for_update(of=("self",), no_key=True)
        suspect = (
            set(held.filter(suspect_condition()).values_list("pk", flat=True))
            if verdict == RiskVerdict.CONFIRMED
            else set()
        )
        for order in held.select_related("customer", "product").order_by("placed_at"):
            if order.pk in suspect:
                _judge_again(order, RiskVerdict.CONFIRMED, actor=actor, case=case, reason=reason, today=today)
        released = held.exclude(pk__in=suspect).update(on_hold=False)
        case.details = case.details | {"released": released, "confirmed_invalid": len(suspect)}
    before = {"status": case.status}
    case.status = RiskCase.Status.CLEARED if verdict == RiskVerdict.CLEARED else RiskCase.Status.CONFIRMED
    case.decided_at, case.decided_by, case.decision_reason = timezone.now(), actor, reason
    case.save()
    audit_record(
        actor=actor,
        action=f"risk.case_{verdict}",
        target=case,
        reason=reason,
        before=before,
        after={"status": case.status},
    )
    return case
