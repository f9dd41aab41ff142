"""LOG_FORMAT=json: every line Django and gunicorn write is one JSON object with a UTC time."""

import io
import json
import logging
import logging.config
import runpy
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from portal.kernel.log_formats import FORMATTERS

GUNICORN_CONF = Path(__file__).resolve().parents[3] / "gunicorn.conf.py"


def _logged_line(formatter_config, message):
    """One record through a handler of its own, the formatter built as dictConfig builds it
    (without reconfiguring the test run's logging)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.config.DictConfigurator({}).configure_formatter(dict(formatter_config)))
    logger = logging.getLogger("log-format-test")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(message)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_json_line_carries_level_logger_process_message_and_utc_time():
    line = _logged_line(FORMATTERS["json"], "提现 W000000000042 已到账")

    record = json.loads(line)
    assert record["level"] == "WARNING"
    assert record["logger"] == "log-format-test"
    assert isinstance(record["process"], int)
    assert record["message"] == "提现 W000000000042 已到账"  # not \\u escapes
    assert datetime.fromisoformat(record["time"]).utcoffset().total_seconds() == 0
    assert line.count("\n") == 1


def _gunicorn_settings(monkeypatch, log_format):
    if log_format is None:
        monkeypatch.delenv("LOG_FORMAT", raising=False)
    else:
        monkeypatch.setenv("LOG_FORMAT", log_format)
    return runpy.run_path(str(GUNICORN_CONF))


# gunicorn's own logger set up from gunicorn.conf.py, as the arbiter does, in a process of its own
# (setting it up reconfigures logging), writing a start line and an access line.
GUNICORN_LINES = """
import datetime, runpy, sys
from gunicorn.config import Config
from gunicorn.glogging import Logger

config = Config()
for name, value in runpy.run_path(sys.argv[1]).items():  # as gunicorn reads a config file
    if name in config.settings:
        config.set(name, value)
log = Logger(config)
log.info("Listening at: http://127.0.0.1:8000")
response = type("Response", (), {"status": "200 OK", "response_length": 2, "headers": [], "sent": 2})()
environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/healthz", "PATH_INFO": "/healthz", "QUERY_STRING": "",
           "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1"}
log.access(response, [], environ, datetime.timedelta(milliseconds=3))
"""


def test_gunicorn_writes_json_lines_when_django_does(monkeypatch):
    monkeypatch.setenv("LOG_FORMAT", "json")
    ran = subprocess.run(
        [sys.executable, "-c", GUNICORN_LINES, str(GUNICORN_CONF)], capture_output=True, text=True, timeout=60
    )

    assert ran.returncode == 0, ran.stderr
    (start,) = [json.loads(line) for line in ran.stderr.splitlines()]
    (access,) = [json.loads(line) for line in ran.stdout.splitlines()]
    assert (start["logger"], start["message"]) == ("gunicorn.error", "Listening at: http://127.0.0.1:8000")
    assert access["logger"] == "gunicorn.access"
    assert '"GET /healthz HTTP/1.1" 200' in access["message"]
    assert datetime.fromisoformat(access["time"]).utcoffset().total_seconds() == 0


@pytest.mark.parametrize("log_format", [None, "plain"])
def test_gunicorn_keeps_its_own_format_otherwise(monkeypatch, log_format):
    assert "logconfig_dict" not in _gunicorn_settings(monkeypatch, log_format)
