"""Talking to PostgreSQL from the outside: psql, copies of the built database, sizes, the
database's counters and a process's memory."""

import subprocess
import time
from pathlib import Path

from bench import harness

from .config import COPY, DATABASE


def psql(database, sql):
    return subprocess.run(
        ["psql", *harness.POSTGRES, "-X", "-At", "-d", database, "-c", sql], check=True, capture_output=True, text=True
    ).stdout.strip()


def copy_database():
    """A fresh copy of the built database; FILE_COPY copies the files (hint bits, statistics and all)."""
    psql("postgres", f"DROP DATABASE IF EXISTS {COPY} WITH (FORCE)")
    began = time.monotonic()
    for attempt in range(30):
        try:
            psql("postgres", f"CREATE DATABASE {COPY} TEMPLATE {DATABASE} STRATEGY FILE_COPY")
            return time.monotonic() - began
        except subprocess.CalledProcessError as error:
            if "being accessed by other users" not in error.stderr or attempt == 29:
                raise  # autovacuum may be visiting the template: wait for it
            time.sleep(2)


def database_size(database):
    return int(psql("postgres", f"SELECT pg_database_size('{database}')"))


STATS = """SELECT tup_inserted, tup_fetched, tup_returned, blks_read, blks_hit, temp_files, temp_bytes,
    pg_current_wal_lsn() FROM pg_stat_database WHERE datname = current_database()"""


def pg_stats(cursor):
    """PostgreSQL's counters for this database, this backend's included (flushed first)."""
    cursor.execute("SELECT pg_stat_force_next_flush()")
    cursor.execute("SELECT pg_stat_clear_snapshot()")
    cursor.execute(STATS)
    names = ["inserted", "fetched", "returned", "blocks_read", "blocks_hit", "temp_files", "temp_bytes", "wal"]
    return dict(zip(names, cursor.fetchone(), strict=True))


def stats_delta(cursor, before, after):
    delta = {name: after[name] - before[name] for name in after if name != "wal"}
    cursor.execute("SELECT pg_wal_lsn_diff(%s, %s)", [after["wal"], before["wal"]])
    return delta | {"wal_bytes": int(cursor.fetchone()[0])}


def kib_of(pid, field):
    """VmRSS / VmHWM of a process, in KiB (None if it cannot be read)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None
