"""Pages of the personal center that compose the apps, and the read-only API."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from ambassadors import selectors as ambassador_selectors
from ambassadors.decorators import ambassador_required
from ambassadors.forms import CancelForm
from referrals import rebate_selectors

from .center import SECTIONS_BY_SLUG
from .charts import month_bars
from .membership import membership_cancel


@login_required
def home(request):
    """概览 (R12.1): onboarding until verified, then the rebates at a glance."""
    ambassador = ambassador_selectors.ambassador_of(request.user)
    latest = ambassador_selectors.latest_verification_of(ambassador) if ambassador else None
    context = {"ambassador": ambassador, "latest_verification": latest}
    if ambassador and ambassador.verified_at:
        overview = rebate_selectors.overview_of(ambassador)
        context |= {"overview": overview, "chart": month_bars(overview["months"])}
    return render(request, "center/home.html", context)


@login_required
def not_built(request, slug):
    """A section whose feature has not shipped says so instead of pretending."""
    section = SECTIONS_BY_SLUG.get(slug)
    if section is None or section.built:
        raise Http404
    return render(request, "center/not_built.html", {"section": section})


def api_me(request):
    """GET /api/v1/me: the logged-in account and where it stands in the program."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "authentication required"}, status=401)
    return JsonResponse(
        {
            "id": str(request.user.uid),
            "email": request.user.email,
            "program_state": ambassador_selectors.program_state_of(request.user),
        }
    )


@ambassador_required
def account_cancel(request, ambassador):
    """R10.2: the page that states the forfeit, asks again, and cancels."""
    if ambassador.cancelled_at:
        return redirect("center:account")
    form = CancelForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        membership_cancel(ambassador=ambassador, actor=request.user)
        messages.success(request, _("云大使身份已注销。"))
        return redirect("center:account")
    return render(request, "ambassadors/cancel.html", {"form": form, "ambassador": ambassador})
