"""The exclusive link endpoint, the welcome of a referred customer, and the ambassador's 推广链接
(with its QR code as a file and its funnel) and 推广客户 pages."""

import io
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ambassadors.decorators import ambassador_required
from portal.kernel.errors import PortalError
from portal.kernel.middleware import null_characters_welcome

from . import rules, selectors, services
from .cookies import set_referral_cookie
from .rules import attribution_model

CUSTOMERS_PER_PAGE = 20


def _landing_terms(request):
    """What a landing is judged by: the settings, and the host this request came to, whose
    paths are this site's."""
    return {
        "allowed_hosts": settings.REFERRAL_LANDING_HOSTS,
        "require_https": not settings.DEBUG,
        "site_host": request.get_host(),
    }


def _landing(request):
    """Where this click lands; most clicks ask for no page and are not judged."""
    requested = request.GET.get("to")
    if not requested:
        return settings.REFERRAL_LANDING_URL
    return rules.landing_url(requested, default=settings.REFERRAL_LANDING_URL, **_landing_terms(request))


@null_characters_welcome
@require_GET
def follow(request, code):
    """GET /r/<code>: the hottest path. Every code gets the same answer, so
    nothing tells a visitor whether the link exists or is active."""
    landing = _landing(request)
    response = HttpResponseRedirect(landing)
    # Only a visitor with a session can be logged in; the others cost no query.
    visitor = request.user if settings.SESSION_COOKIE_NAME in request.COOKIES else None
    carried = services.visit_record(code=code, visitor=visitor, device_id=request.device_id, landing=landing)
    if carried is not None:  # applied at sign-up or log-in (R3.3)
        set_referral_cookie(response, carried.code, carried.visit_id, carried.visited_at)
    response["Cache-Control"] = "private, no-store"
    return response


def _shared_url(request, referral_link):
    """The link as shared: with the landing page asked for, unless it is refused. Returns the URL,
    what was asked for, and why it was refused (a rules.LandingRefusal, or None). The link click
    judges `to=` by the same rule, so a link this page makes lands where it says."""
    url = request.build_absolute_uri(reverse("referral_follow", args=[referral_link.code]))
    requested = request.GET.get("to", "").strip()
    refusal = rules.landing_refusal(requested, **_landing_terms(request)) if requested else None
    if requested and not refusal:
        url = f"{url}?{urlencode({'to': requested})}"
    return url, requested, refusal


@ambassador_required
def link(request, ambassador):
    try:
        referral_link = services.referral_link_for(ambassador)
    except PortalError as refusal:
        return render(request, "referrals/link.html", {"refusal": refusal.message})
    url, requested, landing_refusal = _shared_url(request, referral_link)
    landing_chosen = bool(requested) and not landing_refusal
    downloads = f"?{urlencode({'to': requested})}" if landing_chosen else ""
    return render(
        request,
        "referrals/link.html",
        {
            "url": url,
            "qr_svg": segno.make(url, error="m").svg_inline(scale=5, border=2),
            "qr_query": downloads,
            "requested": requested,
            "landing_refusal": landing_refusal,
            "landing_chosen": landing_chosen,
            "attribution": attribution_model(),
            "funnel": selectors.link_funnel_of(ambassador, now=timezone.now()),
        },
    )


QR_FORMATS = {
    "png": ("image/png", {"scale": 12, "border": 4}),
    "svg": ("image/svg+xml", {"scale": 12, "border": 4, "xmldecl": True}),
}


@require_GET
@ambassador_required
def link_qr(request, ambassador, kind):
    """The link's QR code as a file to save or print: PNG for chats, SVG for print. The same link
    as the page shows, with its landing page; an ambassador who may not share gets no code (404)."""
    if kind not in QR_FORMATS:
        raise Http404
    try:
        referral_link = services.referral_link_for(ambassador)
    except PortalError:
        raise Http404 from None
    url, _requested, _refusal = _shared_url(request, referral_link)
    content_type, options = QR_FORMATS[kind]
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind=kind, **options)
    response = HttpResponse(buffer.getvalue(), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="referral-qr-{referral_link.code}.{kind}"'
    return response


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


@never_cache
@login_required
def welcome(request):
    """Where a referred visitor lands after signing up: whose invitation they accepted and what
    they gain, instead of the ambassador join pitch meant for ambassadors."""
    return render(
        request,
        "referrals/welcome.html",
        {"invitation": selectors.invitation_of_customer(request.user, now=timezone.now())},
    )
