"""Reads behind 返利订单, 概览 and 任务与奖励 (R8.3, R12). Each is a fixed number
of queries, whatever the number of orders."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

from django.db import models
from django.db.models import Count, DateField, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.kernel.compiled_queries import DATE, DATETIME, NUMBER, TEXT, CompiledQuery
from portal.kernel.money import ZERO, round_yuan
from portal.kernel.months import add_months, month_of
from referrals.models import Activity, NewsEntry, Order, QuarterlyBonus, Reason, RiskCase, RuleSet

from .ledger_port import rebate_ledger

# R8.3: ambassadors see compliant and invalid orders only; a compliant order
# refunded later stays listed with its reason.
LISTED_REASONS = ("", Reason.SAME_PERSON, Reason.REFUNDED)


class RebateStatus(models.TextChoices):
    """Where an order's rebate stands, for the ambassador."""

    PENDING = "pending", _("待结算")  # not settled yet: before day 31 (R7.1), or held by risk control (R9.3)
    SETTLED = "settled", _("已结算")  # the ledger's settlement run has settled it
    INVALID = "invalid", _("无效订单")  # R8.2
    REFUNDED = "refunded", _("已退款")  # refunded in full
    FORFEITED = "forfeited", _("注销作废")  # R10.2: not settled when the membership ended


def with_ledger_settled(orders):
    """The orders with `ledger_settled`: whether a settlement run has settled each one. The
    ledger is the one place that says so (its settlement runs skip held orders and cancelled
    ambassadors); the pages, their csv and the API all read it from here."""
    return orders.annotate(ledger_settled=rebate_ledger().order_settled())


def rebate_status_filter(status):
    """For orders `with_ledger_settled`. What a cancelled ambassador had not settled is
    forfeited (R10.2): settlement runs skip them, and the ledger holds it as forfeited."""
    unsettled = Q(reason="", ledger_settled=False)
    return {
        RebateStatus.PENDING: unsettled & Q(ambassador__cancelled_at__isnull=True),
        RebateStatus.SETTLED: Q(reason="", ledger_settled=True),
        RebateStatus.FORFEITED: unsettled & Q(ambassador__cancelled_at__isnull=False),
        RebateStatus.INVALID: Q(reason=Reason.SAME_PERSON),
        RebateStatus.REFUNDED: Q(reason=Reason.REFUNDED),
    }[status]


# What the list, its CSV and the API show of an order: its own columns, and its customer's and
# product's as values on the order: one model a row rather than three, whose making was most of
# what the rows cost.
LISTED_FIELDS = (
    "billing_id", "placed_at", "amount", "refunded_amount", "order_type", "rebate", "reason", "settles_on", "on_hold",
)  # fmt: skip
LISTED_RELATED = {
    "customer_email": F("customer__email"),
    "customer_uid": F("customer__uid"),
    "product_code": F("product__code"),
    "product_name": F("product__name"),
    "product_name_en": F("product__name_en"),
}


def rebate_orders_of(ambassador, *, month=None, status=None, order_type=None):
    """The ambassador's listed orders, newest first, with `ledger_settled` and the LISTED_RELATED
    values of their customers and products."""
    return _listed_orders(ambassador_id=ambassador.pk, **_filters(month, status, order_type))


def _filters(month, status, order_type):
    """The list's filters as `_listed_orders` takes them: a month as its first and next first day,
    a status that is not one of RebateStatus as none."""
    start = month_of(month) if month else None
    return {
        "month_start": start,
        "month_end": add_months(start, 1) if start else None,
        "status": status if status in RebateStatus.values else None,
        "order_type": order_type or None,
    }


def _listed_orders(**filters):
    """The list's queryset: what `rebate_orders_of` returns."""
    # `.only`: the page reads these; the other columns are half the row.
    return _listed_selection(**filters).only(*LISTED_FIELDS).annotate(**LISTED_RELATED)


def _listed_selection(*, ambassador_id, month_start, month_end, status, order_type):
    """The ambassador's listed orders under the filters, newest first, with `ledger_settled` and
    none of the columns the list shows (`.only` and LISTED_RELATED add them)."""
    orders = with_ledger_settled(
        Order.objects.filter(ambassador_id=ambassador_id, reason__in=LISTED_REASONS).order_by("-placed_at", "-pk")
    )
    if month_start:
        orders = orders.filter(placed_at__date__gte=month_start, placed_at__date__lt=month_end)
    if status:
        orders = orders.filter(rebate_status_filter(status))
    if order_type:
        orders = orders.filter(order_type=order_type)
    return orders


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def encode_cursor(order):
    """An opaque place in the list: the order's placement time (whole microseconds,
    no float rounding) and id."""
    return f"{(order.placed_at - _EPOCH) // _MICROSECOND}.{order.pk}"


# The largest id an order can have (a BigAutoField): a larger one is no order's cursor, and the
# databases cannot take it as a parameter (SQLite raises, PostgreSQL compares as numeric, unindexed).
_MAX_ID = 2**63 - 1


def decode_cursor(text):
    """The place `encode_cursor` wrote, or None for text that is not one (the list starts over)."""
    try:
        micros, pk = (int(part) for part in (text or "").split("."))
        placed_at = _EPOCH + micros * _MICROSECOND
    except (ValueError, OverflowError):
        return None
    return (placed_at, pk) if 0 < pk <= _MAX_ID else None


class ListedOrder(SimpleNamespace):
    """An order as a page of the list reads it: its id, LISTED_FIELDS, the LISTED_RELATED values
    and `ledger_settled`."""

    @property
    def pk(self):
        return self.id


def _page_of_listed_orders(*, size, before_placed_at, before_pk, **filters):
    """The page's orders, chosen from the orders table alone, then read with their columns: a
    statement whose one plan is right for every ambassador (below)."""
    chosen = _listed_selection(**filters)
    if before_placed_at is not None:
        # Older than the cursor: (placed_at, id) < (before_placed_at, before_pk), with `placed_at <=` on
        # its own so that it bounds the index scan in any plan. A prepared statement's generic plan,
        # which cannot see the values, read all 100,000 orders for the last page with the OR alone.
        chosen = chosen.filter(
            Q(placed_at__lte=before_placed_at) & (Q(placed_at__lt=before_placed_at) | Q(pk__lt=before_pk))
        )
    page = Order.objects.filter(pk__in=chosen.values("pk")[:size])
    return with_ledger_settled(page.only(*LISTED_FIELDS).annotate(**LISTED_RELATED)).order_by("-placed_at", "-pk")


# Compiling the page's query cost three times what PostgreSQL takes to plan and run it: it is
# compiled once per process and shape (which filters, the page size), and then only run, prepared.
# A prepared statement soon runs on PostgreSQL's generic plan, made for the average ambassador, not
# the call's. With the customers, products and settlements joined to the choice of orders, that
# plan read all of a large ambassador's orders and sorted them, on a table of many ambassadors.
# The page's ids are chosen from `order_ambassador_newest` alone, which holds every column the
# choice reads: reading a page's entries of it, newest first, is then the cheapest plan for any
# ambassador while the table's pages are marked all-visible (as autovacuum keeps them), and the
# generic plan takes it (docs/PERFORMANCE.md).
_LISTED_ORDERS_PAGE = CompiledQuery(
    _page_of_listed_orders,
    slots={
        "ambassador_id": NUMBER,
        "month_start": DATE,
        "month_end": DATE,
        "order_type": TEXT,
        "before_placed_at": DATETIME,
        "before_pk": NUMBER,
    },
    row_type=ListedOrder,
)


def rebate_orders_page(ambassador, *, before=None, size=20, month=None, status=None, order_type=None):
    """One page of the list (`rebate_orders_of`), newest first, after the cursor `before`, as
    ListedOrder rows; returns the rows and the cursor of the next (older) page, or None.

    Keyset pagination: the cost of a page does not depend on how far into
    100,000 orders it is, and no COUNT(*) runs (docs/PERFORMANCE.md)."""
    filters = _filters(month, status, order_type)
    placed_at, pk = decode_cursor(before) or (None, None)
    rows = _LISTED_ORDERS_PAGE.rows(
        {"size": size + 1, "status": filters.pop("status")},  # a status changes the SQL: part of the shape
        {"ambassador_id": ambassador.pk, **filters, "before_placed_at": placed_at, "before_pk": pk},
    )
    older = encode_cursor(rows[size - 1]) if len(rows) > size else None
    return rows[:size], older


def rebate_status_of(order, *, cancelled):
    """For an order read `with_ledger_settled`; `cancelled`: whether its ambassador's membership ended."""
    if order.reason == Reason.SAME_PERSON:
        return RebateStatus.INVALID
    if order.reason == Reason.REFUNDED:
        return RebateStatus.REFUNDED
    if order.ledger_settled:
        return RebateStatus.SETTLED
    return RebateStatus.FORFEITED if cancelled else RebateStatus.PENDING


@dataclass(frozen=True)
class Totals:
    pending: Decimal
    settled: Decimal
    invalid_count: int
    orders: int


def _totals(orders):
    figures = orders.aggregate(
        pending=Sum("rebate", filter=rebate_status_filter(RebateStatus.PENDING)),
        settled=Sum("rebate", filter=rebate_status_filter(RebateStatus.SETTLED)),
        invalid_count=Count("pk", filter=rebate_status_filter(RebateStatus.INVALID)),
        orders=Count("pk"),
    )
    return Totals(
        pending=round_yuan(figures["pending"] or ZERO),
        settled=round_yuan(figures["settled"] or ZERO),
        invalid_count=figures["invalid_count"],
        orders=figures["orders"],
    )


def overview_of(ambassador, *, today=None):
    """R12.1: this month's and all-time totals, and the last 12 months by month placed.
    已结算 is what the ledger has settled (`with_ledger_settled`), as on 返利订单."""
    today = today or timezone.localdate()
    orders = Order.objects.filter(ambassador=ambassador, reason__in=LISTED_REASONS)
    listed = with_ledger_settled(orders)
    this_month = month_of(today)
    first_month = add_months(this_month, -11)
    # Grouped by month and by whether the ledger settled it (one query); what a cancelled
    # ambassador had not settled is forfeited (R10.2), neither pending nor settled.
    cancelled = ambassador.cancelled_at is not None
    by_month = {}
    for month, settled_flag, total in (
        orders.filter(placed_at__date__gte=first_month, reason="")
        .annotate(month=TruncMonth("placed_at", output_field=DateField()), settled=rebate_ledger().order_settled())
        .values("month", "settled")
        .annotate(total=Sum("rebate"))
        .values_list("month", "settled", "total")
    ):
        pending, settled = by_month.get(month, (ZERO, ZERO))
        if settled_flag:
            settled += total
        elif not cancelled:
            pending += total
        by_month[month] = (pending, settled)
    month_parts = []  # (first day, pending, settled): the chart shows the two apart
    month = first_month
    for _step in range(12):
        pending, settled = by_month.get(month, (ZERO, ZERO))
        month_parts.append((month, round_yuan(pending), round_yuan(settled)))
        month = add_months(month, 1)
    return {
        "this_month": _totals(listed.filter(placed_at__date__gte=this_month)),
        "all_time": _totals(listed),
        "months": [(month, pending + settled) for month, pending, settled in month_parts],
        "month_parts": month_parts,
        "bonuses": list(QuarterlyBonus.objects.filter(ambassador=ambassador).order_by("-quarter")[:4]),
        # R9.3: that some rebates wait for review, never why.
        "on_hold": Order.objects.filter(ambassador=ambassador, on_hold=True, reason="").exists(),
    }


def rule_sets_for_ambassadors(*, today=None):
    """R5.1, R5.7: this month's rules, next month's once published, and the past ones."""
    today = today or timezone.localdate()
    this_month = month_of(today)
    next_month = add_months(this_month, 1)
    published = RuleSet.objects.published().prefetch_related("rebate_products")
    current = published.filter(month__lte=this_month).order_by("-month", "-version").first()
    upcoming = published.filter(month=next_month).order_by("-version").first()
    past = list(published.filter(month__lt=current.month).order_by("-month", "-version")) if current else []
    _name_excluded_activities([rule_set for rule_set in (current, upcoming, *past) if rule_set])
    return {"current": current, "upcoming": upcoming, "past": past}


def _name_excluded_activities(rule_sets):
    """Each rule set's excluded activities as (code, Activity or None), in one query: pages
    name a promotion, never show its bare code."""
    codes = {code for rule_set in rule_sets for code in rule_set.excluded_activities}
    named = Activity.objects.in_bulk(codes, field_name="code") if codes else {}
    for rule_set in rule_sets:
        rule_set.activities_excluded = [(code, named.get(code)) for code in rule_set.excluded_activities]


def news():
    return NewsEntry.objects.order_by("-published_at")


def ambassadors_with_rebates_held(ambassador_ids) -> set:
    """Those of these ambassadors whose new rebates start held (`rebates_held_for`), in one query."""
    return set(
        RiskCase.objects.filter(
            ambassador_id__in=ambassador_ids, kind=RiskCase.Kind.SUSPECT_SHARE, status=RiskCase.Status.OPEN
        ).values_list("ambassador_id", flat=True)
    )


def rebates_held_for(ambassador_id) -> bool:
    """Whether the ambassador's new rebates start held (an open suspect-share case)."""
    return RiskCase.objects.filter(
        ambassador_id=ambassador_id, kind=RiskCase.Kind.SUSPECT_SHARE, status=RiskCase.Status.OPEN
    ).exists()
