"""The verifier interface: told after commit, decides through the services."""

import pytest

from ambassadors import services
from ambassadors.models import Verification
from ambassadors.tests.factories import make_id_number

pytestmark = pytest.mark.django_db


class InstantVerifier:
    """A stand-in identity provider that approves everything it is told about."""

    told = []

    def submitted(self, verification_id):
        self.told.append(verification_id)
        services.verification_approve(verification=Verification.objects.get(pk=verification_id), actor=None)


def test_the_configured_verifier_is_told_after_commit_and_can_decide(
    settings, ambassador, django_capture_on_commit_callbacks
):
    settings.AMBASSADOR_VERIFIER = f"{__name__}.InstantVerifier"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        verification = services.verification_submit(
            ambassador=ambassador, legal_name="张三", id_number=make_id_number(), phone="13812345678", consent=True
        )
    assert InstantVerifier.told == []  # nothing is said before the transaction commits
    for callback in callbacks:
        callback()
    assert InstantVerifier.told == [verification.pk]
    ambassador.refresh_from_db()
    assert ambassador.program_state == "verified"


def test_the_shipped_verifier_leaves_the_decision_to_staff(ambassador, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        verification = services.verification_submit(
            ambassador=ambassador, legal_name="张三", id_number=make_id_number(), phone="13812345678", consent=True
        )
    verification.refresh_from_db()
    assert verification.status == Verification.Status.SUBMITTED
