"""Changes of membership that reach across apps, composed here because
`ambassadors` may not import the apps above it (DESIGN.md)."""

from django.db import transaction

from ambassadors.services import ambassador_cancel
from referrals.services import ambassador_release


@transaction.atomic
def membership_cancel(*, ambassador, actor):
    """R10.2: end the membership and let the ambassador's customers go, in one transaction."""
    ambassador = ambassador_cancel(ambassador=ambassador, actor=actor)
    ambassador_release(ambassador=ambassador, at=ambassador.cancelled_at)
    return ambassador
