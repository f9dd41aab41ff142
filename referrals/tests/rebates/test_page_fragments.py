"""The fragments of a page kept per process (`{% cache … using="fragments" %}`) are the page as
rendered afresh, in each language and under each filter: a cached fragment never shows another
language's words or another request's choices."""

import re

import pytest
from django.core.cache import caches
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from referrals.rebates.selectors import encode_cursor

from .test_rebate_pages import make_order

pytestmark = pytest.mark.django_db

NO_FRAGMENTS = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
NO_FRAGMENTS["fragments"] = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def page(client, query, language):
    answer = client.get(reverse("center:orders"), query, headers={"accept-language": language})
    assert answer.status_code == 200
    return CSRF.sub('name="csrfmiddlewaretoken" value=""', answer.content.decode())


QUERIES = [{}, {"status": "settled"}, {"type": "renewal", "month": "2026-11"}, {"status": "invalid"}, {}]


def test_each_page_is_what_it_is_without_the_fragment_cache(logged_in, ambassador):
    make_order(ambassador, 1)
    make_order(ambassador, 2, on_hold=True)  # the notice of rebates under review
    caches["fragments"].clear()
    cached = [page(logged_in, query, language) for language in ("zh-hans", "en", "zh-hans") for query in QUERIES]
    with override_settings(CACHES=NO_FRAGMENTS):
        fresh = [page(logged_in, query, language) for language in ("zh-hans", "en", "zh-hans") for query in QUERIES]

    assert cached == fresh
    english = cached[len(QUERIES)]
    assert "Rebate orders" in english and "返利订单" not in english.split("<main", 1)[1]
    assert '<option value="settled" selected>' in cached[1] and '<option value="settled" selected>' not in cached[0]


EXPORT = re.compile(r'<a class="button secondary" href="\?([^"]*)">')


def test_the_export_link_kept_with_the_filters_is_the_filters_shown_never_a_cursor(logged_in, ambassador):
    orders = [make_order(ambassador, number) for number in range(3)]
    caches["fragments"].clear()
    cursor_query = {"status": "pending", "before": encode_cursor(orders[1]), "junk": "1"}
    month = f"{timezone.localtime(orders[0].placed_at):%Y-%m}"
    exports = [
        EXPORT.search(page(logged_in, query, "zh-hans")).group(1)
        for query in (cursor_query, {"status": "pending"}, {"type": "member_first_purchase", "month": month}, {})
    ]
    assert exports == [
        "status=pending&amp;format=csv",
        "status=pending&amp;format=csv",
        f"month={month}&amp;type=member_first_purchase&amp;format=csv",
        "format=csv",
    ]
    exported = logged_in.get(reverse("center:orders"), {"status": "pending", "format": "csv"})
    assert exported["Content-Type"].startswith("text/csv")
    sheet = b"".join(exported.streaming_content).decode()
    assert all(order.billing_id in sheet for order in orders)


def test_a_page_whose_filter_cannot_be_read_offers_no_export(logged_in, ambassador):
    make_order(ambassador, 1)
    caches["fragments"].clear()
    unreadable = logged_in.get(reverse("center:orders"), {"month": "2026-13", "status": "pending"})
    readable = logged_in.get(reverse("center:orders"), {"status": "pending"})
    assert unreadable.status_code == 400 and not EXPORT.search(unreadable.content.decode())
    assert EXPORT.search(readable.content.decode()).group(1) == "status=pending&amp;format=csv"


def test_an_empty_list_offers_no_export_and_says_whether_a_filter_emptied_it(logged_in, ambassador):
    caches["fragments"].clear()
    nothing_yet = page(logged_in, {}, "zh-hans")
    assert "还没有返利订单" in nothing_yet and "没有符合条件" not in nothing_yet and not EXPORT.search(nothing_yet)

    make_order(ambassador, 1)
    nothing_matches = page(logged_in, {"type": "renewal"}, "zh-hans")
    assert "没有符合条件的返利订单" in nothing_matches and not EXPORT.search(nothing_matches)
    assert EXPORT.search(page(logged_in, {}, "zh-hans")).group(1) == "format=csv"
    english = page(logged_in, {"type": "renewal"}, "en")
    assert "No matching rebate orders" in english and not EXPORT.search(english)
