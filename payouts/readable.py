"""Money records as finance reads them in the admin: what caused a posting and how much it moved,
and what the audit log recorded about a withdrawal, as sentences (who did what, and when)."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from portal.kernel.money import ZERO, yuan_figure, yuan_text
from portal.kernel.months import quarter_number

from .alipay import TransferStatus
from .models import Posting, Withdrawal

_TRANSFER_STATUSES = {
    TransferStatus.SUCCEEDED: gettext_lazy("已到账"),
    TransferStatus.FAILED: gettext_lazy("转账失败"),
    TransferStatus.UNKNOWN: gettext_lazy("结果未知"),
    TransferStatus.NOT_FOUND: gettext_lazy("支付宝没有这笔转账"),
}


def posting_cause(posting) -> str:
    """The kind of posting and what it is about: 结算 · 订单 DEMO-1001, 提现到账 · W000000000001.
    Reads the posting's causes (select them with the posting) and, for a forfeit, its entries."""
    kind = posting.get_kind_display()
    about = _posting_subject(posting)
    return f"{kind} · {about}" if about else kind


def _posting_subject(posting):
    if posting.withdrawal_id:
        return posting.withdrawal.out_biz_no
    if posting.order_id:
        return _("订单 %(order)s") % {"order": posting.order.billing_id}
    if posting.bonus_id:
        quarter = posting.bonus.quarter
        return _("%(year)d 年第 %(quarter)d 季度奖励") % {"year": quarter.year, "quarter": quarter_number(quarter)}
    if posting.settlement_run_id:
        return _("结算批次 %(day)s") % {"day": posting.settlement_run.day.isoformat()}
    if posting.kind == Posting.Kind.FORFEIT:
        names = sorted({entry.ambassador.masked_legal_name or str(entry.ambassador) for entry in posting.entries.all()})
        return _("云大使 %(name)s") % {"name": "、".join(names)}
    return ""


def posting_amount(posting):
    """The money a posting earned, cut or forfeited (its entries' sum), or, when it only moved money
    between buckets (the sum is zero), how much it moved."""
    amounts = [entry.amount for entry in posting.entries.all()]
    total = sum(amounts, ZERO)
    return total if total else sum((amount for amount in amounts if amount > 0), ZERO)


def posting_moves(posting) -> str:
    """The buckets an ambassador's money left, then those it reached: 待结算 -¥300.00，可提现 +¥300.00."""
    entries = sorted(posting.entries.all(), key=lambda entry: entry.amount)
    return "，".join(f"{entry.get_bucket_display()} {_signed(entry.amount)}" for entry in entries)


def _signed(amount):
    return yuan_text(amount) if amount < 0 else f"+{yuan_text(amount)}"


def withdrawal_audit_sentence(entry) -> str:
    """One audit entry about a withdrawal, as a sentence: who (or the system) did what."""
    who = entry.actor.email if entry.actor else _("系统")
    after, before = entry.after or {}, entry.before or {}
    if entry.action == "withdrawal.request":
        return _("%(who)s 申请提现 ¥%(amount)s。") % {"who": who, "amount": _figure(after.get("amount"))}
    if entry.action == "withdrawal.outcome":
        sentence = _("%(who)s 记录支付宝的答复：%(before)s → %(after)s") % {
            "who": who,
            "before": _state_label(before.get("state")),
            "after": _state_label(after.get("state")),
        }
        if after.get("alipay_order_id"):
            sentence += _("，支付宝单号 %(order)s") % {"order": after["alipay_order_id"]}
        return sentence + _reason(entry.reason) + _sentence_end()
    if entry.action == "withdrawal.query":
        status = after.get("status", "")
        label = str(_TRANSFER_STATUSES[status]) if status in _TRANSFER_STATUSES else status
        sentence = _("%(who)s 向支付宝查询结果：%(status)s") % {"who": who, "status": label}
        return sentence + _reason(entry.reason) + _sentence_end()
    return _("%(who)s：%(action)s") % {"who": who, "action": entry.action} + _reason(entry.reason) + _sentence_end()


def withdrawal_audit_when(entry) -> str:
    return timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S")


def _sentence_end():
    return pgettext("the end of a sentence", "。")


def _figure(amount):
    """The audited amount (text) as pages show it; "?" where the entry holds none."""
    try:
        return yuan_figure(amount)
    except (TypeError, ArithmeticError):
        return "?"


def _state_label(value):
    try:
        return str(Withdrawal.State(value).label)
    except ValueError:
        return value or "—"


def _reason(code):
    """Alipay's code, if the entry has one, for finance to look up."""
    return _("（代码 %(code)s）") % {"code": code} if code else ""
