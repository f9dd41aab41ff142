"""Onboarding pages of the personal center: join, verify, bind Alipay, account, cancel."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.kernel.errors import PortalError
from portal.kernel.throttle import attempt_count, attempts_exceeded

from . import selectors, services
from .decorators import ambassador_required
from .forms import AlipayBindForm, VerificationForm
from .models import Verification
from .onboarding import onboarding_status, review_notice

# Refused binding attempts allowed per hour: the refusal must not become a way
# to test which Alipay accounts are bound.
BIND_ATTEMPTS = 5


def _apply(request, action, success_message):
    """Run a service; show its refusal as a message instead of an error page."""
    try:
        result = action()
    except PortalError as refusal:
        messages.error(request, refusal.message)
        return None
    messages.success(request, success_message)
    return result


@login_required
@require_POST
def join(request):
    _apply(request, lambda: services.ambassador_join(user=request.user), _("欢迎加入云大使！下一步：实名认证。"))
    return redirect("center:home")


@ambassador_required
def verify(request, ambassador):
    pending = selectors.verifications_of(ambassador).filter(status=Verification.Status.SUBMITTED).first()
    if ambassador.verified_at or pending:
        return redirect("center:account")
    form = VerificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        submitted = _apply(
            request,
            lambda: services.verification_submit(ambassador=ambassador, **form.cleaned_data),
            _("已提交实名认证，审核结果会显示在“账号”页。"),
        )
        if submitted:
            return redirect("center:account")
    return render(request, "ambassadors/verify.html", {"form": form, "ambassador": ambassador})


@ambassador_required
def verification_detail(request, ambassador, pk):
    verification = get_object_or_404(selectors.verifications_of(ambassador), pk=pk)
    return render(request, "ambassadors/verification_detail.html", {"verification": verification})


@ambassador_required
def alipay_bind(request, ambassador):
    if ambassador.alipay_bound_at:
        return redirect("center:account")
    if not ambassador.verified_at:
        messages.info(request, _("请先完成实名认证，再绑定支付宝。"))
        return redirect("center:account")
    form = AlipayBindForm(request.POST or None, masked_name=ambassador.masked_legal_name)
    throttle_key = f"alipay-bind-refused:{ambassador.pk}"
    if request.method == "POST" and attempts_exceeded(throttle_key, limit=BIND_ATTEMPTS):
        messages.error(request, _("尝试次数过多，请一小时后再试。"))
    elif request.method == "POST" and form.is_valid():
        bound = _apply(
            request,
            lambda: services.alipay_bind(
                ambassador=ambassador,
                account=form.cleaned_data["account"],
                holder_confirmed=form.cleaned_data["holder_confirmed"],
            ),
            _("支付宝账号已绑定，返利将提现到该账号。"),
        )
        if bound:
            return redirect("center:account")
        attempt_count(throttle_key, window_seconds=3600)  # refused: counts toward the limit
    return render(request, "ambassadors/alipay_bind.html", {"form": form, "ambassador": ambassador})


@login_required
def account(request):
    ambassador = selectors.ambassador_of(request.user)
    verifications = list(selectors.verifications_of(ambassador)) if ambassador else []
    latest = verifications[0] if verifications else None
    tokens = request.user.api_tokens.filter(revoked_at__isnull=True)
    return render(
        request,
        "ambassadors/account.html",
        {
            "ambassador": ambassador,
            "status": onboarding_status(ambassador, latest) if ambassador else None,
            "notice": review_notice(ambassador, latest) if ambassador else None,
            "verifications": verifications,
            "tokens": tokens,
            "now": timezone.now(),
            "token_lifetime_days": settings.API_TOKEN_LIFETIME_DAYS,
        },
    )
