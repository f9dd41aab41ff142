"""The ambassador's 返利订单, 任务与奖励 and 最新动态 pages (R12)."""

import csv
from dataclasses import dataclass
from functools import cache

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.template.defaulttags import querystring
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from ambassadors.decorators import ambassador_required
from portal.kernel.frames import FramedPage, hole
from portal.kernel.money import yuan_figure
from portal.kernel.personal_data import account_short_number, mask_email, masked_account_label
from portal.kernel.spreadsheets import spreadsheet_safe
from referrals.models import OrderType, Reason
from referrals.templatetags.rebate_rows import rebate_rows

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
    shown = {
        "month": f"{month:%Y-%m}" if month else "",
        "status": form.cleaned_data.get("status") or "",
        "type": form.cleaned_data.get("type") or "",
    }
    # What the page branches on or prints alike for everyone who sees it this way: with the
    # language and the layout's own, the key of its frame.
    page = {
        "month_text": shown["month"],
        "filter_status": shown["status"],
        "order_type": shown["type"],
        "filtered": any(shown.values()),
        # The export of the filters shown, from their cleaned values (never a cursor or a stray
        # parameter of the query), so that the link is part of the filters' kept fragment; none
        # while a filter cannot be read, as the list is not shown either (never a guess), nor
        # when the list is empty (a sheet of headings only).
        "csv_query": ""
        if form.errors or not rows
        else urlencode({name: value for name, value in shown.items() if value} | {"format": "csv"}),
        "has_rows": bool(rows),
        "has_older": older is not None,
        "is_first_page": not request.GET.get("before"),
        "under_review": any(getattr(order, "rebate_status", "") == UNDER_REVIEW for order in rows),
    }
    # What each request prints: its rows and the links that keep its query.
    printed = {
        "rows_html": rebate_rows(rows),
        "newest_href": "" if page["is_first_page"] else querystring(None, request.GET, before=None),
        "older_href": querystring(None, request.GET, before=older) if older is not None else "",
    }
    framed = _ORDERS_FRAME.response(request, page, printed) if status == 200 else None
    if framed is not None:
        return framed
    return render(request, "referrals/orders.html", _page_context(**page) | printed | {"form": form}, status=status)


def _page_context(*, filter_status, order_type, **page):
    return page | {
        "filters": {"status": filter_status, "order_type": order_type},
        "statuses": STATUS_LABELS,
        "order_types": OrderType.choices,
    }


def _frame_context(**page):
    return _page_context(**page) | {name: hole(name) for name in ("rows_html", "newest_href", "older_href")}


# The page without errors or messages is kept as frames (portal.kernel.frames, docs/PERFORMANCE.md):
# rendering it node by node was the largest part of its own work.
_ORDERS_FRAME = FramedPage("referrals/orders.html", _frame_context, section="orders")


@dataclass(frozen=True)
class _RowWords:
    statuses: dict
    types: dict
    reasons: dict
    refund_note: str
    held_label: str
    held_note: str
    held_settles: str


@cache
def _row_words(language):
    """The rows' words in `language` (the active one), translated once per language and process."""
    return _RowWords(
        statuses={status: str(label) for status, label in STATUS_LABELS.items()},
        types={value: str(label) for value, label in OrderType.choices},
        reasons={value: str(label) for value, label in Reason.choices},
        refund_note=_("客户退款 ¥%(amount)s，返利按实际使用计算"),
        held_label=str(UNDER_REVIEW_LABEL),
        held_note=str(UNDER_REVIEW_NOTE),
        held_settles=_("审核后"),
    )


def _label_rows(rows, *, cancelled):
    """Each row's words and dates, worked out once per page: the template then
    only prints them (per-row translation and date formatting were most of the
    page's time, docs/PERFORMANCE.md)."""
    words = _row_words(get_language())
    statuses, types, reasons, refund_note = words.statuses, words.types, words.reasons, words.refund_note
    held_label, held_note, held_settles = words.held_label, words.held_note, words.held_settles
    here = timezone.get_current_timezone()
    earning = (selectors.RebateStatus.PENDING, selectors.RebateStatus.SETTLED)
    for order in rows:
        order.rebate_status = selectors.rebate_status_of(order, cancelled=cancelled)
        order.rebate_status_label = statuses[order.rebate_status]
        order.type_label = types.get(order.order_type, "")
        placed = order.placed_at.astimezone(here)
        order.placed_date, order.placed_time = placed.date().isoformat(), f"{placed.hour:02}:{placed.minute:02}"
        order.customer_mask = mask_email(order.customer_email)
        order.customer_number = account_short_number(order.customer_uid)
        earns = order.rebate_status in earning
        order.settles_text = order.settles_on.isoformat() if earns and order.settles_on else "—"
        if is_under_review(order):  # R9.3: which order waits, and the plain why, never the signals
            order.rebate_status, order.rebate_status_label = UNDER_REVIEW, held_label
            order.settles_text, order.note = held_settles, held_note
        elif order.reason:
            order.note = reasons[order.reason]
        elif order.refunded_amount:
            order.note = refund_note % {"amount": yuan_figure(order.refunded_amount)}
        else:
            order.note = "—"


# A pending rebate held by risk control (R9.3) is marked apart on the page: its money is still
# pending (概览, the ledger and the 待结算 filter count it there), but the ambassador sees which
# order waits and why in plain words. The sentence never names what was detected.
UNDER_REVIEW = "held"
UNDER_REVIEW_LABEL = gettext_lazy("审核中")
UNDER_REVIEW_NOTE = gettext_lazy("按平台风控规则需人工审核，审核完成前暂不结算。")


def is_under_review(order):
    return order.on_hold and not order.reason


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
        _("客户"),
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
            status = (
                UNDER_REVIEW_LABEL
                if is_under_review(order)
                else STATUS_LABELS[selectors.rebate_status_of(order, cancelled=cancelled)]
            )
            yield writer.writerow(
                spreadsheet_safe(value)
                for value in (
                    order.billing_id,
                    timezone.localtime(order.placed_at).strftime("%Y-%m-%d %H:%M"),
                    masked_account_label(order.customer_email, order.customer_uid),
                    order.product_name,
                    order.amount,
                    order.refunded_amount,
                    order.get_order_type_display(),
                    order.rebate,
                    status,
                    order.settles_on or "",
                    UNDER_REVIEW_NOTE if is_under_review(order) else order.get_reason_display() if order.reason else "",
                )
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="rebate-orders.csv"'
    return response


@ambassador_required
def tasks(request, ambassador):
    rule_sets = selectors.rule_sets_for_ambassadors()
    # 最新动态 links to the rule set an entry announces: one of the past ones opens their list.
    wanted = request.GET.get("rule_set", "")
    rule_sets["past_open"] = any(str(rule_set.pk) == wanted for rule_set in rule_sets["past"])
    return render(request, "referrals/tasks.html", rule_sets)


@ambassador_required
def news(request, ambassador):
    page = Paginator(selectors.news(), 10).get_page(request.GET.get("page"))
    return render(request, "referrals/news.html", {"page": page})
