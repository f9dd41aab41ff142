"""The ambassador's 提现 and 税务 pages (R11)."""

from dataclasses import asdict

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ambassadors.decorators import ambassador_required
from portal.kernel.errors import PortalError
from portal.kernel.money import yuan_figure

from . import selectors
from .forms import WithdrawalForm
from .ledger import balances_of
from .models import Withdrawal
from .tax_records import payment_tax_estimate
from .withdrawals import withdrawal_check, withdrawal_minimum, withdrawal_request

# The largest id a withdrawal can have (a signed 64-bit key): a longer number names none.
_ID_DIGITS = 18


@ambassador_required
def withdrawals(request, ambassador):
    """提现 in two steps: the amount, then a confirmation stating the amount, the Alipay account
    and the tax the platform pays for it; only the confirmation withdraws."""
    form = WithdrawalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if "confirm" in request.POST:
                withdrawal = withdrawal_request(ambassador=ambassador, **form.cleaned_data)
                messages.success(
                    request,
                    _("已申请提现 ¥%(amount)s，到账结果会显示在提现记录中。")
                    % {"amount": yuan_figure(withdrawal.amount)},
                )
                return redirect("center:withdrawals")
            if "edit" not in request.POST:
                amount = withdrawal_check(ambassador=ambassador, amount=form.cleaned_data["amount"])
                return _confirmation(request, ambassador, form, amount)
        except PortalError as refusal:
            form.add_error("amount", str(refusal))
            if not ambassador.alipay_bound_at or ambassador.cancelled_at:  # no form on the page to show it
                messages.error(request, str(refusal))
    balances = balances_of(ambassador)
    return render(
        request,
        "payouts/withdrawals.html",
        {
            "ambassador": ambassador,
            "balances": balances,
            "form": form,
            "minimum": withdrawal_minimum(),
            "history": selectors.withdrawals_of(ambassador),
        },
    )


def _confirmation(request, ambassador, form, amount):
    return render(
        request,
        "payouts/withdrawal_confirm.html",
        {"ambassador": ambassador, "form": form, "amount": amount, "tax": payment_tax_estimate(ambassador, amount)},
    )


@require_GET
@ambassador_required
def withdrawal_state(request, ambassador, pk):
    """GET /center/withdrawals/<id>/state: one of the ambassador's withdrawals as JSON, which 提现
    asks for until Alipay's answer is in: its state, its row of the history as the page shows it,
    and the balances it moved. Another ambassador's withdrawal is not found (404); the answer is
    never cached (/center/ is no-store)."""
    withdrawal = None
    if len(str(pk)) <= _ID_DIGITS:  # a longer number would overflow the key column's type
        withdrawal = Withdrawal.objects.filter(pk=pk, ambassador=ambassador).first()
    if withdrawal is None:
        return JsonResponse({"errors": [{"field": "withdrawal", "message": _("没有这条提现记录。")}]}, status=404)
    return JsonResponse(
        {
            "withdrawal": withdrawal.out_biz_no,
            "state": withdrawal.state,
            "final": withdrawal.is_final,
            "alipay_order_id": withdrawal.alipay_order_id,
            "finished_at": withdrawal.finished_at,
            "balances": {bucket: str(amount) for bucket, amount in asdict(balances_of(ambassador)).items()},
            "row": render_to_string("payouts/withdrawal_row.html", {"withdrawal": withdrawal}, request=request),
        }
    )


@ambassador_required
def tax(request, ambassador):
    return render(
        request, "payouts/tax.html", {"ambassador": ambassador, "records": selectors.tax_records_of(ambassador)}
    )
