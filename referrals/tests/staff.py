"""Staff accounts for the referrals tests: a member of one of the portal's groups."""

from django.contrib.auth.models import Group

from ambassadors.tests.factories import UserFactory
from portal.kernel.staff import staff_groups_sync


def staff_in(group):
    staff_groups_sync()
    member = UserFactory(is_staff=True)
    member.groups.add(Group.objects.get(name=group))
    return member
