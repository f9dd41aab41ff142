"""Running calls at the same moment, each in its own thread and database connection
(concurrency tests on PostgreSQL)."""

import threading

from django.db import connection


def run_together(*calls):
    """Start every call at once, each in its own thread and connection."""
    barrier = threading.Barrier(len(calls))
    errors = []

    def run(call):
        try:
            barrier.wait()
            call()
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [], errors
