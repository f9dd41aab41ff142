"""The refusal of R3.5 as a pure function of the facts the service gathers: no database."""

from dataclasses import replace

import pytest

from referrals.attribution.rules import VisitFacts, association_refusal
from referrals.models import RefusalReason

ASSOCIABLE = VisitFacts(
    link_known=True, ambassador_can_refer=True, segment="normal", customer_old=False, shared_signal_kinds=frozenset()
)


def test_r3_5_a_new_normal_customer_of_an_active_ambassador_is_not_refused():
    assert association_refusal(ASSOCIABLE) == (None, "")


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"link_known": False}, (RefusalReason.UNKNOWN_LINK, "")),
        ({"ambassador_can_refer": False}, (RefusalReason.INACTIVE_AMBASSADOR, "")),
        ({"segment": "cbm"}, (RefusalReason.CBM_OR_PARTNER, "cbm")),
        ({"segment": "partner"}, (RefusalReason.CBM_OR_PARTNER, "partner")),
        ({"customer_old": True}, (RefusalReason.OLD_CUSTOMER, "")),
        ({"shared_signal_kinds": frozenset({"phone", "device"})}, (RefusalReason.SAME_PERSON, "device,phone")),
    ],
)
def test_r3_5_each_customer_who_cannot_be_associated_is_refused_with_its_reason(change, refusal):
    assert association_refusal(replace(ASSOCIABLE, **change)) == refusal


def test_r3_5_the_first_reason_in_order_is_the_one_recorded():
    everything_wrong = VisitFacts(
        link_known=True,
        ambassador_can_refer=True,
        segment="partner",
        customer_old=True,
        shared_signal_kinds=frozenset({"phone"}),
    )
    assert association_refusal(everything_wrong)[0] == RefusalReason.CBM_OR_PARTNER
    assert association_refusal(replace(everything_wrong, segment="normal"))[0] == RefusalReason.OLD_CUSTOMER
