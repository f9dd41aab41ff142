"""Changes of membership that reach across apps, composed here because
`ambassadors` may not import the apps above it (docs/ARCHITECTURE.md)."""

from django.db import transaction

from ambassadors.services import ambassador_cancel
from payouts.forfeit import ambassador_forfeit
from referrals.attribution.services import ambassador_release


@transaction.atomic
def membership_cancel(*, ambassador, actor):
    """R10.2: end the membership, let the ambassador's customers go and forfeit what was
    not withdrawn, in one transaction."""
    ambassador = ambassador_cancel(ambassador=ambassador, actor=actor)
    ambassador_release(ambassador=ambassador, at=ambassador.cancelled_at)
    ambassador_forfeit(ambassador=ambassador, actor=actor)
    return ambassador
