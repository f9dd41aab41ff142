"""The withdrawal form: it checks what was typed; the service checks the balance."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.kernel.forms import PortalForm, YuanField


class WithdrawalForm(PortalForm):
    amount = YuanField(
        label=_("提现金额（元）"),
        min_value=0.01,
        error_messages={
            "required": _("请输入提现金额。"),
            "invalid": _("请输入金额，例如 100 或 100.50。"),
            "max_decimal_places": _("金额最多两位小数。"),
            "min_value": _("提现金额必须大于 0。"),
        },
    )
    # One token per form shown: submitting it twice makes one withdrawal.
    request_token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
