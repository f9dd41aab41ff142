"""A queryset compiled once per shape runs with each call's values, and returns what the ORM would."""

import uuid
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.kernel.compiled_queries import DATE, DATETIME, NUMBER, TEXT, CompiledQuery, ShapeError
from portal.kernel.models import AuditEntry, User

pytestmark = pytest.mark.django_db

# 2026-03-31 17:30 UTC is 2026-04-01 01:30 in Shanghai: a date filter must follow the time zone.
JOINED = [datetime(2026, 3, 31, 17, 30, tzinfo=UTC) + timedelta(hours=hours) for hours in (-24, 0, 24, 48)]


@pytest.fixture
def users():
    return [
        User.objects.create(email=f"user{number}@example.com", date_joined=joined, is_staff=number % 2 == 0)
        for number, joined in enumerate(JOINED)
    ]


def users_query(*, newest_first, email, joined_after, joined_on, more_than_id):
    users = User.objects.only("email", "uid", "date_joined").annotate(
        audited=Exists(AuditEntry.objects.filter(actor=OuterRef("pk")))
    )
    if email:
        users = users.filter(email=email)
    if joined_after:
        users = users.filter(Q(date_joined__gt=joined_after) | Q(date_joined=joined_after, pk__gt=more_than_id))
    if joined_on:
        users = users.filter(date_joined__date=joined_on)
    return users.order_by("-date_joined" if newest_first else "date_joined", "pk")


def compiled_users():
    calls = []

    def build(**values):
        calls.append(values)
        return users_query(**values)

    query = CompiledQuery(
        build,
        slots={"email": TEXT, "joined_after": DATETIME, "joined_on": DATE, "more_than_id": NUMBER},
        row_type=SimpleNamespace,
    )
    return query, calls


def prepared_statements_on_users():
    """How many statements reading `portal_user` this connection has prepared on PostgreSQL."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ['%"portal_user"%'])
        return cursor.fetchone()[0]


def as_orm(**values):
    return [
        {"id": user.pk, "email": user.email, "uid": user.uid, "date_joined": user.date_joined, "audited": user.audited}
        for user in users_query(**values)
    ]


SLOTS = [
    {"email": None, "joined_after": None, "joined_on": None, "more_than_id": None},
    {"email": "user1@example.com", "joined_after": None, "joined_on": None, "more_than_id": None},
    {"email": None, "joined_after": JOINED[1], "joined_on": None, "more_than_id": 0},
    {"email": None, "joined_after": None, "joined_on": date(2026, 4, 1), "more_than_id": None},
    {"email": "user2@example.com", "joined_after": JOINED[0], "joined_on": date(2026, 4, 1), "more_than_id": 0},
]


@pytest.mark.parametrize("newest_first", [True, False])
@pytest.mark.parametrize("values", SLOTS)
def test_rows_are_the_orms_rows_with_the_orms_types(users, newest_first, values):
    query, _calls = compiled_users()
    AuditEntry.objects.create(actor=users[2], action="test", target_type="user", target_id=str(users[2].pk))

    rows = query.rows({"newest_first": newest_first}, values)

    expected = as_orm(newest_first=newest_first, **values)
    assert [vars(row) for row in rows] == expected
    assert all(isinstance(row.uid, uuid.UUID) and isinstance(row.audited, bool) for row in rows)
    assert any(row.audited for row in rows) == any(user["id"] == users[2].pk for user in expected)


def test_a_date_slot_follows_the_current_time_zone(users):
    query, _calls = compiled_users()
    values = dict(SLOTS[0], joined_on=date(2026, 4, 1))

    with timezone.override("Asia/Shanghai"):
        shanghai = [row.email for row in query.rows({"newest_first": False}, values)]
    with timezone.override("UTC"):
        utc = [row.email for row in query.rows({"newest_first": False}, values)]

    assert shanghai == ["user1@example.com"]  # 01:30 on 1 April in Shanghai
    assert utc == ["user2@example.com"]  # 17:30 on 1 April in UTC


def test_each_shape_is_compiled_once_and_then_only_run(users):
    query, calls = compiled_users()
    for number in range(4):
        [row] = query.rows({"newest_first": True}, dict(SLOTS[0], email=f"user{number}@example.com"))
        assert row.email == f"user{number}@example.com"
    query.rows({"newest_first": False}, SLOTS[0])
    query.rows({"newest_first": False}, SLOTS[0])

    # Two compilations for each of the two shapes: an email filter, newest first; none, oldest first.
    assert len(calls) == 2 * 2


def test_a_parameter_made_from_a_slot_is_refused(users):
    """`contains` sends "%value%": not the slot's value, so not a place to put it."""
    query = CompiledQuery(
        lambda *, email: User.objects.filter(email__contains=email), slots={"email": TEXT}, row_type=SimpleNamespace
    )
    with pytest.raises(ShapeError, match="email"):
        query.rows({}, {"email": "user1"})


def test_a_slot_that_does_not_reach_the_parameters_is_refused(users):
    query = CompiledQuery(lambda *, email: User.objects.all(), slots={"email": TEXT}, row_type=SimpleNamespace)
    with pytest.raises(ShapeError, match="email"):
        query.rows({}, {"email": "user1"})


def test_a_query_whose_sql_changes_with_a_slots_value_is_refused(users):
    def build(*, more_than_id):
        users = User.objects.filter(pk__gt=more_than_id)
        return users.order_by("pk") if more_than_id % 2 else users.order_by("-pk")

    query = CompiledQuery(build, slots={"more_than_id": NUMBER}, row_type=SimpleNamespace)
    with pytest.raises(ShapeError, match="changes with its slots"):
        query.rows({}, {"more_than_id": 0})


def test_a_parameter_worked_out_from_a_slot_is_refused(users):
    query = CompiledQuery(
        lambda *, more_than_id: User.objects.filter(pk__gt=more_than_id + 1),
        slots={"more_than_id": NUMBER},
        row_type=SimpleNamespace,
    )
    with pytest.raises(ShapeError, match="more_than_id"):
        query.rows({}, {"more_than_id": 0})


@pytest.mark.postgresql
def test_on_postgresql_the_statement_is_prepared_after_a_few_runs_and_still_logged(users):
    query, _calls = compiled_users()
    values = dict(SLOTS[0], email="user1@example.com")

    before = prepared_statements_on_users()
    with CaptureQueriesContext(connection) as captured:
        for _ in range(7):
            [row] = query.rows({"newest_first": True}, values)
            assert row.email == "user1@example.com"

    assert prepared_statements_on_users() == before + 1  # planned once on this connection, whatever the value
    assert len(captured) == 7  # every run is counted where Django counts queries
