"""Forms of the referral pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.kernel.forms import MonthField, QueryForm
from referrals.models import OrderType

from .selectors import RebateStatus

# A value from an edited or stale link is named back in plain words, in the page's language.
NOT_LISTED = {"invalid_choice": _("没有“%(value)s”这一项，请从列表中选择。")}


class RebateOrderFilters(QueryForm):
    """The 返利订单 filters from a query string, shared by the page, its CSV and the API. A value
    that is not understood is refused with the field's name (400), not read as "no filter": a list
    that silently ignores `?month=2026-13` would show every month as if it were that one."""

    month = MonthField(label=_("下单月份"), required=False)
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=[("", ""), *RebateStatus.choices], error_messages=NOT_LISTED
    )
    type = forms.ChoiceField(
        label=_("返利类型"), required=False, choices=[("", ""), *OrderType.choices], error_messages=NOT_LISTED
    )

    def filters(self):
        """The keyword arguments of `rebate_selectors.rebate_orders_of`."""
        data = self.cleaned_data
        return {"month": data["month"], "status": data["status"] or None, "order_type": data["type"] or None}
