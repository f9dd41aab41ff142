"""Visits to an ambassador's exclusive link, as the link view records them, for tests that
start associations (R3.2) without going through `/r/<code>`."""

import uuid
from datetime import timedelta

from django.utils import timezone

from referrals.attribution.cookies import ReferralVisit
from referrals.attribution.services import referral_link_for


def link_of(ambassador):
    """The ambassador's exclusive link, made on first use."""
    return referral_link_for(ambassador)


def visit_to(ambassador_or_code, *, at=None, visit_id=None):
    """A visit to an ambassador's link (or to a bare code) at `at`."""
    code = ambassador_or_code if isinstance(ambassador_or_code, str) else link_of(ambassador_or_code).code
    return ReferralVisit(code=code, visit_id=str(visit_id or uuid.uuid4()), visited_at=at or timezone.now())


def days_ago(days):
    """A moment `days` before the (pinned) clock."""
    return timezone.now() - timedelta(days=days)
