"""Billing's identity values never rest in clear: not in a stored event, not in a
database dump, not on the event's admin page; idempotency still holds (R9.1,
docs/SECURITY.md)."""

import importlib
import json

import pytest
from django.contrib.admin.utils import quote
from django.contrib.auth.models import Group
from django.urls import reverse

from ambassadors.models import IdentitySignal
from ambassadors.tests.factories import UserFactory
from portal.kernel.personal_data import keyed_hash
from portal.kernel.staff import OPERATIONS, RISK, staff_groups_sync
from portal.tests.dumps import database_dump
from referrals.billing.identity import STORED_PREFIX
from referrals.billing.services import event_body_digest
from referrals.models import Event
from referrals.tests.billing.events_helpers import event, post_event

IDENTITY = {
    "id_number": "11010519491231002x",
    "phone": "+86 138-0000-1111",
    "payment_account": "Zhang.San@Example.com",
    "address": "北京市  海淀区 中关村大街27号",
    "device_id": "dev-7f3a9c21e5",
}
# Each value in every form it may take: as sent, normalised, JSON-escaped.
IN_CLEAR = [
    "11010519491231002",  # the ID number without its check character, so both cases of x
    "138-0000-1111",
    "13800001111",  # also inside +8613800001111
    "zhang.san@example.com",
    "中关村大街27号",
    json.dumps("中关村大街27号")[1:-1],  # \u4e2d\u5173… as json.dumps writes it
    "dev-7f3a9c21e5",
]


def identity_event(customer, identity=IDENTITY, **kwargs):
    return event("customer.updated", {"customer": str(customer.uid), "identity": identity}, **kwargs)


def in_clear(text):
    text = text.replace("\\\\", "\\").lower()  # pg_dump's COPY format doubles backslashes
    return [value for value in IN_CLEAR if value.lower() in text]


@pytest.mark.django_db(transaction=True)
def test_a_database_dump_after_an_identity_event_holds_none_of_its_values(client):
    customer = UserFactory()
    body = identity_event(customer)
    assert post_event(client, body).status_code == 200

    dump = database_dump()
    assert body["id"] in dump  # the dump really holds the event
    assert keyed_hash("13800001111") in dump  # and the signal, matchable by its hash
    assert in_clear(dump) == []


@pytest.mark.django_db
def test_the_stored_body_holds_keyed_hashes_and_the_worker_records_them(client):
    customer = UserFactory()
    post_event(client, identity_event(customer))
    stored = json.loads(Event.objects.get().body)
    expected = {
        "id_number": keyed_hash("11010519491231002X"),
        "phone": keyed_hash("13800001111"),
        "payment_account": keyed_hash("zhang.san@example.com"),
        "address": keyed_hash("北京市 海淀区 中关村大街27号"),
        "device": keyed_hash("dev-7f3a9c21e5"),
    }
    assert stored["data"]["identity"] == {
        key: STORED_PREFIX + expected["device" if key == "device_id" else key] for key in IDENTITY
    }
    assert dict(IdentitySignal.objects.filter(user=customer).values_list("kind", "value_hash")) == expected
    assert Event.objects.get().status == "processed"


@pytest.mark.django_db
def test_a_replay_of_an_identity_event_is_200_and_another_body_under_its_id_is_409(client):
    """The body digest is of the bytes as received: the stored body cannot be compared."""
    customer = UserFactory()
    body = identity_event(customer, event_id="evt_identity")
    assert post_event(client, body).status_code == 200
    assert post_event(client, body).status_code == 200
    other = identity_event(customer, {**IDENTITY, "phone": "13900002222"}, event_id="evt_identity")
    other["created"] = body["created"]
    assert post_event(client, other).status_code == 409
    assert IdentitySignal.objects.filter(user=customer, kind="phone").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("group", [RISK, OPERATIONS])
def test_the_event_admin_shows_no_identity_value(client, group):
    customer = UserFactory()
    body = identity_event(customer)
    post_event(client, body)
    staff_groups_sync()
    staff = UserFactory(is_staff=True)
    staff.groups.add(Group.objects.get(name=group))
    client.force_login(staff)
    for url in (
        reverse("admin:referrals_event_changelist"),
        reverse("admin:referrals_event_change", args=[quote(body["id"])]),  # the admin unquotes "_5F" and the like
    ):
        page = client.get(url)
        assert page.status_code == 200
        assert in_clear(page.content.decode()) == []
    assert STORED_PREFIX in page.content.decode()  # the change page shows the body, hashed


@pytest.mark.django_db
def test_the_migration_hashes_identity_in_events_stored_before_it(client):
    """Rows written by the earlier code: the body verbatim, its plain SHA-256."""
    import hashlib

    migration = importlib.import_module("referrals.migrations.0015_event_identity_hashed")
    customer = UserFactory()
    body = identity_event(customer, event_id="evt_before")
    raw = json.dumps(body).encode()
    Event.objects.create(
        id="evt_before", type=body["type"], body=raw.decode(), body_digest=hashlib.sha256(raw).hexdigest()
    )
    order_raw = b'{"id": "evt_order", "type": "order.updated", "created": 1764000000, "data": {}}'
    Event.objects.create(
        id="evt_order", type="order.updated", body=order_raw.decode(), body_digest=hashlib.sha256(order_raw).hexdigest()
    )

    from django.apps import apps

    migration.hash_identity_in_stored_events(apps, None)
    migration.hash_identity_in_stored_events(apps, None)  # run again: hashes are not hashed twice

    stored = Event.objects.get(id="evt_before")
    assert in_clear(stored.body) == []
    assert json.loads(stored.body)["data"]["identity"]["phone"] == STORED_PREFIX + keyed_hash("13800001111")
    assert stored.body_digest == event_body_digest(raw)
    assert Event.objects.get(id="evt_order").body == order_raw.decode()  # nothing personal: left as it was
    # Billing sending the same bytes again is still a replay; other bytes under the id, a conflict.
    assert post_event(client, None, raw=raw).status_code == 200
    assert post_event(client, None, raw=raw.replace(b"+86 ", b"")).status_code == 409
