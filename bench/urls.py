from django.http import HttpResponse
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns


def bare(request):
    """The baseline: Django's whole middleware stack and nothing else."""
    return HttpResponse("ok")


urlpatterns = [path("bench/bare", bare), *portal_urlpatterns]
