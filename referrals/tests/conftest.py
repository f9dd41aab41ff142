"""Fixtures of the referral tests: here an ambassador is a verified one, who can refer."""

import pytest

from ambassadors.tests.factories import VerifiedAmbassadorFactory


@pytest.fixture
def ambassador(db):
    return VerifiedAmbassadorFactory()


@pytest.fixture
def logged_in(client, ambassador):
    client.force_login(ambassador.user)
    return client
