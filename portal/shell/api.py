"""The read-only JSON API for ambassadors (its contract: docs/ARCHITECTURE.md, "The ambassador API"): the
same selectors as the pages, scoped to the caller, by session or token."""

from functools import wraps

from django.core.paginator import Paginator
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from ambassadors import selectors as ambassador_selectors
from portal.kernel.api_tokens import ApiTokenRefused, api_token_user
from portal.kernel.personal_data import masked_account_label
from referrals.attribution import selectors as referral_selectors
from referrals.rebates import selectors as rebate_selectors
from referrals.rebates.forms import RebateOrderFilters

from .overview import overview_of

PAGE_SIZE = 50


def _caller(request):
    if request.user.is_authenticated:
        return request.user
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    return api_token_user(raw.strip(), method=request.method) if scheme.lower() == "bearer" else None


def api_view(*, ambassador_only):
    """401 without a session or a live token, 401 or 403 for a token that is expired or whose
    scope does not allow the method (checked before the view's own methods, so the scope is
    what refuses a write); then GET only; 404 for a caller who is not an ambassador where the
    data is an ambassador's."""

    def decorate(view):
        get_only = require_GET(view)

        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                user = _caller(request)
            except ApiTokenRefused as refused:
                return JsonResponse(refused.answer, status=refused.status)
            if user is None:
                return JsonResponse({"error": "authentication required"}, status=401)
            if not ambassador_only:
                return get_only(request, user, *args, **kwargs)
            ambassador = ambassador_selectors.ambassador_of(user)
            if ambassador is None or ambassador.verified_at is None:
                return JsonResponse({"error": "not a verified ambassador"}, status=404)
            return get_only(request, ambassador, *args, **kwargs)

        return wrapper

    return decorate


@api_view(ambassador_only=False)
def me(request, user):
    """GET /api/v1/me: the account and where it stands in the program."""
    return JsonResponse(
        {"id": str(user.uid), "email": user.email, "program_state": ambassador_selectors.program_state_of(user)}
    )


def _totals(totals):
    return {
        "pending": str(totals.pending),
        "settled": str(totals.settled),
        "orders": totals.orders,
        "invalid_orders": totals.invalid_count,
    }


@api_view(ambassador_only=True)
def overview(request, ambassador):
    figures = overview_of(ambassador)
    return JsonResponse(
        {
            "this_month": _totals(figures["this_month"]),
            "all_time": _totals(figures["all_time"]),
            "withdrawable": str(figures["withdrawable"]),
            "months": [
                {
                    "month": f"{month:%Y-%m}",
                    "rebate": str(pending + settled),
                    "pending": str(pending),
                    "settled": str(settled),
                }
                for month, pending, settled in figures["month_parts"]
            ],
            "quarterly_bonuses": [
                {"quarter": f"{b.quarter:%Y-%m}", "amount": str(b.amount), "settles_on": b.settles_on.isoformat()}
                for b in figures["bonuses"]
            ],
        }
    )


def _page(request, rows):
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return page, {"page": page.number, "pages": page.paginator.num_pages, "count": page.paginator.count}


@api_view(ambassador_only=True)
def rebate_orders(request, ambassador):
    form = RebateOrderFilters(request.GET)
    if not form.is_valid():
        return JsonResponse({"errors": form.error_list()}, status=400)
    rows, older = rebate_selectors.rebate_orders_page(
        ambassador, before=request.GET.get("before"), size=PAGE_SIZE, **form.filters()
    )
    return JsonResponse(
        {
            "next": older,  # pass as ?before= for the next, older page
            "results": [
                {
                    "order": order.billing_id,
                    "placed_at": order.placed_at.isoformat(),
                    "customer": masked_account_label(order.customer_email, order.customer_uid),
                    "product": order.product_code,
                    "amount": str(order.amount),
                    "refunded_amount": str(order.refunded_amount),
                    "type": order.order_type,
                    "rebate": str(order.rebate),
                    "status": rebate_selectors.rebate_status_of(order, cancelled=bool(ambassador.cancelled_at)),
                    "settles_on": order.settles_on.isoformat() if order.settles_on else None,
                    "reason": order.reason or None,
                    "under_review": order.on_hold and not order.reason,  # R9.3: held for the risk desk
                }
                for order in rows
            ],
        }
    )


@api_view(ambassador_only=True)
def customers(request, ambassador):
    now = timezone.now()
    lost = request.GET.get("view") == "lost"
    rows = (referral_selectors.lost_associations_of if lost else referral_selectors.active_associations_of)(
        ambassador, now=now
    )
    page, meta = _page(request, rows)
    results = []
    for association in page:
        latest = association.orders_newest_first[0] if association.orders_newest_first else None
        results.append(
            {
                "customer": masked_account_label(association.customer.email, association.customer.uid),
                "associated_at": association.started_at.isoformat(),
                "expires_at": association.expires_at.isoformat(),
                "ended_at": association.ended_at.isoformat() if association.ended_at else None,
                "end_reason": association.end_reason or None,
                "orders": len(association.orders_newest_first),
                "latest_order": {
                    "type": latest.order_type,
                    "rebate": str(latest.rebate),
                    "reason": latest.reason or None,
                }
                if latest
                else None,
            }
        )
    return JsonResponse({**meta, "view": "lost" if lost else "active", "results": results})
