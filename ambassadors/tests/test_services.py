"""R10: joining, verification decisions, the Alipay binding and cancelling."""

import pytest

from ambassadors import services
from ambassadors.models import Ambassador, ProgramState, Verification
from ambassadors.tests.factories import (
    AmbassadorFactory,
    BoundAmbassadorFactory,
    UserFactory,
    VerifiedAmbassadorFactory,
    make_id_number,
)
from portal.kernel.audit import audit_trail
from portal.kernel.errors import PortalError
from portal.kernel.personal_data import keyed_hash

pytestmark = pytest.mark.django_db


def submit(ambassador, **overrides):
    fields = {
        "legal_name": "张三",
        "id_number": make_id_number(),
        "phone": "13812345678",
        "consent": True,
    }
    return services.verification_submit(ambassador=ambassador, **(fields | overrides))


@pytest.fixture
def staff():
    return UserFactory(is_staff=True)


def test_joining_is_idempotent_and_audited(user):
    first = services.ambassador_join(user=user)
    second = services.ambassador_join(user=user)
    assert first == second
    assert first.program_state == ProgramState.PENDING_VERIFICATION
    assert [entry.action for entry in audit_trail(first)] == ["ambassador.join"]


def test_a_cancelled_ambassador_cannot_join_again(ambassador):
    services.ambassador_cancel(ambassador=ambassador, actor=ambassador.user)
    with pytest.raises(PortalError):
        services.ambassador_join(user=ambassador.user)


def test_submission_needs_consent_and_records_it(ambassador):
    with pytest.raises(PortalError):
        submit(ambassador, consent=False)
    assert not Verification.objects.exists()
    verification = submit(ambassador)
    assert verification.consent_version == services.CONSENT_VERSION
    assert verification.consented_at is not None
    assert verification.status == Verification.Status.SUBMITTED


@pytest.mark.parametrize("bad", [{"id_number": "440304199001011234"}, {"legal_name": "Zhang"}, {"phone": "123"}])
def test_a_bad_submission_changes_nothing(ambassador, bad):
    with pytest.raises(PortalError) as refusal:
        submit(ambassador, **bad)
    assert refusal.value.message
    assert not Verification.objects.exists()


def test_only_one_submission_waits_at_a_time(ambassador):
    submit(ambassador)
    with pytest.raises(PortalError):
        submit(ambassador)
    assert Verification.objects.count() == 1


def test_approval_writes_the_binding(ambassador, staff):
    number = make_id_number()
    verification = submit(ambassador, id_number=number)
    services.verification_approve(verification=verification, actor=staff)
    ambassador.refresh_from_db()
    assert ambassador.program_state == ProgramState.VERIFIED
    assert ambassador.legal_name == "张三"
    assert ambassador.id_number == number
    assert ambassador.id_number_hash == keyed_hash(number)
    verification.refresh_from_db()
    assert verification.decided_by == staff
    assert [e.action for e in audit_trail(verification)] == ["verification.approve", "verification.submit"]


def test_approving_twice_is_harmless(ambassador, staff):
    verification = submit(ambassador)
    services.verification_approve(verification=verification, actor=staff)
    services.verification_approve(verification=verification, actor=staff)
    assert len([e for e in audit_trail(verification) if e.action == "verification.approve"]) == 1


def test_rejection_needs_a_reason_the_ambassador_can_read(ambassador, staff):
    verification = submit(ambassador)
    with pytest.raises(PortalError):
        services.verification_reject(verification=verification, actor=staff, reason="  ")
    services.verification_reject(verification=verification, actor=staff, reason="姓名与证件不符")
    verification.refresh_from_db()
    assert verification.status == Verification.Status.REJECTED
    assert verification.reject_reason == "姓名与证件不符"
    ambassador.refresh_from_db()
    assert ambassador.program_state == ProgramState.PENDING_VERIFICATION


def test_a_rejected_ambassador_may_submit_again(ambassador, staff):
    services.verification_reject(verification=submit(ambassador), actor=staff, reason="照片模糊")
    assert submit(ambassador).status == Verification.Status.SUBMITTED


def test_a_decided_verification_cannot_be_decided_the_other_way(ambassador, staff):
    verification = submit(ambassador)
    services.verification_reject(verification=verification, actor=staff, reason="不符")
    with pytest.raises(PortalError):
        services.verification_approve(verification=verification, actor=staff)


def test_one_identity_verifies_only_one_ambassador(staff):
    number = make_id_number()
    first, second = AmbassadorFactory(), AmbassadorFactory()
    services.verification_approve(verification=submit(first, id_number=number), actor=staff)
    # The form does not say the number is in use (no oracle); the review does.
    waiting = submit(second, id_number=number)
    decided = services.verification_approve(verification=waiting, actor=staff)
    assert decided.status == Verification.Status.REJECTED
    assert "一个身份只能认证一个云大使" in decided.reject_reason
    second.refresh_from_db()
    assert second.verified_at is None
    assert submit(second).status == Verification.Status.SUBMITTED  # not stuck: they may try again


def test_a_verified_ambassador_cannot_submit_again(verified_ambassador):
    with pytest.raises(PortalError):
        submit(verified_ambassador)


def test_alipay_binding_needs_verification_first(ambassador):
    with pytest.raises(PortalError):
        services.alipay_bind(ambassador=ambassador, account="13812345678", holder_confirmed=True)
    ambassador.refresh_from_db()
    assert ambassador.alipay_account is None


def test_alipay_binding_needs_the_holder_confirmed(verified_ambassador):
    with pytest.raises(PortalError):
        services.alipay_bind(ambassador=verified_ambassador, account="13812345678", holder_confirmed=False)


def test_alipay_binds_once(verified_ambassador):
    services.alipay_bind(ambassador=verified_ambassador, account="13812345678", holder_confirmed=True)
    verified_ambassador.refresh_from_db()
    assert verified_ambassador.program_state == ProgramState.BOUND
    assert verified_ambassador.alipay_account == "13812345678"
    with pytest.raises(PortalError):
        services.alipay_bind(ambassador=verified_ambassador, account="13900000000", holder_confirmed=True)
    verified_ambassador.refresh_from_db()
    assert verified_ambassador.alipay_account == "13812345678"


def test_an_alipay_account_binds_to_one_ambassador():
    BoundAmbassadorFactory(alipay_account="a@example.com", alipay_account_hash=keyed_hash("a@example.com"))
    other = VerifiedAmbassadorFactory()
    with pytest.raises(PortalError):
        services.alipay_bind(ambassador=other, account="A@Example.com", holder_confirmed=True)


def test_cancelling_ends_membership_keeps_history_and_is_idempotent(verified_ambassador):
    services.ambassador_cancel(ambassador=verified_ambassador, actor=verified_ambassador.user)
    services.ambassador_cancel(ambassador=verified_ambassador, actor=verified_ambassador.user)
    verified_ambassador.refresh_from_db()
    assert verified_ambassador.program_state == ProgramState.CANCELLED
    assert verified_ambassador.id_number  # kept for finance and tax (R10.2)
    assert [e.action for e in audit_trail(verified_ambassador)] == ["ambassador.cancel"]
    assert Ambassador.objects.filter(pk=verified_ambassador.pk).exists()


def test_a_cancelled_ambassador_cannot_verify(ambassador):
    services.ambassador_cancel(ambassador=ambassador, actor=ambassador.user)
    with pytest.raises(PortalError, match="注销"):
        submit(ambassador)


def test_a_cancelled_ambassador_cannot_bind(verified_ambassador):
    services.ambassador_cancel(ambassador=verified_ambassador, actor=verified_ambassador.user)
    with pytest.raises(PortalError, match="注销"):
        services.alipay_bind(ambassador=verified_ambassador, account="13812345678", holder_confirmed=True)
