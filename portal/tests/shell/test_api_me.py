"""GET /api/v1/me: the account's id, email and program state."""

import pytest
from django.utils import timezone

from ambassadors.tests.factories import AmbassadorFactory, BoundAmbassadorFactory, VerifiedAmbassadorFactory

pytestmark = pytest.mark.django_db


def test_anonymous_callers_get_401_json(client):
    answer = client.get("/api/v1/me")
    assert answer.status_code == 401
    assert answer.json() == {"error": "authentication required"}


def test_only_get_is_allowed(client, user):
    client.force_login(user)
    assert client.post("/api/v1/me").status_code == 405


@pytest.mark.parametrize(
    ("make", "state"),
    [
        (None, "not_joined"),
        (AmbassadorFactory, "pending_verification"),
        (VerifiedAmbassadorFactory, "verified"),
        (BoundAmbassadorFactory, "bound"),
        (lambda: BoundAmbassadorFactory(cancelled_at=timezone.now()), "cancelled"),
    ],
)
def test_program_state(client, user, make, state):
    account = make().user if make else user
    client.force_login(account)
    assert client.get("/api/v1/me").json() == {
        "id": str(account.uid),
        "email": account.email,
        "program_state": state,
    }


def test_the_id_is_the_stable_public_uid_not_the_primary_key(client, user):
    client.force_login(user)
    body = client.get("/api/v1/me").json()
    assert body["id"] != str(user.pk)
    user.refresh_from_db()
    assert body["id"] == str(user.uid)
