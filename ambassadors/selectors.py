"""Reads of the ambassadors app."""

from .models import Ambassador, ProgramState, Verification


def ambassador_of(user):
    """The user's membership, or None when they have not joined. The log-in
    backend usually loaded it with the account already."""
    if not user.is_authenticated:
        return None
    try:
        return user.ambassador
    except Ambassador.DoesNotExist:
        return None


def program_state_of(user):
    ambassador = ambassador_of(user)
    return ambassador.program_state if ambassador else ProgramState.NOT_JOINED


def verifications_of(ambassador):
    return Verification.objects.filter(ambassador=ambassador).select_related("decided_by")


def latest_verification_of(ambassador):
    return verifications_of(ambassador).first()


def ambassador_accounts(user_ids) -> set:
    """Those of these accounts that are ambassadors, now or once. One query."""
    return set(Ambassador.objects.filter(user__in=user_ids).values_list("user", flat=True))
