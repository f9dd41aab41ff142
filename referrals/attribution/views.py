"""The exclusive link endpoint and the ambassador's 推广链接 and 推广客户 pages."""

from urllib.parse import urlencode

import segno
from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from ambassadors.decorators import ambassador_required
from portal.kernel.errors import PortalError
from portal.kernel.middleware import null_characters_welcome

from . import rules, selectors, services
from .cookies import set_referral_cookie
from .rules import attribution_model

CUSTOMERS_PER_PAGE = 20


def _landing(requested):
    return rules.landing_url(
        requested,
        default=settings.REFERRAL_LANDING_URL,
        allowed_hosts=settings.REFERRAL_LANDING_HOSTS,
        require_https=not settings.DEBUG,
    )


@null_characters_welcome
@require_GET
def follow(request, code):
    """GET /r/<code>: the hottest path. Every code gets the same answer, so
    nothing tells a visitor whether the link exists or is active."""
    landing = _landing(request.GET.get("to"))
    response = HttpResponseRedirect(landing)
    # Only a visitor with a session can be logged in; the others cost no query.
    visitor = request.user if settings.SESSION_COOKIE_NAME in request.COOKIES else None
    carried = services.visit_record(code=code, visitor=visitor, device_id=request.device_id, landing=landing)
    if carried is not None:  # applied at sign-up or log-in (R3.3)
        set_referral_cookie(response, carried.code, carried.visit_id, carried.visited_at)
    response["Cache-Control"] = "private, no-store"
    return response


@ambassador_required
def link(request, ambassador):
    try:
        referral_link = services.referral_link_for(ambassador)
    except PortalError as refusal:
        return render(request, "referrals/link.html", {"refusal": refusal.message})
    url = request.build_absolute_uri(reverse("referral_follow", args=[referral_link.code]))
    requested = request.GET.get("to", "").strip()
    landing = _landing(requested) if requested else ""
    landing_refused = bool(requested) and landing != requested
    if landing and not landing_refused:
        url = f"{url}?{urlencode({'to': landing})}"
    return render(
        request,
        "referrals/link.html",
        {
            "url": url,
            "qr_svg": segno.make(url, error="m").svg_inline(scale=5, border=2),
            "requested": requested,
            "landing_refused": landing_refused,
            "attribution": attribution_model(),
        },
    )


@ambassador_required
def customers(request, ambassador):
    now = timezone.now()
    showing_lost = request.GET.get("view") == "lost"
    rows = (selectors.lost_associations_of if showing_lost else selectors.active_associations_of)(ambassador, now=now)
    return render(
        request,
        "referrals/customers.html",
        {
            "page": Paginator(rows, CUSTOMERS_PER_PAGE).get_page(request.GET.get("page")),
            "showing_lost": showing_lost,
            "now": now,
            "attribution": attribution_model(),
        },
    )
