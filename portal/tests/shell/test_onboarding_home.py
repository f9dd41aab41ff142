"""概览 keeps the first steps' checklist on top until the last step, sharing the link, is done."""

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from ambassadors.tests.factories import BoundAmbassadorFactory
from referrals.models import Visit

pytestmark = pytest.mark.django_db


def test_the_checklist_stays_until_someone_follows_the_link(client):
    ambassador = BoundAmbassadorFactory()
    client.force_login(ambassador.user)
    home = client.get(reverse("center:home")).content.decode()
    assert "开通进度" in home and "去分享" in home
    Visit.objects.create(
        id=uuid.uuid4(), code="x", ambassador=ambassador, visited_at=timezone.now(), outcome=Visit.Outcome.LANDED
    )
    assert "开通进度" not in client.get(reverse("center:home")).content.decode()
