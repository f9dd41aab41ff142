"""Configuration comes from the environment; production refuses to start without secrets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal import settings as portal_settings

BASE_DIR = Path(portal_settings.BASE_DIR)
SECRETS = {
    "SECRET_KEY": "a" * 60 + "-production-secret-key-for-the-check",
    "EVENTS_SIGNING_SECRET": "events-secret",
    "PERSONAL_DATA_KEYS": "dGVzdC1wZXJzb25hbC1kYXRhLWtleS0wMDAwMDAwMDA=",
    "PERSONAL_DATA_HASH_KEY": "hash-key",
}


def run_manage(*args, **environment):
    # Start from the real environment without what the test settings put in it.
    injected = {*SECRETS, "DEBUG", "DJANGO_SETTINGS_MODULE", "SECURE_SSL_REDIRECT", "ACCOUNT_EMAIL_VERIFICATION"}
    injected.add("DJANGO_ALLOW_ASYNC_UNSAFE")  # set for the browser tests
    clean = {name: value for name, value in os.environ.items() if name not in injected}
    clean |= {"ENV_FILE": os.devnull, "DJANGO_SETTINGS_MODULE": "portal.settings"} | environment
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=clean, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("missing", sorted(SECRETS))
def test_production_refuses_to_start_without_each_secret(missing):
    present = {name: value for name, value in SECRETS.items() if name != missing}
    result = run_manage("check", DEBUG="false", ALLOWED_HOSTS="portal.example.com", **present)
    assert result.returncode != 0
    assert "secrets are not set: " + missing in result.stderr


def test_development_starts_with_fake_secrets():
    assert run_manage("check", DEBUG="true").returncode == 0


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", DEBUG="false", **SECRETS)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_env_example_lists_every_secret():
    listed = (BASE_DIR / ".env.example").read_text()
    for name in [*SECRETS, "DEBUG", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "TRUSTED_PROXY_COUNT"]:
        assert f"{name}=" in listed
