"""Settings for the test suite: production settings with test secrets.

DATABASE_URL still chooses the database, so the same suite runs on SQLite
(`make test`) and on PostgreSQL (`.ci/run`).
"""

import os

os.environ["DEBUG"] = "false"  # tests run as production does
os.environ["ENV_FILE"] = os.devnull  # a developer's .env must not change what is tested

for name, value in {
    "SECRET_KEY": "test-secret-key-not-for-production",
    "EVENTS_SIGNING_SECRET": "test-events-signing-secret-of-32-chars-or-more",
    "PERSONAL_DATA_KEYS": "dGVzdC1wZXJzb25hbC1kYXRhLWtleS0wMDAwMDAwMDA=",
    "PERSONAL_DATA_HASH_KEY": "test-personal-data-hash-key",
    "SECURE_SSL_REDIRECT": "false",
    "ACCOUNT_EMAIL_VERIFICATION": "none",
    "TRUSTED_PROXY_COUNT": "1",  # behind the TLS proxy, as docs/DEPLOY.md requires
}.items():
    os.environ.setdefault(name, value)

from portal.settings import *  # noqa: E402,F403

STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}, "fragments": FRAGMENT_CACHE}  # noqa: F405
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}

# Tasks run in the test process, at once: an accepted event is applied before the
# API answers, so tests read its effects straight away.
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
EVENTS_KICK_SECONDS = 0
