"""The ambassador's 返利订单, 任务与奖励 and 最新动态 pages (R12)."""

import csv

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ambassadors.decorators import ambassador_required

from . import rebate_selectors
from .models import OrderType

ORDERS_PER_PAGE = 20


@ambassador_required
def orders(request, ambassador):
    today = timezone.localdate()
    filters = rebate_selectors.filters_from_query(request.GET)
    rows = rebate_selectors.rebate_orders_of(ambassador, today=today, **filters)
    if request.GET.get("format") == "csv":
        return _csv(rows, today)
    page = Paginator(rows, ORDERS_PER_PAGE).get_page(request.GET.get("page"))
    for order in page:
        order.rebate_status = rebate_selectors.rebate_status_of(order, today)
    return render(
        request,
        "referrals/orders.html",
        {
            "page": page,
            "filters": filters,
            "statuses": STATUS_LABELS,
            "order_types": OrderType.choices,
            "month_text": request.GET.get("month", ""),
        },
    )


STATUS_LABELS = {
    rebate_selectors.RebateStatus.PENDING: gettext_lazy("待结算"),
    rebate_selectors.RebateStatus.SETTLED: gettext_lazy("已结算"),
    rebate_selectors.RebateStatus.INVALID: gettext_lazy("无效订单"),
    rebate_selectors.RebateStatus.REFUNDED: gettext_lazy("已退款"),
}


class _Echo:
    def write(self, value):
        return value


def _cell(value):
    """Spreadsheets run a cell that starts with = + - @ as a formula: never let one."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv(rows, today):
    """The filtered list as CSV, streamed: memory stays flat whatever the count."""
    writer = csv.writer(_Echo())
    header = [
        _("订单号"),
        _("下单时间"),
        _("产品"),
        _("订单金额"),
        _("退款金额"),
        _("返利类型"),
        _("返利"),
        _("状态"),
        _("结算日"),
        _("说明"),
    ]

    def lines():
        yield "\ufeff"  # so Excel reads UTF-8
        yield writer.writerow(header)
        for order in rows.iterator(chunk_size=2000):
            status = STATUS_LABELS[rebate_selectors.rebate_status_of(order, today)]
            yield writer.writerow(
                _cell(value)
                for value in (
                    order.billing_id,
                    timezone.localtime(order.placed_at).strftime("%Y-%m-%d %H:%M"),
                    order.product.name,
                    order.amount,
                    order.refunded_amount,
                    order.get_order_type_display(),
                    order.rebate,
                    status,
                    order.settles_on or "",
                    order.get_reason_display() if order.reason else "",
                )
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="rebate-orders.csv"'
    return response


@ambassador_required
def tasks(request, ambassador):
    return render(request, "referrals/tasks.html", rebate_selectors.rule_sets_for_ambassadors())


@ambassador_required
def news(request, ambassador):
    page = Paginator(rebate_selectors.news(), 10).get_page(request.GET.get("page"))
    return render(request, "referrals/news.html", {"page": page})
