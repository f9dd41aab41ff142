"""Pages of the personal center that compose the apps."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ambassadors import selectors as ambassador_selectors
from ambassadors.decorators import ambassador_required
from ambassadors.forms import CancelForm
from ambassadors.onboarding import onboarding_checklist
from payouts.forfeit import forfeit_preview
from portal.kernel.api_tokens import api_token_create, api_token_revoke
from portal.kernel.models import ApiToken
from referrals.attribution.selectors import link_visited

from .charts import NARROW, month_bars
from .membership import membership_cancel
from .overview import overview_of


@login_required
def home(request):
    """概览 (R12.1): the first steps' checklist on top until every step is done, then the
    rebates at a glance."""
    ambassador = ambassador_selectors.ambassador_of(request.user)
    latest = ambassador_selectors.latest_verification_of(ambassador) if ambassador else None
    context = {"ambassador": ambassador, "latest_verification": latest}
    if ambassador and not ambassador.cancelled_at:
        shared = ambassador.verified_at is not None and link_visited(ambassador)
        context["checklist"] = onboarding_checklist(ambassador, latest, shared=shared)
    if ambassador and ambassador.verified_at:
        overview = overview_of(ambassador)
        context |= {
            "overview": overview,
            "chart": month_bars(overview["month_parts"]),
            "chart_narrow": month_bars(overview["month_parts"], **NARROW),
        }
    return render(request, "center/home.html", context)


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
    return render(
        request,
        "ambassadors/cancel.html",
        {"form": form, "ambassador": ambassador, "forfeit": forfeit_preview(ambassador)},
    )


@login_required
@require_POST
def api_token_create_view(request):
    """Makes a token and shows it this once: only its hash is kept."""
    name = request.POST.get("name", "").strip() or _("我的令牌")
    try:
        token, raw = api_token_create(user=request.user, name=name)
    except ValueError:
        messages.error(request, _("有效令牌已达上限，请先撤销不用的令牌。"))
        return redirect("center:account")
    return render(request, "center/api_token_created.html", {"token": token, "raw": raw})


@login_required
@require_POST
def api_token_revoke_view(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    api_token_revoke(token=token, actor=request.user)
    messages.success(request, _("令牌已撤销。"))
    return redirect("center:account")
