"""The staff desks and what waits on each, for the admin's index: one count per desk the
user may see, linked to the desk's list filtered to that work."""

from dataclasses import dataclass

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ambassadors.models import Verification
from payouts.models import Withdrawal
from referrals.models import Event, RiskCase


@dataclass(frozen=True)
class Desk:
    title: str
    waiting: str  # what the count counts
    permission: str
    changelist: str
    query: str
    rows: object  # a callable returning the queryset of waiting rows

    @property
    def url(self):
        return f"{reverse(self.changelist)}?{self.query}"


DESKS = [
    Desk(
        pgettext_lazy("plural", "风控案件"),
        _("待审核"),
        "referrals.view_riskcase",
        "admin:referrals_riskcase_changelist",
        "status__exact=open",
        lambda: RiskCase.objects.filter(status=RiskCase.Status.OPEN),
    ),
    Desk(
        _("实名认证"),
        _("待审核"),
        "ambassadors.view_verification",
        "admin:ambassadors_verification_changelist",
        "status__exact=submitted",
        lambda: Verification.objects.filter(status=Verification.Status.SUBMITTED),
    ),
    Desk(
        _("提现"),
        _("结果确认中"),
        "payouts.view_withdrawal",
        "admin:payouts_withdrawal_changelist",
        "state__exact=unknown",
        lambda: Withdrawal.objects.filter(state=Withdrawal.State.UNKNOWN),
    ),
    Desk(
        _("提现"),
        _("处理中"),
        "payouts.view_withdrawal",
        "admin:payouts_withdrawal_changelist",
        "state__in=requested,submitted",
        lambda: Withdrawal.objects.filter(Q(state=Withdrawal.State.REQUESTED) | Q(state=Withdrawal.State.SUBMITTED)),
    ),
    Desk(
        pgettext_lazy("plural", "计费事件"),
        _("处理失败"),
        "referrals.view_event",
        "admin:referrals_event_changelist",
        "status__exact=failed",
        lambda: Event.objects.filter(status=Event.Status.FAILED),
    ),
]


def desks_waiting(user):
    """(desk, count) for each desk the user may see; one COUNT each."""
    return [(desk, desk.rows().count()) for desk in DESKS if user.has_perm(desk.permission)]
