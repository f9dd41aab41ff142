"""The verification review in the admin: masks everywhere, the full name and ID number on the
review page only for holders of `ambassadors.view_full_identity`, each view audited."""

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from ambassadors import services
from ambassadors.tests.factories import AmbassadorFactory, UserFactory, make_id_number
from portal.kernel.models import AuditEntry
from portal.kernel.staff import FINANCE, RISK, staff_groups_sync

pytestmark = pytest.mark.django_db

NAME = "欧阳娜娜"
ID_NUMBER = make_id_number(birth="19900307")


def staff_in(group):
    staff_groups_sync()
    member = UserFactory(is_staff=True)
    member.groups.add(Group.objects.get(name=group))
    return member


def reviewer_without_the_permission():
    """May review and decide, may not see identities in clear."""
    member = UserFactory(is_staff=True)
    member.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="ambassadors", codename__in=["view_verification", "decide_verification"]
        )
    )
    return member


@pytest.fixture
def verification():
    return services.verification_submit(
        ambassador=AmbassadorFactory(), legal_name=NAME, id_number=ID_NUMBER, phone="13812345678", consent=True
    )


def review_page(client, verification):
    return client.get(reverse("admin:ambassadors_verification_change", args=[verification.pk])).content.decode()


def test_the_risk_group_holds_the_permission_and_finance_does_not():
    assert staff_in(RISK).has_perm("ambassadors.view_full_identity")
    assert not staff_in(FINANCE).has_perm("ambassadors.view_full_identity")


def test_a_holder_sees_the_full_name_and_id_number_and_each_view_is_audited(client, verification):
    reviewer = staff_in(RISK)
    client.force_login(reviewer)
    with time_machine.travel("2026-12-03 10:00 +0800", tick=False):
        page = review_page(client, verification)
    assert NAME in page and ID_NUMBER in page
    assert "13812345678" not in page and "138****5678" in page  # the phone stays masked
    review_page(client, verification)
    entries = AuditEntry.objects.filter(action="verification.full_identity_viewed").order_by("pk")
    assert entries.count() == 2  # one per view
    first = entries.first()
    assert (first.actor, first.target_type, first.target_id) == (
        reviewer,
        "ambassadors.verification",
        str(verification.pk),
    )
    assert first.after["ambassador"] == verification.ambassador_id
    assert first.at.isoformat() == "2026-12-03T02:00:00+00:00"
    assert NAME not in str(first.after) and ID_NUMBER not in str(first.after)  # the log holds masks only


def test_a_reviewer_without_the_permission_sees_masks_and_nothing_is_audited(client, verification):
    client.force_login(reviewer_without_the_permission())
    page = review_page(client, verification)
    assert NAME not in page and ID_NUMBER not in page
    assert "欧***" in page and ID_NUMBER[:3] + "*" * 11 + ID_NUMBER[-4:] in page
    assert not AuditEntry.objects.filter(action="verification.full_identity_viewed").exists()


def test_a_holder_still_decides_on_the_page_and_a_decision_is_not_a_view(client, verification):
    client.force_login(staff_in(RISK))
    url = reverse("admin:ambassadors_verification_change", args=[verification.pk])
    answer = client.post(url, {"decision": "approve"})
    assert answer.status_code == 302
    verification.refresh_from_db()
    assert verification.status == "approved"
    assert not AuditEntry.objects.filter(action="verification.full_identity_viewed").exists()


def test_an_undecided_review_asks_for_the_reason_once(client, verification):
    client.force_login(staff_in(RISK))
    client.cookies["django_language"] = "en"
    page = review_page(client, verification)
    assert page.count("Reason for rejection") == 1 and 'name="reason"' in page

    services.verification_reject(verification=verification, actor=staff_in(RISK), reason="照片不清晰")
    decided = review_page(client, verification)
    assert "照片不清晰" in decided and 'name="reason"' not in decided


@pytest.mark.parametrize(
    ("name", "of"),
    [
        ("admin:ambassadors_verification_changelist", None),
        ("admin:ambassadors_verification_history", "verification"),
        ("admin:ambassadors_ambassador_changelist", None),
        ("admin:ambassadors_ambassador_change", "ambassador"),
        ("admin:portal_auditentry_changelist", None),
    ],
)
def test_no_other_page_shows_them_even_to_a_holder(client, verification, name, of):
    services.verification_approve(verification=verification, actor=None)  # the ambassador holds them now
    client.force_login(UserFactory(is_staff=True, is_superuser=True))  # holds every permission
    assert NAME in review_page(client, verification)  # and so an audit entry to list
    args = {"verification": [verification.pk], "ambassador": [verification.ambassador_id], None: []}[of]
    answer = client.get(reverse(name, args=args))
    assert answer.status_code == 200
    page = answer.content.decode()
    assert NAME not in page and ID_NUMBER not in page
