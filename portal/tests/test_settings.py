"""Configuration comes from the environment; production refuses to start without secrets, or with
weak or published ones."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal import settings as portal_settings

BASE_DIR = Path(portal_settings.BASE_DIR)
SECRETS = {
    "SECRET_KEY": "a" * 60 + "-production-secret-key-for-the-check",
    "EVENTS_SIGNING_SECRET": "e" * 32,
    "PERSONAL_DATA_KEYS": "dGVzdC1wZXJzb25hbC1kYXRhLWtleS0wMDAwMDAwMDA=",
    "PERSONAL_DATA_HASH_KEY": "hash-key",
}


def settings_environment(**environment):
    """The real environment without what the test settings put in it, then `environment`, for a
    process that reads portal.settings."""
    injected = {*SECRETS, "DEBUG", "DJANGO_SETTINGS_MODULE", "SECURE_SSL_REDIRECT", "ACCOUNT_EMAIL_VERIFICATION"}
    injected |= {"TRUSTED_PROXY_COUNT", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # the proxy; the browser tests
    clean = {name: value for name, value in os.environ.items() if name not in injected}
    return clean | {"ENV_FILE": os.devnull, "DJANGO_SETTINGS_MODULE": "portal.settings"} | environment


def run_manage(*args, **environment):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=settings_environment(**environment),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_production_refuses_to_start_without_each_secret(missing):
    present = {name: value for name, value in SECRETS.items() if name != missing}
    result = run_manage("check", DEBUG="false", ALLOWED_HOSTS="portal.example.com", **present)
    assert result.returncode != 0
    assert "secrets are not set: " + missing in result.stderr


PUBLISHED = {
    "SECRET_KEY": portal_settings._SECRETS["SECRET_KEY"],
    "EVENTS_SIGNING_SECRET": portal_settings._SECRETS["EVENTS_SIGNING_SECRET"],
    # The development key kept as an old key beside a new one is still published.
    "PERSONAL_DATA_KEYS": "bmV3LXByb2R1Y3Rpb24ta2V5LW5ldy1wcm9kdWN0aW9uLTA=,"
    + portal_settings._SECRETS["PERSONAL_DATA_KEYS"],
    "PERSONAL_DATA_HASH_KEY": portal_settings._SECRETS["PERSONAL_DATA_HASH_KEY"],
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_production_refuses_the_development_secrets(name):
    result = run_manage("check", DEBUG="false", ALLOWED_HOSTS="portal.example.com", **SECRETS | {name: PUBLISHED[name]})
    assert result.returncode != 0
    assert "secrets are weak or published: " + name in result.stderr


def test_production_refuses_an_events_signing_secret_shorter_than_32_characters():
    short = run_manage("check", DEBUG="false", **SECRETS | {"EVENTS_SIGNING_SECRET": "e" * 31})
    assert short.returncode != 0
    assert "EVENTS_SIGNING_SECRET is shorter than 32 characters" in short.stderr
    assert run_manage("check", DEBUG="false", **SECRETS | {"EVENTS_SIGNING_SECRET": "e" * 32}).returncode == 0


def test_development_starts_with_fake_secrets_and_no_warning():
    result = run_manage("check", "--fail-level", "WARNING", DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="false", **SECRETS)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_env_example_lists_every_secret():
    listed = (BASE_DIR / ".env.example").read_text()
    for name in [*SECRETS, "DEBUG", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "TRUSTED_PROXY_COUNT"]:
        assert f"{name}=" in listed


@pytest.mark.parametrize(("setting", "threshold"), [("", "5"), ("true", "5"), ("false", "None")])
def test_statements_are_prepared_on_postgresql_unless_turned_off(setting, threshold):
    environment = {"DATABASE_PREPARED_STATEMENTS": setting} if setting else {}
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS']['prepare_threshold'])",
        DEBUG="true",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/unused",
        **environment,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == threshold
