"""Personal pages and API answers are never kept by a browser or a shared cache: `no-store`."""

import pytest
from django.urls import reverse

from ambassadors.tests.factories import BoundAmbassadorFactory
from portal.kernel.api_tokens import api_token_create
from portal.urls import center_patterns

pytestmark = pytest.mark.django_db


def no_store(answer):
    return "no-store" in answer.get("Cache-Control", "")


@pytest.fixture
def ambassador():
    return BoundAmbassadorFactory()


@pytest.mark.parametrize("pattern", center_patterns, ids=lambda pattern: pattern.name)
def test_every_personal_center_page_is_no_store(client, ambassador, pattern):
    client.force_login(ambassador.user)
    arguments = [0] * len(pattern.pattern.converters)  # someone else's, or nobody's: a 404 page
    answer = client.get(reverse(f"center:{pattern.name}", args=arguments))
    assert answer.status_code in (200, 302, 404, 405)
    assert no_store(answer), answer.get("Cache-Control")


def test_the_page_that_shows_a_new_token_once_is_no_store(client, ambassador):
    client.force_login(ambassador.user)
    answer = client.post(reverse("center:token_create"), {"name": "script"})
    assert answer.status_code == 200 and "amb_" in answer.content.decode()
    assert no_store(answer)


@pytest.mark.parametrize(
    "url", ["/api/v1/me", "/api/v1/me/overview", "/api/v1/me/rebate-orders", "/api/v1/me/customers"]
)
def test_every_api_answer_is_no_store(client, ambassador, url):
    _, raw = api_token_create(user=ambassador.user, name="script")
    assert no_store(client.get(url))  # 401
    by_token = client.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert by_token.status_code == 200 and no_store(by_token)
    client.force_login(ambassador.user)
    by_session = client.get(url)
    assert by_session.status_code == 200 and no_store(by_session)


def test_the_events_api_answers_are_no_store(client):
    answer = client.post("/api/v1/events", b"{}", content_type="application/json")
    assert answer.status_code == 401 and no_store(answer)
