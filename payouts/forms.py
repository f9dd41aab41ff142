"""The withdrawal form: it checks what was typed; the service checks the balance."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.kernel.forms import PortalForm, YuanField

from .withdrawals import withdrawal_minimum, withdrawal_minimum_message


def amount_field():
    """The amount, at least the minimum (R11.1): the input's `min` and the message for
    zero, negative and smaller amounts both come from `withdrawal_minimum`."""
    return YuanField(
        label=_("提现金额（元）"),
        min_value=withdrawal_minimum(),
        error_messages={
            "required": _("请输入提现金额。"),
            "invalid": _("请输入金额，例如 100 或 100.50。"),
            "max_decimal_places": _("金额最多两位小数。"),
            "min_value": withdrawal_minimum_message(),
        },
    )


class WithdrawalForm(PortalForm):
    # One token per form shown: submitting it twice makes one withdrawal.
    request_token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Made with each form, in its request's language: the minimum is a setting.
        self.fields = {"amount": amount_field(), **self.fields}
