"""The admin has no password form of its own: staff log in through allauth's throttled
log-in like everyone else (docs/SECURITY.md). Django's admin login form would take
unlimited guesses of a staff password from anyone with an account."""

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def admin_login(request, extra_context=None):
    """Anonymous: to the portal's log-in, coming back here. Staff: on to the admin.
    Logged in without staff status: 403, with no password form to guess at."""
    next_url = request.GET.get("next") or resolve_url("admin:index")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = resolve_url("admin:index")
    if not request.user.is_authenticated:
        return redirect_to_login(next_url, resolve_url("account_login"))
    if request.user.is_active and request.user.is_staff:
        return redirect(next_url)
    raise PermissionDenied("not staff")
