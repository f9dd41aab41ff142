"""Two PostgreSQL roles: an owner, which migrations run as, and the app's, which the web and
worker processes run as (docs/DEPLOY.md, docs/SECURITY.md).

Only a table's owner can `ALTER TABLE ... DISABLE TRIGGER`, drop a trigger or replace its
function, so the triggers that keep the ledger, the audit log and the binding unchangeable hold
against the app's own connection only if the app does not own them. The app role gets exactly
SELECT, INSERT, UPDATE and DELETE on the tables and the use of their sequences, now and (by
default privileges) for every table the owner creates later.

This module is the one place the roles are set up: `manage.py db_roles` runs it, and so does its
test. It runs as a superuser (or a role that may create roles and is a member of both)."""

from psycopg import sql

SCHEMA = "public"


class DbRolesError(Exception):
    pass


def _role_exists(cursor, role):
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
    return cursor.fetchone() is not None


def _objects_not_owned_by(cursor, owner):
    """ALTER ... OWNER statements for every table, view, sequence and function of the schema that
    `owner` does not own. A sequence that belongs to a column moves with its table."""
    cursor.execute(
        """
        SELECT c.relkind, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
          AND pg_get_userbyid(c.relowner) <> %s
          AND NOT (c.relkind = 'S' AND EXISTS (
              SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
        ORDER BY c.relkind DESC, c.relname
        """,
        [SCHEMA, owner],
    )
    kinds = {"r": "TABLE", "p": "TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "S": "SEQUENCE"}
    statements = [
        sql.SQL("ALTER {} {} OWNER TO {}").format(
            sql.SQL(kinds[kind]), sql.Identifier(SCHEMA, name), sql.Identifier(owner)
        )
        for kind, name in cursor.fetchall()
    ]
    cursor.execute(
        """
        SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = %s AND pg_get_userbyid(p.proowner) <> %s
        """,
        [SCHEMA, owner],
    )
    statements += [
        sql.SQL("ALTER ROUTINE {} OWNER TO {}").format(sql.SQL(signature), sql.Identifier(owner))
        for (signature,) in cursor.fetchall()
    ]
    return statements


def _owned_by(cursor, role):
    cursor.execute(
        """
        SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %s AND pg_get_userbyid(c.relowner) = %s
        """,
        [SCHEMA, role],
    )
    objects = cursor.fetchone()[0]
    cursor.execute(
        """
        SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = %s AND pg_get_userbyid(p.proowner) = %s
        """,
        [SCHEMA, role],
    )
    return objects + cursor.fetchone()[0]


def db_roles_apply(cursor, *, owner, app):
    """Creates the two roles if missing (LOGIN, no password: set one with ALTER ROLE where the
    server asks for it), gives `owner` every object of the schema and the right to create more,
    and gives `app` its working privileges and nothing else. Safe to run again at any time.

    Returns the statements run, for the command to show."""
    if owner == app:
        raise DbRolesError("the owner and the app role must be two roles")
    run = []

    def execute(statement):
        cursor.execute(statement)
        run.append(statement.as_string(cursor.connection))

    for role in (owner, app):
        if not _role_exists(cursor, role):
            execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    cursor.execute(
        "SELECT rolsuper OR rolbypassrls OR rolcreaterole OR pg_has_role(%s, %s, 'MEMBER') FROM pg_roles"
        " WHERE rolname = %s",
        [app, owner, app],
    )
    if cursor.fetchone()[0]:
        raise DbRolesError(
            f"the app role {app} is a superuser, may create roles or bypass row security, or is a member of"
            f" {owner}: it would have the owner's powers. Give the app a plain role."
        )

    cursor.execute("SELECT current_database()")
    database = sql.Identifier(cursor.fetchone()[0])
    schema, owner_id, app_id = sql.Identifier(SCHEMA), sql.Identifier(owner), sql.Identifier(app)
    # Nobody else creates objects in the schema (PostgreSQL before 15 let every role).
    execute(sql.SQL("REVOKE CREATE ON SCHEMA {} FROM PUBLIC").format(schema))
    execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}, {}").format(database, owner_id, app_id))
    execute(sql.SQL("GRANT USAGE, CREATE ON SCHEMA {} TO {}").format(schema, owner_id))
    for statement in _objects_not_owned_by(cursor, owner):
        execute(statement)

    execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, app_id))
    execute(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(schema, app_id))
    execute(sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}").format(schema, app_id))
    execute(sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(schema, app_id))
    # Tables and sequences the owner creates later (each migration) are the app's to use at once.
    execute(
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}"
        ).format(owner_id, schema, app_id)
    )
    execute(
        sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT USAGE, SELECT ON SEQUENCES TO {}").format(
            owner_id, schema, app_id
        )
    )
    if owned := _owned_by(cursor, app):
        raise DbRolesError(f"the app role {app} still owns {owned} objects in schema {SCHEMA}")
    return run
