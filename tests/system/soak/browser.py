"""A small HTTP client for the soak: one `Browser` per visitor, with its own cookies and its own
loopback source address, and one `Stats` that every request is counted in.

The portal runs with DEBUG off, so its cookies are Secure and a standard cookie jar would not
send them back over plain HTTP on 127.0.0.1: the browser keeps them itself and sends the Cookie
header. Each visitor comes from its own address in 127.0.1.0/24 (still this machine's loopback),
as real visitors come from their own addresses, so allauth's per-IP limits (20 sign-ups and
30 log-ins a minute) apply per visitor as they do in production."""

import http.client
import itertools
import re
import socket
import statistics
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass

CONNECTION_ERROR = "connection error"
TIMEOUT = "timeout"
_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass(frozen=True)
class Answer:
    status: int | str  # the HTTP status, or CONNECTION_ERROR / TIMEOUT
    headers: dict
    text: str

    @property
    def location(self):
        return self.headers.get("location", "")

    def csrf_token(self):
        found = _CSRF_INPUT.search(self.text)
        return found.group(1) if found else ""


class Stats:
    """Requests by kind: statuses, latencies, and which statuses were unexpected."""

    def __init__(self):
        self._lock = threading.Lock()
        self.statuses = defaultdict(Counter)  # kind -> status -> count
        self.latencies = defaultdict(list)  # kind -> seconds
        self.unexpected = defaultdict(Counter)  # kind -> status -> count
        self.first_unexpected = {}  # kind -> a short description of the first one

    def record(self, kind, status, seconds, *, expected, detail=""):
        with self._lock:
            self.statuses[kind][status] += 1
            self.latencies[kind].append(seconds)
            if status not in expected:
                self.unexpected[kind][status] += 1
                self.first_unexpected.setdefault(kind, f"{status}: {detail[:300]}")

    def table(self, seconds):
        """Rows of (kind, requests, req/s, p50 ms, p99 ms, statuses, unexpected) for the report."""
        rows = []
        with self._lock:
            for kind in sorted(self.statuses):
                latencies = sorted(self.latencies[kind])
                count = len(latencies)
                p50 = statistics.median(latencies) * 1000 if latencies else 0
                p99 = latencies[min(count - 1, int(count * 0.99))] * 1000 if latencies else 0
                statuses = ", ".join(f"{status}: {n}" for status, n in sorted(self.statuses[kind].items(), key=str))
                unexpected = sum(self.unexpected[kind].values())
                rows.append((kind, count, count / seconds, p50, p99, statuses, unexpected))
        return rows

    def total_unexpected(self):
        with self._lock:
            return {kind: dict(counts) for kind, counts in self.unexpected.items() if counts}


def _loopback_addresses():
    """127.0.1.1–127.0.1.250 when this machine lets a socket bind them (Linux does), else 127.0.0.1."""
    try:
        with socket.socket() as probe:
            probe.bind(("127.0.1.1", 0))
    except OSError:
        return ["127.0.0.1"]
    return [f"127.0.1.{n}" for n in range(1, 251)]


_ADDRESSES = itertools.cycle(_loopback_addresses())
_ADDRESS_LOCK = threading.Lock()


def next_address():
    with _ADDRESS_LOCK:
        return next(_ADDRESSES)


class Browser:
    """One visitor: cookies kept across requests, one source address, no redirects followed."""

    def __init__(self, port, stats, *, source="127.0.0.1", timeout=30.0):
        self.port = port
        self.stats = stats
        self.source = source
        self.timeout = timeout
        self.cookies = {}

    def get(self, path, *, kind, expected=(200,), headers=None):
        return self.request("GET", path, kind=kind, expected=expected, headers=headers)

    def post_form(self, path, fields, *, kind, expected=(302,)):
        from urllib.parse import urlencode

        body = urlencode(fields).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.request("POST", path, body=body, kind=kind, expected=expected, headers=headers)

    def request(self, method, path, *, kind, expected, body=None, headers=None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=self.timeout, source_address=(self.source, 0)
        )
        started = time.monotonic()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except TimeoutError as error:
            self.stats.record(kind, TIMEOUT, time.monotonic() - started, expected=expected, detail=str(error))
            return Answer(TIMEOUT, {}, "")
        except (OSError, http.client.HTTPException) as error:
            detail = f"{type(error).__name__}: {error}"
            self.stats.record(kind, CONNECTION_ERROR, time.monotonic() - started, expected=expected, detail=detail)
            return Answer(CONNECTION_ERROR, {}, "")
        finally:
            connection.close()
        for header in response.msg.get_all("Set-Cookie") or []:
            self._keep(header)
        answer = Answer(response.status, {name.lower(): value for name, value in response.getheaders()}, text)
        detail = f"{method} {path} -> {answer.location or text[:300]}"
        self.stats.record(kind, response.status, time.monotonic() - started, expected=expected, detail=detail)
        return answer

    def _keep(self, header):
        """Keep or forget one Set-Cookie, as a browser would (Django deletes with Max-Age=0)."""
        first, *attributes = header.split(";")
        name, _, value = first.strip().partition("=")
        if any(attribute.strip().lower() == "max-age=0" for attribute in attributes):
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value
