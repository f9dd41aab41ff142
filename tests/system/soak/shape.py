"""The production shape of bin/run-prod, started by the soak on its own database, Redis db,
ports and key directory: the fake Alipay gateway in this process, gunicorn with 2 workers,
and 2 `qcluster` processes, each in its own session (setsid) so a signal reaches one cluster only.
As in run-prod, migrations run as the owner role and every process as the app role."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.alipay_fake.gateway import FakeAlipayGateway, generate_keys

ROOT = Path(__file__).resolve().parents[3]
DATABASE = "portal_soak"
REDIS_DB = 9
POSTGRES = ["-h", "127.0.0.1", "-U", "postgres"]
SUPERUSER_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
# The portal's Alipay client gives up after CLIENT_TIMEOUT; a stalled or timed-out request is
# held longer than that by the gateway, so the answer is lost as with a real timeout.
CLIENT_TIMEOUT = 3
GATEWAY_HOLD = 6


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _prod_env():
    """What `bin/make-env --prod` writes for run-prod, with fresh secrets: DEBUG off, JSON logs, ..."""
    text = subprocess.run(
        [sys.executable, "bin/make-env", "--prod"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    values = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


class Shape:
    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        self.keys = generate_keys(run_dir / "alipay")
        self.gateway = FakeAlipayGateway(self.keys, slow_seconds=GATEWAY_HOLD)
        self.port = free_port()
        self.web = None
        self.clusters = {}  # number -> Popen
        self._logs = []

    def environment(self):
        """The environment of every portal process: run-prod's, on the soak's own services."""
        return self._environment

    def start_gateway(self):
        self.gateway.start()
        prod = _prod_env()
        settings = self.keys.client_settings(gateway=self.gateway.url)
        self._environment = (
            os.environ
            | prod
            | {
                "ENV_FILE": os.devnull,  # this environment only, not a development .env
                "DJANGO_SETTINGS_MODULE": "portal.settings",
                "PYTHONUNBUFFERED": "1",
                "DATABASE_URL": _on_soak_database(prod["DATABASE_URL"]),
                "OWNER_DATABASE_URL": _on_soak_database(prod["OWNER_DATABASE_URL"]),
                "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "SECURE_SSL_REDIRECT": "false",
                "ACCOUNT_EMAIL_VERIFICATION": "none",
                "ALIPAY_APP_ID": settings["app_id"],
                "ALIPAY_GATEWAY": settings["gateway"],
                "ALIPAY_APP_PRIVATE_KEY_PATH": settings["app_private_key_path"],
                "ALIPAY_APP_CERT_PATH": settings["app_cert_path"],
                "ALIPAY_PUBLIC_CERT_PATH": settings["alipay_public_cert_path"],
                "ALIPAY_ROOT_CERT_PATH": settings["alipay_root_cert_path"],
                "ALIPAY_TIMEOUT_SECONDS": str(CLIENT_TIMEOUT),
            }
        )
        return self._environment

    # the database, the broker and the static files, as run-prod prepares them

    def manage(self, *args, capture=False, check=True, database_url=None):
        environment = self._environment | ({"DATABASE_URL": database_url} if database_url else {})
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=environment,
            check=check,
            capture_output=capture,
            text=True,
        )

    def recreate(self):
        subprocess.run(["dropdb", *POSTGRES, "--if-exists", "--force", DATABASE], check=True, capture_output=True)
        subprocess.run(["createdb", *POSTGRES, DATABASE], check=True)
        subprocess.run(["redis-cli", "-n", str(REDIS_DB), "flushdb"], check=True, capture_output=True)
        owner_url = self._environment["OWNER_DATABASE_URL"]
        roles = [_role_of(owner_url), _role_of(self._environment["DATABASE_URL"])]
        self.manage("db_roles", "--owner", roles[0], "--app", roles[1], capture=True, database_url=SUPERUSER_URL)
        self.manage("migrate", "--noinput", "-v0", database_url=owner_url)
        self.manage("setup_portal", capture=True, database_url=owner_url)
        self.manage("collectstatic", "--noinput", "-v0")

    # processes

    def _log(self, name):
        log = open(self.run_dir / f"{name}.log", "a")  # noqa: SIM115 (closed in stop())
        self._logs.append(log)
        return log

    def start_web(self):
        log = self._log("web")
        self.web = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
            + ["--bind", f"127.0.0.1:{self.port}", "--workers", "2", "portal.wsgi"],
            cwd=ROOT,
            env=self._environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if os.waitid(os.P_PID, self.web.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                self.web.wait()
                raise SystemExit(f"gunicorn exited with {self.web.returncode}; see {self.run_dir / 'web.log'}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit("gunicorn did not answer /healthz with 200 within 60 s")

    def start_cluster(self, number):
        """`manage.py qcluster` in its own session, as bin/run-prod starts it with setsid."""
        self.clusters[number] = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env=self._environment,
            stdout=self._log(f"worker{number}"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self.clusters[number].pid

    def kill_cluster(self, number):
        """SIGKILL to the whole process group of one cluster: its sentinel, pusher, workers, monitor.
        Returns the group and how many processes it had; raises if any survives."""
        process = self.clusters[number]
        members = len(_group_members(process.pid))
        os.killpg(process.pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while len(_group_members(process.pid)) > 1 and time.monotonic() < deadline:  # the leader: a zombie
            time.sleep(0.05)
        survivors = len(_group_members(process.pid)) - 1
        process.wait()
        if survivors > 0:
            raise RuntimeError(f"{survivors} processes of cluster {number} survived SIGKILL to their group")
        return process.pid, members

    def cluster_calling(self, port):
        """The number of the cluster one of whose processes has a connection open to 127.0.0.1:`port`
        (a worker waiting on the gateway), or None. Read from /proc: Linux only."""
        inodes = _connections_to(port)
        if not inodes:
            return None
        for number, process in self.clusters.items():
            if process.returncode is None and _group_sockets(process.pid) & inodes:
                return number
        return None

    def stop(self):
        """SIGTERM to gunicorn and to each cluster's main process (each stops its own children), then
        SIGKILL to whatever is left of their sessions. A leader is not reaped before its group is
        signalled, so its id cannot have been given to another process meanwhile."""
        processes = [process for process in [self.web, *self.clusters.values()] if process is not None]
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            if process.returncode is None:
                _exited_unreaped(process, timeout=40)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.gateway.stop()
        for log in self._logs:
            log.close()


def _on_soak_database(url):
    """run-prod's database URL, with the same role, on the soak's database."""
    return url.rpartition("/")[0] + "/" + DATABASE


def _role_of(url):
    """The user of postgres://user[:password]@host/db."""
    return url.partition("://")[2].partition("@")[0].partition(":")[0]


def _exited_unreaped(process, *, timeout):
    """Wait for the process to exit, leaving it a zombie (not reaped), or for the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
            return True
        time.sleep(0.1)
    return False


def _connections_to(port):
    """Socket inodes of established TCP connections to 127.0.0.1:port."""
    inodes = set()
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return inodes
    for line in lines:
        fields = line.split()
        remote, state, inode = fields[2], fields[3], fields[9]
        if state == "01" and remote == f"0100007F:{port:04X}":
            inodes.add(inode)
    return inodes


def _group_members(group):
    """The /proc directories of the processes in one process group (a zombie leader included)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The command name (field 2) may hold spaces: the fields after its closing parenthesis.
            fields = stat.read_text().rpartition(")")[2].split()
            if int(fields[2]) == group:
                members.append(stat.parent)
        except (OSError, ValueError, IndexError):
            continue
    return members


def _group_sockets(group):
    """Socket inodes held by the processes of one process group."""
    inodes = set()
    for member in _group_members(group):
        try:
            for descriptor in (member / "fd").iterdir():
                target = os.readlink(descriptor)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    return inodes
