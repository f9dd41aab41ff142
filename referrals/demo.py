"""Demo data of the referrals app: customers in every state the pages show."""

from datetime import timedelta

from django.utils import timezone

from ambassadors import services as ambassador_services

from . import services
from .cookies import ReferralVisit


def _visit(ambassador, *, days_ago, tag):
    code = services.referral_link_for(ambassador).code
    visit_id = f"00000000-0000-4000-8000-{tag:012d}"  # fixed ids: loading twice changes nothing
    return ReferralVisit(code=code, visit_id=visit_id, visited_at=timezone.now() - timedelta(days=days_ago))


def load(*, ambassador, account):
    """`ambassador` gets active and lost customers; a rival ambassador takes one over."""
    rival = ambassador_services.ambassador_join(user=account("rival@demo.local"))
    if not rival.verified_at:
        staff = account("admin@demo.local")
        verification = ambassador_services.verification_submit(
            ambassador=rival, legal_name="赵六", id_number="110105198502141233", phone="13700002222", consent=True
        )
        ambassador_services.verification_approve(verification=verification, actor=staff)
        rival.refresh_from_db()

    customer = account("customer@demo.local")
    services.association_apply(customer=customer, visit=_visit(ambassador, days_ago=3, tag=1))
    for number, days in enumerate([1, 6, 12, 25], start=2):
        services.association_apply(
            customer=account(f"lead{number}@demo.local"), visit=_visit(ambassador, days_ago=days, tag=number)
        )

    moved = account("moved@demo.local")
    services.association_apply(customer=moved, visit=_visit(ambassador, days_ago=10, tag=10))
    services.association_apply(customer=moved, visit=_visit(rival, days_ago=2, tag=11))
    services.association_apply(customer=account("lapsed@demo.local"), visit=_visit(ambassador, days_ago=45, tag=12))
    services.associations_expire()

    return [("rival@demo.local", "另一位云大使，接替了一位客户 / a second ambassador who took over a customer")]
