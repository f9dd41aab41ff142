"""`/healthz` answers 200 when the database and the broker answer, 503 naming the one that does not."""

import pytest
import redis

pytestmark = pytest.mark.django_db


def test_healthy(client):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-cache" in answer["Cache-Control"]


def test_a_database_that_does_not_answer_is_a_503(client, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr("portal.shell.health.connection.cursor", broken)
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json()["database"] == "unavailable"


def test_a_redis_broker_that_does_not_answer_is_a_503(client, settings, monkeypatch):
    """The real django-q2 Redis broker, pointed at a port where nothing listens."""
    from django_q.brokers.redis_broker import Redis

    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    broker = Redis.__new__(Redis)
    broker.connection = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.5)
    monkeypatch.setattr("django_q.brokers.get_broker", lambda: broker)
    answer = client.get("/healthz")
    assert answer.status_code == 503
    assert answer.json() == {"status": "unavailable", "database": "ok", "broker": "unavailable"}


@pytest.fixture
def production_hosts(settings):
    """What a production deployment sets: one public host name, HTTPS only, behind the TLS proxy."""
    settings.ALLOWED_HOSTS = ["portal.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def test_a_load_balancer_probes_by_ip_over_plain_http(client, production_hosts):
    """The probe has no host name to send and no TLS: it must still get the answer, not a redirect or a 400."""
    answer = client.get("/healthz", HTTP_HOST="10.0.0.5:8000", secure=False)
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-cache" in answer["Cache-Control"]


def test_other_pages_keep_the_host_check_and_the_https_redirect(client, production_hosts):
    assert client.get("/accounts/login/", HTTP_HOST="10.0.0.5").status_code == 400
    answer = client.get("/accounts/login/", HTTP_HOST="portal.example.com")
    assert answer.status_code == 301 and answer.url == "https://portal.example.com/accounts/login/"
    assert client.get("/healthzz", HTTP_HOST="10.0.0.5").status_code == 400
    assert client.post("/healthz", HTTP_HOST="10.0.0.5").status_code == 405
