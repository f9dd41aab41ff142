"""What every benchmark here shares: its own PostgreSQL database and Redis db,
the environment of a production-like server, and gunicorn started and stopped.

A benchmark makes one `Setup` and uses its methods; nothing else is shared."""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = ["-h", "127.0.0.1", "-U", "postgres"]


# Several people running benchmarks on one machine keep apart by environment variables: a prefix
# for each database name, one Redis db for all, and an offset added to each server's port.
def database_name(name):
    return os.environ.get("BENCH_DATABASE_PREFIX", "") + name


def redis_db(default):
    return int(os.environ.get("BENCH_REDIS_DB", default))


def port(default):
    return default + int(os.environ.get("BENCH_PORT_OFFSET", "0"))


@dataclass(frozen=True)
class Setup:
    database: str
    port: int
    redis_db: int
    signing_secret: str = "bench-events-signing-secret-of-32-chars"

    @property
    def redis_url(self):
        return f"redis://127.0.0.1:6379/{self.redis_db}"

    def environment(self, redis=True):
        """DEBUG off, persistent connections, the bench's own database and Redis db."""
        return os.environ | {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DEBUG": "false",
            "ENV_FILE": os.devnull,
            "SECRET_KEY": "bench-secret-key-" + "x" * 40,
            "EVENTS_SIGNING_SECRET": self.signing_secret,
            "PERSONAL_DATA_KEYS": "YmVuY2gta2V5LWJlbmNoLWtleS1iZW5jaC1rZXktMDA=",
            "PERSONAL_DATA_HASH_KEY": "bench",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{self.database}",
            "REDIS_URL": self.redis_url if redis else "",
            "CONN_MAX_AGE": "600",
            "SECURE_SSL_REDIRECT": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "json",
        }

    def manage(self, *args, capture=False):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.environment(),
            check=True,
            capture_output=capture,
            text=True,
        )

    def recreate(self):
        """A clean start: a new database with the migrations, an empty Redis db, the static manifest."""
        subprocess.run(["dropdb", *POSTGRES, "--if-exists", "--force", self.database], check=True)
        subprocess.run(["createdb", *POSTGRES, self.database], check=True)
        subprocess.run(["redis-cli", "-u", self.redis_url, "flushdb"], check=True, capture_output=True)
        self.manage("migrate", "-v0")
        self.manage("collectstatic", "--noinput", "-v0")

    def django_setup(self):
        """Django in the benchmark's own process too, on the bench database."""
        os.environ.update(self.environment())
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()

    def start_server(self, workers, log=None, redis=True):
        """gunicorn as production runs it (gunicorn.conf.py: sync workers, access log, recycling)
        with `workers` workers, answering once it is up. Its log goes to `log`, or nowhere."""
        server = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "portal.wsgi"],
            cwd=ROOT,
            env=self.environment(redis) | {"BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": str(workers)},
            stdout=log or subprocess.DEVNULL,
            stderr=log or subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/bench/bare", timeout=1)
                return server
            except OSError:
                time.sleep(0.1)
        server.kill()
        raise SystemExit("gunicorn did not start")

    def settle(self):
        """Wait for the requests wrk left queued when it stopped: the server answers the bare view at
        once again, so the next run does not inherit the last one's backlog."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            began = time.monotonic()
            urllib.request.urlopen(f"http://127.0.0.1:{self.port}/bench/bare", timeout=30).read()
            if time.monotonic() - began < 0.02:
                return
            time.sleep(0.2)


def stop_server(server):
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def wrk_figures(output):
    """Throughput, latency and the status counts a count_status-style Lua script prints, from wrk's output."""
    answers = re.search(r"answers: 200=(\d+) other=(\d+)(?: repeated=(\d+))?", output)
    first_other = re.search(r"first other answer: (.*)", output)
    timeouts = re.search(r"Socket errors: .*timeout (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": millis(re.search(r"50%\s+([\d.]+\w+)", output).group(1)),
        "p99": millis(re.search(r"99%\s+([\d.]+\w+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "ok": int(answers.group(1)),
        "other": int(answers.group(2)),
        "repeated": int(answers.group(3) or 0),
        "timeouts": int(timeouts.group(1)) if timeouts else 0,
        "first_other": first_other.group(1) if first_other else "",
    }


def millis(text):
    """wrk's latency figure ("850.00us", "4.20ms", "1.10s") in milliseconds."""
    value, unit = re.fullmatch(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
