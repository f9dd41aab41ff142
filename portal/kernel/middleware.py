"""What holds for whole parts of the site, whatever view answers: requests refused before any
view reads them, and response headers."""

from django.http import HttpResponseBadRequest
from django.utils.cache import add_never_cache_headers


def null_characters_welcome(view):
    """Marks a view that answers every URL alike and cleans what it keeps itself, so a NUL in its
    URL is its to handle (the exclusive link: every code gets the same 302)."""
    view.null_characters_welcome = True
    return view


class NullCharactersRefusedMiddleware:
    """A NUL character has no place in a URL: refused with 400 before the view can hand it to the
    database, where PostgreSQL cannot store it in text and answers with an error (a 500: an
    admin's object id with a text primary key, say). Form fields refuse it themselves (Django's
    ProhibitNullCharactersValidator); paths and query strings reach views unchecked."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view, view_args, view_kwargs):
        if getattr(view, "null_characters_welcome", False):
            return None
        if "\x00" in request.path or any("\x00" in key + "".join(values) for key, values in request.GET.lists()):
            return HttpResponseBadRequest("The URL contains a NUL character.", content_type="text/plain")
        return None


# The personal center shows one person's money and identity (masked); the API the same as JSON,
# and one page shows a new API token in clear. No browser history or shared cache may keep them.
PRIVATE_PREFIXES = ("/center/", "/api/")


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info.startswith(PRIVATE_PREFIXES):
            add_never_cache_headers(response)  # no-store, no-cache, must-revalidate, private
        return response
