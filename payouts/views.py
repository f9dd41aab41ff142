"""The ambassador's 提现 and 税务 pages (R11)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ambassadors.decorators import ambassador_required

from . import selectors
from .forms import WithdrawalForm
from .ledger import balances_of
from .withdrawals import WithdrawalRefused, withdrawal_minimum, withdrawal_request


@ambassador_required
def withdrawals(request, ambassador):
    form = WithdrawalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            withdrawal = withdrawal_request(ambassador=ambassador, **form.cleaned_data)
        except WithdrawalRefused as refusal:
            form.add_error("amount", str(refusal))
        else:
            messages.success(
                request, _("已申请提现 ¥%(amount)s，到账结果会显示在提现记录中。") % {"amount": withdrawal.amount}
            )
            return redirect("center:withdrawals")
    return render(
        request,
        "payouts/withdrawals.html",
        {
            "ambassador": ambassador,
            "balances": balances_of(ambassador),
            "form": form,
            "minimum": withdrawal_minimum(),
            "history": selectors.withdrawals_of(ambassador),
        },
    )


@ambassador_required
def tax(request, ambassador):
    return render(
        request, "payouts/tax.html", {"ambassador": ambassador, "records": selectors.tax_records_of(ambassador)}
    )
