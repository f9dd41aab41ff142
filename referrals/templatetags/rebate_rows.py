"""The rows of 返利订单, written in Python: the page's hottest part. One string
template per row, every value passed through `escape` (docs/PERFORMANCE.md:
ten template variables per row, or `format_html` per row, cost several times this)."""

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from portal.kernel.bilingual import in_page_language

register = template.Library()

_ROW = (
    '<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td class="num">¥{}</td><td>{}</td>'
    '<td><span class="badge badge-{}">{}</span></td><td class="num">¥{}</td><td>{}</td><td>{}</td></tr>'
)


@register.simple_tag
def rebate_rows(rows):
    return mark_safe(  # every value below is escaped
        "".join(
            _ROW.format(
                *map(
                    escape,
                    (
                        order.billing_id,
                        order.placed_text,
                        in_page_language(order.product, "name")[0],
                        order.amount,
                        order.type_label,
                        order.rebate_status,
                        order.rebate_status_label,
                        order.rebate,
                        order.settles_text,
                        order.note,
                    ),
                )
            )
            for order in rows
        )
    )
