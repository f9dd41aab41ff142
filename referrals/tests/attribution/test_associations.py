"""R3, clause by clause, through the association service."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ambassadors import services as ambassador_services
from ambassadors.identity import identity_signal_record
from ambassadors.models import IdentitySignal
from ambassadors.tests.factories import UserFactory, VerifiedAmbassadorFactory
from referrals.attribution import selectors
from referrals.attribution.services import (
    association_apply,
    associations_expire,
    customer_mark_old,
    customer_segment_set,
    device_seen,
)
from referrals.models import Association, AssociationRefusal, CustomerProfile, EndReason, RefusalReason
from referrals.tests.visits import days_ago, visit_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def first():
    return VerifiedAmbassadorFactory()


@pytest.fixture
def second():
    return VerifiedAmbassadorFactory()


@pytest.fixture
def customer():
    return UserFactory()


def active_customers(ambassador):
    return [a.customer for a in selectors.active_associations_of(ambassador, now=timezone.now())]


# R3.1: a visit associates a new customer for 30 days from the visit.


def test_r3_1_a_visit_associates_a_new_customer_for_thirty_days_from_the_visit(first, customer):
    visited = days_ago(2)
    association = association_apply(customer=customer, visit=visit_to(first, at=visited))
    assert association.ambassador == first
    assert association.started_at == visited
    assert association.expires_at == visited + timedelta(days=30)
    assert active_customers(first) == [customer]


# R3.2: the last visit wins; the first ambassador no longer sees the customer.


def test_r3_2_a_visit_to_another_link_moves_the_customer_and_keeps_the_history(first, second, customer):
    old = association_apply(customer=customer, visit=visit_to(first, at=days_ago(5)))
    moved_at = days_ago(1)
    new = association_apply(customer=customer, visit=visit_to(second, at=moved_at))
    old.refresh_from_db()
    assert (old.ended_at, old.end_reason, old.taken_over_by) == (moved_at, EndReason.TAKEN_OVER, new)
    assert active_customers(first) == []
    assert active_customers(second) == [customer]
    lost = list(selectors.lost_associations_of(first, now=timezone.now()))
    assert [(a.customer, a.end_reason) for a in lost] == [(customer, EndReason.TAKEN_OVER)]


def test_r3_2_a_revisit_of_the_same_ambassador_renews_the_window(first, customer):
    association = association_apply(customer=customer, visit=visit_to(first, at=days_ago(20)))
    revisited = days_ago(1)
    renewed = association_apply(customer=customer, visit=visit_to(first, at=revisited))
    assert renewed.pk == association.pk
    assert renewed.expires_at == revisited + timedelta(days=30)
    assert Association.objects.filter(customer=customer).count() == 1


def test_the_same_visit_applied_twice_changes_nothing(first, customer):
    visit = visit_to(first)
    assert association_apply(customer=customer, visit=visit) == association_apply(customer=customer, visit=visit)
    assert Association.objects.count() == 1


def test_an_older_visit_arriving_late_does_not_undo_a_newer_one(first, second, customer):
    older = visit_to(first, at=days_ago(3))
    association_apply(customer=customer, visit=visit_to(second, at=days_ago(1)))
    assert association_apply(customer=customer, visit=older) is None
    assert active_customers(second) == [customer]


# R3.4: expiry at read time and by the job; a customer who becomes old is released.


def test_r3_4_an_association_past_its_window_is_not_active_even_before_the_job(first, customer):
    association_apply(customer=customer, visit=visit_to(first, at=days_ago(31)))
    assert active_customers(first) == []
    lost = list(selectors.lost_associations_of(first, now=timezone.now()))
    assert [a.customer for a in lost] == [customer]


def test_r3_4_the_expiry_job_records_the_end_at_the_window_end(first, customer):
    association = association_apply(customer=customer, visit=visit_to(first, at=days_ago(29)))
    association_apply(customer=UserFactory(), visit=visit_to(first, at=days_ago(1)))
    two_days_on = timezone.now() + timedelta(days=2)
    assert associations_expire(now=two_days_on) == 1
    assert associations_expire(now=two_days_on) == 0  # safe to run twice
    association.refresh_from_db()
    assert (association.ended_at, association.end_reason) == (association.expires_at, EndReason.WINDOW_ENDED)


def test_r3_4_a_visit_applied_after_its_window_is_recorded_as_ended(first, customer):
    visited = days_ago(31)
    association = association_apply(customer=customer, visit=visit_to(first, at=visited))
    assert (association.ended_at, association.end_reason) == (visited + timedelta(days=30), EndReason.WINDOW_ENDED)
    assert active_customers(first) == []


def test_r3_4_a_visit_after_expiry_starts_a_new_association(first, customer):
    expired = association_apply(customer=customer, visit=visit_to(first, at=days_ago(40)))
    fresh = association_apply(customer=customer, visit=visit_to(first, at=days_ago(1)))
    expired.refresh_from_db()
    assert fresh.pk != expired.pk
    assert expired.end_reason == EndReason.WINDOW_ENDED
    assert active_customers(first) == [customer]
    assert list(selectors.lost_associations_of(first, now=timezone.now())) == []  # associated again


def test_r3_4_a_customer_who_becomes_old_is_released(first, customer):
    association = association_apply(customer=customer, visit=visit_to(first, at=days_ago(3)))
    paid_at = days_ago(1)
    customer_mark_old(customer=customer, at=paid_at)
    association.refresh_from_db()
    assert (association.ended_at, association.end_reason) == (paid_at, EndReason.BECAME_OLD)
    assert active_customers(first) == []


# R3.5: who cannot be associated, each refusal recorded with its reason.


def refused(customer, ambassador_or_code):
    result = association_apply(customer=customer, visit=visit_to(ambassador_or_code))
    assert isinstance(result, AssociationRefusal)
    assert not Association.objects.filter(customer=customer).exists()
    return result.reason


@pytest.mark.parametrize("segment", [CustomerProfile.Segment.CBM, CustomerProfile.Segment.PARTNER])
def test_r3_5_cbm_and_partner_customers_are_refused(first, customer, segment):
    customer_segment_set(customer=customer, segment=segment)
    assert refused(customer, first) == RefusalReason.CBM_OR_PARTNER


def test_r3_5_old_customers_are_refused(first, customer):
    """R1.4: an old customer's visit associates no one."""
    customer_mark_old(customer=customer, at=days_ago(10))
    assert refused(customer, first) == RefusalReason.OLD_CUSTOMER


def test_r3_5_the_ambassador_visiting_their_own_link_is_refused(first):
    assert refused(first.user, first) == RefusalReason.SAME_PERSON


@pytest.mark.parametrize(
    "kind",
    [IdentitySignal.Kind.DEVICE, IdentitySignal.Kind.PHONE, IdentitySignal.Kind.ID_NUMBER, IdentitySignal.Kind.ADDRESS],
)
def test_r3_5_a_same_person_account_by_any_shared_signal_is_refused(first, customer, kind):
    identity_signal_record(user=first.user, kind=kind, value_hash="shared-hash", source="test")
    identity_signal_record(user=customer, kind=kind, value_hash="shared-hash", source="test")
    assert refused(customer, first) == RefusalReason.SAME_PERSON
    refusal = AssociationRefusal.objects.get(customer=customer)
    assert refusal.detail == kind  # which signal linked them, for risk staff


def test_r3_5_a_phone_that_is_also_an_alipay_account_links_accounts(first, customer):
    ambassador_services.alipay_bind(ambassador=first, account="13800001111", holder_confirmed=True)
    from portal.kernel.personal_data import keyed_hash

    identity_signal_record(
        user=customer, kind=IdentitySignal.Kind.PHONE, value_hash=keyed_hash("13800001111"), source="billing"
    )
    assert refused(customer, first) == RefusalReason.SAME_PERSON


def test_r3_5_a_device_seen_at_both_log_ins_links_accounts(first, customer):
    device_seen(user=first.user, device_id="one-browser", source="login")
    device_seen(user=customer, device_id="one-browser", source="login")
    assert refused(customer, first) == RefusalReason.SAME_PERSON


def test_r3_5_a_cancelled_ambassador_is_refused(first, customer):
    code = visit_to(first).code  # the link exists before the cancellation
    ambassador_services.ambassador_cancel(ambassador=first, actor=first.user)
    assert refused(customer, code) == RefusalReason.INACTIVE_AMBASSADOR


def test_an_unknown_link_is_refused(customer):
    assert refused(customer, "no-such-code") == RefusalReason.UNKNOWN_LINK


def test_a_customer_of_a_cancelled_ambassador_is_free_for_another(first, second, customer):
    first_association = association_apply(customer=customer, visit=visit_to(first, at=days_ago(2)))
    ambassador_services.ambassador_cancel(ambassador=first, actor=first.user)  # without releasing
    association_apply(customer=customer, visit=visit_to(second))
    first_association.refresh_from_db()
    assert first_association.end_reason == EndReason.AMBASSADOR_INACTIVE
    assert active_customers(second) == [customer]


# R3.6: the attribution model is a setting.


def test_r3_6_first_visit_wins_when_configured(settings, first, second, customer):
    settings.REFERRAL_ATTRIBUTION = {"model": "first_visit", "window_days": 30}
    association_apply(customer=customer, visit=visit_to(first, at=days_ago(2)))
    refusal = association_apply(customer=customer, visit=visit_to(second))
    assert refusal.reason == RefusalReason.ASSOCIATED_ELSEWHERE
    assert active_customers(first) == [customer]
    assert active_customers(second) == []


def test_r3_6_the_window_is_a_setting(settings, first, customer):
    settings.REFERRAL_ATTRIBUTION = {"model": "last_visit", "window_days": 7}
    visited = days_ago(1)
    assert association_apply(customer=customer, visit=visit_to(first, at=visited)).expires_at == visited + timedelta(
        days=7
    )


# Visits arriving late keep one timeline without overlaps.


def open_or_running(customer, moment):
    """The associations that held the customer at `moment`."""
    return [
        a
        for a in Association.objects.filter(customer=customer)
        if a.started_at <= moment < min(a.ended_at or a.expires_at, a.expires_at)
    ]


@pytest.mark.parametrize("expiry_job_ran", [False, True])
def test_a_late_visit_to_another_ambassador_takes_over_at_the_visit_time(first, second, customer, expiry_job_ran):
    start = days_ago(40)
    old = association_apply(customer=customer, visit=visit_to(first, at=start))
    if expiry_job_ran:
        associations_expire()
    took_over_at = start + timedelta(days=25)  # inside the first window, applied only now
    new = association_apply(customer=customer, visit=visit_to(second, at=took_over_at))
    old.refresh_from_db()
    assert (old.ended_at, old.end_reason) == (took_over_at, EndReason.TAKEN_OVER)
    assert new.started_at == took_over_at
    for day in range(0, 40):
        assert len(open_or_running(customer, start + timedelta(days=day, hours=1))) <= 1


@pytest.mark.parametrize("expiry_job_ran", [False, True])
def test_a_late_revisit_of_the_same_ambassador_renews_instead_of_doubling(first, customer, expiry_job_ran):
    start = days_ago(40)
    association = association_apply(customer=customer, visit=visit_to(first, at=start))
    if expiry_job_ran:
        associations_expire()
    revisit = start + timedelta(days=25)
    renewed = association_apply(customer=customer, visit=visit_to(first, at=revisit))
    assert renewed.pk == association.pk
    assert Association.objects.filter(customer=customer).count() == 1
    assert renewed.expires_at == revisit + timedelta(days=30)
    assert renewed.ended_at is None and active_customers(first) == [customer]


# A visit counts for one account.


def test_a_visit_applied_to_one_account_is_refused_for_another(first, customer):
    visit = visit_to(first)
    association_apply(customer=customer, visit=visit)
    other = UserFactory()
    refusal = association_apply(customer=other, visit=visit)
    assert refusal.reason == RefusalReason.VISIT_USED
    assert active_customers(first) == [customer]


# Billing says late that a customer became old.


def test_a_late_became_old_never_ends_an_association_before_it_started(first, customer):
    started = days_ago(2)
    association = association_apply(customer=customer, visit=visit_to(first, at=started))
    customer_mark_old(customer=customer, at=days_ago(5))  # paid before the visit
    association.refresh_from_db()
    assert (association.ended_at, association.end_reason) == (started, EndReason.BECAME_OLD)


def test_a_became_old_moved_earlier_corrects_an_earlier_end(first, customer):
    association = association_apply(customer=customer, visit=visit_to(first, at=days_ago(10)))
    customer_mark_old(customer=customer, at=days_ago(2))
    customer_mark_old(customer=customer, at=days_ago(6))
    association.refresh_from_db()
    assert association.ended_at == CustomerProfile.objects.get(customer=customer).became_old_at


# Cancelling releases the ambassador's customers at once.


def test_cancelling_releases_customers_at_the_cancellation(first, second, customer):
    from portal.shell.membership import membership_cancel

    association = association_apply(customer=customer, visit=visit_to(first, at=days_ago(3)))
    membership_cancel(ambassador=first, actor=first.user)
    association.refresh_from_db()
    first.refresh_from_db()
    assert (association.ended_at, association.end_reason) == (first.cancelled_at, EndReason.AMBASSADOR_INACTIVE)
    assert active_customers(first) == []
    association_apply(customer=customer, visit=visit_to(second))
    assert active_customers(second) == [customer]


def test_the_lost_list_shows_a_customer_once(first, second, customer):
    times = {day: days_ago(day) for day in (9, 7, 5, 3)}
    for ambassador, day in ((first, 9), (second, 7), (first, 5), (second, 3)):
        association_apply(customer=customer, visit=visit_to(ambassador, at=times[day]))
    lost = list(selectors.lost_associations_of(first, now=timezone.now()))
    assert [(a.customer, a.started_at, a.ended_at) for a in lost] == [(customer, times[5], times[3])]
