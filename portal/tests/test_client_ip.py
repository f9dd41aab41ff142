"""Behind the TLS proxy every request arrives from the proxy's address: the per-IP log-in limit
counts each client by the address the trusted proxy appended to X-Forwarded-For.

The test settings, like production's, trust one proxy (TRUSTED_PROXY_COUNT=1)."""

import pytest
from django.urls import reverse

from ambassadors.tests.factories import UserFactory
from portal.tests.test_settings import run_manage

pytestmark = pytest.mark.django_db
PROXY = "10.0.0.2"  # REMOTE_ADDR of every request: the proxy's
PASSWORD = "correct horse battery"  # the factories' password
PER_IP_LIMIT = 10  # LOGIN_FAILED_RATE_LIMIT's default: 10 failures a minute per IP


def log_in(client, *, forwarded_for, email, password):
    return client.post(
        reverse("account_login"),
        {"login": email, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def fail_per_ip_limit(client, forwarded_for):
    """Ten failures from one client, each on another account, so only the per-IP limit is used up."""
    for number in range(PER_IP_LIMIT):
        answer = log_in(client, forwarded_for=forwarded_for(number), email=f"nobody{number}@example.com", password="x")
        assert answer.status_code == 200 and "登录失败次数过多" not in answer.content.decode()


def is_throttled(answer):
    return "登录失败次数过多" in answer.content.decode()


def test_two_clients_behind_one_proxy_are_throttled_apart(client):
    staff = UserFactory(is_staff=True)
    fail_per_ip_limit(client, lambda number: "203.0.113.10")

    refused = log_in(client, forwarded_for="203.0.113.10", email=staff.email, password=PASSWORD)
    assert is_throttled(refused)
    assert "_auth_user_id" not in client.session

    answer = log_in(client, forwarded_for="203.0.113.20", email=staff.email, password=PASSWORD)
    assert answer.status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_a_spoofed_forwarded_for_entry_does_not_evade_the_limit(client):
    """The client writes what it likes before the proxy's entry; only the proxy's entry counts."""
    user = UserFactory()
    fail_per_ip_limit(client, lambda number: f"198.51.100.{number}, 203.0.113.10")

    answer = log_in(client, forwarded_for="198.51.100.99, 203.0.113.10", email=user.email, password=PASSWORD)
    assert is_throttled(answer)
    assert "_auth_user_id" not in client.session


def test_a_request_that_passed_fewer_proxies_than_trusted_is_refused_not_a_500(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    user = UserFactory()
    answer = log_in(client, forwarded_for="203.0.113.10", email=user.email, password=PASSWORD)
    assert answer.status_code == 403
    assert "_auth_user_id" not in client.session


def test_the_trusted_proxy_count_comes_from_the_environment():
    def configured(**environment):
        code = "from django.conf import settings; print(settings.ALLAUTH_TRUSTED_PROXY_COUNT)"
        result = run_manage("shell", "--no-imports", "-c", code, DEBUG="true", **environment)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert configured() == "0"  # clients reach the portal directly: X-Forwarded-For is not believed
    assert configured(TRUSTED_PROXY_COUNT="1") == "1"
