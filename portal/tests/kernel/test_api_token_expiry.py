"""API tokens expire (90 days by default) and carry a scope: `read` opens read-only methods only."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from ambassadors.tests.factories import VerifiedAmbassadorFactory
from portal.kernel.api_tokens import api_token_create
from portal.kernel.models import ApiToken

pytestmark = pytest.mark.django_db
MADE_AT = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
OVERVIEW = "/api/v1/me/overview"


def bearer(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.fixture
def ambassador():
    return VerifiedAmbassadorFactory()


@pytest.fixture
def made(ambassador):
    with time_machine.travel(MADE_AT, tick=False):
        return api_token_create(user=ambassador.user, name="script")


def test_a_token_lasts_90_days_by_default(made):
    token, _ = made
    assert token.expires_at == MADE_AT + timedelta(days=90)
    assert token.scope == "read"


def test_the_lifetime_is_a_setting(ambassador, settings):
    settings.API_TOKEN_LIFETIME_DAYS = 30
    with time_machine.travel(MADE_AT, tick=False):
        token, _ = api_token_create(user=ambassador.user, name="short")
    assert token.expires_at == MADE_AT + timedelta(days=30)


def test_a_token_opens_the_api_until_it_expires(client, made):
    token, raw = made
    with time_machine.travel(token.expires_at - timedelta(seconds=1), tick=False):
        assert client.get(OVERVIEW, **bearer(raw)).status_code == 200
    with time_machine.travel(token.expires_at, tick=False):
        answer = client.get(OVERVIEW, **bearer(raw))
    assert answer.status_code == 401
    assert answer.json() == {
        "error": "token expired on 2027-03-03 (UTC); make a new one on the account page",
        "expired_at": "2027-03-03T04:00:00+00:00",
    }


def test_a_read_token_refuses_methods_that_write(client, made):
    _, raw = made
    with time_machine.travel(MADE_AT + timedelta(days=1), tick=False):
        for method in ("post", "put", "patch", "delete"):
            answer = getattr(client, method)(OVERVIEW, **bearer(raw))
            assert answer.status_code == 403, method
            assert answer.json() == {
                "error": "this token's scope is read: it allows only GET, HEAD and OPTIONS",
                "scope": "read",
            }
        assert client.get(OVERVIEW, **bearer(raw)).status_code == 200


def test_expired_tokens_do_not_count_toward_the_limit(ambassador):
    from portal.kernel.api_tokens import MAX_ACTIVE_TOKENS

    with time_machine.travel(MADE_AT, tick=False):
        for number in range(MAX_ACTIVE_TOKENS):
            api_token_create(user=ambassador.user, name=f"t{number}")
        with pytest.raises(ValueError):
            api_token_create(user=ambassador.user, name="one too many")
    with time_machine.travel(MADE_AT + timedelta(days=90), tick=False):
        api_token_create(user=ambassador.user, name="after they expired")


def test_the_account_page_shows_scope_and_expiry(client, ambassador, made):
    def account_page(days_later):
        with time_machine.travel(MADE_AT + timedelta(days=days_later), tick=False):
            client.force_login(ambassador.user)
            return client.get(reverse("center:account")).content.decode()

    page = account_page(1)
    assert "只读" in page and "2027-03-03 12:00" in page and "已过期" not in page  # shown in Shanghai time
    assert "已过期" in account_page(90)


def test_the_new_token_page_shows_scope_and_expiry(client, ambassador):
    client.force_login(ambassador.user)
    with time_machine.travel(MADE_AT, tick=False):
        page = client.post(reverse("center:token_create"), {"name": "报表"}).content.decode()
    assert "只读" in page and "2027-03-03" in page


@pytest.mark.django_db(transaction=True)
def test_tokens_made_before_expiry_existed_get_90_days_from_the_migration(reference_data):
    before, after = ("portal", "0004_audit_target_id_length"), ("portal", "0005_api_token_expiry_and_scope")
    executor = MigrationExecutor(connection)
    executor.migrate([before])
    old = executor.loader.project_state([before]).apps
    user = old.get_model("portal", "User").objects.create(email="old@example.com")
    old.get_model("portal", "ApiToken").objects.create(user=user, name="old", prefix="amb_old", key_hash="a" * 64)

    migrated_at = datetime(2026, 12, 10, 8, 30, tzinfo=UTC)
    with time_machine.travel(migrated_at, tick=False):
        executor = MigrationExecutor(connection)
        executor.migrate([after])
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    token = ApiToken.objects.get(name="old")
    assert token.expires_at == migrated_at + timedelta(days=90)
    assert token.scope == "read"
