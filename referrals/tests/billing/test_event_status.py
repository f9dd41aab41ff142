"""GET /api/v1/events/<id>: billing reads what became of an event, signed like a POST;
an unknown id is a 404, and the answer carries no identity value (docs/ARCHITECTURE.md)."""

import json
import time
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import OperationalError
from django.urls import reverse

from ambassadors.tests.factories import UserFactory
from portal.kernel.personal_data import keyed_hash
from portal.kernel.staff import OPERATIONS
from referrals.attribution.services import association_apply
from referrals.billing import services as events
from referrals.models import Event, Order
from referrals.tests.billing.events_helpers import EVENTS_URL, order_event, post_event, sign
from referrals.tests.billing.test_event_identity import IDENTITY, IN_CLEAR, identity_event
from referrals.tests.staff import staff_in
from referrals.tests.visits import visit_to

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
REFUSED = {"errors": [{"field": "Portal-Signature", "message": "missing, stale or wrong"}]}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def customer():
    return UserFactory()


def read_event(client, event_id, *, signed_id=None, **signing):
    """The request as billing makes it: `GET <id>` signed in place of a body."""
    signature = sign(f"GET {signed_id or event_id}".encode(), **signing)
    return client.get(f"{EVENTS_URL}/{event_id}", HTTP_PORTAL_SIGNATURE=signature)


def failing(monkeypatch, event_type, error):
    def broken(data, **context):
        raise error(data)

    monkeypatch.setitem(events.APPLY, event_type, broken)


def test_an_applied_order_event_answers_the_order_decision_and_its_reason(client, customer):
    body = order_event(customer, event_id="evt_1")  # no ambassador: no rebate, and why (R4.1)
    post_event(client, body)
    answer = read_event(client, "evt_1")
    assert answer.status_code == 200
    assert answer.json() == {
        "event": "evt_1",
        "type": "order.updated",
        "status": "applied",
        "attempts": 1,
        "received_at": "2026-11-21T02:00:00+00:00",
        "applied_at": "2026-11-21T02:00:00+00:00",
        "snapshot_applied": True,
        "orders": [
            {"order": "ord-1", "decision": "no_rebate", "reason": "NO_ASSOCIATION", "rebate": "0.00", "on_hold": False}
        ],
    }


def test_a_rebated_order_answers_its_rebate_without_a_reason(client, customer, ambassador, current_rules):
    visited = datetime(2026, 11, 19, 2, 0, tzinfo=UTC)
    association_apply(customer=customer, visit=visit_to(ambassador, at=visited), now=visited)
    post_event(client, order_event(customer, event_id="evt_paid"))  # a member first purchase, 25% (R5.1)
    (order,) = read_event(client, "evt_paid").json()["orders"]
    assert order == {"order": "ord-1", "decision": "rebate", "reason": None, "rebate": "250.00", "on_hold": False}
    assert Order.objects.get().rebate == 250


def test_a_snapshot_older_than_the_stored_one_says_it_was_ignored(client, customer):
    post_event(client, order_event(customer, event_id="evt_v2", version=2))
    post_event(client, order_event(customer, event_id="evt_v1", version=1, status="unpaid", paid_at=None))
    answer = read_event(client, "evt_v1").json()
    assert (answer["status"], answer["snapshot_applied"], answer["stored_version"]) == ("applied", False, 2)
    assert answer["orders"][0]["reason"] == "NO_ASSOCIATION"  # the order as version 2 left it, not UNPAID


def test_an_event_waiting_for_its_next_try_answers_received_with_the_error(client, customer, monkeypatch):
    failing(monkeypatch, "order.updated", lambda data: OperationalError("server closed the connection"))
    post_event(client, order_event(customer, event_id="evt_wait"))
    answer = read_event(client, "evt_wait").json()
    assert answer == {
        "event": "evt_wait",
        "type": "order.updated",
        "status": "received",
        "attempts": 1,
        "received_at": "2026-11-21T02:00:00+00:00",
        "error": "OperationalError: server closed the connection",
        "next_attempt_at": "2026-11-21T02:00:15+00:00",  # 15 s after the first failure
    }


def test_a_failed_event_answers_failed_with_the_error(client, customer, monkeypatch):
    failing(monkeypatch, "order.updated", lambda data: ValueError("cannot decide"))
    post_event(client, order_event(customer, event_id="evt_failed"))
    Event.objects.update(status=Event.Status.FAILED, attempts=events.MAX_ATTEMPTS)
    answer = read_event(client, "evt_failed").json()
    assert (answer["status"], answer["attempts"], answer["error"]) == ("failed", 10, "ValueError: cannot decide")
    assert "orders" not in answer and "next_attempt_at" not in answer


def test_an_unknown_id_is_a_404(client):
    answer = read_event(client, "evt_never_sent")
    assert answer.status_code == 404
    assert answer.json() == {"errors": [{"field": "id", "message": "no event has this id"}]}


def test_an_id_with_a_slash_and_non_ascii_characters_is_read(client, customer):
    post_event(client, order_event(customer, event_id="2026/11/账单-1"))
    assert read_event(client, "2026/11/账单-1").json()["status"] == "applied"


# The signature: the same scheme and the same refusal as POST.


@pytest.mark.parametrize(
    ("secret", "offset"),
    [("not-the-shared-secret", 0), (None, -302), (None, +302)],  # another caller's secret, stale, from the future
)
def test_a_wrong_or_stale_signature_is_refused_as_a_post_is(client, customer, secret, offset):
    post_event(client, order_event(customer, event_id="evt_1"))
    answer = read_event(client, "evt_1", secret=secret, timestamp=int(time.time()) + offset)
    assert (answer.status_code, answer.json()) == (401, REFUSED)
    refused_post = post_event(client, order_event(customer), secret=secret, timestamp=int(time.time()) + offset)
    assert (refused_post.status_code, refused_post.json()) == (401, REFUSED)


@pytest.mark.parametrize("header", [None, "", "garbage", "t=1,v1=00"])
def test_a_missing_or_malformed_signature_is_refused(client, customer, header):
    post_event(client, order_event(customer, event_id="evt_1"))
    extra = {} if header is None else {"HTTP_PORTAL_SIGNATURE": header}
    answer = client.get(f"{EVENTS_URL}/evt_1", **extra)
    assert (answer.status_code, answer.json()) == (401, REFUSED)


def test_a_signature_reads_only_the_event_it_names(client, customer):
    post_event(client, order_event(customer, event_id="evt_1"))
    post_event(client, order_event(customer, event_id="evt_2", id="ord-2"))
    assert read_event(client, "evt_2", signed_id="evt_1").status_code == 401
    assert read_event(client, "evt_1").status_code == 200


def test_an_unknown_id_unsigned_is_refused_not_404(client):
    """Without the secret, nothing tells whether an id exists."""
    assert read_event(client, "evt_never_sent", secret="guess").status_code == 401


def test_a_read_signature_cannot_pass_for_a_post(client):
    raw = b"GET evt_1"
    answer = client.post(EVENTS_URL, data=raw, content_type="application/json", HTTP_PORTAL_SIGNATURE=sign(raw))
    assert answer.status_code == 400  # signed, but no event
    assert not Event.objects.exists()


def test_only_get_reads_an_event(client, customer):
    post_event(client, order_event(customer, event_id="evt_1"))
    raw = b"{}"
    answer = client.post(
        f"{EVENTS_URL}/evt_1", data=raw, content_type="application/json", HTTP_PORTAL_SIGNATURE=sign(raw)
    )
    assert answer.status_code == 405


# Identity values (R9.1, docs/SECURITY.md).


def hashes_of_identity():
    return [keyed_hash(value) for value in ("13800001111", "dev-7f3a9c21e5")]


def test_an_identity_event_answers_how_many_orders_were_decided_again_and_no_value(client, customer):
    post_event(client, order_event(customer, event_id="evt_order"))
    post_event(client, identity_event(customer, event_id="evt_identity"))
    answer = read_event(client, "evt_identity")
    text = answer.content.decode()
    assert answer.json() | {"received_at": None, "applied_at": None} == {
        "event": "evt_identity",
        "type": "customer.updated",
        "status": "applied",
        "attempts": 1,
        "received_at": None,
        "applied_at": None,
        "orders_rejudged": 1,
    }
    assert not [value for value in IN_CLEAR if value.lower() in text.lower()]
    assert not [value for value in hashes_of_identity() if value in text]


def test_a_failed_identity_event_hides_the_hashes_its_error_quotes(client, customer, monkeypatch):
    failing(monkeypatch, "customer.updated", lambda data: ValueError(json.dumps(data["identity"])))
    post_event(client, identity_event(customer, event_id="evt_identity"))
    assert "hmac-sha256:" in Event.objects.get().error  # the error as kept quotes the stored hashes
    answer = read_event(client, "evt_identity")
    text = answer.content.decode()
    assert answer.json()["error"].startswith('ValueError: {"id_number": "[hidden]"')
    assert "hmac-sha256:" not in text and not [value for value in hashes_of_identity() if value in text]
    assert not [value for value in IN_CLEAR if value.lower() in text.lower()]
    assert IDENTITY["phone"] not in text


# The event admin: each event's status and tries at a glance.


def test_the_event_admin_lists_status_and_attempts_as_columns(client, customer, monkeypatch):
    failing(monkeypatch, "order.updated", lambda data: ValueError("cannot decide"))
    post_event(client, order_event(customer, event_id="evt_admin"))
    client.force_login(staff_in(OPERATIONS))
    page = client.get(reverse("admin:referrals_event_changelist")).content.decode()
    assert 'column-status">' in page and 'column-attempts">' in page
    assert 'class="field-status">已接收，待处理<' in page
    assert 'class="field-attempts">1<' in page
