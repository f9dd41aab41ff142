"""Requests refused before any view reads them."""

import pytest

from ambassadors.tests.factories import UserFactory
from referrals.models import Visit

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/admin/referrals/event/%00/change/",  # a text primary key: PostgreSQL refused the NUL with a 500
        "/admin/django_q/success/%00/change/",
        "/admin/referrals/order/?q=%00",
        "/center/orders/?%00=1",
        "/api/v1/me?x=%00",
    ],
)
def test_a_nul_character_in_the_url_is_a_400(client, url):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    answer = client.get(url)
    assert answer.status_code == 400 and b"NUL" in answer.content


def test_other_urls_pass(client):
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("url", ["/r/ab%00c", "/r/ABCD?to=%00", "/r/ABCD?to=https://example.com/%00"])
def test_the_exclusive_link_answers_every_url_alike_and_keeps_no_nul(client, url):
    """The design: every code lands the visitor; the link drops control characters itself."""
    assert client.get(url).status_code == 302
    visit = Visit.objects.get()
    assert "\x00" not in visit.code + visit.landing
