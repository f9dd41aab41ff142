"""Requests refused before any view reads them."""

from django.http import HttpResponseBadRequest


def null_characters_refused(get_response):
    """A NUL character has no place in a URL: refused with 400 before a view can hand it to the
    database, where PostgreSQL cannot store it in text and answers with an error (a 500). Form
    fields refuse it themselves (Django's ProhibitNullCharactersValidator); paths and query
    strings reach views that look rows up by them (an admin's object id, a link code)."""

    def middleware(request):
        if "\x00" in request.path or any("\x00" in key + "".join(values) for key, values in request.GET.lists()):
            return HttpResponseBadRequest("The URL contains a NUL character.", content_type="text/plain")
        return get_response(request)

    return middleware
