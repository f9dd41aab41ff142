"""The ambassador's 返利订单, 任务与奖励 and 最新动态 pages (R12)."""

import csv

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from ambassadors.decorators import ambassador_required
from portal.kernel.spreadsheets import spreadsheet_safe
from referrals.models import OrderType, Reason

from . import selectors
from .forms import RebateOrderFilters

ORDERS_PER_PAGE = 20


@ambassador_required
def orders(request, ambassador):
    form = RebateOrderFilters(request.GET)
    if not form.is_valid():  # the page again, with what is wrong, and no list: never a guess
        return _orders_page(request, form, rows=[], older=None, status=400)
    filters = form.filters()
    if request.GET.get("format") == "csv":
        return _csv(selectors.rebate_orders_of(ambassador, **filters), cancelled=bool(ambassador.cancelled_at))
    rows, older = selectors.rebate_orders_page(
        ambassador, before=request.GET.get("before"), size=ORDERS_PER_PAGE, **filters
    )
    _label_rows(rows, cancelled=bool(ambassador.cancelled_at))
    return _orders_page(request, form, rows=rows, older=older)


def _orders_page(request, form, *, rows, older, status=200):
    month = form.cleaned_data.get("month")
    return render(
        request,
        "referrals/orders.html",
        {
            "form": form,
            "rows": rows,
            "older": older,
            "is_first_page": not request.GET.get("before"),
            "filters": {"status": form.cleaned_data.get("status"), "order_type": form.cleaned_data.get("type")},
            "statuses": STATUS_LABELS,
            "order_types": OrderType.choices,
            "month_text": f"{month:%Y-%m}" if month else "",
        },
        status=status,
    )


def _label_rows(rows, *, cancelled):
    """Each row's words and dates, worked out once per page: the template then
    only prints them (per-row translation and date formatting were most of the
    page's time, docs/PERFORMANCE.md)."""
    statuses = {status: str(label) for status, label in STATUS_LABELS.items()}
    types = {value: str(label) for value, label in OrderType.choices}
    reasons = {value: str(label) for value, label in Reason.choices}
    refund_note = _("客户退款 ¥%(amount)s，返利按实际使用计算")
    for order in rows:
        order.rebate_status = selectors.rebate_status_of(order, cancelled=cancelled)
        order.rebate_status_label = statuses[order.rebate_status]
        order.type_label = types.get(order.order_type, "")
        order.placed_text = timezone.localtime(order.placed_at).strftime("%Y-%m-%d %H:%M")
        earns = order.rebate_status in (selectors.RebateStatus.PENDING, selectors.RebateStatus.SETTLED)
        order.settles_text = order.settles_on.isoformat() if earns and order.settles_on else "—"
        if order.reason:
            order.note = reasons[order.reason]
        elif order.refunded_amount:
            order.note = refund_note % {"amount": order.refunded_amount}
        else:
            order.note = "—"


STATUS_LABELS = dict(selectors.RebateStatus.choices)


class _Echo:
    def write(self, value):
        return value


def _csv(rows, *, cancelled):
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
            status = STATUS_LABELS[selectors.rebate_status_of(order, cancelled=cancelled)]
            yield writer.writerow(
                spreadsheet_safe(value)
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
    return render(request, "referrals/tasks.html", selectors.rule_sets_for_ambassadors())


@ambassador_required
def news(request, ambassador):
    page = Paginator(selectors.news(), 10).get_page(request.GET.get("page"))
    return render(request, "referrals/news.html", {"page": page})
