"""The app's database role does its work and cannot lift the guards: `manage.py db_roles` makes
an owner and a plain app role, and the app role cannot disable, drop or replace the triggers that
keep the ledger, the audit log and the binding unchangeable.

Everything happens in the test's transaction, roles included, and is rolled back after it."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import IntegrityError, ProgrammingError, connection, transaction
from psycopg import sql

from ambassadors.tests.factories import BoundAmbassadorFactory, UserFactory
from payouts.ledger import Line, balances_of, post
from payouts.models import Bucket, Posting
from portal.kernel.audit import audit_record

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db]

# What only a table's owner (or a superuser) may do: each would let the app change the ledger,
# the audit log or a binding with plain SQL afterwards.
LIFTING_THE_GUARDS = [
    "ALTER TABLE payouts_entry DISABLE TRIGGER payouts_entry_append_only",
    "ALTER TABLE payouts_posting DISABLE TRIGGER USER",
    "ALTER TABLE portal_auditentry DISABLE TRIGGER portal_auditentry_append_only",
    "ALTER TABLE ambassadors_ambassador DISABLE TRIGGER ambassadors_binding_guard",
    "DROP TRIGGER payouts_entry_append_only ON payouts_entry",
    "CREATE OR REPLACE FUNCTION portal_append_only() RETURNS trigger AS $$ BEGIN RETURN NEW; END $$ LANGUAGE plpgsql",
    "TRUNCATE payouts_entry CASCADE",
    "SET session_replication_role = replica",  # would skip every trigger
    "CREATE TABLE public.app_made (id int)",
]


@pytest.fixture
def roles():
    """The roles, named after this test database so parallel runs on other databases never meet."""
    database = connection.settings_dict["NAME"]
    owner, app = f"{database}_owner", f"{database}_app"
    call_command("db_roles", "--owner", owner, "--app", app, stdout=io.StringIO())
    return owner, app


@pytest.fixture
def as_app(roles):
    """The connection acts as the app role (SET ROLE: every privilege is checked as that role's)."""
    _, app = roles
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(app)))
    try:
        yield app
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def test_the_owner_owns_every_table_and_function(roles):
    owner, app = roles
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND relkind IN ('r', 'S', 'v')"
        )
        assert cursor.fetchall() == [(owner,)]
        cursor.execute(
            "SELECT DISTINCT pg_get_userbyid(proowner) FROM pg_proc WHERE pronamespace = 'public'::regnamespace"
        )
        assert cursor.fetchall() == [(owner,)]


@pytest.mark.parametrize("statement", LIFTING_THE_GUARDS)
def test_the_app_role_cannot_lift_the_guards(as_app, statement):
    refused = pytest.raises(ProgrammingError, match="must be owner|permission denied")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)


@pytest.mark.parametrize("statement", [s for s in LIFTING_THE_GUARDS if "session_replication_role" not in s])
def test_the_owner_can_which_is_why_the_app_is_not_the_owner(roles, statement):
    """The same statements succeed as the owner (rolled back here): the app's refusals above come
    from its role, not from a mistake in the statements."""
    owner, _ = roles
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(owner)))
        cursor.execute(statement)
        transaction.set_rollback(True)
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


def test_the_app_role_does_its_normal_work(as_app):
    ambassador = BoundAmbassadorFactory()  # INSERTs through identity columns
    post(key="roles:1", kind=Posting.Kind.BONUS, lines=[Line(ambassador.pk, Bucket.PENDING, Decimal("10.00"))])
    assert balances_of(ambassador).pending == Decimal("10.00")
    user = UserFactory()
    user.first_name = "改"
    user.save()  # UPDATE
    audit_record(actor=user, action="roles.test", target=user, after={})
    UserFactory().delete()  # DELETE
    # The guards still hold for the app: a raw change of the ledger is refused by the trigger.
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE payouts_entry SET amount = 99")


def test_a_table_made_by_a_later_migration_is_the_apps_to_use(roles):
    owner, app = roles
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(owner)))
        cursor.execute("CREATE TABLE later_migration (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, n int)")
        cursor.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(app)))
        cursor.execute("INSERT INTO later_migration (n) VALUES (1) RETURNING id")
        assert cursor.fetchone() == (1,)
        cursor.execute("RESET ROLE")


def test_an_app_role_with_the_owners_powers_is_refused(roles):
    from django.core.management.base import CommandError

    owner, app = roles
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(owner), sql.Identifier(app)))
    with pytest.raises(CommandError, match="member of"):
        call_command("db_roles", "--owner", owner, "--app", app)
