import pytest
from django.core.management import CommandError, call_command

from ambassadors.tests.factories import UserFactory, VerifiedAmbassadorFactory
from referrals.attribution.services import association_apply
from referrals.models import EndReason
from referrals.tests.visits import days_ago, visit_to

pytestmark = pytest.mark.django_db


def test_expire_associations_for_a_given_moment(capsys):
    association = association_apply(customer=UserFactory(), visit=visit_to(VerifiedAmbassadorFactory(), at=days_ago(1)))
    call_command("expire_associations", at=association.expires_at.isoformat())
    association.refresh_from_db()
    assert association.end_reason == EndReason.WINDOW_ENDED
    assert "1 associations ended" in capsys.readouterr().out


def test_expire_associations_names_a_bad_date():
    with pytest.raises(CommandError, match="not an ISO date-time"):
        call_command("expire_associations", at="next tuesday")


def test_flush_visits_without_redis_has_nothing_to_do(capsys):
    call_command("flush_visits")
    assert "0 visits written; 0 still buffered" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("config", "error"),
    [
        ({"model": "random", "window_days": 30}, "referrals.E001"),
        ({"model": "last_visit", "window_days": 0}, "referrals.E002"),
    ],
)
def test_a_broken_attribution_setting_fails_the_system_check(settings, config, error):
    from referrals.attribution.checks import attribution_configured

    settings.REFERRAL_ATTRIBUTION = config
    assert [e.id for e in attribution_configured(None)] == [error]
