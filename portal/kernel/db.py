"""Database helpers shared by migrations and commands."""


def postgresql_only(sql):
    """A RunPython function that executes `sql` on PostgreSQL and nothing elsewhere.

    Triggers that guard data against raw SQL are PostgreSQL features here; on
    SQLite (the embedded demo shape) the ORM guards alone apply.
    """

    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run
