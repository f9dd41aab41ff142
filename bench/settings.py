"""Production settings plus the bench's own URLs (a bare view to compare with)."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
