"""返利订单's rows (`referrals.templatetags.rebate_rows`): every text escaped, the place time in
Shanghai, the product in the page's language."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from ambassadors.tests.factories import UserFactory
from referrals.models import Order, Product
from referrals.tests.rebates.test_rebate_pages import make_order

pytestmark = pytest.mark.django_db

MARKUP = '<b>"it\'s" & more</b>'
ESCAPED = "&lt;b&gt;&quot;it&#x27;s&quot; &amp; more&lt;/b&gt;"


@pytest.fixture
def order_with_markup(ambassador):
    product = Product.objects.get(code="ecs")
    product.name, product.name_en = f"云{MARKUP}", f"Cloud{MARKUP}"
    product.save()
    order = make_order(ambassador, 1)
    Order.objects.filter(pk=order.pk).update(
        billing_id=f"bill{MARKUP}",
        customer=UserFactory(email=f"a{MARKUP}@example.com"),
        placed_at=datetime(2026, 11, 30, 16, 5, 9, tzinfo=UTC),  # 00:05 on 1 December in Shanghai
    )
    return order


def _rows(client, language):
    client.cookies["django_language"] = language
    page = client.get(reverse("center:orders")).content.decode()
    return page[page.index("<tbody>") : page.index("</tbody>")]


@pytest.mark.parametrize(("language", "product"), [("zh-hans", f"云{ESCAPED}"), ("en", f"Cloud{ESCAPED}")])
def test_every_text_of_a_row_is_escaped_in_either_language(logged_in, order_with_markup, language, product):
    rows = _rows(logged_in, language)
    assert f"<code>bill{ESCAPED}</code>" in rows
    assert "<td data-label" in rows and product in rows
    assert "a***@example.com" in rows  # the mask keeps the first letter of the name only
    assert "<b>" not in rows and "it's" not in rows


def test_the_time_placed_is_shown_in_shanghai_across_midnight(logged_in, order_with_markup):
    rows = _rows(logged_in, "zh-hans")
    assert '<span class="nowrap">2026-12-01</span> <span class="nowrap">00:05</span>' in rows
