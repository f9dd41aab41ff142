"""The whole database as an operator's dump tool writes it, for tests that look for values in clear."""

import shutil
import subprocess

from django.db import connection


def database_dump():
    """pg_dump on PostgreSQL, `iterdump` on SQLite; the data must be committed
    (`django_db(transaction=True)`) for pg_dump to see it."""
    if connection.vendor == "postgresql":
        settings_dict = connection.settings_dict
        command = [shutil.which("pg_dump") or "pg_dump", "--data-only", "-h", settings_dict["HOST"] or "127.0.0.1"]
        command += ["-U", settings_dict["USER"] or "postgres", settings_dict["NAME"]]
        return subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return "\n".join(connection.connection.iterdump())
