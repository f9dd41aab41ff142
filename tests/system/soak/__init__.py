"""The soak test of the production shape.

    .venv/bin/python -m tests.system.soak --short   # CI: about 80 s of load, under 5 minutes in all
    .venv/bin/python -m tests.system.soak --long    # `make soak`: 16 minutes of load

On 127.0.0.1 only, bounded in time and count, it starts the shape of bin/run-prod on its own
PostgreSQL database (portal_soak, recreated), Redis db 9, free ports and a temporary directory for
keys and logs: the fake Alipay gateway in this process, gunicorn with 2 workers and 2 `qcluster`
processes, DEBUG off, secrets from bin/make-env. It prepares a rule set, ambassadors and customers
through the services, then drives the whole program at once (drivers.py, billing.py) while it
kills a worker cluster and makes Alipay time out (faults.py); at the end it lets the workers
drain, reconciles until nothing is unknown, checks the database against the gateway and what it
sent (checks.py), prints the load held and the faults survived, and exits non-zero on any
violation. The database is left for inspection; the logs are kept when the soak fails.

Modules: shape.py (processes), prepare.py (data), browser.py (HTTP), billing.py (events),
drivers.py (load), faults.py (faults), checks.py (end checks), report.py (figures).
"""
