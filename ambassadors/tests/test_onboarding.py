"""The first steps as one checklist (join → verify → bind → share), one status wording on
every page, and the end of the real-name review told by email and on the page (R10.1)."""

import pytest
from django.urls import reverse

from ambassadors import services
from ambassadors.onboarding import OnboardingStatus, StepState, onboarding_checklist
from ambassadors.tests.factories import (
    AmbassadorFactory,
    BoundAmbassadorFactory,
    UserFactory,
    VerifiedAmbassadorFactory,
    make_id_number,
)

pytestmark = pytest.mark.django_db


def submit(ambassador):
    return services.verification_submit(
        ambassador=ambassador, legal_name="王小明", id_number=make_id_number(), phone="13912345678", consent=True
    )


@pytest.fixture
def reviewer():
    return UserFactory(is_staff=True)


def states(checklist):
    return [(step.key, step.state) for step in checklist.steps]


def test_a_newcomer_starts_at_verification():
    checklist = onboarding_checklist(AmbassadorFactory(), None, shared=False)
    assert checklist.status == OnboardingStatus.TO_VERIFY
    assert states(checklist) == [("join", "done"), ("verify", "current"), ("bind", "todo"), ("share", "todo")]
    assert checklist.current.action_url == reverse("center:verify")


def test_under_review_waits_and_offers_no_action():
    ambassador = AmbassadorFactory()
    checklist = onboarding_checklist(ambassador, submit(ambassador), shared=False)
    assert checklist.status == OnboardingStatus.UNDER_REVIEW
    assert checklist.current.key == "verify" and checklist.current.state == StepState.WAITING
    assert not any(step.action_url for step in checklist.steps)


def test_after_approval_binding_is_current_and_the_notice_says_so(reviewer):
    ambassador = AmbassadorFactory()
    verification = services.verification_approve(verification=submit(ambassador), actor=reviewer)
    ambassador.refresh_from_db()
    checklist = onboarding_checklist(ambassador, verification, shared=False)
    assert checklist.status == OnboardingStatus.TO_BIND
    assert states(checklist) == [("join", "done"), ("verify", "done"), ("bind", "current"), ("share", "todo")]
    assert checklist.notice.approved and checklist.notice.decided_at == verification.decided_at


def test_a_rejection_is_current_with_its_reason_until_submitted_again(reviewer):
    ambassador = AmbassadorFactory()
    rejected = services.verification_reject(verification=submit(ambassador), actor=reviewer, reason="照片模糊")
    checklist = onboarding_checklist(ambassador, rejected, shared=False)
    assert checklist.status == OnboardingStatus.REJECTED
    assert checklist.current.key == "verify" and checklist.current.action_url == reverse("center:verify")
    assert (checklist.notice.approved, checklist.notice.reason) == (False, "照片模糊")
    again = onboarding_checklist(ambassador, submit(ambassador), shared=False)
    assert again.notice is None and again.status == OnboardingStatus.UNDER_REVIEW


def test_sharing_is_last_and_completes_the_checklist():
    ambassador = BoundAmbassadorFactory()
    waiting = onboarding_checklist(ambassador, None, shared=False)
    assert waiting.current.key == "share" and not waiting.complete
    assert onboarding_checklist(ambassador, None, shared=True).complete


def test_approval_and_rejection_are_mailed_once(reviewer, mailoutbox, django_capture_on_commit_callbacks):
    approved_one, rejected_one = AmbassadorFactory(), AmbassadorFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = submit(approved_one)
        second = submit(rejected_one)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.verification_approve(verification=first, actor=reviewer)
        services.verification_approve(verification=first, actor=reviewer)  # a second click
        services.verification_reject(verification=second, actor=reviewer, reason="身份证照片与姓名不符")
    assert [message.to for message in mailoutbox] == [[approved_one.user.email], [rejected_one.user.email]]
    approval, rejection = mailoutbox
    assert approval.subject == "实名认证已通过 / Real-name verification approved"
    assert "下一步" in approval.body and "Next step" in approval.body
    assert rejection.subject == "实名认证未通过 / Real-name verification not approved"
    assert "原因：身份证照片与姓名不符" in rejection.body
    assert approved_one.user.email not in approval.body  # nothing personal beyond what it must say


def test_the_account_page_says_under_review_once_and_offers_no_new_submission(client):
    ambassador = AmbassadorFactory()
    submit(ambassador)
    client.force_login(ambassador.user)
    page = client.get(reverse("center:account")).content.decode()
    assert "实名认证审核中" in page
    for contradiction in ("待实名认证", "尚未完成实名认证", "去实名认证"):
        assert contradiction not in page
    home = client.get(reverse("center:home")).content.decode()
    assert "实名认证审核中" in home and "去实名认证" not in home and reverse("center:verify") not in home


def test_the_overview_puts_the_next_step_first_after_approval(client, reviewer):
    ambassador = AmbassadorFactory()
    services.verification_approve(verification=submit(ambassador), actor=reviewer)
    client.force_login(ambassador.user)
    home = client.get(reverse("center:home")).content.decode()
    assert "实名认证已于" in home and "去绑定支付宝" in home
    assert home.index("开通进度") < home.index("返利一览")


def test_a_rejection_is_shown_with_its_reason_on_the_account_page(client, reviewer):
    ambassador = AmbassadorFactory()
    services.verification_reject(verification=submit(ambassador), actor=reviewer, reason="照片模糊")
    client.force_login(ambassador.user)
    page = client.get(reverse("center:account")).content.decode()
    assert "实名认证未通过" in page and "照片模糊" in page and "重新提交" in page


def test_verified_ambassadors_keep_their_state_label():
    assert onboarding_checklist(VerifiedAmbassadorFactory(), None, shared=False).status.label == "待绑定支付宝"
