"""Read-only staff views of links, visits and associations: they change only
through the services, driven by visits and billing events."""

from django.contrib import admin, messages
from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portal.kernel.admin_read_only import ReadOnlyAdmin

from .admin_imports import SpreadsheetImportMixin
from .admin_risk import RiskCaseAdmin, order_decisions  # noqa: F401  (registers the risk desk)
from .attribution import admin as attribution_admin  # noqa: F401  (registers its admin)
from .events import events_retry
from .imports import orders_import, segments_import
from .models import (
    CustomerProfile,
    Event,
    Order,
)
from .rebates import admin as rebates_admin  # noqa: F401  (registers its admin)


@admin.register(CustomerProfile)
class CustomerProfileAdmin(SpreadsheetImportMixin, ReadOnlyAdmin):
    list_display = ["customer", "segment", "became_old_at"]
    list_filter = ["segment"]
    list_select_related = ["customer"]
    search_fields = ["customer__email"]
    import_function = staticmethod(segments_import)

    def get_object(self, request, object_id, from_field=None):
        """The key is the customer's id, through a relation: Django keeps an integer lookup within
        its column's range only on integer fields themselves, so an id past the range would reach
        the database (an overflow, a 500). Such an id is no profile."""
        low, high = connection.ops.integer_field_range("BigIntegerField")
        try:
            if not low <= int(object_id) <= high:
                return None
        except ValueError:
            return None
        return super().get_object(request, object_id, from_field)

    import_permission = "referrals.import_customerprofile"
    import_title = gettext_lazy("导入客户类型")
    import_help = gettext_lazy(
        "两列：customer（账户 ID）与 segment（normal、cbm 或 partner），与 customer.updated 事件经过同一套校验和服务；"
        "任何一行有误，整个文件都不导入。"
    )


@admin.register(Order)
class OrderAdmin(SpreadsheetImportMixin, ReadOnlyAdmin):
    """Orders change only through billing's snapshots: the events API or the import here."""

    list_display = [
        "billing_id",
        "customer",
        "product",
        "amount",
        "status",
        "ambassador",
        "order_type",
        "rebate",
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

    @admin.display(description=gettext_lazy("风控审核记录"))
    def risk_decisions(self, order):
        return order_decisions(order)

    import_help = gettext_lazy(
        "每行一个订单快照，列与计费事件的 order 字段相同：id, customer, product, billing, kind, trial, "
        "activity, amount, period_days, placed_at, status, paid_at, refunded_amount, refunded_at, version。"
        "与事件接口经过同一套校验和服务；任何一行有误，整个文件都不导入。"
    )


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """Events as stored: identity values are keyed hashes (referrals.event_identity)."""

    list_display = ["received_at", "id", "type", "status", "attempts", "next_attempt_at"]
    list_filter = ["status", "type"]
    search_fields = ["id"]
    show_full_result_count = False
    actions = ["retry_failed"]

    @admin.action(description=gettext_lazy("重新处理所选的失败事件"), permissions=["retry"])
    def retry_failed(self, request, queryset):
        retried = events_retry(event_ids=list(queryset.values_list("pk", flat=True)), actor=request.user)
        if retried:
            messages.success(
                request,
                ngettext("已安排 %(n)d 个事件重新处理。", "已安排 %(n)d 个事件重新处理。", retried) % {"n": retried},
            )
        else:
            messages.warning(request, _("所选事件中没有处理失败的事件。"))

    def has_retry_permission(self, request):
        return request.user.has_perm("referrals.retry_event")
