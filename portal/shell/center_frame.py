"""The personal center's layout as a frame's context (`portal.kernel.frames`): what the layout
prints, from the key's values and holes, never from the request.

The layout (templates/base.html, templates/center/base.html) reads the visitor through the
context processors: their address, whether they are staff, the page's path for the language
form, the CSRF token, and any messages. In a frame, the address, the path and the token are holes
(`values` fills them), being staff is part of the key, and there are no messages: a request
that carries messages, or comes from a visitor who is not signed in, gets the page rendered in
full (`renders_in_full`). The visitor and the request are `Only` what the layout reads of them.

settings.FRAME_LAYOUT names this module: the pages kept as frames live in apps below the shell."""

from django.contrib.messages import get_messages
from django.middleware.csrf import get_token

from portal.kernel.frames import Only, hole

from .center import SECTIONS


def context(*, section, is_staff):
    """The layout's part of a frame's context, for a signed-in member on `section`'s page."""
    return {
        "center_sections": SECTIONS,
        "active": section,
        "user": Only(is_authenticated=True, is_staff=is_staff, email=hole("user_email")),
        "request": Only(get_full_path=hole("full_path")),
        "csrf_token": hole("csrf_token"),
    }


def key(request):
    return {"is_staff": request.user.is_staff}


def values(request):
    """This request's values for the layout's holes. The token is Django's, as `{% csrf_token %}`
    takes it (a fresh mask of the visitor's secret, whose cookie is then renewed)."""
    return {
        "user_email": request.user.email,
        "full_path": request.get_full_path(),
        "csrf_token": get_token(request),
    }


def renders_in_full(request):
    """Whether the page must be rendered in full: for a visitor who is not signed in (the frames
    are a member's layout), or when messages wait to be shown (counting them does not mark them
    shown)."""
    return not request.user.is_authenticated or len(get_messages(request)) > 0
