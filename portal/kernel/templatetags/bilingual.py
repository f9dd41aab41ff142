from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from portal.kernel.bilingual import in_page_language

register = template.Library()


@register.simple_tag
def staff_text(obj, field):
    """The field in the page's language; Chinese standing in for English is marked "中文"."""
    text, chinese_only = in_page_language(obj, field)
    if chinese_only:
        return format_html(
            '<span lang="zh-Hans">{}</span> <span class="lang-marker" title="{}">中文</span>',
            text,
            _("暂无英文版本"),
        )
    return text
