"""The audit log is append-only, down to the database on PostgreSQL."""

import pytest
from django.db import IntegrityError, connection, transaction

from portal.kernel.models import AuditEntry

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]


@pytest.mark.parametrize(
    "sql",
    ["UPDATE portal_auditentry SET reason = 'edited' WHERE id = %s", "DELETE FROM portal_auditentry WHERE id = %s"],
)
def test_raw_sql_cannot_edit_or_delete_an_entry(sql):
    entry = AuditEntry.objects.create(action="verification.approve", target_type="t", target_id="1", reason="ok")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [entry.pk])
    entry.refresh_from_db()
    assert entry.reason == "ok"
