"""The session's account is loaded with its program membership in one query."""

import pytest

from ambassadors.tests.factories import AmbassadorFactory, UserFactory
from portal.shell.auth_backends import AccountBackend

pytestmark = pytest.mark.django_db


def test_the_account_and_its_membership_in_one_query(django_assert_num_queries):
    ambassador = AmbassadorFactory()
    with django_assert_num_queries(1):
        user = AccountBackend().get_user(ambassador.user_id)
        assert user == ambassador.user and user.ambassador == ambassador


def test_an_account_that_is_gone_or_deactivated_is_nobody():
    deactivated = UserFactory(is_active=False)
    assert AccountBackend().get_user(deactivated.pk) is None
    assert AccountBackend().get_user(deactivated.pk + 1000) is None


def test_an_account_that_has_not_joined_loads_without_a_membership():
    user = UserFactory()
    assert AccountBackend().get_user(user.pk) == user
