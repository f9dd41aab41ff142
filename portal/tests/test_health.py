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

    monkeypatch.setattr("portal.health.connection.cursor", broken)
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
