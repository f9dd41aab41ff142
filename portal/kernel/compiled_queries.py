"""A queryset's SQL compiled once per process and shape, then run with each call's values.

Django compiles a queryset into SQL (`as_sql`: its joins, expressions and columns) every time it
runs. For a short keyset page that is most of what the read costs: on 返利订单 compiling the list
query took three times as long as PostgreSQL took to plan and run it (docs/PERFORMANCE.md). A
`CompiledQuery` keeps the query written with the ORM, and compiles it once for each shape asked
for (the filters present, a page size): it builds the queryset from placeholder values, finds
where each value lands among the statement's parameters, and from then on only puts the call's
values in those places and runs the statement.

On PostgreSQL the statement runs on a cursor that binds its parameters on the server, so psycopg
prepares it after the connection's `prepare_threshold` runs (5, portal/settings.py) and PostgreSQL
plans it once per connection instead of on every run. With DATABASE_PREPARED_STATEMENTS=false
(behind some PgBouncers, docs/DEPLOY.md) it is planned every time, as Django's own queries are.

A prepared statement soon runs on PostgreSQL's generic plan, made for the average value of each
parameter, not the call's. A statement compiled here is written so that its one plan is right for
every value: the 返利订单 page reads its orders' ids from one index alone, newest first, and then
their columns by id, so that a large ambassador among thousands with a few orders gets the same
plan as a small one (docs/PERFORMANCE.md).

Where a value lands is found by compiling the shape twice with different placeholders: the SQL
must not change and the other parameters must not move, or `CompiledQuery` refuses the shape
(ShapeError) rather than guess. Rows come back as `row_type` objects with the queryset's columns and
annotations as attributes (a model column by its attname), converted as the ORM converts them.

A slot's value goes into the statement as given, adapted but not cleaned by its field: the ORM
would drop a filter on an integer too large for the column, the statement passes it to the
database, which refuses it (SQLite) or compares it slowly (PostgreSQL). Callers pass values they
have checked, as `referrals.rebates.selectors.decode_cursor` checks a cursor's id.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connections
from django.utils import timezone


class ShapeError(ValueError):
    """The queryset does not compile to one statement whatever its slots' values."""


@dataclass(frozen=True)
class Slot:
    """A value that changes from call to call: how the backend adapts it, and two placeholders."""

    kind: str  # "number" or "text" (passed as they are), "date" or "datetime"

    def placeholders(self, index):
        """Two values of this kind that no query compares with on purpose, distinct per slot."""
        if self.kind == "date":
            first = date(1000 + index, 1, 1)
            return first, first + timedelta(days=1)
        if self.kind == "datetime":
            first = datetime(1000 + index, 1, 1, 0, 0, 0, 123_457, tzinfo=UTC)
            return first, first + timedelta(seconds=1)
        if self.kind == "text":
            return f"compiled-query-slot-{index}-a", f"compiled-query-slot-{index}-b"
        return -1_000_000_007 - 2 * index, -1_000_000_008 - 2 * index

    def adapt(self, value, connection):
        """`value` as the backend's field adapts it into a parameter."""
        if self.kind == "date":
            return connection.ops.adapt_datefield_value(value)
        if self.kind == "datetime":
            return connection.ops.adapt_datetimefield_value(value)
        return value


NUMBER, TEXT, DATE, DATETIME = Slot("number"), Slot("text"), Slot("date"), Slot("datetime")


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple
    slot_positions: dict  # slot name → the indexes of its parameters
    columns: tuple  # each column's attribute name
    converters: tuple  # (column index, converter functions, expression)


class CompiledQuery:
    """`build(**shape, **slots)` → a queryset; `rows(shape, slots)` runs it.

    `shape` holds what changes the SQL (which filters, a page size): each distinct shape is
    compiled once. `slots` holds the values that only fill parameters, each declared with its
    Slot kind; a slot given None is part of the shape (its filter is left out), not a value."""

    def __init__(self, build, *, slots, row_type):
        self.build = build
        self.slots = slots  # name → Slot
        self.row_type = row_type
        self._statements = {}

    def rows(self, shape, slots, *, using="default"):
        connection = connections[using]
        present = frozenset(name for name, value in slots.items() if value is not None)
        statement = self._statement(shape, present, connection)
        with _statement_cursor(connection) as cursor:
            cursor.execute(statement.sql, self._params(statement, slots, connection))
            rows = cursor.fetchall()
        return [self._row(statement, values, connection) for values in rows]

    def _statement(self, shape, present, connection):
        # A datetime lookup by date (`__date`) compiles with the current time zone in it.
        key = (connection.alias, timezone.get_current_timezone_name(), tuple(sorted(shape.items())), present)
        statement = self._statements.get(key)
        if statement is None:
            statement = self._statements[key] = self._compile(shape, present, connection)
        return statement

    def _params(self, statement, slots, connection):
        params = list(statement.params)
        for name, positions in statement.slot_positions.items():
            adapted = self.slots[name].adapt(slots[name], connection)
            for position in positions:
                params[position] = adapted
        return params

    def _row(self, statement, values, connection):
        if statement.converters:
            values = list(values)
            for index, functions, expression in statement.converters:
                for convert in functions:
                    values[index] = convert(values[index], expression, connection)
        return self.row_type(**dict(zip(statement.columns, values, strict=True)))

    def _compile(self, shape, present, connection):
        names = sorted(present)
        first, second = (
            {name: self.slots[name].placeholders(index)[which] for index, name in enumerate(names)} for which in (0, 1)
        )
        first_sql, first_params, compiler = self._sql(shape, first, connection)
        second_sql, second_params, _compiler = self._sql(shape, second, connection)
        if first_sql != second_sql or len(first_params) != len(second_params):
            raise ShapeError(f"the SQL of shape {shape} changes with its slots' values")
        positions = {}
        for name in names:
            slot = self.slots[name]
            one, other = slot.adapt(first[name], connection), slot.adapt(second[name], connection)
            positions[name] = [index for index, param in enumerate(first_params) if param == one]
            if not positions[name] or any(second_params[index] != other for index in positions[name]):
                raise ShapeError(f"slot {name!r} does not land in the parameters of shape {shape}")
        filled = {index for indexes in positions.values() for index in indexes}
        pairs = enumerate(zip(first_params, second_params, strict=True))
        if any(one != other for index, (one, other) in pairs if index not in filled):
            raise ShapeError(f"a parameter of shape {shape} that is not a slot changes with the slots")
        selected = [expression for expression, _sql, _alias in compiler.select]
        converters = compiler.get_converters(selected)
        return _Statement(
            sql=first_sql,
            params=tuple(first_params),
            slot_positions=positions,
            columns=tuple(alias or expression.target.attname for expression, _sql, alias in compiler.select),
            converters=tuple(
                (index, tuple(functions), expression) for index, (functions, expression) in converters.items()
            ),
        )

    def _sql(self, shape, slots, connection):
        queryset = self.build(**shape, **{name: slots.get(name) for name in self.slots})
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        return sql, list(params), compiler


def _statement_cursor(connection):
    """Django's cursor (health check, query logging, error wrapping), binding on the server on
    PostgreSQL: Django's own binds on the client, and psycopg never prepares such a statement."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    from django.db.backends.postgresql.base import TIMESTAMPTZ_OID, ServerBindingCursor
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.pq import Format

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        cursor = ServerBindingCursor(connection.connection)
        # As Django's `create_cursor`: times in the connection's time zone if the settings changed it.
        loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
        if connection.timezone != loader.timezone:
            register_tzloader(connection.timezone, cursor)
        return connection._prepare_cursor(cursor)  # Django's wrapping of a cursor it made itself
