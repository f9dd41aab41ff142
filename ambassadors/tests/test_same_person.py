"""Same-person links (R9.1): any shared signal links two accounts, in both directions,
with the signal named; an account's group is one query."""

import pytest

from ambassadors.identity import identity_signal_record, same_person_group, shared_signal_kinds
from ambassadors.models import IdentitySignal, SamePersonLink
from ambassadors.tests.factories import UserFactory
from portal.kernel.personal_data import keyed_hash

pytestmark = pytest.mark.django_db
Kind = IdentitySignal.Kind


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (Kind.ID_NUMBER, "11010519491231002X"),
        (Kind.PHONE, "13812345678"),
        (Kind.PAYMENT_ACCOUNT, "pay@example.com"),
        (Kind.DEVICE, "device-7f3a"),
        (Kind.ADDRESS, "北京市海淀区中关村大街1号"),
    ],
)
def test_each_signal_kind_links_two_accounts_both_ways(kind, value, django_assert_num_queries):
    first, second, stranger = UserFactory(), UserFactory(), UserFactory()
    identity_signal_record(user=first, kind=kind, value_hash=keyed_hash(value), source="test")
    identity_signal_record(user=second, kind=kind, value_hash=keyed_hash(value), source="test")
    identity_signal_record(user=stranger, kind=kind, value_hash=keyed_hash(value + "-other"), source="test")

    with django_assert_num_queries(1):
        group = same_person_group(first)
    assert group == {second.pk: {kind}}
    assert same_person_group(second) == {first.pk: {kind}}
    assert same_person_group(stranger) == {}
    assert shared_signal_kinds(first, second) == {kind}


def test_a_value_shown_as_two_kinds_still_links():
    """A phone number that is also an Alipay logon id is the same person."""
    ambassador, customer = UserFactory(), UserFactory()
    identity_signal_record(user=ambassador, kind=Kind.PAYMENT_ACCOUNT, value_hash=keyed_hash("13812345678"), source="a")
    identity_signal_record(user=customer, kind=Kind.PHONE, value_hash=keyed_hash("13812345678"), source="b")
    assert shared_signal_kinds(ambassador, customer) == {Kind.PAYMENT_ACCOUNT}
    assert shared_signal_kinds(customer, ambassador) == {Kind.PHONE}


def test_a_signal_seen_again_adds_no_link():
    first, second = UserFactory(), UserFactory()
    for _ in range(3):
        identity_signal_record(user=first, kind=Kind.DEVICE, value_hash=keyed_hash("d"), source="login")
        identity_signal_record(user=second, kind=Kind.DEVICE, value_hash=keyed_hash("d"), source="visit")
    assert SamePersonLink.objects.count() == 2


def test_three_accounts_on_one_device_are_one_group():
    users = [UserFactory() for _ in range(3)]
    for user in users:
        identity_signal_record(user=user, kind=Kind.DEVICE, value_hash=keyed_hash("shared"), source="login")
    assert set(same_person_group(users[0])) == {users[1].pk, users[2].pk}
