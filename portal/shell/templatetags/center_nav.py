"""The personal center's menu, written in Python: it is on every page of the center, and
as a template loop (a lookup, a comparison and a translation per entry) it cost more than
the rest of the layout."""

from functools import cache

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from portal.shell.center import SECTIONS

register = template.Library()


@register.simple_tag(takes_context=True)
def center_nav(context):
    """The menu: its title and entries, the current section (`active`) marked. A page outside
    the center that shares its layout gets the title alone."""
    in_center = bool(context.get("center_sections"))
    return _nav(get_language(), context.get("active") if in_center else None, in_center)


# The menu depends on the language and the current section only: made once per pair and process.
@cache
def _nav(language, active, in_center):
    title = escape(_("个人中心"))
    entries = "".join(
        f'<li><a href="{escape(section.url)}"{' aria-current="page"' if section.slug == active else ""}>'
        f"{escape(section.title)}</a></li>"
        for section in (SECTIONS if in_center else ())
    )
    return mark_safe(  # our own titles and URLs, escaped
        f'<nav class="center-nav" aria-label="{title}">\n'
        f'      <p class="center-nav-title">{title}</p>\n'
        f"      <ul>{entries}</ul>\n"
        "    </nav>"
    )
