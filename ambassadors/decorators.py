from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from . import selectors


def ambassador_required(view):
    """Logged in and joined; the view receives the ambassador after the request."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        ambassador = selectors.ambassador_of(request.user)
        if ambassador is None:
            messages.info(request, _("请先加入云大使计划。"))
            return redirect("center:home")
        return view(request, ambassador, *args, **kwargs)

    return wrapper
