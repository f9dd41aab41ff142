"""gunicorn settings of the production shape (docs/DEPLOY.md). Each can be overridden
from the environment; `gunicorn -c gunicorn.conf.py portal.wsgi` reads this file."""

import gc
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the project, before the app is loaded
from portal.kernel.log_formats import FORMATTERS

bind = os.environ.get("BIND", "0.0.0.0:8000")
# Two per core is the usual start for synchronous Django views that wait on PostgreSQL.
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Sync workers: the views are synchronous and short; the load balancer or proxy in front
# buffers slow clients (docs/DEPLOY.md).
worker_class = "sync"
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 30  # a stopping worker finishes its request and sends its buffered clicks
keepalive = 5
# Recycle workers now and then (a guard against slow leaks), with jitter so they do not all
# restart at once. A worker answers up to ~1,500 link clicks a second, so a small figure would
# make it re-import Django every few seconds at peak.
max_requests = int(os.environ.get("MAX_REQUESTS", "100000"))
max_requests_jitter = max_requests // 10
# The app is imported once, in the master, before the workers fork: a worker recycled by
# max_requests is serving again in milliseconds instead of after importing Django again (0.56 s of
# CPU, during which the other worker took every request: docs/PERFORMANCE.md). Nothing connects to
# the database or Redis at import (tested), so no worker inherits a connection. Code is reloaded by
# a restart, not by HUP.
preload_app = True


def pre_fork(server, worker):
    """What the master imported (Django, the app, their modules and caches: over 110,000 objects)
    is moved out of the garbage collector's sight before a worker forks, as Python's `gc.freeze`
    documentation advises for a forking server. A full collection in a worker then walks only what
    the worker made itself, 2-6 ms instead of a 50-70 ms pause that every request queued behind it
    waited out (docs/PERFORMANCE.md), and the collector no longer writes to the shared pages, which
    stay shared."""
    gc.freeze()


accesslog = "-"
errorlog = "-"
# Trust X-Forwarded-* only from the proxy in front (SECURE_PROXY_SSL_HEADER_ENABLED on the Django side).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# With LOG_FORMAT=json gunicorn's own lines (start, stop, access) are JSON too, like Django's.
if os.environ.get("LOG_FORMAT") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": FORMATTERS["json"]},
        "handlers": {
            "error": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
            "access": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["error"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
        # gunicorn lays this over its defaults, whose root names a handler replaced here.
        "root": {"handlers": ["error"], "level": "INFO"},
    }
