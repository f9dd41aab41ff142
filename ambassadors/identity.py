"""Identity signals: recording them and asking whether two accounts are the same person (R9.1).

Hashes are compared without their kind on purpose: a phone number that is
also an Alipay logon id links the two accounts just the same.
"""

from django.db.models import Q
from django.utils import timezone

from .models import IdentitySignal


def identity_signal_record(*, user, kind, value_hash, source):
    """Remember that `user` showed this signal. Seen again, it is only touched."""
    signal, created = IdentitySignal.objects.get_or_create(
        user=user, kind=kind, value_hash=value_hash, defaults={"source": source}
    )
    if not created:
        IdentitySignal.objects.filter(pk=signal.pk).update(last_seen_at=timezone.now())
    return signal


def shared_signal_kinds(first_user, second_user):
    """The kinds of signal of `first_user` that `second_user` shares; empty if none.

    One query, whatever the number of signals.
    """
    if first_user.pk == second_user.pk:
        return {"same_account"}
    theirs = IdentitySignal.objects.filter(user=second_user).values("value_hash")
    return set(
        IdentitySignal.objects.filter(Q(user=first_user) & Q(value_hash__in=theirs))
        .values_list("kind", flat=True)
        .distinct()
    )
