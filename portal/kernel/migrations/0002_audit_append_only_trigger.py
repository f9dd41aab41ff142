"""On PostgreSQL, audit entries can be inserted and never changed or deleted."""

from django.db import migrations

from portal.kernel.db import postgresql_only

CREATE = r"""
CREATE OR REPLACE FUNCTION portal_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '%: rows are append-only', TG_TABLE_NAME USING ERRCODE = 'check_violation';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER portal_auditentry_append_only
    BEFORE UPDATE OR DELETE ON portal_auditentry
    FOR EACH ROW EXECUTE FUNCTION portal_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS portal_auditentry_append_only ON portal_auditentry;
DROP FUNCTION IF EXISTS portal_append_only();
"""



class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]

    operations = [migrations.RunPython(postgresql_only(CREATE), postgresql_only(DROP))]
