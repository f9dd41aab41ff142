"""Pages of the personal center that compose the apps, and the read-only API."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render

from ambassadors import selectors as ambassador_selectors

from .center import SECTIONS_BY_SLUG


@login_required
def home(request):
    ambassador = ambassador_selectors.ambassador_of(request.user)
    latest = ambassador_selectors.latest_verification_of(ambassador) if ambassador else None
    return render(request, "center/home.html", {"ambassador": ambassador, "latest_verification": latest})


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
