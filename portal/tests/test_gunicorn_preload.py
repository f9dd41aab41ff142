"""gunicorn imports the app once, in its master, before forking (`preload_app`, gunicorn.conf.py):
so the import must open no connection a worker would inherit, a worker recycled by
max_requests must serve again, and what the master imported is frozen out of the workers'
garbage collections."""

import gc
import runpy
import socket
import subprocess
import sys
import time
import urllib.request

from .test_settings import BASE_DIR, SECRETS, settings_environment

# Ports where nothing listens: importing the app must not try them.
NOWHERE = {"DATABASE_URL": "postgres://postgres@127.0.0.1:9/portal", "REDIS_URL": "redis://127.0.0.1:9/0"}

IMPORT_AND_COUNT_SOCKETS = """
import os, resource, stat
import portal.wsgi
from django.db import connections

def is_socket(fd):
    try:
        return stat.S_ISSOCK(os.fstat(fd).st_mode)
    except OSError:  # not an open descriptor
        return False

sockets = [fd for fd in range(resource.getrlimit(resource.RLIMIT_NOFILE)[0]) if is_socket(fd)]
opened = [alias for alias in connections if connections[alias].connection is not None]
print(len(sockets), len(opened))
"""


def production_environment(**settings):
    """portal.settings as in production: DEBUG off, its secrets, and `settings`."""
    return settings_environment(DEBUG="false", **SECRETS, **settings)


def test_importing_the_app_opens_no_connection_a_worker_would_inherit():
    ran = subprocess.run(
        [sys.executable, "-c", IMPORT_AND_COUNT_SOCKETS],
        cwd=BASE_DIR,
        env=production_environment(**NOWHERE),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["0", "0"]  # no socket open, no database connection made


def test_the_master_freezes_what_it_imported_before_each_fork():
    config = runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))
    assert gc.get_freeze_count() == 0
    try:
        config["pre_fork"](server=None, worker=None)
        # Every object the collector tracked is now in the permanent generation a worker inherits.
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_preloaded_worker_recycled_by_max_requests_serves_again(tmp_path):
    port = _free_port()
    environment = production_environment(
        DATABASE_URL=f"sqlite:///{tmp_path / 'portal.sqlite3'}",  # /healthz asks the database for SELECT 1
        REDIS_URL="",  # and the broker, which is then the database
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        MAX_REQUESTS="5",  # each worker is replaced after 5 requests (and a jitter of 5 // 10 = 0)
    )
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "portal.wsgi"],
            cwd=BASE_DIR,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        answers = [_healthz(port) for _ in range(40)]
    finally:
        server.terminate()
        # The master may wait gunicorn.conf.py's graceful_timeout (30 s) for a worker before it kills
        # it: waiting as long as that raced it (a calendar run of CI, on a busy machine).
        server.wait(timeout=60)
    log = log_path.read_text()
    assert answers == [200] * 40, log[-2000:]
    assert log.count("Autorestarting worker") >= 4, log[-2000:]  # 40 requests, 5 each: recycled workers served
    assert "Traceback" not in log and "ERROR" not in log, log[-2000:]


def _healthz(port, wait=30):
    deadline = time.monotonic() + wait
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as answer:
                return answer.status
        except OSError:  # not listening yet, or a connection closed by a worker on its way out
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
