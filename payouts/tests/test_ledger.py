"""The ledger is append-only (the design's rule): the ORM refuses changes, PostgreSQL's trigger
refuses raw SQL, and a cause cannot be posted twice."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from payouts.ledger import Line, balances_of, post
from payouts.models import Bucket, Entry, Posting

pytestmark = pytest.mark.django_db


@pytest.fixture
def posting(bound_ambassador):
    return post(
        key="test:1",
        kind=Posting.Kind.BONUS,
        lines=[Line(bound_ambassador.pk, Bucket.PENDING, Decimal("10.00"))],
    )


def test_the_same_cause_posts_once(bound_ambassador, posting):
    again = post(
        key="test:1", kind=Posting.Kind.BONUS, lines=[Line(bound_ambassador.pk, Bucket.PENDING, Decimal("10.00"))]
    )
    assert again is None
    assert balances_of(bound_ambassador).pending == Decimal("10.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        Posting.objects.create(key="test:1", kind=Posting.Kind.BONUS)


def test_the_orm_refuses_to_change_or_delete(posting):
    entry = posting.entries.get()
    for change in (entry.save, entry.delete, posting.delete, Entry.objects.all().delete):
        with pytest.raises(TypeError, match="append-only"):
            change()
    with pytest.raises(TypeError, match="append-only"):
        Entry.objects.update(amount=Decimal("99.00"))
    assert Entry.objects.get().amount == Decimal("10.00")


@pytest.mark.postgresql
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE payouts_entry SET amount = 99 WHERE posting_id = %s",
        "DELETE FROM payouts_entry WHERE posting_id = %s",
        "UPDATE payouts_posting SET key = 'edited' WHERE id = %s",
        "DELETE FROM payouts_posting WHERE id = %s",
    ],
)
def test_raw_sql_cannot_change_the_ledger(posting, sql):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [posting.pk])
    assert Entry.objects.get().amount == Decimal("10.00")
    assert Posting.objects.get().key == "test:1"
