"""JSON endpoints: the billing platform's events API (its contract: docs/ARCHITECTURE.md)."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .schema import EventInvalid, parse_event
from .selectors import event_status
from .services import event_accept, signature_valid


def _refused():
    return JsonResponse({"errors": [{"field": "Portal-Signature", "message": "missing, stale or wrong"}]}, status=401)


@csrf_exempt  # machine to machine: authenticated by the HMAC signature instead
@require_POST
def events(request):
    """POST /api/v1/events."""
    raw_body = request.body
    if not signature_valid(request.headers.get("Portal-Signature"), raw_body):
        return _refused()
    try:
        envelope = parse_event(raw_body)
    except EventInvalid as invalid:
        return JsonResponse({"errors": invalid.errors}, status=400)
    try:
        status, answer = event_accept(envelope, raw_body)
    except EventInvalid as invalid:
        return JsonResponse({"errors": invalid.errors}, status=400)
    return JsonResponse(answer, status=status)


@require_GET
def event(request, event_id):
    """GET /api/v1/events/<id>: what became of an event.

    Signed like a POST, with `GET <id>` in place of the body, so a signature
    reads one event only and can never pass for an event's body (a JSON object).
    The signature is checked first: without it, nothing says whether the id exists."""
    if not signature_valid(request.headers.get("Portal-Signature"), f"GET {event_id}".encode()):
        return _refused()
    answer = event_status(event_id)
    if answer is None:
        return JsonResponse({"errors": [{"field": "id", "message": "no event has this id"}]}, status=404)
    return JsonResponse(answer)
