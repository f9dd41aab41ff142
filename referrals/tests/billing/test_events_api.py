"""POST /api/v1/events: signature, idempotency, ordering, and every malformed field."""

import codecs
import json
import time

import pytest
import time_machine
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from ambassadors.models import IdentitySignal
from ambassadors.tests.factories import UserFactory
from portal.kernel.personal_data import keyed_hash
from referrals.billing.schema import NOT_UTF8
from referrals.models import CustomerProfile, Event, Order
from referrals.tests.billing.events_helpers import EVENTS_URL, event, order_event, order_snapshot, post_event, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return UserFactory()


def nothing_stored():
    return not Event.objects.exists() and not Order.objects.exists()


# The signature.


@pytest.fixture
def still_clock():
    """The window is 300 s either side: a stopped clock keeps a signature 302 s out (or 290 s in)
    where the test put it, however long the request takes on a busy machine."""
    with time_machine.travel(time.time(), tick=False):
        yield


def test_a_signed_event_is_stored_and_applied(client, customer):
    body = order_event(customer)
    answer = post_event(client, body)
    assert (answer.status_code, answer.json()) == (200, {"event": body["id"], "accepted": True})
    event = Event.objects.get()
    assert (event.status, event.attempts, event.result["applied"]) == ("processed", 1, True)
    assert Order.objects.get().billing_id == "ord-1"


@pytest.mark.parametrize(
    ("secret", "offset"),
    [("not-the-shared-secret", 0), (None, -302), (None, +302)],  # wrong, stale, from the future
)
def test_a_wrong_or_stale_signature_is_refused_and_nothing_stored(still_clock, client, customer, secret, offset):
    answer = post_event(client, order_event(customer), secret=secret, timestamp=int(time.time()) + offset)
    assert answer.status_code == 401
    assert nothing_stored()


def test_a_signature_inside_the_window_is_accepted(still_clock, client, customer):
    assert post_event(client, order_event(customer), timestamp=int(time.time()) - 290).status_code == 200


@pytest.mark.parametrize(
    "header", [None, "", "t=abc,v1=00", "v1=00", "t=1", "garbage", "t=²,v1=00", "t=" + "9" * 5000 + ",v1=00"]
)
def test_a_missing_or_malformed_signature_header_is_refused(client, customer, header):
    raw = json.dumps(order_event(customer)).encode()
    extra = {} if header is None else {"HTTP_PORTAL_SIGNATURE": header}
    assert client.post(EVENTS_URL, data=raw, content_type="application/json", **extra).status_code == 401
    assert nothing_stored()


def test_the_signature_covers_the_body(client, customer):
    raw = json.dumps(order_event(customer)).encode()
    tampered = raw.replace(b"1000.00", b"9000.00")
    answer = client.post(EVENTS_URL, data=tampered, content_type="application/json", HTTP_PORTAL_SIGNATURE=sign(raw))
    assert answer.status_code == 401
    assert nothing_stored()


def test_only_post_is_allowed(client):
    assert client.get(EVENTS_URL).status_code == 405


# Idempotency and ordering.


def test_a_replay_answers_the_first_result_and_applies_nothing_again(client, customer):
    body = order_event(customer, event_id="evt_1")
    first = post_event(client, body)
    again = post_event(client, body)
    assert (again.status_code, again.json()) == (200, first.json())
    assert Event.objects.count() == 1 and Order.objects.get().rebate_changes.count() == 1


def test_the_same_id_with_another_body_is_a_conflict(client, customer):
    post_event(client, order_event(customer, event_id="evt_1"))
    answer = post_event(client, order_event(customer, event_id="evt_1", amount="5.00"))
    assert answer.status_code == 409
    assert Order.objects.get().amount == 1000


def test_snapshots_out_of_order_leave_the_newest(client, customer):
    newest = order_event(
        customer, version=3, status="refunded", refunded_amount="400.00", refunded_at="2026-11-25T10:00:00+08:00"
    )
    post_event(client, newest)
    older = order_event(customer, version=2)
    assert post_event(client, older).status_code == 200
    assert Event.objects.get(id=older["id"]).result["applied"] is False  # acknowledged, ignored
    post_event(client, order_event(customer, version=3, amount="1.00"))  # a duplicate version changes nothing
    order = Order.objects.get()
    assert (order.version, order.status, order.refunded_amount, order.amount) == (3, "refunded", 400, 1000)


# Bad input: 400, each bad field named, nothing stored.


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": ""}, "data.order.id"),
        ({"id": 12}, "data.order.id"),
        ({"customer": "not-a-uuid"}, "data.order.customer"),
        ({"product": None}, "data.order.product"),
        ({"billing": "monthly"}, "data.order.billing"),
        ({"kind": "gift"}, "data.order.kind"),
        ({"trial": "false"}, "data.order.trial"),
        ({"activity": 7}, "data.order.activity"),
        ({"amount": 1000}, "data.order.amount"),
        ({"amount": "-1.00"}, "data.order.amount"),
        ({"amount": "1.005"}, "data.order.amount"),
        ({"amount": "1e3"}, "data.order.amount"),
        ({"amount": "１００"}, "data.order.amount"),  # full-width digits
        ({"amount": "١٠٠.٠٠"}, "data.order.amount"),  # Arabic-Indic digits
        ({"amount": "1_000"}, "data.order.amount"),
        ({"amount": "+5"}, "data.order.amount"),
        ({"amount": "NaN"}, "data.order.amount"),
        ({"amount": "Infinity"}, "data.order.amount"),
        ({"refunded_amount": "０.００"}, "data.order.refunded_amount"),
        ({"period_days": 0}, "data.order.period_days"),
        ({"period_days": True}, "data.order.period_days"),
        ({"placed_at": "2026-11-20"}, "data.order.placed_at"),
        ({"placed_at": "2026-11-20T10:00:00"}, "data.order.placed_at"),  # no time zone
        # Times that cannot be stored or compared as aware datetimes, or mean nothing here.
        ({"placed_at": "0001-01-01T00:00:00+08:00"}, "data.order.placed_at"),
        ({"placed_at": "9999-12-31T23:59:59-05:00"}, "data.order.placed_at"),
        ({"placed_at": "1999-12-31T23:59:59+00:00"}, "data.order.placed_at"),
        ({"paid_at": "9999-12-31T23:59:59+00:00"}, "data.order.paid_at"),
        ({"paid_at": "2100-01-01T08:00:00+08:00"}, "data.order.paid_at"),
        (
            {"status": "refunded", "refunded_amount": "1.00", "refunded_at": "9999-12-31T23:59:59+00:00"},
            "data.order.refunded_at",
        ),
        ({"status": "shipped"}, "data.order.status"),
        ({"paid_at": None}, "data.order.paid_at"),  # paid without a payment time
        ({"paid_at": "2026-11-19T10:00:00+08:00"}, "data.order.paid_at"),  # before it was placed
        ({"refunded_amount": "2000.00"}, "data.order.refunded_amount"),
        ({"refunded_amount": "10.00"}, "data.order.refunded_at"),
        ({"status": "refunded"}, "data.order.refunded_amount"),
        ({"version": 0}, "data.order.version"),
        ({"version": "2"}, "data.order.version"),
        ({"surprise": 1}, "data.order.surprise"),
    ],
)
def test_every_malformed_order_field_is_named(client, customer, change, field):
    answer = post_event(client, order_event(customer, **change))
    assert answer.status_code == 400
    assert field in [error["field"] for error in answer.json()["errors"]]
    assert nothing_stored()


def test_every_bad_field_is_named_at_once(client, customer):
    answer = post_event(client, order_event(customer, amount="x", kind="gift", version=-1))
    fields = {error["field"] for error in answer.json()["errors"]}
    assert {"data.order.amount", "data.order.kind", "data.order.version"} <= fields


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "order.updated", "created": 1, "data": {}}, "body.id"),
        ({"id": "e", "type": "order.created", "created": 1, "data": {}}, "type"),
        ({"id": "e", "type": "order.updated", "created": "yesterday", "data": {"order": {}}}, "created"),
        ({"id": "e", "type": "order.updated", "created": 1, "data": []}, "data"),
        ({"id": "e", "type": "order.updated", "created": 1, "data": {"order": {}}}, "data.order.id"),
        ({"id": "e", "type": "customer.updated", "created": 1, "data": {"customer": "x"}}, "data.customer"),
        (
            {
                "id": "e",
                "type": "customer.updated",
                "created": 1,
                "data": {"customer": "6b1f8c1e-3b7a-4a8e-9d7e-2f0c5a1b9c3d", "segment": "vip"},
            },
            "data.segment",
        ),
        (
            {
                "id": "e",
                "type": "customer.updated",
                "created": 1,
                "data": {"customer": "6b1f8c1e-3b7a-4a8e-9d7e-2f0c5a1b9c3d", "identity": {"iris": "x"}},
            },
            "data.identity.iris",
        ),
    ],
)
def test_malformed_envelopes_are_named(client, body, field):
    answer = post_event(client, body)
    assert answer.status_code == 400
    assert field in [error["field"] for error in answer.json()["errors"]]
    assert nothing_stored()


@pytest.mark.parametrize("created", [2**40, -1, 0, 946684799, 4102444800, 1.5e9, True, "1764000000"])
def test_a_created_time_out_of_range_is_named(client, customer, created):
    body = order_event(customer)
    body["created"] = created
    answer = post_event(client, body)
    assert answer.status_code == 400
    assert [error["field"] for error in answer.json()["errors"]] == ["created"]
    assert nothing_stored()


def test_the_edges_of_the_time_range_are_accepted(client, customer):
    body = order_event(customer, placed_at="2000-01-01T08:00:00+08:00", paid_at="2099-12-31T23:59:59+00:00")
    body["created"] = 946684800
    answer = post_event(client, body)
    assert answer.status_code == 200
    assert Event.objects.get().status == "processed"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
def test_a_utf16_or_utf32_body_is_refused_by_name(client, customer, encoding):
    """With or without a byte order mark ("utf-16" and "utf-32" write one), signed as sent."""
    raw = json.dumps(order_event(customer), ensure_ascii=False).encode(encoding)
    answer = post_event(client, None, raw=raw)
    assert answer.status_code == 400
    assert answer.json()["errors"] == [{"field": "body", "message": NOT_UTF8}]
    assert nothing_stored()


def test_a_utf8_body_with_a_byte_order_mark_is_read(client, customer):
    raw = codecs.BOM_UTF8 + json.dumps(order_event(customer, activity="双十一"), ensure_ascii=False).encode()
    assert post_event(client, None, raw=raw).status_code == 200
    assert Order.objects.get().activity == "双十一"


@pytest.mark.parametrize("raw", [b"", b"not json", b"[]", b'"text"', b"\xff\xfe", b"[" * 100_000])
def test_bodies_that_are_not_an_object_are_refused(client, raw):
    answer = post_event(client, None, raw=raw)
    assert answer.status_code == 400
    assert nothing_stored()


def test_unknown_customer_and_product_are_named(client):
    ghost = UserFactory.build()
    answer = post_event(client, order_event(ghost, product="quantum-computer"))
    fields = {error["field"] for error in answer.json()["errors"]}
    assert answer.status_code == 400 and fields == {"data.order.customer", "data.order.product"}
    assert nothing_stored()


# customer.updated


def test_customer_updated_sets_the_segment_and_records_identity_as_hashes(client, customer):
    identity = {"phone": "+86 138-0000-1111", "id_number": "11010519491231002x", "address": "  北京市  海淀区 "}
    data = {"customer": str(customer.uid), "segment": "cbm", "identity": identity}
    assert post_event(client, event("customer.updated", data)).status_code == 200
    assert CustomerProfile.objects.get(customer=customer).segment == "cbm"
    hashes = dict(IdentitySignal.objects.filter(user=customer).values_list("kind", "value_hash"))
    assert hashes == {
        "phone": keyed_hash("13800001111"),
        "id_number": keyed_hash("11010519491231002X"),
        "address": keyed_hash("北京市 海淀区"),
    }


# Fuzzing: whatever the body, never a 500.

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20,
)
order_fields = st.fixed_dictionaries(
    {},
    optional={
        key: json_values
        | st.sampled_from(["paid", "refunded", "prepaid", "new", "ecs", "1.00", "2026-11-20T10:00:00+08:00"])
        for key in order_snapshot(UserFactory.build())
    },
)
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {
            "id": json_values | st.text(min_size=1, max_size=20),
            "type": st.sampled_from(["order.updated", "customer.updated", "x"]),
            "created": json_values,
            "data": st.fixed_dictionaries({"order": order_fields}) | json_values,
        }
    ),
)


@hypothesis_settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(body=bodies)
def test_no_body_ever_gets_a_500(client, body):
    answer = post_event(client, None, raw=json.dumps(body).encode())
    assert answer.status_code in (200, 400, 409)


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=300))
def test_no_bytes_ever_get_a_500(client, raw):
    assert post_event(client, None, raw=raw).status_code in (200, 400, 409)


# Applying events: off the request (retries: test_event_retries.py).


def test_an_accepted_event_waits_until_a_worker_applies_it(client, customer, settings):
    from referrals.billing.services import events_process

    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    settings.EVENTS_KICK_SECONDS = 3600
    from django.core.cache import cache

    cache.add("referrals:events:kick", 1, 3600)  # a worker was woken a moment ago
    post_event(client, order_event(customer))
    assert Event.objects.get().status == "received" and not Order.objects.exists()
    assert events_process() == 1
    assert Event.objects.get().status == "processed" and Order.objects.exists()
    assert events_process() == 0


def test_an_older_segment_update_arriving_late_is_ignored(client, customer):
    newer = event("customer.updated", {"customer": str(customer.uid), "segment": "cbm"})
    older = event("customer.updated", {"customer": str(customer.uid), "segment": "normal"})
    older["created"] = newer["created"] - 60
    post_event(client, newer)
    post_event(client, older)
    assert CustomerProfile.objects.get(customer=customer).segment == "cbm"
