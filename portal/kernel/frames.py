"""Pages kept as frames: a template rendered once per process and key, with holes that each
request fills with its own values.

Django renders a template node by node on every request. On 返利订单 that walk (the layout, the
page's blocks, its kept fragments and translations) was the largest part of the page's own work
(docs/PERFORMANCE.md), for markup that is the same for every ambassador who sees the page in the
same language with the same filters. A frame is that markup, rendered once for each key and cut
at its holes; each request prints its own values into the holes (the rows, the CSRF token, the
signed-in address, the paging links), escaped as the template would have escaped them.

No one's data can be kept in a frame. It is rendered from a plain context that holds the key's
values, the page's constants and the holes, never the request, its session or its user, so all
a frame keeps is the same for everyone with its key. A value the template asks for and the frame's
context lacks renders as Django renders any missing value, empty; each framed page's tests compare
it with the page rendered in full, state by state, to catch that. Nor may a frame hold anything
that changes with time (a date, `{% now %}`): a frame prints what its first rendering printed.
"""

import re
import weakref
from dataclasses import dataclass
from functools import lru_cache
from importlib import import_module
from types import SimpleNamespace

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpResponse
from django.template.loader import get_template
from django.utils.autoreload import file_changed
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

# A hole's mark in a rendered frame. NUL is in no template's text, and the holes' values are
# printed only after the frame is cut, so no value can forge a mark.
_MARK = "\x00hole:{}\x00"
_MARKS = re.compile("\x00hole:([a-z_]+)\x00")


def hole(name):
    """What a frame's context holds where a request's value goes: a mark autoescaping keeps."""
    return mark_safe(_MARK.format(name))


class NotInFrame(Exception):
    """A template read more of an object than its frame gives. Not an AttributeError, which a
    template would swallow and print as empty: the frame's rendering fails instead."""


class Only(SimpleNamespace):
    """An object of a frame's context (the visitor, the request) that has exactly the attributes
    given, each a key's value or a hole; reading any other raises NotInFrame."""

    def __getattr__(self, name):
        raise NotInFrame(f"a frame's {type(self).__name__} has no {name!r}: add it to the key or a hole")


@dataclass(frozen=True)
class _Frame:
    texts: tuple  # the markup around the holes: one more than the holes
    holes: tuple  # each hole's name, in the order they come

    def fill(self, values):
        parts = [self.texts[0]]
        for name, text in zip(self.holes, self.texts[1:], strict=True):
            parts += (conditional_escape(values[name]), text)
        return "".join(parts)


class FramedPage:
    """`template_name` kept as frames, inside the site's layout (`FRAME_LAYOUT`, below).

    `context(**key)` makes the page's part of the context a key's frame is rendered from: the
    key's values, the page's constants, and `hole(name)` where a request's value goes.
    `response(request, key, values)` answers with the frame of the key, the layout's key and the
    active language, filled with `values` (a value for each of the page's holes) and the layout's;
    or None when the layout says this request needs the page rendered in full."""

    def __init__(self, template_name, context, *, section, max_frames=1000):
        self.template_name = template_name
        self.context = context
        self.section = section  # the layout's menu entry for the page
        # Per process: templates change with a deployment. A frame is about 8 KB here; keys past
        # the last `max_frames` (a visitor cycling through months) cost a rendering, as before frames.
        self._frame = lru_cache(maxsize=max_frames)(self._render)
        _PAGES.add(self)

    def response(self, request, key, values):
        layout = _layout()
        if layout.renders_in_full(request):
            return None
        frame = self._frame(get_language(), tuple(sorted(key.items())), tuple(sorted(layout.key(request).items())))
        return HttpResponse(frame.fill(values | layout.values(request)))

    def clear(self):
        self._frame.cache_clear()

    def _render(self, _language, key, layout_key):  # the language is part of the key; it is the active one
        context = _layout().context(section=self.section, **dict(layout_key)) | self.context(**dict(key))
        # No request: no context processors, so nothing of the visitor's reaches the frame.
        pieces = _MARKS.split(get_template(self.template_name).render(context))
        return _Frame(texts=tuple(pieces[::2]), holes=tuple(pieces[1::2]))


def _layout():
    """The module that gives the site's layout to frames (settings.FRAME_LAYOUT, named in the
    settings as context processors are): its `key(request)`, `values(request)`,
    `context(section=…, **key)` and `renders_in_full(request)`, as in portal.shell.center_frame."""
    return import_module(settings.FRAME_LAYOUT)


_PAGES = weakref.WeakSet()


@receiver(setting_changed)
def _frames_clear(**kwargs):
    """A changed setting (a test's override) can change what a template prints: frames are made again."""
    for page in _PAGES:
        page.clear()


@receiver(file_changed)
def _frames_clear_on_edit(sender, file_path, **kwargs):
    """The development server takes an edited template or translation without restarting
    (Django's `template_changed`, `translation_file_changed`): frames are made again from it too.
    Returns None, so the server's own decision to restart or not stands."""
    if file_path.suffix != ".py":
        _frames_clear()
