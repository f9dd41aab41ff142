"""The personal center's menu, written in Python: it is on every page of the center, and
as a template loop (a lookup, a comparison and a translation per entry) it cost more than
the rest of the layout."""

from functools import cache

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from portal.shell.center import SECTIONS

register = template.Library()


@register.simple_tag
def center_nav_entries(active):
    """The menu's entries, `active` (a section's slug) marked as the current page."""
    return _entries(get_language(), active)


# The entries depend on the language and the current section only: made once per pair and process.
@cache
def _entries(language, active):
    return mark_safe(  # our own titles and URLs, escaped
        "".join(
            f'<li><a href="{escape(section.url)}"{' aria-current="page"' if section.slug == active else ""}>'
            f"{escape(section.title)}</a></li>"
            for section in SECTIONS
        )
    )
