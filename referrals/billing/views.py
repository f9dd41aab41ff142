"""JSON endpoints: the billing platform's events API (DESIGN.md)."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .schema import EventInvalid, parse_event
from .services import event_accept, signature_valid


@csrf_exempt  # machine to machine: authenticated by the HMAC signature instead
@require_POST
def events(request):
    """POST /api/v1/events."""
    raw_body = request.body
    if not signature_valid(request.headers.get("Portal-Signature"), raw_body):
        return JsonResponse(
            {"errors": [{"field": "Portal-Signature", "message": "missing, stale or wrong"}]}, status=401
        )
    try:
        envelope = parse_event(raw_body)
    except EventInvalid as invalid:
        return JsonResponse({"errors": invalid.errors}, status=400)
    try:
        status, answer = event_accept(envelope, raw_body)
    except EventInvalid as invalid:
        return JsonResponse({"errors": invalid.errors}, status=400)
    return JsonResponse(answer, status=status)
