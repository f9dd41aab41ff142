"""On PostgreSQL, ledger postings and entries can be inserted and never changed or deleted:
a balance is only ever corrected by a new posting. The function is portal's (0002)."""

from django.db import migrations

from portal.kernel.db import postgresql_only

TABLES = ("payouts_posting", "payouts_entry")

CREATE = "\n".join(
    f"""CREATE TRIGGER {table}_append_only
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION portal_append_only();"""
    for table in TABLES
)

DROP = "\n".join(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};" for table in TABLES)


class Migration(migrations.Migration):
    dependencies = [("payouts", "0001_initial"), ("portal", "0002_audit_append_only_trigger")]

    operations = [migrations.RunPython(postgresql_only(CREATE), postgresql_only(DROP))]
