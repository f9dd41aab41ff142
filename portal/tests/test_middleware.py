"""Requests refused before any view reads them."""

import pytest

from ambassadors.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/admin/referrals/event/%00/change/",  # a text primary key: PostgreSQL refused the NUL with a 500
        "/admin/django_q/success/%00/change/",
        "/admin/referrals/order/?q=%00",
        "/r/%00",
        "/r/ABCD?to=%00",
        "/center/orders/?%00=1",
    ],
)
def test_a_nul_character_in_the_url_is_a_400(client, url):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    answer = client.get(url)
    assert answer.status_code == 400 and b"NUL" in answer.content


def test_other_urls_pass(client):
    assert client.get("/healthz").status_code == 200
