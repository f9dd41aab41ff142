from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from portal.kernel.db_roles import DbRolesError, db_roles_apply


class Command(BaseCommand):
    help = (
        "PostgreSQL: an owner role for migrations and a plain role for the web and workers (docs/DEPLOY.md). "
        "Run as a superuser on the portal's database; idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--owner", required=True, help="the role that owns the tables and runs `migrate`")
        parser.add_argument("--app", required=True, help="the role of the web and worker processes")

    def handle(self, *args, owner, app, **options):
        if connection.vendor != "postgresql":
            raise CommandError(f"db_roles is for PostgreSQL; this database is {connection.vendor}.")
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                statements = db_roles_apply(cursor, owner=owner, app=app)
        except DbRolesError as error:
            raise CommandError(str(error)) from None
        for statement in statements:
            self.stdout.write(statement)
        self.stdout.write(self.style.SUCCESS(f"{owner} owns the schema's objects; {app} may read and write them."))
