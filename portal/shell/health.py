"""`GET /healthz`: can this process reach the database and the task broker?

For load balancers and orchestrators: 200 when both answer, 503 naming the one
that does not. It reads nothing personal and needs no login.

Load balancers probe each process by its IP address over plain HTTP, so the answer
is given by `HealthzMiddleware`, first in MIDDLEWARE, ahead of ALLOWED_HOSTS and
the HTTPS redirect that every other URL keeps."""

import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def _database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _broker():
    """Redis when it is the broker; otherwise the broker is the database, checked above."""
    if settings.REDIS_URL:
        from django_q.brokers import get_broker

        if not get_broker().ping():
            raise ConnectionError("the Redis broker did not answer")


@never_cache
@require_GET
def healthz(request):
    checks = {}
    for name, check in (("database", _database), ("broker", _broker)):
        try:
            check()
            checks[name] = "ok"
        except Exception as error:  # any failure is the answer, not a 500
            logger.warning("health check %s failed: %s", name, error)
            checks[name] = "unavailable"
    healthy = all(state == "ok" for state in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)


class HealthzMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == "/healthz":
            return healthz(request)
        return self.get_response(request)
