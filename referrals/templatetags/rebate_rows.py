"""The rows of 返利订单, written in Python: the page's hottest part. One string
template per language, every text passed through `html.escape` (docs/PERFORMANCE.md:
ten template variables per row, or `format_html` per row, cost several times this).

Each cell carries its column's head as `data-label`, which labels it when rows
become cards on a phone; the heads of the table come from the same columns."""

import re
from functools import cache
from html import escape as html_escape

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from portal.kernel.bilingual import in_page_language

register = template.Library()

# (head, cell class, the cell's markup around its value or values)
COLUMNS = (
    (_("订单号"), "", "<code>{}</code>"),
    (_("下单时间"), "", '<span><span class="nowrap">{}</span> <span class="nowrap">{}</span></span>'),  # date, time
    (_("客户"), "customer", '<span><span class="nowrap">{}</span> <span class="account-number">#{}</span></span>'),
    (_("产品"), "product", "{}"),
    (_("订单金额"), "num", "¥{:,.2f}"),  # thousands apart, as `yuan_figure`
    (_("返利类型"), "", "{}"),
    (_("状态"), "", '<span class="badge badge-{}">{}</span>'),
    (_("返利"), "num", "¥{:,.2f}"),
    (_("结算日"), "nowrap", "{}"),
    (_("说明"), "note", "{}"),
)


def _attributes(css_class):
    return f' class="{css_class}"' if css_class else ""


@register.simple_tag
def rebate_heads():
    return _heads(get_language())


# The heads and the row's template depend on the language only: made once per language and process.
@cache
def _heads(language):
    return mark_safe(  # the heads are our own strings, escaped
        "<tr>"
        + "".join(
            f'<th scope="col"{_attributes(css_class)}>{escape(head)}</th>' for head, css_class, _markup in COLUMNS
        )
        + "</tr>"
    )


@cache
def _row_template(language):
    """The row's string template in `language` (the active one), braces in the heads escaped."""
    cells = "".join(
        f'<td data-label="{escape(head).replace("{", "{{").replace("}", "}}")}"{_attributes(css_class)}>{markup}</td>'
        for head, css_class, markup in COLUMNS
    )
    return f"<tr>{cells}</tr>"


_MARKUP = re.compile("[&<>\"']")


def _escape(text):
    """Django's `escape` without its lazy-text check, which costs more than the escaping on
    a row's texts: the same characters escaped alike, and a text without any returned as it is."""
    return html_escape(text) if _MARKUP.search(text) else text


def rebate_rows(rows):
    """The rows' markup. The view prints it into the page (one of the holes of the page's frame,
    portal.kernel.frames); the heads stay a tag, as they are the same for every page."""
    language = get_language()
    row = _row_template(language)
    # Texts are escaped; the rest we wrote ourselves from numbers, dates and our own slugs
    # (`_label_rows`: "2026-11-30", "14:05", "3F9A2C", "pending", Decimal amounts), which
    # hold none of the characters escaping changes.
    return mark_safe(
        "".join(
            row.format(
                _escape(order.billing_id),
                order.placed_date,
                order.placed_time,
                _escape(order.customer_mask),
                order.customer_number,
                _escape(in_page_language(order, "product_name", language)[0]),
                order.amount,
                _escape(order.type_label),
                order.rebate_status,
                _escape(order.rebate_status_label),
                order.rebate,
                _escape(order.settles_text),
                _escape(order.note),
            )
            for order in rows
        )
    )
