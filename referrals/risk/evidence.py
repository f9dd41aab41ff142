"""What made a case, as the reviewer reads it: sentences and a small table of figures,
worked out from the case's stored trigger data (a pure function, no database)."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ambassadors.models import IdentitySignal
from referrals.models import RiskCase


@dataclass(frozen=True)
class Evidence:
    sentences: list
    figures: list  # (label, value) rows


def percent(value):
    """ "0.429" → "42.9%"; a value that is not a number is shown as it is."""
    try:
        share = Decimal(str(value)) * 100
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    return f"{share.quantize(Decimal('0.1')).normalize():f}%"


def signal_names(signals):
    labels = dict(IdentitySignal.Kind.choices)
    return "、".join(str(labels.get(kind, kind)) for kind in signals.split(",") if kind)


def case_evidence(case):
    if case.kind == RiskCase.Kind.SUSPECT_SHARE:
        return _suspect_share(case.details or {}, still_open=case.status == RiskCase.Status.OPEN)
    return _same_person(case)


def _same_person(case):
    names = signal_names(case.signals)
    sentences = [
        _("下单客户与云大使本人共用：%(signals)s。") % {"signals": names}
        if names
        else _("下单客户与云大使本人被判定为同一人。")
    ]
    if case.status == RiskCase.Status.OPEN:
        sentences += [
            _("按规则该订单暂判无效，等待审核。"),
            _("排除风险：订单按正常规则计算返利；确认无效：订单保持无效，不产生返利。"),
        ]
    figures = [(_("关联信号"), names or "—")]
    if case.order_id:
        figures.append((_("订单"), case.order.billing_id))
    return Evidence(sentences, figures)


def _suspect_share(details, *, still_open):
    total, suspect = details.get("total"), details.get("suspect")
    window = details.get("window_days")
    sentences = []
    if total is not None and suspect is not None:
        sentences.append(
            ngettext(
                "近 %(days)s 天已付款 %(total)s 单，其中可疑 %(suspect)s 单，占 %(share)s，达到规则的 %(threshold)s。",
                "近 %(days)s 天已付款 %(total)s 单，其中可疑 %(suspect)s 单，占 %(share)s，达到规则的 %(threshold)s。",
                total,
            )
            % {
                "days": window if window is not None else "—",
                "total": total,
                "suspect": suspect,
                "share": percent(details.get("share", "")),
                "threshold": percent(details.get("threshold", "")),
            }
        )
    sentences.append(
        _("该云大使未结算的返利已全部暂停结算。排除风险：全部恢复结算；确认无效：可疑订单判为无效，其余恢复结算。")
    )
    figures = [
        (_("统计窗口（天）"), window if window is not None else "—"),
        (_("已付款订单"), total if total is not None else "—"),
        (_("可疑订单"), suspect if suspect is not None else "—"),
        (_("可疑占比"), percent(details["share"]) if "share" in details else "—"),
        (_("触发阈值"), percent(details["threshold"]) if "threshold" in details else "—"),
    ]
    if "released" in details:
        figures.append((_("恢复结算的订单"), details["released"]))
    if "confirmed_invalid" in details:
        figures.append((_("确认无效的订单"), details["confirmed_invalid"]))
    return Evidence(sentences, figures)
