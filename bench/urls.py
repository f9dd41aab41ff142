from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from portal.urls import urlpatterns as portal_urlpatterns

# The table bare_event_store writes to; bench/events_ingest.py creates it with raw SQL.
RAW_EVENTS_TABLE = "bench_raw_event"


def bare(request):
    """The baseline: Django's whole middleware stack and nothing else."""
    return HttpResponse("ok")


def bare_user(request):
    """The bare view plus what any logged-in page pays first: the session and the user loaded."""
    return HttpResponse("ok" if request.user.is_authenticated else "anonymous")


@csrf_exempt
@require_POST
def bare_event_store(request):
    """The baseline of the events API: store the raw body, one INSERT in a transaction, answer 200."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {RAW_EVENTS_TABLE} (body) VALUES (%s)", [request.body])
    return JsonResponse({"stored": True})


urlpatterns = [
    path("bench/bare", bare),
    path("bench/bare-user", bare_user),
    path("bench/raw-event", bare_event_store),
    *portal_urlpatterns,
]
