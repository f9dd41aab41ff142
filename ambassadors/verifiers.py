"""Who decides a real-name verification.

A verifier is told when a verification is submitted and decides it by
calling `services.verification_approve` or `services.verification_reject`,
now or later. The one that ships leaves the decision to staff in the admin;
an identity-check provider would be another class named in
AMBASSADOR_VERIFIER.
"""

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class Verifier(Protocol):
    def submitted(self, verification_id: int) -> None: ...


class StaffReviewVerifier:
    """Staff with the `decide_verification` permission decide in the admin."""

    def submitted(self, verification_id):
        logger.info("verification %s waits for staff review", verification_id)


def get_verifier() -> Verifier:
    return import_string(settings.AMBASSADOR_VERIFIER)()
