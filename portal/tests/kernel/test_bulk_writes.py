"""`rows_update` (portal/kernel/bulk_writes.py) writes each row its own values in one statement, and
what it stores is what `save()` would have stored, on SQLite and on PostgreSQL alike."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ambassadors.tests.factories import UserFactory, VerifiedAmbassadorFactory
from portal.kernel.bulk_writes import rows_update
from referrals.models import Association, CustomerProfile, Event, Order, Product, RuleSet

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
PLACED = datetime(2026, 3, 31, 17, 30, tzinfo=UTC)
QUOTED = 'O\'Brien said "促销" \\ ✓ 🎉; DROP TABLE x; --'

ORDER_FIELDS = [
    "amount",
    "refunded_amount",
    "rate",
    "paid_at",
    "refunded_at",
    "decided_at",
    "settles_on",
    "trial",
    "on_hold",
    "ambassador",
    "rule_set",
    "activity",
    "status",
    "reason",
    "order_type",
    "version",
]
EVENT_FIELDS = ["attempts", "next_attempt_at", "result", "status", "processed_at", "error"]


def order_create(customer, number, **values):
    return Order.objects.create(
        **{
            "billing_id": f"bulk-{number:03d}", "customer": customer, "product": Product.objects.get(code="ecs"),
            "billing": "prepaid", "kind": "new", "amount": Decimal("100.00"), "period_days": 30,
            "placed_at": PLACED, "status": "unpaid", "version": 1,
        } | values
    )  # fmt: skip


def stored(instance, exclude=()):
    """The row as the database holds it now, field by field (read afresh, not from `instance`)."""
    fresh = type(instance).objects.get(pk=instance.pk)
    return {
        field.attname: getattr(fresh, field.attname)
        for field in type(instance)._meta.concrete_fields
        if field.attname not in exclude
    }


@pytest.fixture
def customers():
    return [UserFactory() for _ in range(3)]


@pytest.fixture
def ambassadors():
    return [VerifiedAmbassadorFactory() for _ in range(2)]


def order_changes(ambassadors):
    """Each row's own new values: Decimals, aware datetimes with microseconds in several zones,
    NULLs put in and taken out, booleans both ways, foreign keys by id, quotes and unicode."""
    rule_set = RuleSet.objects.order_by("pk").first()
    return [
        {
            "amount": Decimal("1234.56"), "refunded_amount": Decimal("0.01"), "rate": Decimal("0.2500"),
            "paid_at": datetime(2026, 4, 1, 1, 30, 0, 123456, tzinfo=SHANGHAI),
            "refunded_at": None, "decided_at": datetime(2026, 4, 1, 0, 0, 0, 1, tzinfo=UTC),
            "settles_on": date(2026, 5, 25), "trial": True, "on_hold": False,
            "ambassador_id": ambassadors[0].pk, "rule_set_id": rule_set.pk,
            "activity": QUOTED, "status": "paid", "reason": "", "order_type": "member_first_purchase",
            "version": 7,
        },
        {
            "amount": Decimal("0.5"), "refunded_amount": Decimal("99999.99"), "rate": Decimal("0.0001"),
            "paid_at": None, "refunded_at": datetime(2025, 12, 31, 23, 59, 59, 999999, tzinfo=NEW_YORK),
            "decided_at": None, "settles_on": None, "trial": False, "on_hold": True,
            "ambassador_id": ambassadors[1].pk, "rule_set_id": None,
            "activity": "", "status": "refunded", "reason": "REFUNDED", "order_type": "",
            "version": 2,
        },
        {
            "amount": Decimal("9999999999.99"), "refunded_amount": Decimal("0"), "rate": Decimal("1"),
            "paid_at": datetime(2026, 2, 28, 16, 0, 0, 500000, tzinfo=UTC), "refunded_at": None,
            "decided_at": datetime(2026, 2, 28, 16, 0, 0, 500001, tzinfo=UTC),
            "settles_on": date(2026, 12, 31), "trial": False, "on_hold": False,
            "ambassador_id": None, "rule_set_id": None,
            "activity": "line\nbreak\ttab 'single' \"double\" `back` 𝄞", "status": "cancelled",
            "reason": "UNPAID", "order_type": "renewal", "version": 3,
        },
    ]  # fmt: skip


def given(instance, values):
    for name, value in values.items():
        setattr(instance, name, value)
    return instance


def test_each_order_gets_its_own_values_as_save_would_store_them(customers, ambassadors):
    """Two twins of each order, one written by `rows_update` and one by `save`: the rows match,
    and each object refreshed from its row keeps the values it was given."""
    starting = {"ambassador": ambassadors[1], "paid_at": PLACED, "refunded_at": PLACED, "on_hold": False}
    changes = order_changes(ambassadors)
    bulk = [given(order_create(customers[n], n, **starting), values) for n, values in enumerate(changes)]
    saved = [given(order_create(customers[n], 10 + n, **starting), values) for n, values in enumerate(changes)]

    assert rows_update(bulk, ORDER_FIELDS) == 3
    for order in saved:
        order.save(update_fields=ORDER_FIELDS)

    for written, by_save, values in zip(bulk, saved, changes, strict=True):
        assert stored(written, exclude={"id", "billing_id"}) == stored(by_save, exclude={"id", "billing_id"})
        written.refresh_from_db()
        assert {name: getattr(written, name) for name in values} == values


def test_stored_values_are_the_databases_values_not_the_objects(customers, ambassadors):
    """A Decimal with fewer places, an amount to round: the row holds what `save` stores, read back
    alike (DecimalField's places), not the Python value as given."""
    bulk = [order_create(customers[0], 1), order_create(customers[1], 2)]
    saved = [order_create(customers[0], 3), order_create(customers[1], 4)]
    for orders in (bulk, saved):
        orders[0].amount, orders[0].rate = Decimal("7"), Decimal("0.25")
        orders[1].amount, orders[1].rate = Decimal("12.3"), Decimal("0.3333")

    assert rows_update(bulk, ["amount", "rate"]) == 2
    for order in saved:
        order.save(update_fields=["amount", "rate"])

    for written, by_save in zip(bulk, saved, strict=True):
        written.refresh_from_db()
        by_save.refresh_from_db()
        assert (written.amount, written.rate) == (by_save.amount, by_save.rate)
    assert [(order.amount, order.rate) for order in bulk] == [
        (Decimal("7.00"), Decimal("0.2500")),
        (Decimal("12.30"), Decimal("0.3333")),
    ]
    assert str(bulk[0].amount) == "7.00"


def test_rows_not_given_and_fields_not_named_are_untouched(customers, ambassadors):
    orders = [order_create(customer, number, activity="before") for number, customer in enumerate(customers)]
    untouched_row = stored(orders[2])
    named, other = orders[0], orders[1]
    for order in (named, other):
        order.amount = Decimal("555.55")
        order.activity = "changed in memory only"
        order.status = "paid"
        order.ambassador_id = ambassadors[0].pk
    orders[2].amount = Decimal("1.00")  # changed, but its row is not given

    assert rows_update([named, other], ["amount", "status"]) == 2

    for order in (named, other):
        row = stored(order)
        assert (row["amount"], row["status"]) == (Decimal("555.55"), "paid")
        assert (row["activity"], row["ambassador_id"]) == ("before", None)
    assert stored(orders[2]) == untouched_row


def test_the_rows_of_one_statement(customers):
    orders = [order_create(customers[number % 3], number) for number in range(25)]
    for number, order in enumerate(orders):
        order.amount = Decimal(number) + Decimal("0.01")
        order.version = number + 100

    with CaptureQueriesContext(connection) as queries:
        assert rows_update(orders, ["amount", "version"]) == 25

    assert len(queries) == 1
    assert queries[0]["sql"].startswith("UPDATE")
    assert list(Order.objects.order_by("billing_id").values_list("amount", "version")) == [
        (Decimal(number) + Decimal("0.01"), number + 100) for number in range(25)
    ]


@pytest.mark.parametrize("nothing", [[], (), iter([]), (order for order in [])])
def test_no_rows_returns_0_and_runs_no_query(nothing):
    with CaptureQueriesContext(connection) as queries:
        assert rows_update(nothing, ["amount"]) == 0
    assert len(queries) == 0


def test_the_count_is_of_the_rows_updated_not_the_objects_given():
    """An object whose row is gone (or never was) updates nothing and is not counted."""
    kept = Event.objects.create(id="evt-kept", type="order.updated", body_digest="d")
    gone = Event.objects.create(id="evt-gone", type="order.updated", body_digest="d")
    Event.objects.filter(pk=gone.pk).delete()
    never = Event(id="evt-never", type="order.updated", body_digest="d")
    for event in (kept, gone, never):
        event.attempts = 3

    assert rows_update([kept, gone, never], ["attempts"]) == 1
    assert list(Event.objects.values_list("pk", "attempts")) == [("evt-kept", 3)]


def event_results():
    return [
        {
            "orders": [{"id": "ord-1", "rebate": "12.50", "reasons": [None, True, False, 1.5, -2]}],
            "note": QUOTED,
            "empty": {},
            "nested": {"deeper": {"deepest": [[], [{}], {"k": None}]}},
            "count": 0,
        },
        [1, "two", {"three": 3}, None],
        "just a string with 'quotes' and 中文",
        {},
    ]


def test_events_get_their_own_results_and_outcomes_as_save_would_store_them():
    """The batch worker's write (referrals/billing/services.py): JSON results, NULLs, counts, text."""
    now = datetime(2026, 4, 1, 9, 15, 30, 654321, tzinfo=SHANGHAI)
    results = event_results()
    outcomes = [
        {"attempts": 1, "next_attempt_at": now, "status": "processed", "processed_at": now, "error": ""},
        {"attempts": 2, "next_attempt_at": now + timedelta(seconds=30, microseconds=7), "status": "received",
         "processed_at": None, "error": f"IntegrityError: {QUOTED}"},
        {"attempts": 8, "next_attempt_at": now, "status": "failed", "processed_at": None,
         "error": "x" * 2000},
        {"attempts": 32767, "next_attempt_at": now, "status": "processed",
         "processed_at": datetime(2026, 4, 1, 9, 15, 30, 999999, tzinfo=NEW_YORK), "error": ""},
    ]  # fmt: skip
    twins = {}
    for twin in ("bulk", "saved"):
        twins[twin] = [
            given(
                Event.objects.create(
                    id=f"evt-{twin}-{number}", type="order.updated", body=f"body {number}", body_digest="d",
                    result={"before": True}, error="before", processed_at=now,
                ),
                outcome | {"result": result},
            )
            for number, (result, outcome) in enumerate(zip(results, outcomes, strict=True))
        ]  # fmt: skip

    assert rows_update(twins["bulk"], EVENT_FIELDS) == 4
    for event in twins["saved"]:
        event.save(update_fields=EVENT_FIELDS)

    for number, (written, by_save) in enumerate(zip(twins["bulk"], twins["saved"], strict=True)):
        exclude = {"id", "received_at"}
        assert stored(written, exclude) == stored(by_save, exclude)
        written.refresh_from_db()
        assert written.result == results[number]
        assert {name: getattr(written, name) for name in outcomes[number]} == outcomes[number]
        assert written.body == f"body {number}"  # not named


def test_an_event_result_of_json_null_and_of_sql_null():
    """`None` is SQL NULL as `save` writes it; on a NOT NULL column both refuse it alike."""
    from django.db import IntegrityError, transaction

    event = Event.objects.create(id="evt-null", type="order.updated", body_digest="d", result={"a": 1})
    event.result = None
    with pytest.raises(IntegrityError), transaction.atomic():
        rows_update([event], ["result"])
    with pytest.raises(IntegrityError), transaction.atomic():
        event.save(update_fields=["result"])
    event.refresh_from_db()
    assert event.result == {"a": 1}


def test_customer_profiles_whose_key_is_a_foreign_key(customers):
    """CustomerProfile's primary key is its customer's: rows are matched by it, as the batches
    of snapshots write customers becoming old (referrals/rebates/snapshot_batches.py)."""
    became_old = [
        datetime(2026, 4, 1, 0, 0, 0, 1, tzinfo=SHANGHAI),
        None,
        datetime(2026, 3, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ]
    profiles = [
        CustomerProfile.objects.create(customer=customer, became_old_at=PLACED, segment_as_of=PLACED)
        for customer in customers
    ]
    for profile, moment in zip(profiles, became_old, strict=True):
        profile.became_old_at = moment
        profile.segment = "cbm"  # not named

    assert rows_update(profiles[:2], ["became_old_at"]) == 2

    rows = {row["customer_id"]: row for row in (stored(profile) for profile in profiles)}
    assert [rows[customer.pk]["became_old_at"] for customer in customers] == [became_old[0], None, PLACED]
    assert {row["segment"] for row in rows.values()} == {"normal"}
    assert {row["segment_as_of"] for row in rows.values()} == {PLACED}


def test_associations_ended_each_at_its_own_moment_as_save_would_end_them(customers, ambassadors):
    def association(customer, ambassador):
        return Association.objects.create(
            customer=customer, ambassador=ambassador, visit_id=uuid.uuid4(), started_at=PLACED,
            expires_at=PLACED + timedelta(days=30),
        )  # fmt: skip

    ends = [
        (datetime(2026, 4, 2, 8, 0, 0, 250000, tzinfo=SHANGHAI), "became_old"),
        (datetime(2026, 4, 3, 12, 0, 0, 750000, tzinfo=NEW_YORK), "taken_over"),
    ]
    twins = {
        "bulk": [association(customers[0], ambassadors[0]), association(customers[1], ambassadors[1])],
        "saved": [association(customers[2], ambassadors[0]), association(UserFactory(), ambassadors[1])],
    }
    untouched = association(UserFactory(), ambassadors[0])
    untouched_row = stored(untouched)
    for associations in twins.values():
        for one, (moment, reason) in zip(associations, ends, strict=True):
            one.ended_at, one.end_reason = moment, reason
            one.renewed_at = moment  # not named

    assert rows_update(twins["bulk"], ["ended_at", "end_reason"]) == 2
    for one in twins["saved"]:
        one.save(update_fields=["ended_at", "end_reason"])

    exclude = {"id", "customer_id", "visit_id"}
    for written, by_save, (moment, reason) in zip(twins["bulk"], twins["saved"], ends, strict=True):
        assert stored(written, exclude) == stored(by_save, exclude)
        written.refresh_from_db()
        assert (written.ended_at, written.end_reason, written.renewed_at) == (moment, reason, None)
    assert stored(untouched) == untouched_row


def test_a_database_constraint_refuses_the_statement_as_it_refuses_save(customers, ambassadors):
    """An ended association without a reason breaks `association_end_has_reason`: nothing is written."""
    from django.db import IntegrityError, transaction

    associations = [
        Association.objects.create(
            customer=customer, ambassador=ambassadors[0], visit_id=uuid.uuid4(), started_at=PLACED,
            expires_at=PLACED + timedelta(days=30),
        )
        for customer in customers[:2]
    ]  # fmt: skip
    associations[0].ended_at, associations[0].end_reason = PLACED, "became_old"
    associations[1].ended_at = PLACED  # no reason
    with pytest.raises(IntegrityError), transaction.atomic():
        rows_update(associations, ["ended_at", "end_reason"])
    assert list(Association.objects.filter(ended_at__isnull=False)) == []


def test_text_too_long_for_its_column_is_refused_as_save_refuses_it(customers):
    """On PostgreSQL a cast to varchar(64) would cut 70 characters to 64; the column refuses them,
    as it refuses `save`. (SQLite keeps any length, both ways.)"""
    from django.db import DataError, transaction

    order = Order.objects.create(
        billing_id="too-long", customer=customers[0], product=Product.objects.get(code="ecs"), billing="prepaid",
        kind="new", amount=Decimal("1.00"), period_days=30, placed_at=PLACED, status="unpaid", version=1,
    )  # fmt: skip
    order.activity = "y" * 70
    if connection.vendor != "postgresql":
        assert rows_update([order], ["activity"]) == 1
        return
    with pytest.raises(DataError), transaction.atomic():
        order.save(update_fields=["activity"])
    with pytest.raises(DataError), transaction.atomic():
        rows_update([order], ["activity"])
    order.refresh_from_db()
    assert order.activity == ""


def test_more_rows_than_one_statement_takes_are_written_in_several(customers, monkeypatch):
    """Split by the backend's limit on parameters (`bulk_batch_size`), every row written."""
    profiles = [CustomerProfile.objects.get_or_create(customer=customer)[0] for customer in customers]
    for number, profile in enumerate(profiles):
        profile.became_old_at = PLACED + timedelta(minutes=number)
    monkeypatch.setattr(connection.ops, "bulk_batch_size", lambda fields, objs: 2)
    with CaptureQueriesContext(connection) as captured:
        assert rows_update(profiles, ["became_old_at"]) == len(profiles)
    assert len(captured) == -(-len(profiles) // 2)
    assert [
        profile.became_old_at
        for profile in CustomerProfile.objects.filter(customer__in=customers).order_by("customer_id")
    ] == [PLACED + timedelta(minutes=number) for number in range(len(profiles))]
