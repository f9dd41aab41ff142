"""The admin of referrals: each sub-package registers its own models here (Django finds
`referrals.admin`), and the order's page, which shows what several of them did to an order,
is composed here: billing's snapshots and import, and the risk desk's decisions."""

from django.contrib import admin
from django.utils.translation import gettext_lazy

from portal.kernel.admin_money import YuanFieldsMixin, yuan_column
from portal.kernel.admin_read_only import ReadOnlyAdmin

from .attribution import admin as attribution_admin  # noqa: F401  (registers its admin)
from .billing import admin as billing_admin  # noqa: F401  (registers its admin)
from .billing.admin import SpreadsheetImportMixin
from .billing.imports import orders_import
from .models import Order
from .rebates import admin as rebates_admin  # noqa: F401  (registers its admin)
from .risk import admin as risk_admin  # noqa: F401  (registers the risk desk)
from .risk.admin import order_decisions


@admin.register(Order)
class OrderAdmin(YuanFieldsMixin, SpreadsheetImportMixin, ReadOnlyAdmin):
    """Orders change only through billing's snapshots: the events API or the import here."""

    list_display = [
        "billing_id",
        "customer",
        "product",
        "amount_yuan",
        "status",
        "ambassador",
        "order_type",
        "rebate_yuan",
        "reason",
        "on_hold",
        "risk_verdict",
    ]
    list_filter = ["reason", "order_type", "status", "on_hold", "risk_verdict"]
    readonly_fields = ["risk_decisions"]
    list_select_related = ["customer", "product", "ambassador__user"]
    search_fields = ["billing_id", "customer__email", "ambassador__user__email"]
    date_hierarchy = "placed_at"
    import_function = staticmethod(orders_import)
    import_permission = "referrals.import_order"
    import_title = gettext_lazy("导入订单")
    amount_yuan = yuan_column(Order, "amount")
    refunded_amount_yuan = yuan_column(Order, "refunded_amount")
    rebate_yuan = yuan_column(Order, "rebate")

    @admin.display(description=gettext_lazy("风控审核记录"))
    def risk_decisions(self, order):
        return order_decisions(order)

    import_help = gettext_lazy(
        "每行一个订单快照，列与计费事件的 order 字段相同：id, customer, product, billing, kind, trial, "
        "activity, amount, period_days, placed_at, status, paid_at, refunded_amount, refunded_at, version。"
        "与事件接口经过同一套校验和服务；任何一行有误，整个文件都不导入。"
    )
