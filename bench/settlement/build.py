"""The data, built once in its own database and kept for the runs (and for the next bench with the
same --rows): the engine's four orders, the bulk in their shape, checked, vacuumed."""

import json
import time

from .config import DATABASE, SETUP, TABLES, tables
from .engine import engine_orders
from .generate import generate
from .postgres import psql
from .shape import INVARIANTS, shapes_compare


def build(rows):
    """A new database with the engine's orders and the bulk; checked, VACUUM ANALYZEd and checkpointed."""
    from django.db import connection, connections

    began = time.monotonic()
    SETUP.recreate()
    SETUP.django_setup()
    tables()
    rule_set, ambassador, engine = engine_orders()
    print(f"  engine: 4 orders through the rebate engine and a settlement ({time.monotonic() - began:.0f} s)")
    plan, samples = generate(rows, rule_set, ambassador, engine["plain"])
    differences = shapes_compare(engine, samples)
    if differences:
        raise SystemExit("generated rows differ from the engine's:\n" + "\n".join(differences))
    print(
        "  shape: each generated kind of order matches the engine's rows (order, association, profile,"
        " rebate changes, postings, entries)"
    )
    with connection.cursor() as cursor:
        for label, sql in INVARIANTS.items():
            cursor.execute(sql.format(**TABLES))
            count = cursor.fetchone()[0]
            if count:
                raise SystemExit(f"{label}: {count}")
        print(f"  invariants: none of {len(INVARIANTS)} broken")
        began_vacuum = time.monotonic()
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would have by the settlement day
        cursor.execute("CHECKPOINT")
        plan["engine"] = engine
        cursor.execute(f"COMMENT ON DATABASE {DATABASE} IS %s", [json.dumps(plan)])
        print(f"  VACUUM ANALYZE and CHECKPOINT: {time.monotonic() - began_vacuum:.0f} s")
    connections.close_all()
    return plan


def reuse(rows):
    """The plan of the database built last time, if it was built with the same --rows."""
    output = psql(
        "postgres", f"SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '{DATABASE}'"
    )
    if not output:
        return None
    plan = json.loads(output)
    return plan if plan["rows"] == rows else None
