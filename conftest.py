"""Fixtures for the whole suite: browser launch, caches, common accounts."""

import os
from datetime import datetime

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache

from ambassadors.tests.factories import AmbassadorFactory, UserFactory, VerifiedAmbassadorFactory

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

# `PORTAL_TEST_NOW=2027-02-28T23:58:00+08:00 make test` runs the whole suite with the clock
# starting at that moment and ticking on, so a test that leans on today's date fails on the
# day it would fail in CI (docs/TESTING.md). The database server's own clock is not moved.
PORTAL_TEST_NOW = os.environ.get("PORTAL_TEST_NOW")


def pytest_configure(config):
    if PORTAL_TEST_NOW:
        start = datetime.fromisoformat(PORTAL_TEST_NOW)
        if start.tzinfo is None:
            raise pytest.UsageError(f"PORTAL_TEST_NOW needs a UTC offset: {PORTAL_TEST_NOW!r}")
        config._portal_clock = time_machine.travel(start, tick=True)
        config._portal_clock.start()


def pytest_report_header(config):
    if PORTAL_TEST_NOW:
        return f"clock: PORTAL_TEST_NOW={PORTAL_TEST_NOW} (ticking)"


def pytest_collection_modifyitems(config, items):
    """Tests of the production shape's services are deselected, not skipped,
    where those services are not configured.

    `make test` runs on SQLite alone; `.ci/run` runs the suite again on
    PostgreSQL with REDIS_TEST_URL set, where these run too.
    """
    from django.db import connection

    unavailable = set()
    if connection.vendor != "postgresql":
        unavailable.add("postgresql")
    if not os.environ.get("REDIS_TEST_URL"):
        unavailable.add("redis")
    selected, deselected = [], []
    for item in items:
        needs = {marker.name for marker in item.iter_markers()} & {"postgresql", "redis"}
        (deselected if needs & unavailable else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.fixture(scope="session")
def browser_type_launch_args():
    """Debian's Chromium: Playwright's own browser download cannot run here."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make browser` or set CHROMIUM_PATH.")
    return {
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(autouse=True)
def _default_language():
    """A request in English leaves English active in the test's thread (LocaleMiddleware
    activates, nothing deactivates); each test starts and ends in the default language."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate limits live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def ambassador(db):
    return AmbassadorFactory()


@pytest.fixture
def verified_ambassador(db):
    return VerifiedAmbassadorFactory()


@pytest.fixture
def reference_data(transactional_db):
    """The catalogue and historical rule sets that a data migration ships.

    A transactional test flushes the database afterwards, taking migration
    data with it; tests that run after one and need it load it again here.
    """
    import importlib

    from django.apps import apps

    importlib.import_module("referrals.migrations.0004_historical_rule_sets").load(apps, None)
    importlib.import_module("referrals.migrations.0019_english_for_staff_content").load(apps, None)
